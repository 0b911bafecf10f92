"""A program's statements on its tape (SPEC §9): which node each name stands for, the checks a
statement must pass, and which statements nothing uses.

A statement adds no node of its own: `h1 = relu(a)` names the node of `relu(a)`, which the tape
hash-conses like any other (a second statement with the same right-hand side names the same
node). The names are the nodes' labels in every table, picture and JSON (Tape.labels).

    >>> from exprdiff import compile
    >>> print(compile("h = x*y; L = h + x").tape)
    h = x*y
    L = h + x
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from exprdiff.errors import ExprError, line_and_column
from exprdiff.ops import CONSTANTS, FUNCTIONS

#: Statements in one program; `--max-size` does not raise it (docs/programs.md).
MAX_STATEMENTS = 100_000

_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*")


class Statements:
    """The names of a program, in statement order: `names[k]` stands for node `nodes[k]`,
    assigned at 1-based column `columns[k]` of the source."""

    __slots__ = ("names", "nodes", "_columns", "_resolve", "node_of", "label_of", "result")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.nodes: list[int] = []
        self._columns: list[int] = []  # see `columns`
        self._resolve: Callable[[list[int]], list[int]] | None = None
        self.node_of: dict[str, int] = {}
        self.label_of: dict[int, str] = {}  # an operation node → the first name given to it
        self.result: int | None = None  # the final bare expression's node, if there is one

    def __len__(self) -> int:
        return len(self.names)

    @property
    def columns(self) -> list[int]:
        """The statements' 1-based columns. The parser's fast path records piece indices and
        a function that turns them into columns (resolve_later), used on first access only."""
        if self._resolve is not None:
            self._columns = self._resolve(self._columns)
            self._resolve = None
        return self._columns

    def resolve_later(self, resolve: Callable[[list[int]], list[int]]) -> None:
        """The columns given so far are piece indices: `resolve(indices)` gives the columns."""
        self._resolve = resolve

    def aliases(self) -> dict[str, str]:
        """name → the label of its node, for every name that is not its node's label: a
        second statement with the same right-hand side, or `a = x` naming an input."""
        return {name: self.label_of.get(node, "") for name, node in self.node_of.items()
                if self.label_of.get(node) != name}


def assign(tape: Any, variables: dict[str, int], name: str, node: int, column: int) -> None:
    """Record `name = <node>` on the tape being built (a Tape: not imported, tape.py imports
    this module), and in `variables` (the builder's name → node) for the statements after it;
    an ExprError if the name cannot be assigned."""
    program = tape.statements
    if program is None:
        program = tape.statements = Statements()
    node_of = program.node_of
    if (name not in node_of and name not in tape.inputs and name not in FUNCTIONS
            and name not in CONSTANTS and len(node_of) < MAX_STATEMENTS):  # the common case
        program.names.append(name)
        program.nodes.append(node)
        program._columns.append(column)
        node_of[name] = node
        if tape.ops[node] is not None and node not in program.label_of:
            program.label_of[node] = name
        variables[name] = node
        return
    _refuse(tape, program, name, column)


def _refuse(tape: Any, program: Statements, name: str, column: int) -> NoReturn:
    """The ExprError for a name that cannot be assigned (assign's slow path)."""
    source = tape.source
    problem = unassignable(name)
    if problem is not None:
        raise _error(problem, column, source, NAME_HINT)
    first = program.node_of.get(name)
    if first is not None:
        earlier = program.columns[program.names.index(name)]
        raise _error(f"'{name}' is assigned twice (first at {_where(source, earlier)})", column,
                     source, "a name is assigned once: give the second statement another name")
    used = tape.inputs.get(name)
    if used is not None:
        at = tape._columns[used]
        message = (f"'{name}' is used in its own definition" if at > column
                   else f"'{name}' is used before it is assigned "
                        f"(it is assigned at {_where(source, column)})")
        hint = ("a line that begins with + - or ( continues the statement above: end that "
                "statement with ';' to start a new one" if at > column
                else "assign a name before the statements that use it")
        raise _error(message, at, source, hint)
    raise ExprError("limit", f"the program has more than {MAX_STATEMENTS:,} statements "
                    "(max_statements)", column=column, source=source,
                    hint="split it, or write repeated work as one expression")


#: The hint for a name that cannot be assigned.
NAME_HINT = "choose another name for the statement"


def unassignable(name: str) -> str | None:
    """Why `name` cannot be a statement's name (a function, pi or e); None if it can."""
    if name in FUNCTIONS or name in CONSTANTS:
        what = "a function" if name in FUNCTIONS else "a constant"
        return f"cannot assign to '{name}': it is {what}"
    return None


def output(tape: Any, result: int | None, column: int) -> int:
    """The program's output node: the final bare expression's, else the last statement's."""
    program = tape.statements
    if program is None or not program.names:
        raise _error("the program has no statement", column, tape.source,
                     "write NAME = EXPR, or one expression")
    program.result = result
    return program.nodes[-1] if result is None else result


def unused(source: str, program: Statements) -> list[int]:
    """Indices of the statements whose name is never used afterwards (the last one is the
    output). Every name in a program's text is a token (the language has no strings)."""
    counts: dict[str, int] = {}
    for word in _NAME.findall(source):
        counts[word] = counts.get(word, 0) + 1
    last = len(program.names) - 1 if program.result is None else -1
    return [k for k, name in enumerate(program.names) if counts.get(name, 0) <= 1 and k != last]


def unused_warnings(source: str, program: Statements) -> list[str]:
    """One warning per statement that nothing uses."""
    return [f"'{program.names[k]}' ({_where(source, program.columns[k])}) is never used: it "
            "does not change the output" for k in unused(source, program)]


def _where(source: str, column: int) -> str:
    line, col = line_and_column(source, column)
    return f"line {line}, column {col}"


def _error(message: str, column: int, source: str, hint: str) -> ExprError:
    line, col = line_and_column(source, column)
    return ExprError("parse", f"{message} at line {line}, column {col}", column=column,
                     source=source, hint=hint)
