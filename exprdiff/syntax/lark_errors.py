"""Lark itself: the grammar compiled by Lark, the reference parse, and every error message.

parser.py's fast loop handles valid input without importing Lark; anything it rejects comes
here, where Lark parses again (tree-less LALR, `transformer=`) and its errors are translated into
ExprErrors with a column and a suggestion: `sni(x)`, `2x`, `x × y`, `(x + 1`.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from exprdiff import ast
from exprdiff.errors import ExprError, line_and_column
from exprdiff.ops import CONSTANTS, FUNCTIONS
from exprdiff.syntax.lookalikes import LOOKALIKES

#: Characters that are not in the language, with a word on what to write instead.
_FOREIGN = {
    "=": "write an expression, not an equation",
    "[": "use '(' and ')' for grouping",
    "]": "use '(' and ')' for grouping",
    "{": "use '(' and ')' for grouping",
    "}": "use '(' and ')' for grouping",
    "!": "there is no factorial; exprdiff differentiates smooth functions",
    "%": "there is no modulo operator",
    ";": "one expression at a time (';' separates points only in batch input)",
}

_TOKEN_WORDS = {
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "POW": "'**'",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "NUMBER": "a number", "NAME": "a name",
    "$END": "the end of the expression",
}


def _column(token: Token) -> int:
    return (token.start_pos or 0) + 1


@v_args(inline=True)
class _Builder(Transformer[Token, ast.Node]):
    """Reduce callbacks: one small method per node kind, called by the LALR parser."""

    def add(self, a: ast.Node, op: Token, b: ast.Node) -> ast.Node:
        return ast.Call("add", (a, b), _column(op))

    def sub(self, a: ast.Node, op: Token, b: ast.Node) -> ast.Node:
        return ast.Call("sub", (a, b), _column(op))

    def mul(self, a: ast.Node, op: Token, b: ast.Node) -> ast.Node:
        return ast.Call("mul", (a, b), _column(op))

    def div(self, a: ast.Node, op: Token, b: ast.Node) -> ast.Node:
        return ast.Call("div", (a, b), _column(op))

    def pow(self, a: ast.Node, op: Token, b: ast.Node) -> ast.Node:
        return ast.Call("pow", (a, b), _column(op))

    def neg(self, op: Token, a: ast.Node) -> ast.Node:
        return ast.Call("neg", (a,), _column(op))

    def pos(self, op: Token, a: ast.Node) -> ast.Node:
        return a

    def group(self, lpar: Token, inner: ast.Node, rpar: Token) -> ast.Node:
        return inner

    def number(self, token: Token) -> ast.Node:
        value = float(token.value)
        if not math.isfinite(value):
            raise ExprError(
                "parse", f"the number {_shorten(token.value)} is too large for a double "
                "(at most about 1.8e308)", column=_column(token))
        return ast.Number(value, token.value, _column(token))

    def name(self, token: Token) -> ast.Node:
        name = token.value
        if name in CONSTANTS:
            return ast.Constant(name, CONSTANTS[name], _column(token))
        if name in FUNCTIONS:
            raise ExprError("parse", f"'{name}' is a function: call it as {name}(…)",
                            column=_column(token))
        return ast.Variable(name, _column(token))

    def arguments(self, *items: Any) -> list[ast.Node]:
        return list(items[::2])  # drop the commas

    def call(self, name: Token, lpar: Token, args: list[ast.Node], rpar: Token) -> ast.Node:
        op = FUNCTIONS.get(name.value)
        if op is None:
            raise _unknown_function(name)
        if not op.accepts(len(args)):
            got = f"{len(args)} argument" + ("" if len(args) == 1 else "s")
            raise ExprError("parse", f"{op.name} takes {op.arity_text()}, got {got}",
                            column=_column(name))
        return ast.Call(op.name, tuple(args), _column(name))


def _unknown_function(name: Token) -> ExprError:
    text = name.value
    if text in CONSTANTS:
        return ExprError("parse", f"'{text}' is a constant, not a function; "
                         f"write {text}*(…) to multiply", column=_column(name))
    close = difflib.get_close_matches(text, list(FUNCTIONS), n=1, cutoff=0.6)
    if close:
        message = f"unknown function '{text}'; did you mean '{close[0]}'?"
        hint = None
    else:
        message = f"unknown function '{text}'"
        hint = f"to multiply, write '{text}*(…)'; functions: {', '.join(sorted(FUNCTIONS))}"
    return ExprError("parse", message, column=_column(name), hint=hint)


@lru_cache(maxsize=1)
def lark() -> Lark:
    """The one parser of this process; parse tables are cached across processes by Lark."""
    from exprdiff.syntax.grammar import grammar_text

    return Lark(grammar_text(), parser="lalr", lexer="basic", transformer=_Builder(),
                maybe_placeholders=False, cache=_cache_path())


def _cache_path() -> str | bool:
    """Lark's cache is a pickle: keep it only in the user's private cache folder."""
    from exprdiff.syntax.grammar import cache_folder
    from exprdiff.version import __version__

    folder = cache_folder()
    if folder is None:
        return False
    return str(Path(folder) / f"grammar-{__version__}.lark.cache")


def parse_with_lark(text: str) -> ast.Node:
    """Parse with Lark itself; raise ExprError (kind 'parse') with a column on any mistake."""
    if not text.strip():
        raise ExprError("parse", "empty expression", column=None, source=text,
                        hint="write an expression such as 'x**2 + 3*y'")
    try:
        tree = lark().parse(text)
    except ExprError as error:
        raise _with_source(error, text) from None
    except VisitError as error:  # a callback's own error, wrapped by Lark
        inner = error.orig_exc
        if isinstance(inner, ExprError):
            raise _with_source(inner, text) from None
        raise
    except UnexpectedInput as error:
        raise _translate(error, text) from None
    assert not isinstance(tree, Token)  # noqa: S101 - the grammar's start rule is never a token
    return tree  # type: ignore[return-value]  # the transformer made an ast node



def _with_source(error: ExprError, text: str) -> ExprError:
    error.source = text
    if error.column is not None and " at line " not in error.message:
        line, col = line_and_column(text, error.column)
        head, sep, tail = error.message.partition("; ")
        error.message = f"{head} at line {line}, column {col}{sep}{tail}"
    return error


def _translate(error: UnexpectedInput, text: str) -> ExprError:
    """A Lark error → our message: what was found, where, what was expected, a suggestion."""
    if isinstance(error, UnexpectedCharacters):
        return _bad_character(error, text)
    assert isinstance(error, UnexpectedToken)  # noqa: S101 - LALR raises only these two
    token = error.token
    expected = set(error.expected)
    if token.type == "$END":
        column = len(text.rstrip()) + 1
        message = "unexpected end of expression"
        hint = _expected_words(expected)
        unclosed = _unclosed_paren(text)
        if unclosed is not None:
            column = unclosed
            message = "this '(' is never closed"
            hint = "add ')' where the group ends"
        return _with_source(ExprError("parse", message, column=column, hint=hint), text)
    column = _column(token)
    shown = _shorten(token.value)
    message = f"unexpected '{shown}'"
    hint = _suggest(token, text) or _expected_words(expected)
    if token.type == "RPAR" and _unclosed_paren(text[: column - 1]) is None:
        hint = "this ')' has no matching '('"
    return _with_source(ExprError("parse", message, column=column, hint=hint), text)


def _bad_character(error: UnexpectedCharacters, text: str) -> ExprError:
    char = error.char
    column = (error.pos_in_stream or 0) + 1
    try:
        label = f" ({unicodedata.name(char)})"
    except ValueError:
        label = f" (U+{ord(char):04X})"
    printable = char if char.isprintable() else repr(char)[1:-1]
    message = f"unexpected character '{printable}'{label}"
    if char in LOOKALIKES:
        hint = f"did you mean '{LOOKALIKES[char]}'? exprdiff reads plain ASCII operators"
    elif char in _FOREIGN:
        hint = _FOREIGN[char]
    else:
        hint = "expected a number, a variable, a function call, an operator or a parenthesis"
    return _with_source(ExprError("parse", message, column=column, hint=hint), text)


def _previous_token(text: str, position: int) -> Token | None:
    """The token just before absolute offset `position` (re-lexes: error path only)."""
    previous = None
    try:
        for token in lark().lex(text[:position]):
            previous = token
    except UnexpectedInput:
        return None
    return previous


def _suggest(token: Token, text: str) -> str | None:
    """Implicit multiplication and friends: `2x`, `2(x)`, `)(`, `x y`, `sin x`."""
    before = _previous_token(text, token.start_pos or 0)
    if before is None:
        return None
    if before.type in ("NUMBER", "NAME", "RPAR") and token.type in ("NAME", "NUMBER", "LPAR"):
        if before.type == "NAME" and before.value in FUNCTIONS and token.type != "LPAR":
            return f"did you mean '{before.value}({token.value})'?"
        left = text[before.start_pos : before.end_pos]
        return f"did you mean '{left}*{token.value}'?"
    return None


def _expected_words(expected: set[str]) -> str:
    if {"NUMBER", "NAME", "LPAR"} <= expected:
        return "expected a number, a variable, a function call or '('"
    words = [_TOKEN_WORDS.get(name, name) for name in sorted(expected) if name != "$END"]
    if not words:
        return "expected the end of the expression"
    if {"PLUS", "MINUS", "STAR", "SLASH", "POW"} <= expected:
        rest = [w for w in words if w not in ("'+'", "'-'", "'*'", "'/'", "'**'")]
        words = ["an operator"] + rest
    if "$END" in expected:
        words.append("the end of the expression")
    if len(words) == 1:
        return "expected " + words[0]
    return "expected " + ", ".join(words[:-1]) + " or " + words[-1]


def _unclosed_paren(text: str) -> int | None:
    """1-based column of the innermost '(' left open in `text`, or None."""
    opened: list[int] = []
    for i, char in enumerate(text):
        if char == "(":
            opened.append(i)
        elif char == ")" and opened:
            opened.pop()
    return opened[-1] + 1 if opened else None


def _shorten(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width // 2] + "…" + text[-width // 2 :]
