"""Shape reuse for batches: a line whose text differs from an earlier one only in its number
literals (`tanh(w*x + 0.31)`, then `tanh(w*x + 0.32)`) gets a copy of that parse's tape with
its constants put in, instead of a parse of its own.

Why a copy is the very tape parse_tape would make: the pieces of text other than the numbers
are the same, and every number is a NUMBER token, so the LALR loop makes the same reductions
and the callbacks get the same pieces. What a callback does with a number's *value* is the only
difference, and there are three such decisions, each redone or checked here:

- a literal or a folded constant (`2*3`, `-0.5`) becomes a node through TapeBuilder.number,
  which reuses the node of an equal (value, sign) made before. The recorded parse lists these
  calls in order (`events`), with the node each gave and whether it was new; a new text redoes
  them (its literals read by float(), its folds by lowering.folded on its own values) and must
  get the same outcome at every step, else it is parsed afresh. Same outcomes mean the same
  node numbers everywhere, so the hash-consing of the operations (keyed on node numbers) and
  the tape's structure come out the same; only the new nodes' constants differ, and are set.
- `a**c` with a constant `c` is swept as POWC when c is nonzero: the zero-ness of every such
  exponent must be the recorded one.
- a literal beyond the doubles or a fold off its domain is an error: that text is parsed
  afresh, and the parse reports it (error behaviour is parse_tape's own, always).

The batch evaluator owns a Shapes cache (bounded; a full cache forgets its oldest shape);
exprdiff.compile and grad never use it. A program (`a = 2*x; a + 1`) is reused the same way.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from exprdiff.lowering import TapeBuilder, folded
from exprdiff.ops import Op
from exprdiff.syntax import lalr
from exprdiff.syntax.parser import _columns, _tables, _tape_callbacks, _tape_number, parse_tape
from exprdiff.tape import CONSTANT, Lean, Tape

#: Shapes kept per evaluator; beyond it the oldest is forgotten.
SHAPES = 1024
#: Longer texts are parsed as they are: a shape is worth keeping for seed-sized lines.
MAX_TEXT = 4000
#: Shapes kept under one key, where the numbers' values make different tapes.
PER_KEY = 4

#: A text's lookup key is the text with each number (not a name's digits: `x1`) as \0. A shape
#: found by it reads the text's numbers from the key's split (where its recorded text was cut
#: alike by the mask and the lexer: _Shape.masked), else checks the text piece by piece.
_MASK = re.compile(r"(?<![\w.])(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: _MASK as a separator kept by split: the key's pieces and the numbers in one pass.
_SPLIT = re.compile(f"({_MASK.pattern})", re.ASCII)

_DIGITLESS = str.maketrans("", "", "0123456789")

#: One TapeBuilder.number call of the recorded parse: (the literal's place among the text's
#: numbers, or -1 for a fold; the folded op or None; its argument nodes; the node it gave;
#: whether that node was new).
Event = tuple[int, Op | None, tuple[int, ...], int, bool]


class Shapes:
    """Recorded parses by shape (the text with its numbers masked), for one batch: a shape's
    third text is recorded (the first two are parsed as they are: a batch of distinct
    structures pays a digitless copy of each text and one dict entry), up to PER_KEY of them
    per key (`x**0` and `x**2`: the exponent's zero-ness differs), the latest first."""

    def __init__(self, size: int = SHAPES) -> None:
        self.size = size
        self._shapes: dict[str, list[_Shape]] = {}
        self._rough: dict[str, None] = {}  # texts seen, their digits left out
        self._once: dict[str, None] = {}  # keys seen once (recorded when seen again)
        self.reused = 0  # tapes made from a shape (for tests and benchmarks)

    def parse(self, text: str) -> Tape:
        """parse_tape(text), from an earlier parse of the same shape when one applies."""
        return self.parse_shared(text)[0]

    def recorded(self, text: str) -> tuple[list[_Shape], list[str]]:
        """The shapes recorded under `text`'s key (none applies unless its read() says so),
        and the numbers of `text` to give their read(); nothing is recorded here:
        parse_shared decides what to keep."""
        if len(text) > MAX_TEXT or text.translate(_DIGITLESS) not in self._rough:
            return [], []
        key, numbers = _masked(text)
        return self._shapes.get(key, []), numbers

    def parse_shared(self, text: str) -> tuple[Tape, dict[str, Any] | None]:
        """parse(text), and a memo shared by the tapes made from one recorded parse (None for
        the recorded tape itself, and any other): what a batch derives once for them all (its
        sweeps, constants aside), where the recorded tape, like a single one, keeps its own."""
        if len(text) > MAX_TEXT:
            return parse_tape(text), None
        rough = text.translate(_DIGITLESS)  # a cheap first sieve: 0.8 µs where _MASK takes 1.5
        if rough not in self._rough:  # no earlier text had this shape: most never recur
            _remember(self._rough, rough, self.size)
            return parse_tape(text), None
        key, numbers = _masked(text)
        kept = self._shapes.get(key)
        if kept is not None:
            for shape in kept:
                tape = shape.tape(text, numbers)
                if tape is not None:
                    self.reused += 1
                    return tape, shape.memo
        elif key not in self._once:  # (`x1 + 2` then `x2 + 3`: another shape, seen once)
            _remember(self._once, key, self.size)
            return parse_tape(text), None
        recorded = _record(text)
        if recorded is None:  # an error (or Lark's path): parse_tape says what it is
            return parse_tape(text), None
        tape, shape = recorded
        if kept is not None:
            kept.insert(0, shape)
            del kept[PER_KEY:]
        else:
            _bounded(self._shapes, self.size)[key] = [shape]
        return tape, None


def _masked(text: str) -> tuple[str, list[str]]:
    """`text`'s key (its numbers as \\0) and the numbers, in order."""
    parts = _SPLIT.split(text)
    return "\0".join(parts[::2]), parts[1::2]


def _remember(seen: dict[str, None], key: str, size: int) -> None:
    """Note `key` in `seen`, which is emptied when full (a sieve: forgetting costs a parse)."""
    if len(seen) >= size:
        seen.clear()
    if size > 0:
        seen[key] = None


def _bounded(kept: dict[str, Any], size: int) -> dict[str, Any]:
    """`kept`, with room for one more key (the oldest forgotten first, as the evaluator's
    cache does); none at all for a size of 0 (a throwaway dict)."""
    if size <= 0:
        return {}
    if len(kept) >= size:
        del kept[next(iter(kept))]
    return kept


class _Recorder(TapeBuilder):
    """A TapeBuilder that lists its folds among the recorded events (the literals are listed
    by _number, the callback that stands for the parser's in the recording parse)."""

    __slots__ = ("events",)

    def __init__(self, source: str, texts: list[str]) -> None:
        super().__init__(source, texts)
        self.events: list[Event] = []

    def _fold(self, op: Op, args: tuple[int, ...], column: int) -> int:
        before = len(self.tape.kinds)
        node = super()._fold(op, args, column)
        self.events.append((-1, op, args, node, len(self.tape.kinds) > before))
        return node


def _number(b: _Recorder, k: int) -> int:
    before = len(b.tape.kinds)
    node = _tape_number(b, k)
    # k (a piece index) for now; _Shape turns it into the literal's place among the numbers
    b.events.append((k, None, (), node, len(b.tape.kinds) > before))
    return node


@lru_cache(maxsize=1)
def _recording() -> lalr.Bound:
    """The tape callbacks with the number rule's replaced by _number."""
    return [(step, size, _number if callback is _tape_number else callback, goto)
            for step, size, callback, goto in _tape_callbacks()]


def _record(text: str) -> tuple[Tape, _Shape] | None:
    """parse_tape(text)'s fast path, recording the events; None where that path fails."""
    tables = _tables()
    try:
        found = lalr.pieces(tables, text)
        builder = _Recorder(text, found)
        output = lalr.run(tables, found, _recording(), builder)
    except Exception:  # noqa: BLE001 - any mistake: parse_tape takes the text and words it
        return None
    tape = builder.finish(output, _resolver(text))
    return tape, _Shape(tables, found, builder.events, tape)


def _resolver(text: str) -> Any:
    return lambda indices: _columns(text, indices)


class _Shape:
    """A recorded tape as it left the parser (columns still piece indices), with what a text of
    the same shape must redo: the events and the POWC exponents."""

    __slots__ = ("tables", "found", "numbers", "masked", "events", "powers", "kinds", "ops",
                 "constants", "columns", "leaf_labels", "inputs", "output", "kink_nodes", "lean",
                 "statements", "memo")

    def __init__(self, tables: lalr.Tables, found: list[str], events: list[Event],
                 tape: Tape) -> None:
        self.tables = tables
        self.found = found[:]
        # every NUMBER piece reaches the number callback, in order (its reduction comes before
        # the next piece is read), and nothing else does
        self.numbers = [k for k, op, _, _, _ in events if op is None]
        # _MASK finds the NUMBER tokens, no more (grammar's NUMBER is _MASK's pattern; a name's
        # digits are not numbers): then a text under this key has these pieces but its numbers
        self.masked = _masked("".join(found))[1] == [found[k] for k in self.numbers]
        place = {k: j for j, k in enumerate(self.numbers)}
        self.events = [(place[k] if op is None else -1, op, args, node, new)
                       for k, op, args, node, new in events]
        kinds, ops = tape.kinds, tape.ops
        lean = tape.lean()
        # a**c with c a constant and `a` not one: POWC where c != 0 (lowering._make_binary)
        self.powers = [(b, tape.constants[b] != 0)
                       for i, b in zip(lean.nodes, lean.seconds, strict=True)
                       if b >= 0 and kinds[b] == CONSTANT and getattr(ops[i], "name", "") == "pow"]
        self.kinds = kinds[:]
        self.ops = tape.ops[:]
        self.constants = tape.constants[:]
        self.columns = tape._columns[:]
        self.leaf_labels = dict(tape._leaf_labels)
        self.inputs = dict(tape.inputs)
        self.output = tape.output
        self.kink_nodes = tape.kink_nodes[:]
        self.lean = _lean_copy(lean)
        self.statements = None if tape.statements is None else _statements_copy(tape.statements)
        self.memo: dict[str, Any] = {}  # see Shapes.parse_shared

    def tape(self, text: str, numbers: list[str] | None = None) -> Tape | None:
        """parse_tape(text) from this shape; None where it does not apply (then parse)."""
        constants = self.read(text, numbers)
        return None if constants is None else self._copy(text, constants)

    def read(self, text: str, numbers: list[str] | None = None) -> list[float] | None:
        """The constants of parse_tape(text)'s tape, node by node, where this shape applies
        to `text` (None elsewhere): its numbers read and its folds redone as the parse
        would. `numbers`: those _masked found in `text`, when its key is this shape's (so
        the text is the recorded one but for them, and lexes as it did: no token but a
        NUMBER holds a digit after a character that is not a name's or a number's)."""
        if numbers is not None and self.masked:
            if len(numbers) != len(self.numbers):
                return None
            texts = numbers  # NUMBER tokens all: _MASK's pattern is the grammar's NUMBER
        else:
            found = lalr.pieces(self.tables, text)
            if len(found) != len(self.found):
                return None
            texts = [found[k] for k in self.numbers]
            mine = self.found
            for k in self.numbers:
                found[k] = mine[k]
            if found != mine:  # another piece differs: another shape under the same key
                return None
            scanner = self.tables.scanner
            for piece in texts:  # each a NUMBER token, as the recorded one was (lalr._entry)
                match = scanner.match(piece)
                if match is None or match.end() != len(piece) or match.lastgroup != "NUMBER":
                    return None
        constants = self.constants[:]
        made: dict[tuple[float, float], int] = {}  # TapeBuilder.number's keys
        isfinite, copysign = math.isfinite, math.copysign
        for j, op, args, node, new in self.events:
            value = float(texts[j]) if op is None else folded(op, [constants[a] for a in args])
            if not isfinite(value):
                return None  # an error: the parse words it
            key = (value, copysign(1.0, value))
            hit = made.get(key)
            if hit is None:
                if not new:
                    return None
                made[key] = node
                constants[node] = value
            elif new or hit != node:
                return None
        for b, nonzero in self.powers:
            if (constants[b] != 0) != nonzero:
                return None
        return constants

    def _copy(self, text: str, constants: list[float]) -> Tape:
        tape = Tape(text)
        tape.kinds = self.kinds[:]
        tape.ops = self.ops[:]
        tape.constants = constants
        tape._columns = self.columns[:]
        tape._leaf_labels = dict(self.leaf_labels)
        tape.inputs = dict(self.inputs)
        tape.output = self.output
        tape.kink_nodes = self.kink_nodes[:]
        tape._lean = _lean_copy(self.lean)
        resolve = _resolver(text)
        tape._resolve = resolve  # as TapeBuilder.finish leaves it
        if self.statements is not None:
            tape.statements = _statements_copy(self.statements)
            tape.statements.resolve_later(resolve)
        return tape


def _lean_copy(lean: Lean) -> Lean:
    copy = Lean()
    copy.nodes = lean.nodes[:]
    copy.forwards = lean.forwards[:]
    copy.rules = lean.rules[:]
    copy.codes = lean.codes[:]
    copy.firsts = lean.firsts[:]
    copy.seconds = lean.seconds[:]
    copy.many = dict(lean.many)
    copy.constant_nodes = lean.constant_nodes[:]
    return copy


def _statements_copy(program: Any) -> Any:
    from exprdiff.statements import Statements

    copy = Statements()
    copy.names = program.names[:]
    copy.nodes = program.nodes[:]
    copy._columns = program._columns[:]  # piece indices (the recorded parse's, not resolved)
    copy.node_of = dict(program.node_of)
    copy.label_of = dict(program.label_of)
    copy.result = program.result
    return copy
