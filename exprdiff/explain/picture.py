"""Pictures of the computational graph: nodes with values and adjoints, edges with partials.

    >>> g = Graph.of("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3})
    >>> [(n.name, n.value, n.adjoint) for n in g.nodes if n.output]
    [('z5', 16.0, 1.0)]

A `Graph` is plain data read off a compiled tape and, given a point, off the very sweeps of
`Compiled.grad(at, record=True)` (values, adjoints, recorded local partials). `render/dot.py`
and `render/mermaid.py` turn it into text; nothing here differentiates anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from exprdiff.errors import ExprError
from exprdiff.forward import KinkWarning, values_until_failure
from exprdiff.ops import formula_text
from exprdiff.render.numbers import fmt
from exprdiff.tape import CONSTANT, Tape, bounded_expressions, format_number

if TYPE_CHECKING:
    from exprdiff.api import Compiled, Result

#: Text formats need nothing; image formats are drawn by Graphviz's `dot`.
TEXT_FORMATS = ("dot", "mermaid")
IMAGE_FORMATS = ("svg", "png", "pdf")
FORMATS = TEXT_FORMATS + IMAGE_FORMATS
SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
            ".svg": "svg", ".png": "png", ".pdf": "pdf"}
DIRECTIONS = ("up", "right")  # inputs at the bottom / on the left
#: Images of more nodes than this are refused (dot would take minutes; nobody can read them).
IMAGE_NODE_LIMIT = 1000


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


class Graph:
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

    @classmethod
    def of(
        cls, expression: str | Compiled, at: Mapping[str, object] | None = None, **options: object
    ) -> Graph:
        """Compile (if text) and draw, at `at` when given; a domain error at the point does not
        raise: the graph is drawn up to the failing node, marked, and kept in `.error`."""
        from exprdiff.api import Compiled, compile

        compiled = expression if isinstance(expression, Compiled) else compile(expression)
        if at is None and not compiled.variables:
            at = {}  # nothing to choose: a constant expression is drawn with its value
        if at is None:
            return cls(compiled.tape, **options)  # type: ignore[arg-type]
        try:
            result = compiled.grad(at, record=True)
        except ExprError as problem:
            if problem.kind != "domain":
                raise
            from exprdiff.points import validate

            point = validate(at, compiled.variables)
            values, _ = values_until_failure(compiled.tape, point)
            named = dict(zip(compiled.variables, point, strict=True))
            return cls(compiled.tape, error=problem, values=values, at=named,
                       **options)  # type: ignore[arg-type]
        return cls(compiled.tape, result, **options)  # type: ignore[arg-type]

    @property
    def warnings(self) -> tuple[KinkWarning, ...]:
        return self.result.warnings if self.result is not None else ()

    @property
    def title(self) -> str:
        """`f = <expression>`, elided, on one line."""
        return "f = " + elide(" ".join(self.tape.source.split()), 80)

    @property
    def subtitle(self) -> str:
        """The point, or a note that only the structure is drawn."""
        if self.at is None:
            return "structure only (give --at for values, adjoints and partials)"
        if not self.at:
            return "no variables"
        return "at " + elide(", ".join(f"{k} = {format_number(v)}" for k, v in self.at.items()),
                             100)

    def number(self, value: float) -> str:
        """A value as labels show it: `precision` significant digits."""
        return fmt(value, self.precision)

    def to_dot(self) -> str:
        """Graphviz DOT text (needs no Graphviz installed)."""
        from exprdiff.render.dot import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart."""
        from exprdiff.render.mermaid import to_mermaid

        return to_mermaid(self)

    def image(self, fmt: str) -> bytes:
        """The drawing as svg, png or pdf bytes, by Graphviz's `dot` program."""
        from exprdiff.render.dot import run_dot

        if len(self.nodes) > IMAGE_NODE_LIMIT:
            raise ExprError("limit", f"the graph has {len(self.nodes)} nodes; images are drawn "
                            f"for at most {IMAGE_NODE_LIMIT}",
                            hint="write DOT or Mermaid text instead (-o graph.dot, -o graph.mmd)")
        return run_dot(self.to_dot(), fmt)

    def text(self, fmt: str) -> str:
        """dot or mermaid text."""
        return self.to_dot() if fmt == "dot" else self.to_mermaid()

    def render(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the drawing to `path`, in `fmt` or the format its suffix names."""
        path = Path(path)
        fmt = output_format(str(path), fmt)
        data = self.text(fmt).encode() if fmt in TEXT_FORMATS else self.image(fmt)
        try:
            path.write_bytes(data)
        except OSError as problem:
            raise ExprError("usage", f"cannot write {path}: {problem.strerror}") from None
        return path

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes, {len(self.edges)} edges: {self.title}>"


def output_format(path: str | None, fmt: str | None) -> str:
    """The format asked for, else the one -o's suffix names (dot for stdout)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ExprError("usage", f"unknown graph format '{fmt}'",
                            hint=f"formats: {', '.join(FORMATS)}")
        return fmt
    if path is None or path == "-":
        return "dot"
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(SUFFIXES)
        raise ExprError("usage", f"cannot tell the graph format from '{path}'",
                        hint=f"use a suffix ({known}) or --format {'|'.join(FORMATS)}")
    return SUFFIXES[suffix]


def elide(text: str, width: int) -> str:
    """`text`, cut in the middle with '…' to at most `width` characters."""
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[len(text) - (width - 1 - keep):]


# ---- building ------------------------------------------------------------------------------


def _build(
    graph: Graph, values: list[float | None] | None, constants: bool
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
    for i in range(last + 1):
        if not shown[i]:
            continue
        nodes.append(Node(
            i, tape.kinds[i], tape.labels[i], elide(tape.operation_text(i), graph.width),
            texts[i], values[i] if values is not None else None,
            adjoints[i] if adjoints is not None else None, i == tape.output,
            kinks.get(tape.labels[i]), error if i == failing else None,
            _failure_note(tape, i, error, values) if i == failing else ""))
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


