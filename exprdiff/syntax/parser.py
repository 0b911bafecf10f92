"""Text → tape or AST: a tight LALR loop over the tables Lark builds from grammar/exprdiff.lark.

Valid input never imports Lark: the parse table, copied once out of Lark (lalr.py), is cached
as JSON beside Lark's own cache, and the reduce callbacks build the tape (or the AST) directly,
without recursion however deep the input. A mistake is worded from where the loop stopped
(wording.py), in the same words Lark's errors get, without parsing the text again; Lark parses
only what the loop cannot judge (a piece of text that is no token on its own), and only when the
text is short (mistakes.LARK_WORDING): one source of the language, one of errors.
"""

from __future__ import annotations

import gc
import json
import math
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from exprdiff import ast
from exprdiff.errors import ExprError
from exprdiff.lowering import TapeBuilder, UnaryRule, lower, node_maker
from exprdiff.ops import CONSTANTS, FUNCTIONS, OPERATORS
from exprdiff.syntax import lalr, program_callback, table_data
from exprdiff.syntax.grammar import cache_folder, grammar_text
from exprdiff.tape import Tape


@lru_cache(maxsize=1)
def _tables() -> lalr.Tables:
    """Lark's LALR table for the grammar: from the JSON cache, else from Lark (then cached).

    The cache file is named by a hash of the version, the table format and the grammar text,
    so two versions never share one; it holds a CRC-32 checksum of the table (a torn or
    altered file), and a table that fails it or a probe parse (every rule, checked by value: a
    forger who rewrites the checksum too is caught here) is rebuilt, never used. A checksum,
    not SHA-256: anyone who can write the file can write either, and importing hashlib (OpenSSL)
    cost every process 3 ms.
    """
    text = grammar_text()
    folder = cache_folder()
    path = os.path.join(folder, f"lalr-{_cache_key(text)}.json") if folder else None
    if path is not None:
        cached = _read_cache(path)
        if cached is not None:
            return cached
    from exprdiff.syntax.lark_errors import lark

    tables = table_data.tables(lark())
    if path is not None:
        body = json.dumps(table_data.to_data(tables))
        try:
            partial = f"{path}.{os.getpid()}.tmp"
            with open(partial, "w", encoding="utf-8") as handle:
                handle.write(_digest(body) + "\n" + body)
            os.replace(partial, path)
        except OSError:
            pass
    return tables


def _cache_key(grammar: str) -> str:
    from exprdiff.version import __version__

    return _digest(f"{__version__}\n{table_data.FORMAT}\n{grammar}")


#: A Mersenne prime: the digest is the text's bytes, read as one integer, modulo it.
_MODULUS = (1 << 61) - 1


def _digest(text: str) -> str:
    """A checksum of the text (its length, then its bytes as one little-endian integer modulo
    2**61 - 1, as hex): any truncation or corrupted run of bytes changes it, bar a chance of
    2**-61. It is worked out in C by int.from_bytes, with no module to load (zlib cost a fresh
    process 0.4 ms); like CRC-32 it is no defence against a forger (the probe parse is)."""
    data = text.encode("utf-8")
    return f"{len(data):x}-{int.from_bytes(data, 'little') % _MODULUS:016x}"


def _read_cache(path: str) -> lalr.Tables | None:
    """The cached table when it verifies (digest, then a probe parse); None otherwise."""
    try:  # JSON, not pickle or marshal: the folder's files are not trusted
        with open(path, encoding="utf-8") as handle:
            digest, _, body = handle.read().partition("\n")
        if digest != _digest(body):
            return None
        tables = table_data.from_data(json.loads(body))
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        return None  # missing or unreadable: rebuild
    return tables if _probe(tables) else None


#: A probe that reduces every rule of the grammar once; a table whose rules were swapped or
#: altered gives another value (or fails) and is not used.
_PROBE, _PROBE_VALUE = "-(x) + +2*x/4 - max(x, 3)**2", -9.5


def _probe(tables: lalr.Tables) -> bool:
    from exprdiff.forward import forward

    try:
        found = lalr.pieces(tables, _PROBE)
        builder = TapeBuilder(_PROBE, found)
        output = lalr.run(tables, found, _bind_tape(tables), builder)
        tape = builder.finish(output, lambda indices: indices)
        return tape.variables == ("x",) and forward(tape, [1.0])[tape.output] == _PROBE_VALUE
    except Exception:  # noqa: BLE001 - any failure means: do not trust this table
        return False


def parse_tape(text: str) -> Tape:
    """Text → tape in one pass: the reduce callbacks build the tape, no AST is made.

    The same tape as `lower(parse(text), text)`, and the same error: a mistake is worded from
    this very parse; a folded constant off its domain goes the slow way, which reports a
    mistake later in the text first, as Lark would. The cyclic garbage collector is paused
    meanwhile: a tape is acyclic (tuples and lists of ints), and a big one would otherwise
    trigger full collections that walk every object of the process (with PyTorch or SymPy
    loaded, that is most of the time spent).
    """
    if len(text) < _SHORT:  # too few objects to start a collection worth pausing for
        return _tape_or_fallback(text)
    paused = gc.isenabled()
    gc.disable()
    try:
        return _tape_or_fallback(text)
    finally:
        if paused:
            gc.enable()


