"""The step tables of SPEC §5 as plain data, read off the very sweeps that made the gradient.

    >>> r = grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3}, record=True)
    >>> [row.adjoint for row in build(r).backward][:3]
    [1.0, 1.0, 3.0]

Nothing here differentiates anything: values come from `Result.values`, local partials from
`Result.partials` (recorded by the reverse sweep) and adjoints from `Result.adjoints`. The only
arithmetic of the tables, the product along each `--path` path, is in paths.py. Every row is
made in one pass over the tape, and no text in them grows with the graph's depth (TEXT_BOUND).
Edges out of constant nodes are left out of the edge, backward and path tables: a constant has
no adjoint worth showing (docs/steps.md).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from exprdiff.errors import ExprError, usage
from exprdiff.explain.paths import (  # noqa: F401 - re-exported: steps.find_paths…
    PATH_CAP,
    PATH_COUNT_CAP,
    PATH_EDGES,
    PathRow,
    Paths,
    count_paths,
    find_paths,
)
from exprdiff.forward import KinkWarning
from exprdiff.ops import formula_text
from exprdiff.outputs import output_name
from exprdiff.reverse import reverse
from exprdiff.tape import CONSTANT, INPUT, Tape, bounded_texts, format_number

if TYPE_CHECKING:
    from exprdiff.result import Result

#: Subexpression texts longer than this are elided in the middle in every format, JSON included
#: (the row says so): a chain's full texts grow with the square of its depth.
TEXT_BOUND = 200


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
    length: int | None = None  # the full expression's length, when `expression` is elided

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"node": self.node, "kind": self.kind, "op": self.op,
                                "expression": self.expression}
        if self.length is not None:
            data["elided"] = True
            data["expression_length"] = self.length
        data["value"] = self.value
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
        return self.text("f")

    def text(self, output: str) -> str:
        """The term with the output called `output`: ∂y/∂z4·∂z4/∂z3."""
        return f"∂{output}/∂{self.consumer}·∂{self.consumer}/∂{self.node}"


@dataclass(frozen=True, slots=True)
class BackwardRow:
    """One node's adjoint as the chain-rule sum over its consumers (none for the output)."""

    node: str
    kind: str
    adjoint: float
    terms: tuple[Term, ...]
    output: str = "f"  # the output's name: a program's statement name, else f

    @property
    def symbol(self) -> str:
        return f"∂{self.output}/∂{self.node}"

    @property
    def formula(self) -> str:
        if not self.terms:
            return "1"
        return " + ".join(t.text(self.output) for t in self.terms)

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
    output: str = "f"  # what the tables call the output: a program's statement name, else f

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
    """The step tables of `result`; `width` elides long subexpressions and operations in the
    middle (without it, subexpressions beyond TEXT_BOUND characters are, and their rows say so).

    With `tables=False` only the paths are built (forward, edges and backward stay empty).
    The cyclic garbage collector is paused meanwhile, as while parsing: the rows are acyclic,
    and on a big graph its passes over them would cost a fifth of the time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(result, path, width, cap, tables)
    finally:
        if paused:
            gc.enable()


def _build(result: Result, path: str | None, width: int | None, cap: int,
           tables: bool) -> Steps:
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
        node = tape.node(path)  # an input, or a program's statement name
        if node is None:
            raise usage(f"--path names '{path}', which is not a variable of the expression",
                        tape.variables)
        paths = replace(find_paths(tape, partials, node, adjoints, cap),
                        output=output_name(tape))
    output = output_name(tape)
    return Steps(
        output=output,
        expression=result.expression,
        forward=tuple(_forward_rows(tape, values, kinks, width)) if tables else (),
        edges=tuple(_edge_rows(tape, partials, kinks)) if tables else (),
        backward=tuple(_backward_rows(tape, adjoints, partials, output)) if tables else (),
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
                              last.value, None, error.message, last.length)
    at = {name: value for name, i in tape.inputs.items() if (value := values[i]) is not None}
    return FailedSteps(tape.source, at, tuple(rows), error, tape)


def _forward_rows(tape: Tape, values: Sequence[float | None], kinks: dict[str, KinkWarning],
                  width: int | None) -> list[ForwardRow]:
    rows = []
    bound = TEXT_BOUND if width is None else width
    texts, lengths = bounded_texts(tape, bound)
    labels, kinds = tape.labels, tape.kinds
    also = _aliases(tape)
    for i, value in enumerate(values):
        kind = kinds[i]
        label = labels[i]
        op = label if kind in (INPUT, CONSTANT) else tape.operation_text(i)
        if label in also:
            op += f" (also {', '.join(also[label])}: the same node)"
        if width is not None and len(op) > width:
            op = _elide(op, width)
        length = lengths[i] if lengths[i] > bound else None
        rows.append(ForwardRow(i, label, kind, op, texts[i], value, kinks.get(label), None,
                               length))
    return rows


def _aliases(tape: Tape) -> dict[str, list[str]]:
    """A node's label → the other statement names of that node (same right-hand side)."""
    found: dict[str, list[str]] = {}
    if tape.statements is not None:
        for name, label in tape.statements.aliases().items():
            found.setdefault(label or tape.labels[tape.statements.node_of[name]], []).append(name)
    return found


def _edge_rows(tape: Tape, partials: dict[int, tuple[float, ...]],
               kinks: dict[str, KinkWarning]) -> list[EdgeRow]:
    rows = []
    labels, kinds, ops = tape.labels, tape.kinds, tape.ops
    for i, _, _, args in tape.program:
        op = ops[i]
        assert op is not None  # noqa: S101 - program holds operation nodes only
        names = [_operand(labels[a]) for a in args]
        operands = tuple(names)  # one tuple shared by the node's edges
        label = labels[i]
        kink = kinks.get(label)
        local = partials[i]
        for position, a in enumerate(args):
            if kinds[a] == CONSTANT:
                continue
            one_sided = kink.one_sided[position] if kink is not None else None
            rows.append(EdgeRow(labels[a], label, position,
                                formula_text(op, position, names, label),
                                local[position], one_sided, op.name, operands))
    return rows


def _backward_rows(tape: Tape, adjoints: Sequence[float],
                   partials: dict[int, tuple[float, ...]], output: str) -> list[BackwardRow]:
    # Terms in the order the sweep added them: later consumers first, arguments left to right.
    labels, kinds = tape.labels, tape.kinds
    terms: list[list[Term]] = [[] for _ in kinds]
    last = tape.output  # nodes after it (a program's other outputs) do not reach it
    for i, _, _, args in reversed(tape.program):
        if i > last:
            continue
        label, adjoint, local = labels[i], adjoints[i], partials[i]
        for position, a in enumerate(args):
            terms[a].append(Term(label, labels[a], adjoint, local[position]))
    return [BackwardRow(labels[i], kinds[i], adjoints[i], tuple(terms[i]), output)
            for i in range(last, -1, -1) if kinds[i] != CONSTANT]


def _operand(label: str) -> str:
    return f"({label})" if label.startswith("-") else label


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _elide(text: str, width: int) -> str:
    keep = max(1, (width - 1) // 2)
    return text[:keep] + "…" + text[len(text) - (width - keep - 1):]

