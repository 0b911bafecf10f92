"""Immutable expression nodes: what the parser builds and graph.py and oracle.py read.

Nodes are frozen (frozen.Frozen), compare and hash by identity and print shallowly, so a tree
100 000 levels deep never recurses in `==`, `hash` or `repr`. `column` is the 1-based position
in the source.
"""

from __future__ import annotations

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


def walk(root: Node) -> list[Node]:
    """All nodes of the tree in post-order (arguments before the call), without recursion."""
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


def variables(root: Node) -> tuple[str, ...]:
    """Variable names in order of first appearance in the source."""
    seen: dict[str, None] = {}
    for node in walk(root):
        if isinstance(node, Variable):
            seen.setdefault(node.name)
    return tuple(seen)