#: Texts shorter than this parse with the collector left on: a few hundred objects at most.
_SHORT = 256


def _tape_or_fallback(text: str) -> Tape:
    try:
        return _fast_tape(text)
    except lalr.Mistake as mistake:
        raise _worded(text, mistake) from None
    except lalr.Fallback:
        pass
    return lower(parse(text), text)


def parse_with_tree(text: str) -> Tape:
    """Text → syntax tree → tape, in one parse: the tape keeps the tree (`Tape.tree`) for the
    paths that need one (the oracle, `diff`). The same tape as parse_tape(text)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        tree = parse(text)
        tape = lower(tree, text)
        tape.tree = tree
        return tape
    finally:
        if paused:
            gc.enable()


class _Run:
    """One AST parse's state, handed to the tree callbacks (which are built once per process):
    the pieces of text and their 0-based starts (terminals reach the callbacks as piece
    indices, lalr.pieces). A tape parse hands over its TapeBuilder instead, which keeps the
    pieces and records a node's column as its piece index, turned into the column when first
    asked for (see Tape.columns).
    """

    __slots__ = ("texts", "starts")

    def __init__(self, texts: list[str], starts: list[int]) -> None:
        self.texts = texts
        self.starts = starts


def _fast_tape(text: str) -> Tape:
    tables = _tables()
    found = lalr.pieces(tables, text)
    builder = TapeBuilder(text, found)
    try:
        output = lalr.run(tables, found, _tape_callbacks(), builder)
    except ExprError:  # a folded constant off its domain: let the slow path order the errors
        raise lalr.Fallback from None
    return builder.finish(output, lambda indices: _columns(text, indices))


def _columns(text: str, indices: list[int]) -> list[int]:
    """1-based columns of the pieces at `indices` of `text` (cut again: it is done only when a
    tape's columns are first needed, so parsing keeps no per-piece offsets)."""
    offsets = lalr.offsets(lalr.pieces(_tables(), text))
    return [offsets[k] + 1 for k in indices]


def _fast_tree(text: str) -> ast.Tree:
    tables = _tables()
    found = lalr.pieces(tables, text)
    return lalr.run(tables, found, _tree_callbacks(), _Run(found, lalr.offsets(found)))


# ---- reduce callbacks building the tape: (builder, *children), terminals as piece indices ---
# The operators' callbacks are their lowering.node_maker(op, arity) themselves.


def _tape_name(b: TapeBuilder, k: int) -> int:
    text = b.texts[k]
    found = b.variables.get(text)  # a name seen before (variables and constants)
    if found is not None:
        return found
    if text in CONSTANTS:
        return b.constant(text, CONSTANTS[text], k)
    if text in FUNCTIONS:
        raise _mistake("function_as_name", text, lalr.start(b.texts, k) + 1)
    return b.variable(text, k)


def _tape_number(b: TapeBuilder, k: int) -> int:
    text = b.texts[k]
    found = b.literals.get(text)  # the same literal again (`x**2 + y**2`)
    if found is not None:
        return found
    value = float(text)
    if not math.isfinite(value):
        raise _mistake("number_too_large", text, lalr.start(b.texts, k) + 1)
    found = b.literals[text] = b.number(value, k)
    return found


def _tape_call(b: TapeBuilder, k: int, lpar: int, args: int | list[int], rpar: int) -> int:
    """A call; `args` is the one argument's node itself (`arguments/1`), else their list."""
    text = b.texts[k]
    op = FUNCTIONS.get(text)
    if type(args) is int:
        made = _UNARY_CALLS.get(text)
        if made is not None and made[0] is op:
            return made[1](b, k, args)
        if op is not None and op.accepts(1):  # first met (or patched by a test)
            made = _UNARY_CALLS[text] = (op, node_maker(op, 1))
            return made[1](b, k, args)
        args = [args]
    assert isinstance(args, list)  # noqa: S101 - for mypy: not an int, so the list
    if op is None or not op.accepts(len(args)):
        raise _call_mistake(b.texts[k], len(args), lalr.start(b.texts, k) + 1,
                            "\n" in "".join(b.texts[k + 1:lpar]))
    return b.apply(op, tuple(args), k)


#: function name → (its op, the op's one-argument node maker), for functions that take one.
_UNARY_CALLS: dict[str, tuple[Any, UnaryRule]] = {}




def _mistake(what: str, text: str, column: int) -> lalr.Mistake:
    """A reduction's own mistake, worded by wording.py's function `what` (loaded only now)."""
    from exprdiff.syntax import wording

    return lalr.Mistake(error=getattr(wording, what)(text, column))


def _call_mistake(name: str, count: int, column: int, newline: bool = False) -> lalr.Mistake:
    from exprdiff.syntax import wording

    op = FUNCTIONS.get(name)
    if op is None:
        error = wording.unknown_function(name, column)
        if newline:  # `a = x` then a line `(a + 1)**2`: read as the call x(a + 1)
            error.hint = wording.NEWLINE_CALL
        return lalr.Mistake(error=error)
    return lalr.Mistake(error=wording.wrong_arity(op, count, column))


# ---- reduce callbacks building the AST --------------------------------------------------------


def _tree_binary(op: str) -> Callable[[_Run, ast.Node, int, ast.Node], ast.Node]:
    def reduce(r: _Run, a: ast.Node, k: int, b: ast.Node) -> ast.Node:
        return ast.Call(op, (a, b), r.starts[k] + 1)

    return reduce


def _tree_neg(r: _Run, k: int, a: ast.Node) -> ast.Node:
    return ast.Call("neg", (a,), r.starts[k] + 1)


def _tree_name(r: _Run, k: int) -> ast.Node:
    text = r.texts[k]
    if text in CONSTANTS:
        return ast.Constant(text, CONSTANTS[text], r.starts[k] + 1)
    if text in FUNCTIONS:
        raise _mistake("function_as_name", text, r.starts[k] + 1)
    return ast.Variable(text, r.starts[k] + 1)


def _tree_number(r: _Run, k: int) -> ast.Node:
    value = float(r.texts[k])
    if not math.isfinite(value):
        raise _mistake("number_too_large", r.texts[k], r.starts[k] + 1)
    return ast.Number(value, r.texts[k], r.starts[k] + 1)


def _tree_call(r: _Run, k: int, lpar: int, args: list[ast.Node], rpar: int) -> ast.Node:
    op = FUNCTIONS.get(r.texts[k])
    if op is None or not op.accepts(len(args)):
        raise _call_mistake(r.texts[k], len(args), r.starts[k] + 1,
                            "\n" in "".join(r.texts[k + 1:lpar]))
    return ast.Call(op.name, tuple(args), r.starts[k] + 1)


def _second(r: object, first: int, value: Any, *rest: int) -> Any:
    return value  # `+x` and `(x)` are x


def _arguments(r: object, *items: Any) -> list[Any]:
    return list(items[::2])  # drop the commas


_BINARY = ("add", "sub", "mul", "div", "pow")
_NEG = OPERATORS["neg"]


@lru_cache(maxsize=1)
def _tape_callbacks() -> lalr.Bound:
    return _bind_tape(_tables())


def _bind_tape(tables: lalr.Tables) -> lalr.Bound:
    return lalr.bind(tables, {
        **{n: node_maker(OPERATORS[n], 2) for n in _BINARY}, "neg": node_maker(_NEG, 1),
        "pos": lalr.Child(1),
        "group": lalr.Child(1), "number": _tape_number, "name": _tape_name, "call": _tape_call,
        "arguments": _arguments, "arguments/1": lalr.Child(0),
        "assign": program_callback("tape_assign"), "separator": program_callback("tape_separator"),
        "statements": lalr.Child(0), "program": program_callback("tape_program")})


@lru_cache(maxsize=1)
def _tree_callbacks() -> lalr.Bound:
    return lalr.bind(_tables(), {
        **{n: _tree_binary(n) for n in _BINARY}, "neg": _tree_neg, "pos": _second,
        "group": _second, "number": _tree_number, "name": _tree_name, "call": _tree_call,
        "arguments": _arguments, "assign": program_callback("tree_assign"),
        "separator": program_callback("tree_separator"),
        "statements": program_callback("listed_statements"),
        "program": program_callback("tree_program")})


def parse(text: str) -> ast.Tree:
    """Parse one expression; raise ExprError (kind 'parse') with a column on any mistake.

    >>> parse("x**2").op
    'pow'
    """
    try:
        return _fast_tree(text)
    except lalr.Mistake as mistake:
        raise _worded(text, mistake) from None
    except lalr.Fallback:
        pass
    from exprdiff.syntax.lark_errors import parse_with_lark

    return parse_with_lark(text)


def _worded(text: str, mistake: lalr.Mistake) -> ExprError:
    """The ExprError for a mistake of the fast loop (mistakes.py: the error path only)."""
    from exprdiff.syntax.mistakes import worded

    return worded(text, mistake, _tables())


def _lark() -> Any:
    """Lark's parser for the grammar (lark_glue.lark), for tests and the error path."""
    from exprdiff.syntax.lark_errors import lark

    return lark()


def __getattr__(name: str) -> Any:
    # Names that moved to lark_glue.py (LOOKALIKES, the error helpers) stay reachable here.
    if name.startswith("__"):
        raise AttributeError(name)
    from exprdiff.syntax import lark_errors as lark_glue

    try:
        return getattr(lark_glue, name)
    except AttributeError:
        raise AttributeError(f"module 'exprdiff.syntax.parser' has no attribute '{name}'") from None
