"""The drawing model of the computational graph: nodes with values and adjoints, edges with
partials.

    >>> import exprdiff
    >>> result = exprdiff.compile("x1*x2 + x1").grad({"x1": 1, "x2": 2}, record=True)
    >>> [(n.name, n.value, n.adjoint) for n in Picture(result.tape, result).nodes if n.output]
    [('z2', 3.0, 1.0)]

A `Picture` is plain data read off a compiled tape and, given a point, off the very sweeps of
`Compiled.grad(at, record=True)` (values, adjoints, recorded local partials), or off the values
computed up to a failing node. It imports neither `exprdiff.api` nor the renderers: the public
`exprdiff.Graph` (exprdiff/drawing.py) compiles, evaluates and renders, and `render/dot.py` and
`render/mermaid.py` turn a Picture into text; nothing here differentiates anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exprdiff.errors import ExprError
from exprdiff.forward import KinkWarning
from exprdiff.ops import formula_text
from exprdiff.outputs import output_name
from exprdiff.tape import CONSTANT, Tape, bounded_expressions, format_number

if TYPE_CHECKING:
    from exprdiff.result import Result

DIRECTIONS = ("up", "right")  # inputs at the bottom / on the left


@dataclass(frozen=True, slots=True)
class Node:
    """One drawn node; `value`/`adjoint` are None when not known (no point, or a failure)."""

    index: int  # the tape node
    kind: str  # "input", "constant" or "operation"
    name: str  # x1, z3, 2
    operation: str  # `z2 - z1` for an operation, else the name
    expression: str  # the subexpression it stands for, elided in the middle
    value: float | None = None
    adjoint: float | None = None
    output: bool = False
    kink: KinkWarning | None = None
    error: ExprError | None = None  # the node where evaluation failed
    note: str = ""  # at the failing node: what failed, with its arguments' values
    of: str = "f"  # the output's name (a program's statement), for ∂of/∂node


@dataclass(frozen=True, slots=True)
class Edge:
    """One edge in data-flow direction, argument → consumer, with ∂consumer/∂argument."""

    source: int  # tape node of the argument
    target: int  # tape node of the consumer
    position: int  # which argument of the consumer (0-based)
    symbol: str  # ∂z3/∂z1
    formula: str  # the local partial as text on node names, elided
    partial: float | None = None
    one_sided: tuple[float | None, float | None] | None = None  # set at a kink


class Picture:
    """The drawing of one compiled expression, optionally annotated at one point.

    `result` (from `compiled.grad(at, record=True)`) adds values, adjoints and local partials;
    `constants` draws constant nodes too (otherwise they appear inside operation labels);
    `width` bounds every label line; `direction` "up" puts inputs at the bottom, "right" on
    the left; `precision` is the significant digits shown (None: round-trip exact; tooltips in
    svg are always exact).
    """

    def __init__(
        self, tape: Tape, result: Result | None = None, *, constants: bool = False,
        width: int = 28, direction: str = "up", precision: int | None = 6,
        error: ExprError | None = None,
        values: list[float | None] | None = None, at: Mapping[str, float] | None = None,
    ) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        self.tape = tape
        self.result = result
        self.error = error
        self.direction = direction
        self.precision = precision
        self.width = max(8, width)
        if result is not None:
            values = list[float | None](result.values)
            at = result.at
        self.at = dict(at) if at is not None else None
        self.nodes, self.edges = _build(self, values, constants)

    @property
    def warnings(self) -> tuple[KinkWarning, ...]:
        return self.result.warnings if self.result is not None else ()

    @property
    def title(self) -> str:
        """`f = <expression>` (a program: `program: <statements>`), elided, on one line."""
        if self.tape.statements is not None:
            lines = [line.strip().rstrip(";") for line in self.tape.source.splitlines()]
            return "program: " + elide("; ".join(line for line in lines if line), 80)
        return "f = " + elide(" ".join(self.tape.source.split()), 80)

    @property
    def subtitle(self) -> str:
        """The point, or a note that only the structure is drawn."""
        if self.at is None:
            return "structure only (give --at for values, adjoints and partials)"
        if not self.at:
            return "no variables"
        return "at " + _pairs([f"{k} = {format_number(v)}" for k, v in self.at.items()], 100)


def _pairs(pairs: list[str], width: int) -> str:
    """`a = 1, b = 2, …, z = 26`: whole name = value pairs from both ends within `width`
    characters, the middle ones counted, never a pair cut in two."""
    text = ", ".join(pairs)
    if len(text) <= width:
        return text
    head: list[str] = []
    tail: list[str] = []
    used = 0
    left, right = 0, len(pairs) - 1
    while left <= right:
        take_head = len(head) <= len(tail)
        pair = pairs[left] if take_head else pairs[right]
        if used + len(pair) + 2 > width - 16:  # room for ", … (N more), "
            break
        used += len(pair) + 2
        if take_head:
            head.append(pair)
            left += 1
        else:
            tail.append(pair)
            right -= 1
    hidden = right - left + 1
    return ", ".join([*head, f"… ({hidden} more)", *reversed(tail)])


def elide(text: str, width: int) -> str:
    """`text`, cut in the middle with '…' to at most `width` characters."""
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[len(text) - (width - 1 - keep):]


# ---- building ------------------------------------------------------------------------------


def _build(
    graph: Picture, values: list[float | None] | None, constants: bool
) -> tuple[list[Node], list[Edge]]:
    tape, result, error = graph.tape, graph.result, graph.error
    failing = tape.labels.index(error.node) if error is not None and error.node else None
    last = len(tape) - 1
    if error is not None and values is not None and failing is not None and (
            values[failing] is None):
        last = failing  # forward failed here: draw the graph up to this node
    shown = [i <= last and (constants or tape.kinds[i] != CONSTANT or i == tape.output)
             for i in range(len(tape))]
    texts = expression_texts(tape, graph.width, last)
    kinks = {w.node: w for w in (result.warnings if result is not None else ())}
    adjoints = result.adjoints if result is not None else None
    nodes: list[Node] = []
    of = output_name(tape)
    for i in range(last + 1):
        if not shown[i]:
            continue
        nodes.append(Node(
            i, tape.kinds[i], tape.labels[i], elide(tape.operation_text(i), graph.width),
            texts[i], values[i] if values is not None else None,
            adjoints[i] if adjoints is not None else None, i == tape.output,
            kinks.get(tape.labels[i]), error if i == failing else None,
            _failure_note(tape, i, error, values) if i == failing else "", of))
    partials = result.partials if result is not None else None
    edges: list[Edge] = []
    for i, _, _, args in tape.program:
        if i > last:
            break
        op = tape.ops[i]
        assert op is not None  # noqa: S101 - the program holds operation nodes only
        names = [tape.labels[a] for a in args]
        kink = kinks.get(tape.labels[i])
        for position, a in enumerate(args):
            if not shown[a]:
                continue
            formula = elide(formula_text(op, position, names, tape.labels[i]), graph.width)
            edges.append(Edge(
                a, i, position, f"∂{tape.labels[i]}/∂{tape.labels[a]}", formula,
                partials[i][position] if partials is not None else None,
                _one_sided(kink, position)))
    return nodes, edges


def _failure_note(
    tape: Tape, i: int, error: ExprError | None, values: list[float | None] | None
) -> str:
    """`log is undefined; z1 = 0`: the message's head and the failing node's arguments."""
    if error is None:
        return ""
    head = error.message.split(" at node ")[0]
    known = [(tape.labels[a], values[a]) for a in tape.args[i]] if values is not None else []
    given = ", ".join(f"{name} = {format_number(v)}" for name, v in known if v is not None)
    return f"{head}; {given}" if given else head


def _one_sided(
    kink: KinkWarning | None, position: int
) -> tuple[float | None, float | None] | None:
    if kink is None or position >= len(kink.one_sided):
        return None
    return kink.one_sided[position]


def expression_texts(tape: Tape, width: int, last: int | None = None) -> list[str]:
    """Every node's subexpression text up to node `last`, elided to `width` (one linear pass)."""
    texts = bounded_expressions(tape, width)
    return texts if last is None else texts[: last + 1]


