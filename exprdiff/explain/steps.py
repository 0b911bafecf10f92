"""The step tables of SPEC §5 as plain data, read off the very sweeps that made the gradient.

    >>> r = grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3}, record=True)
    >>> [row.adjoint for row in build(r).backward][:3]
    [1.0, 1.0, 3.0]

Nothing here differentiates anything: values come from `Result.values`, local partials from
`Result.partials` (recorded by the reverse sweep) and adjoints from `Result.adjoints`. The only
arithmetic of its own is the product along each `--path` path, which is the point of that table.
Edges out of constant nodes are left out of the edge, backward and path tables: a constant has
no adjoint worth showing (docs/steps.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from exprdiff.errors import ExprError, usage
from exprdiff.forward import KinkWarning
from exprdiff.ops import formula_text
from exprdiff.reverse import reverse
from exprdiff.tape import CONSTANT, INPUT, Tape, bounded_expressions, format_number

if TYPE_CHECKING:
    from exprdiff.result import Result

#: At most this many paths are listed by --path; all of them are counted.
PATH_CAP = 64


@dataclass(frozen=True, slots=True)
class ForwardRow:
    """One node: `z3 = z2 - z1`, the subexpression it stands for, its value."""

    index: int  # the tape node
    node: str
    kind: str  # "input", "constant" or "operation"
    op: str
    expression: str
    value: float | None  # None only at the node where a failed point stopped
    kink: KinkWarning | None = None
    error: str | None = None  # the domain error raised at this node

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"node": self.node, "kind": self.kind, "op": self.op,
                                "expression": self.expression, "value": self.value}
        if self.kink is not None:
            data["kink"] = self.kink.to_dict()
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One edge, in data-flow direction: ∂target/∂source, its formula and value."""

    source: str
    target: str
    position: int  # which argument of `target` (0-based)
    formula: str
    partial: float
    one_sided: tuple[float | None, float | None] | None = None  # set at a kink
    op: str = ""  # the target's primitive (ops.py) and its operands' labels: the formula's
    operands: tuple[str, ...] = ()  # structure, for renderers that write it their own way

    @property
    def symbol(self) -> str:
        return f"∂{self.target}/∂{self.source}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"from": self.source, "to": self.target, "position": self.position,
                                "partial": self.partial, "formula": self.formula}
        if self.one_sided is not None:
            data["one_sided"] = list(self.one_sided)
        return data


@dataclass(frozen=True, slots=True)
class Term:
    """One summand of a chain-rule sum: ∂f/∂consumer · ∂consumer/∂node."""

    consumer: str
    node: str
    adjoint: float  # the consumer's
    partial: float

    @property
    def formula(self) -> str:
        return f"∂f/∂{self.consumer}·∂{self.consumer}/∂{self.node}"


@dataclass(frozen=True, slots=True)
class BackwardRow:
    """One node's adjoint as the chain-rule sum over its consumers (none for the output)."""

    node: str
    kind: str
    adjoint: float
    terms: tuple[Term, ...]

    @property
    def formula(self) -> str:
        return " + ".join(t.formula for t in self.terms) if self.terms else "1"

    def substituted(self, number: Any = format_number) -> str:
        """The sum with numbers in: `1·1 + 3·(-1)`; `number` formats each float."""
        if not self.terms:
            return number(self.adjoint)
        return " + ".join(f"{_factor(number(t.adjoint))}·{_factor(number(t.partial))}"
                          for t in self.terms)

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "kind": self.kind, "adjoint": self.adjoint,
                "formula": self.formula, "substituted": self.substituted(),
                "terms": [{"consumer": t.consumer, "adjoint": t.adjoint, "partial": t.partial}
                          for t in self.terms]}


@dataclass(frozen=True, slots=True)
class PathRow:
    """One path from the output down to a variable and the product of its edges."""

    nodes: tuple[str, ...]  # output first, the variable last
    partials: tuple[float, ...]  # one per edge, in the same order
    product: float

    @property
    def formula(self) -> str:
        pairs = zip(self.nodes, self.nodes[1:], strict=False)
        return "·".join(f"∂{a}/∂{b}" for a, b in pairs) or "1"

    def substituted(self, number: Any = format_number) -> str:
        return "·".join(_factor(number(p)) for p in self.partials) or "1"

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": list(self.nodes), "partials": list(self.partials),
                "product": self.product, "formula": self.formula,
                "substituted": self.substituted()}


