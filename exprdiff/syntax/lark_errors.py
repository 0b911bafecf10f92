"""Lark itself: the grammar compiled by Lark and the reference parse, for tests and for the rare
input that parser.py's fast loop cannot judge on its own.

parser.py's fast loop handles valid input without importing Lark, and words its own mistakes
from the state it stopped in (wording.py). Here Lark parses (tree-less LALR, `transformer=`)
and its exceptions are handed to the same wording: `sni(x)`, `2x`, `x × y`, `(x + 1`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from exprdiff import ast, statements
from exprdiff.errors import ExprError
from exprdiff.ops import CONSTANTS, FUNCTIONS
from exprdiff.syntax import wording
from exprdiff.syntax.wording import LOOKALIKES  # noqa: F401 - the names tests and users know


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
            raise wording.number_too_large(token.value, _column(token))
        return ast.Number(value, token.value, _column(token))

    def name(self, token: Token) -> ast.Node:
        name = token.value
        if name in CONSTANTS:
            return ast.Constant(name, CONSTANTS[name], _column(token))
        if name in FUNCTIONS:
            raise wording.function_as_name(name, _column(token))
        return ast.Variable(name, _column(token))

    def arguments(self, *items: Any) -> list[ast.Node]:
        return list(items[::2])  # drop the commas

    def call(self, name: Token, lpar: Token, args: list[ast.Node], rpar: Token) -> ast.Node:
        op = FUNCTIONS.get(name.value)
        if op is None:
            error = wording.unknown_function(name.value, _column(name))
            if lpar.line != name.line:  # as parser.py words it
                error.hint = wording.NEWLINE_CALL
            raise error
        if not op.accepts(len(args)):
            raise wording.wrong_arity(op, len(args), _column(name))
        return ast.Call(op.name, tuple(args), _column(name))

    # A program's statements (the error path only: parser.py's loop checks how they are put
    # together; Lark parses only text that loop cannot judge).
    def assign(self, name: Token, equal: Token, value: ast.Node) -> ast.Assign:
        problem = statements.unassignable(name.value)
        if problem is not None:  # as syntax/program.py words it
            raise wording.statement_mistake(problem, _column(name), statements.NAME_HINT)
        return ast.Assign(name.value, value, _column(name))

    def separator(self, token: Token) -> None:
        return None

    def statements(self, *children: Any) -> list[ast.Assign]:
        listed: list[ast.Assign] = []
        for child in children:
            if isinstance(child, list):
                listed.extend(child)
            elif child is not None:
                listed.append(child)
        return listed

    def program(self, listed: list[ast.Assign], result: ast.Node | None = None) -> ast.Program:
        return ast.Program(tuple(listed), result)


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
        raise wording.empty(text)
    try:
        tree = lark().parse(text)
    except ExprError as error:
        raise wording.with_source(error, text) from None
    except VisitError as error:  # a callback's own error, wrapped by Lark
        inner = error.orig_exc
        if isinstance(inner, ExprError):
            raise wording.with_source(inner, text) from None
        raise
    except UnexpectedInput as error:
        raise _translate(error, text) from None
    assert not isinstance(tree, Token)  # noqa: S101 - the grammar's start rule is never a token
    return tree  # type: ignore[return-value]  # the transformer made an ast node


def _translate(error: UnexpectedInput, text: str) -> ExprError:
    """A Lark error → our message (wording.py): what was found, where, what was expected."""
    if isinstance(error, UnexpectedCharacters):
        return wording.bad_character(error.char, error.pos_in_stream or 0, text)
    assert isinstance(error, UnexpectedToken)  # noqa: S101 - LALR raises only these two
    token = error.token
    before = None
    if token.type != "$END":
        previous = _previous_token(text, token.start_pos or 0)
        before = None if previous is None else (previous.type, previous.value)
    return wording.unexpected(token.type, token.value, token.start_pos or 0,
                              set(error.expected), text, before)


def _previous_token(text: str, position: int) -> Token | None:
    """The token just before absolute offset `position` (re-lexes: Lark's error path only)."""
    previous = None
    try:
        for token in lark().lex(text[:position]):
            previous = token
    except UnexpectedInput:
        return None
    return previous
