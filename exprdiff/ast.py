"""Immutable expression nodes: what the parser builds and graph.py and oracle.py read.

Nodes compare and hash by identity (eq=False) and print shallowly, so a tree 100 000 levels
deep never recurses in `==`, `hash` or `repr`. `column` is the 1-based position in the source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, eq=False)
class Number:
    """A numeric literal, already a float (`text` keeps how the user wrote it)."""

    value: float
    text: str
    column: int


@dataclass(frozen=True, slots=True, eq=False)
class Variable:
    """An input, named as in the source."""

    name: str
    column: int


@dataclass(frozen=True, slots=True, eq=False)
class Constant:
    """`pi` or `e`."""

    name: str
    value: float
    column: int


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call:
    """An operator or function applied to arguments; `op` is a name in ops.OPERATORS/FUNCTIONS."""

    op: str
    args: tuple[Node, ...]
    column: int

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