@dataclass(frozen=True, slots=True)
class Paths:
    """All paths from the output to `variable`: the first `cap` listed, all counted."""

    variable: str
    total: int
    listed: tuple[PathRow, ...]
    adjoint: float

    @property
    def complete(self) -> bool:
        return len(self.listed) == self.total

    @property
    def listed_sum(self) -> float:
        """The sum of the listed products (the adjoint itself when every path is listed)."""
        sum_ = 0.0
        for row in self.listed:
            sum_ += row.product
        return sum_

    def to_dict(self) -> dict[str, Any]:
        return {"variable": self.variable, "total": self.total, "complete": self.complete,
                "paths": [p.to_dict() for p in self.listed], "sum": self.listed_sum,
                "adjoint": self.adjoint}


@dataclass(frozen=True, slots=True)
class Steps:
    """The §5 tables for one result; renderers format these rows and compute nothing."""

    expression: str
    forward: tuple[ForwardRow, ...]
    edges: tuple[EdgeRow, ...]
    backward: tuple[BackwardRow, ...]
    gradient: dict[str, float]
    value: float
    warnings: tuple[KinkWarning, ...] = ()
    paths: Paths | None = None
    tape: Tape | None = field(default=None, repr=False, compare=False)

    def to_dict(self, *, tables: bool = True) -> dict[str, Any]:
        """SPEC §5's JSON: forward, edges, backward, gradient (with `tables`) and paths."""
        data: dict[str, Any] = {}
        if tables:
            data["forward"] = [row.to_dict() for row in self.forward]
            data["edges"] = [row.to_dict() for row in self.edges]
            data["backward"] = [row.to_dict() for row in self.backward]
            data["gradient"] = dict(self.gradient)
        if self.paths is not None:
            data["paths"] = self.paths.to_dict()
        return data


def build(result: Result, *, path: str | None = None, width: int | None = None,
          cap: int = PATH_CAP, tables: bool = True) -> Steps:
    """The step tables of `result`; `width` elides long subexpressions in the middle.

    With `tables=False` only the paths are built (forward, edges and backward stay empty).
    """
    tape = result.tape
    if tape is None:
        raise ValueError("this Result carries no tape; make it with exprdiff.grad()")
    values, adjoints, partials = result.values, result.adjoints, result.partials
    if partials is None:  # made with record=False: run the same sweep again, recording
        partials = {}
        adjoints = reverse(tape, values, partials)
    kinks = {w.node: w for w in result.warnings}
    paths = None
    if path is not None:
        if path not in tape.inputs:
            raise usage(f"--path names '{path}', which is not a variable of the expression",
                        tape.variables)
        paths = find_paths(tape, partials, tape.inputs[path], adjoints, cap)
    return Steps(
        expression=result.expression,
        forward=tuple(_forward_rows(tape, values, kinks, width)) if tables else (),
        edges=tuple(_edge_rows(tape, partials, kinks)) if tables else (),
        backward=tuple(_backward_rows(tape, adjoints, partials)) if tables else (),
        gradient=dict(result.gradient),
        value=result.value,
        warnings=result.warnings,
        paths=paths,
        tape=tape,
    )


@dataclass(frozen=True, slots=True)
class FailedSteps:
    """A point whose sweep failed: the forward table up to the node the error names."""

    expression: str
    at: dict[str, float]
    forward: tuple[ForwardRow, ...]
    error: ExprError
    tape: Tape

    def to_dict(self) -> dict[str, Any]:
        return {"forward": [row.to_dict() for row in self.forward]}


def build_failed(error: ExprError, width: int | None = None) -> FailedSteps | None:
    """Where a point failed: nodes in order with their values, up to and including the node
    `error` names (a forward failure there has no value; a slope failure keeps its value).

    The values are the failed sweep's own (ExprError.values: every node computed before the
    failure); None when the error carries no such record (a usage or parse error).
    """
    tape, values = error.tape, error.values
    if tape is None or values is None or error.node is None:
        return None
    stop = tape.labels.index(error.node) + 1 if error.node in tape.labels else len(tape)
    rows = _forward_rows(tape, values[:stop], {}, width)
    if rows and rows[-1].node == error.node:
        last = rows[-1]
        rows[-1] = ForwardRow(last.index, last.node, last.kind, last.op, last.expression,
                              last.value, None, error.message)
    at = {name: value for name, i in tape.inputs.items() if (value := values[i]) is not None}
    return FailedSteps(tape.source, at, tuple(rows), error, tape)


