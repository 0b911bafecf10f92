"""The computational graph: a flat tape of nodes in evaluation order, lowered from the AST.

Nodes are ints. Inputs and constants have no op; an operation node has an op and ordered
argument nodes. Lowering hash-conses on (op, args), so a repeated `x1**2` is one node with two
consumers, and folds constant subtrees into one constant node. `str(tape)` reads like the SPEC's
forward table:

    z1 = x1**2
    z2 = x2*x3
    ...
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import ast
from .errors import ExprError
from .ops import Op, lookup

INPUT, CONSTANT, OPERATION = "input", "constant", "operation"


@dataclass(slots=True)
class Tape:
    """A compiled expression. Values and adjoints live in per-run lists, never on the tape."""

    source: str
    kinds: list[str] = field(default_factory=list)
    ops: list[Op | None] = field(default_factory=list)
    args: list[tuple[int, ...]] = field(default_factory=list)
    constants: list[float] = field(default_factory=list)  # a run's value list starts as a copy
    columns: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    inputs: dict[str, int] = field(default_factory=dict)  # name → node, first appearance first
    output: int = -1
    # (node, forward, partials, args) for every operation node, in evaluation order
    program: list[tuple[int, object, object, tuple[int, ...]]] = field(default_factory=list)
    kink_nodes: list[int] = field(default_factory=list)
    _texts: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(self.inputs)

    @property
    def operations(self) -> list[int]:
        return [i for i, kind in enumerate(self.kinds) if kind == OPERATION]

    def consumers(self) -> list[list[int]]:
        """For each node, the nodes that take it as an argument (once per use), in tape order."""
        users: list[list[int]] = [[] for _ in self.kinds]
        for i, _, _, args in self.program:
            for a in args:
                users[a].append(i)
        return users

    def operation_text(self, i: int) -> str:
        """Node i's operation on earlier nodes, by label: `z2 - z1`, `max(0, z2)`."""
        op = self.ops[i]
        if op is None:
            return self.labels[i]
        return render_call(op, [self.labels[a] for a in self.args[i]], [9] * len(self.args[i]))

    def expression(self, i: int, width: int | None = None) -> str:
        """The subexpression node i stands for; elided in the middle beyond `width` characters."""
        if width is None:
            return self._full_text(i)
        return _bounded_text(self, i, width)

    def _full_text(self, i: int) -> str:
        cached = self._texts.get(i)
        if cached is not None:
            return cached
        for node in _subtree_order(self, i):
            if node in self._texts:
                continue
            op = self.ops[node]
            if op is None:
                self._texts[node] = self.labels[node]
                continue
            parts = [self._texts[a] for a in self.args[node]]
            levels = [_precedence(self, a) for a in self.args[node]]
            self._texts[node] = render_call(op, parts, levels)
        return self._texts[i]

    def __str__(self) -> str:
        lines = []
        for i, kind in enumerate(self.kinds):
            if kind == OPERATION:
                lines.append(f"{self.labels[i]} = {self.operation_text(i)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Tape {len(self)} nodes, {len(self.program)} operations: {self._short_source()}>"

    def _short_source(self) -> str:
        s = self.source
        return s if len(s) <= 40 else s[:20] + "…" + s[-19:]


def _precedence(tape: Tape, i: int) -> int:
    op = tape.ops[i]
    if op is not None:
        return op.precedence
    if tape.kinds[i] == CONSTANT and tape.labels[i].startswith("-"):
        return 3  # a negative number prints like a unary minus
    return 9


def render_call(op: Op, parts: list[str], levels: list[int]) -> str:
    """One operation in exprdiff's own syntax, parenthesising arguments only where needed."""
    if op.infix is None:
        return f"{op.name}({', '.join(parts)})"
    if op.name == "neg":
        (a,) = parts
        return f"-{a}" if levels[0] >= 3 else f"-({a})"
    a, b = parts
    la, lb = levels
    p = op.precedence
    if op.name == "pow":  # right-associative; `2**-x` needs no parentheses
        a = a if la > p else f"({a})"
        b = b if lb >= 3 else f"({b})"
        return f"{a}**{b}"
    a = a if la >= p else f"({a})"
    b = b if lb > p or (lb == p and op.name in ("add", "mul")) else f"({b})"
    if op.name in ("add", "sub"):
        return f"{a} {op.infix} {b}"
    return f"{a}{op.infix}{b}"


def _subtree_order(tape: Tape, root: int) -> list[int]:
    """Nodes below `root` (and root) in post-order, each once, without recursion."""
    order: list[int] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(tape.args[node]))
    return order


