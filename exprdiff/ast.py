"""Immutable expression nodes: what the parser builds and graph.py and oracle.py read.

Nodes are frozen (frozen.Frozen), compare and hash by identity and print shallowly, so a tree
100 000 levels deep never recurses in `==`, `hash` or `repr`. `column` is the 1-based position
in the source.
"""

from __future__ import annotations

from typing import overload

from exprdiff.frozen import Frozen, _set


class Number(Frozen):
    """A numeric literal, already a float (`text` keeps how the user wrote it)."""

    __slots__ = ("value", "text", "column")
    value: float
    text: str
    column: int

    def __init__(self, value: float, text: str, column: int) -> None:
        _set(self, "value", value)
        _set(self, "text", text)
        _set(self, "column", column)


class Variable(Frozen):
    """An input, named as in the source."""

    __slots__ = ("name", "column")
    name: str
    column: int

    def __init__(self, name: str, column: int) -> None:
        _set(self, "name", name)
        _set(self, "column", column)


class Constant(Frozen):
    """`pi` or `e`."""

    __slots__ = ("name", "value", "column")
    name: str
    value: float
    column: int

    def __init__(self, name: str, value: float, column: int) -> None:
        _set(self, "name", name)
        _set(self, "value", value)
        _set(self, "column", column)


class Call(Frozen):
    """An operator or function applied to arguments; `op` is a name in ops.OPERATORS/FUNCTIONS."""

    __slots__ = ("op", "args", "column")
    op: str
    args: tuple[Node, ...]
    column: int

    def __init__(self, op: str, args: tuple[Node, ...], column: int) -> None:
        _set(self, "op", op)
        _set(self, "args", args)
        _set(self, "column", column)

    def __repr__(self) -> str:
        return f"Call(op={self.op!r}, args=<{len(self.args)}>, column={self.column})"


Node = Number | Variable | Constant | Call


class Assign(Frozen):
    """A statement `name = value` of a program; `column` is where the name is."""

    __slots__ = ("name", "value", "column")
    name: str
    value: Node
    column: int

    def __init__(self, name: str, value: Node, column: int) -> None:
        _set(self, "name", name)
        _set(self, "value", value)
        _set(self, "column", column)

    def __repr__(self) -> str:
        return f"Assign(name={self.name!r}, column={self.column})"


class Program(Frozen):
    """Statements in order, then the final bare expression (None: the last statement is the
    output). A name a statement assigns stands, in later statements, for that statement."""

    __slots__ = ("statements", "result")
    statements: tuple[Assign, ...]
    result: Node | None

    def __init__(self, statements: tuple[Assign, ...], result: Node | None) -> None:
        _set(self, "statements", statements)
        _set(self, "result", result)

    def __repr__(self) -> str:
        return f"Program(<{len(self.statements)} statements>)"


#: What the parser returns: one expression, or a program of statements.
Tree = Node | Program


@overload
def walk(root: Node) -> list[Node]: ...


@overload
def walk(root: Tree) -> list[Node | Assign]: ...


def walk(root: Tree) -> list[Node] | list[Node | Assign]:
    """All nodes of the tree in post-order (arguments before the call), without recursion; in
    a program, each statement's value then its Assign, then the final expression (if any)."""
    if isinstance(root, Program):
        items: list[Node | Assign] = []
        for statement in root.statements:
            items.extend(walk(statement.value))
            items.append(statement)
        if root.result is not None:
            items.extend(walk(root.result))
        return items
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded or not isinstance(node, Call):
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((arg, False) for arg in reversed(node.args))
    return order


def variables(root: Tree) -> tuple[str, ...]:
    """Variable names in order of first appearance in the source (a program's inputs: the
    names it uses but never assigns)."""
    seen: dict[str, None] = {}
    assigned: set[str] = set()
    for node in walk(root):
        if isinstance(node, Variable) and node.name not in assigned:
            seen.setdefault(node.name)
        elif isinstance(node, Assign):
            assigned.add(node.name)
    return tuple(seen)
