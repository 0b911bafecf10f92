"""A program's statements as the parser's reduce callbacks see them (grammar: `statements`,
`assign`, `separator`, `program`): the layout checks (a `;` or a line break between
statements, no empty statement), worded from the pieces of text of the parse itself, and the
hand-over to statements.py, which checks the names. Terminals arrive as piece indices.
"""

from __future__ import annotations

from typing import Any

from exprdiff import ast, statements
from exprdiff.lowering import TapeBuilder
from exprdiff.syntax import lalr


def tape_assign(b: TapeBuilder, k: int, equal: int, value: int) -> None:
    texts = b.texts
    before = texts[k - 1] if k else "\n"
    if "\n" not in before and before != ";" and _separated(texts, k) is False:
        raise _unseparated(texts, k, lalr.start(texts, k) + 1)
    # k, a piece index, stands for the column until the columns are asked for (the builder's
    # finish hands the statements the tape's resolve)
    statements.assign(b.tape, b.variables, b.texts[k], value, k)


def tape_separator(b: TapeBuilder, k: int) -> None:
    if _separated(b.texts, k) is not False:
        raise _empty_statement(b.texts, lalr.start(b.texts, k) + 1)


def tape_program(b: TapeBuilder, listed: None, result: int | None = None) -> int:
    program = b.tape.statements
    if result is not None and program is not None:
        _check_result(b.texts, program.columns[-1])  # a piece index (see tape_assign)
    return statements.output(b.tape, result, len(b.tape.source) + 1)


def listed_statements(r: object, *children: Any) -> Any:
    """A program's statements so far: the tree's list (the tape's are on its builder)."""
    if len(children) == 1:
        return [] if children[0] is None else [children[0]]
    listed, statement = children
    if listed is not None and statement is not None:
        listed.append(statement)
    return listed


def _check_result(found: list[str], k: int) -> None:
    """The final bare expression after the last statement (`NAME =` at piece k) must start
    after a `;` or a line break, as a statement does."""
    start = _statement_end(found, k + 2)
    if start is not None and found[start] != ";" and _separated(found, start) is False:
        raise _unseparated_result(start, lalr.start(found, start) + 1)


def _statement_end(found: list[str], k: int) -> int | None:
    """The piece after the expression that starts at piece k: the first operand at depth 0
    right after a complete operand (the language has no juxtaposition), or a `;`."""
    depth = 0
    ended = False  # the previous token ends an operand: a name, a number or a ')'
    name = False
    for j in range(k, len(found) - 1):
        piece = found[j]
        if piece.isspace():
            continue
        first = piece[0]
        starts = first.isalnum() or first in "_.("
        if depth == 0 and (piece == ";" or (ended and starts and not (name and piece == "("))):
            return j
        depth += (piece == "(") - (piece == ")")
        name = first.isalpha() or first == "_"
        ended = starts and piece != "(" or piece == ")"
    return None


def _unseparated_result(k: int, column: int) -> lalr.Mistake:
    from exprdiff.syntax import wording

    return lalr.Mistake(error=wording.statement_mistake(
        "the final expression starts without a ';' or a line break before it", column,
        "end the statement before it with ';' or a line break"))


def _separated(found: list[str], k: int) -> bool | None:
    """Whether a `;` or a line break comes before piece k (None: nothing does, it starts)."""
    j = k - 1
    newline = False
    while j >= 0 and found[j].isspace():
        newline = newline or "\n" in found[j]
        j -= 1
    if j < 0:
        return None
    return found[j] == ";" or newline


def _unseparated(found: list[str], k: int, column: int) -> lalr.Mistake:
    from exprdiff.syntax import wording

    return lalr.Mistake(error=wording.statement_mistake(
        f"a new statement '{found[k]} =' starts without a ';' or a line break before it",
        column, "end each statement with ';' or a line break"))


def _empty_statement(found: list[str], column: int) -> lalr.Mistake:
    from exprdiff.syntax import wording

    return lalr.Mistake(error=wording.statement_mistake(
        "empty statement: a ';' with no statement before it", column,
        "remove the extra ';'"))


def tree_assign(r: Any, k: int, equal: int, value: ast.Node) -> ast.Assign:
    column = r.starts[k] + 1
    if _separated(r.texts, k) is False:
        raise _unseparated(r.texts, k, column)
    problem = statements.unassignable(r.texts[k])
    if problem is not None:  # now, before a later use of the name words its own mistake
        from exprdiff.syntax import wording

        raise lalr.Mistake(error=wording.statement_mistake(problem, column,
                                                           statements.NAME_HINT))
    return ast.Assign(r.texts[k], value, column)


def tree_separator(r: Any, k: int) -> None:
    if _separated(r.texts, k) is not False:
        raise _empty_statement(r.texts, r.starts[k] + 1)


def tree_program(r: Any, listed: list[ast.Assign], result: ast.Node | None = None
                  ) -> ast.Program:
    if result is not None and listed:
        _check_result(r.texts, r.starts.index(listed[-1].column - 1))
    return ast.Program(tuple(listed), result)