def _bounded_text(tape: Tape, root: int, width: int) -> str:
    """Like Tape.expression, keeping at most `width` characters: head … tail."""
    keep = max(4, (width - 1) // 2)
    # Per node: (head, tail, length); the full text is head when length <= 2*keep.
    memo: dict[int, tuple[str, str, int]] = {}
    for node in _subtree_order(tape, root):
        op = tape.ops[node]
        if op is None:
            text = tape.labels[node]
            memo[node] = (text, text, len(text))
            continue
        pieces = [memo[a] for a in tape.args[node]]
        total = sum(p[2] for p in pieces)
        if total <= 4 * keep:  # short enough to render exactly
            parts = [p[0] for p in pieces]
            levels = [_precedence(tape, a) for a in tape.args[node]]
            text = render_call(op, parts, levels)
            memo[node] = (text, text, len(text)) if len(text) <= 2 * keep else (
                text[:keep], text[-keep:], len(text))
            continue
        # Render with placeholders, then splice the heads and tails of the arguments in.
        marks = [f"\x00{k}\x00" for k in range(len(pieces))]
        levels = [_precedence(tape, a) for a in tape.args[node]]
        skeleton = render_call(op, marks, levels)
        head = _splice(skeleton, pieces, keep, from_start=True)
        tail = _splice(skeleton, pieces, keep, from_start=False)
        memo[node] = (head, tail, total + len(skeleton) - sum(len(m) for m in marks))
    head, tail, length = memo[root]
    if length <= width:
        return head
    return head[:keep] + "…" + tail[-(width - keep - 1):]


def _splice(skeleton: str, pieces: list[tuple[str, str, int]], keep: int, from_start: bool) -> str:
    segments = skeleton.split("\x00")
    # segments alternate: literal, index, literal, index, ..., literal
    out: list[str] = []
    for j, seg in enumerate(segments):
        if j % 2 == 0:
            out.append(seg)
        else:
            head, tail, length = pieces[int(seg)]
            out.append((head if from_start else tail) if length > 2 * keep else head)
    text = "".join(out)
    return text[:keep] if from_start else text[-keep:]


def format_number(value: float) -> str:
    """Shortest text that reads back as `value`; integral values without '.0'."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def lower(root: ast.Node, source: str) -> Tape:
    """AST → tape, iteratively: hash-consed, constants folded, inputs in order of appearance."""
    tape = Tape(source)
    seen: dict[tuple[object, ...], int] = {}
    stack: list[int] = []
    for node in ast.walk(root):
        if isinstance(node, ast.Call):
            count = len(node.args)
            args = tuple(stack[-count:])
            del stack[-count:]
            stack.append(_apply(tape, seen, lookup(node.op), args, node.column))
        elif isinstance(node, ast.Variable):
            stack.append(_leaf(tape, seen, ("var", node.name), INPUT, node.name, 0.0, node.column))
        elif isinstance(node, ast.Constant):
            stack.append(
                _leaf(tape, seen, ("const", node.name), CONSTANT, node.name, node.value, node.column)
            )
        else:
            stack.append(_number(tape, seen, node.value, node.column))
    tape.output = stack.pop()
    counter = 0
    for i, kind in enumerate(tape.kinds):
        if kind == OPERATION:
            counter += 1
            tape.labels[i] = f"z{counter}"
    return tape


def _leaf(
    tape: Tape, seen: dict[tuple[object, ...], int], key: tuple[object, ...], kind: str,
    label: str, value: float, column: int,
) -> int:
    found = seen.get(key)
    if found is not None:
        return found
    i = len(tape.kinds)
    seen[key] = i
    tape.kinds.append(kind)
    tape.ops.append(None)
    tape.args.append(())
    tape.constants.append(value)
    tape.columns.append(column)
    tape.labels.append(label)
    if kind == INPUT:
        tape.inputs[label] = i
    return i


def _number(tape: Tape, seen: dict[tuple[object, ...], int], value: float, column: int) -> int:
    key = ("num", value, math.copysign(1.0, value))
    return _leaf(tape, seen, key, CONSTANT, format_number(value), value, column)


def _apply(
    tape: Tape, seen: dict[tuple[object, ...], int], op: Op, args: tuple[int, ...], column: int
) -> int:
    key = (op.name, args)
    found = seen.get(key)
    if found is not None:
        return found
    if all(tape.kinds[a] == CONSTANT for a in args):
        return _fold(tape, seen, op, args, column)
    i = len(tape.kinds)
    seen[key] = i
    tape.kinds.append(OPERATION)
    tape.ops.append(op)
    tape.args.append(args)
    tape.constants.append(0.0)
    tape.columns.append(column)
    tape.labels.append("")
    tape.program.append((i, op.forward, op.partials, args))
    if op.kink is not None:
        tape.kink_nodes.append(i)
    return i


def _fold(
    tape: Tape, seen: dict[tuple[object, ...], int], op: Op, args: tuple[int, ...], column: int
) -> int:
    """A call on constants only becomes one constant node; a domain error here is reported."""
    values = [tape.constants[a] for a in args]
    try:
        value = op.forward(*values)
    except (ValueError, ZeroDivisionError, OverflowError):
        value = math.nan
    if not math.isfinite(value):
        parts = [tape.labels[a] for a in args]
        text = render_call(op, parts, [_precedence(tape, a) for a in args])
        raise ExprError(
            "domain", f"{text} is undefined or overflows ({op.domain or 'result not finite'})",
            column=column, source=tape.source,
        )
    return _number(tape, seen, value, column)


def iter_edges(tape: Tape) -> Iterator[tuple[int, int, int]]:
    """(argument, consumer, position) for every edge, in evaluation order of the consumer."""
    for i, _, _, args in tape.program:
        for position, a in enumerate(args):
            yield a, i, position