def _forward_rows(tape: Tape, values: Sequence[float | None], kinks: dict[str, KinkWarning],
                  width: int | None) -> list[ForwardRow]:
    rows = []
    texts = (bounded_expressions(tape, width) if width is not None
             else [tape.expression(i) for i in range(len(values))])
    for i, value in enumerate(values):
        kind = tape.kinds[i]
        label = tape.labels[i]
        op = label if kind in (INPUT, CONSTANT) else tape.operation_text(i)
        if width is not None and len(op) > width:
            op = _elide(op, width)
        rows.append(ForwardRow(i, label, kind, op, texts[i], value, kinks.get(label)))
    return rows


def _edge_rows(tape: Tape, partials: dict[int, tuple[float, ...]],
               kinks: dict[str, KinkWarning]) -> list[EdgeRow]:
    rows = []
    for i, _, _, args in tape.program:
        op = tape.ops[i]
        assert op is not None  # noqa: S101 - program holds operation nodes only
        names = [_operand(tape, a) for a in args]
        kink = kinks.get(tape.labels[i])
        for position, a in enumerate(args):
            if tape.kinds[a] == CONSTANT:
                continue
            one_sided = kink.one_sided[position] if kink is not None else None
            rows.append(EdgeRow(tape.labels[a], tape.labels[i], position,
                                formula_text(op, position, names, tape.labels[i]),
                                partials[i][position], one_sided, op.name, tuple(names)))
    return rows


def _backward_rows(tape: Tape, adjoints: Sequence[float],
                   partials: dict[int, tuple[float, ...]]) -> list[BackwardRow]:
    # Terms in the order the sweep added them: later consumers first, arguments left to right.
    terms: list[list[Term]] = [[] for _ in tape.kinds]
    for i, _, _, args in reversed(tape.program):
        for position, a in enumerate(args):
            terms[a].append(Term(tape.labels[i], tape.labels[a], adjoints[i],
                                 partials[i][position]))
    return [BackwardRow(tape.labels[i], tape.kinds[i], adjoints[i], tuple(terms[i]))
            for i in range(len(tape) - 1, -1, -1) if tape.kinds[i] != CONSTANT]


def count_paths(tape: Tape, target: int) -> list[int]:
    """For each node, how many paths lead from it down to `target` (a DP in tape order)."""
    count = [0] * len(tape)
    count[target] = 1
    for i, _, _, args in tape.program:
        if i > target:
            count[i] = sum(count[a] for a in args)
    return count


def find_paths(tape: Tape, partials: dict[int, tuple[float, ...]], target: int,
               adjoints: Sequence[float], cap: int = PATH_CAP) -> Paths:
    """Every path from the output to `target` (the first `cap`), depth first, without recursion."""
    count = count_paths(tape, target)
    listed: list[PathRow] = []
    # A stack entry is (node, the edges walked so far as (consumer, position) pairs).
    stack: list[tuple[int, tuple[tuple[int, int], ...]]] = [(tape.output, ())]
    while stack and len(listed) < cap:
        node, walked = stack.pop()
        if node == target:
            listed.append(_path_row(tape, partials, walked))
            continue
        args = tape.args[node]
        for position in range(len(args) - 1, -1, -1):  # leftmost argument explored first
            if count[args[position]]:
                stack.append((args[position], (*walked, (node, position))))
    return Paths(tape.labels[target], count[tape.output], tuple(listed), adjoints[target])


def _path_row(tape: Tape, partials: dict[int, tuple[float, ...]],
              walked: tuple[tuple[int, int], ...]) -> PathRow:
    nodes = [tape.labels[tape.output]]
    local: list[float] = []
    product = 1.0
    for consumer, position in walked:
        nodes.append(tape.labels[tape.args[consumer][position]])
        d = partials[consumer][position]
        local.append(d)
        product *= d  # seed 002: "multiply up the edges"
    return PathRow(tuple(nodes), tuple(local), product)


def _operand(tape: Tape, i: int) -> str:
    label = tape.labels[i]
    return f"({label})" if label.startswith("-") else label


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _elide(text: str, width: int) -> str:
    keep = max(1, (width - 1) // 2)
    return text[:keep] + "…" + text[len(text) - (width - keep - 1):]

