"""Second order by forward-over-reverse: the reverse sweep run with tangents attached.

Along a direction ṫ of the inputs, a tangent sweep gives every node's tangent v̇ (forward
mode); the reverse sweep then carries, beside each adjoint ā, its tangent: for an operation
i with arguments a_k, local partials p_k and second partials H_kl (the row's Op.second),

    ā[a_k] += ā[i]·p_k
    ȧ[a_k] += ȧ[i]·p_k + ā[i]·Σ_l H_kl·v̇[a_l]

and ȧ at the inputs is H·ṫ, the Hessian-vector product: about the cost of two gradients. The
direction e_j gives column j of the Hessian. The local partials of every node are computed
once per point and shared by all directions. At a kink or jump the first partials are those of
the gradient (the mean of the sides) and the second partials 0: each is a warning naming the
node (relu'' at 0 is a Dirac delta, not a number).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from exprdiff.errors import ExprError
from exprdiff.forward import KinkWarning
from exprdiff.frozen import Value, _set
from exprdiff.op import JUMP
from exprdiff.ops import load
from exprdiff.tape import CONSTANT, Tape, format_number

load()  # the rows' rules this module reads (ops.load)

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


class Locals:
    """Every operation's first and second local partials at one point (indexed by node)."""

    __slots__ = ("first", "second")

    def __init__(self, tape: Tape, values: Sequence[float]) -> None:
        count = len(tape)
        self.first: list[tuple[float, ...]] = [()] * count
        self.second: list[tuple[tuple[float, ...], ...]] = [()] * count
        ops = tape.ops
        for i, _, rule, args in tape.program:
            arguments = [values[a] for a in args]
            op = ops[i]
            assert op is not None  # noqa: S101 - the program holds operations only
            try:
                self.first[i] = rule(values[i], *arguments)  # type: ignore[operator]
            except _MATH_ERRORS:
                self.first[i] = (math.nan,) * len(args)
            try:
                self.second[i] = op.second(values[i], *arguments)
            except _MATH_ERRORS:
                self.second[i] = tuple((math.nan,) * len(args) for _ in args)


def tangents(tape: Tape, local: Locals, direction: Sequence[float]) -> list[float]:
    """Every node's tangent along `direction` (inputs in `tape.variables` order): the
    linearisation the second sweep differentiates, with the gradient's partials at kinks."""
    dot = [0.0] * len(tape)
    for i, t in zip(tape.inputs.values(), direction, strict=True):
        dot[i] = float(t)
    first = local.first
    for i, _, _, args in tape.program:
        total = 0.0
        for d, a in zip(first[i], args, strict=True):
            t = dot[a]
            if t:
                total += d * t
        dot[i] = total
    return dot


def adjoint_tangents(tape: Tape, local: Locals, adjoint: Sequence[float],
                     dot: Sequence[float]) -> list[float]:
    """The tangent of every node's adjoint along the direction `dot` came from: at the inputs,
    the Hessian times that direction."""
    adot = [0.0] * len(tape)
    first, second, kinds = local.first, local.second, tape.kinds
    for i, _, _, args in reversed(tape.program):
        g, h = adjoint[i], adot[i]
        if not g and not h:
            continue
        partials, rows = first[i], second[i]
        for k, a in enumerate(args):
            if kinds[a] == CONSTANT:
                continue  # a constant's adjoint means nothing (a negative base's NaN)
            total = h * partials[k] if h else 0.0
            if g:
                curvature = 0.0
                for entry, b in zip(rows[k], args, strict=True):
                    t = dot[b]
                    if t:
                        curvature += entry * t
                total += g * curvature
            adot[a] += total
    return adot


def product(tape: Tape, local: Locals, adjoint: Sequence[float],
            direction: Sequence[float]) -> list[float]:
    """H·direction at the inputs, in `tape.variables` order: one forward-over-reverse sweep."""
    adot = adjoint_tangents(tape, local, adjoint, tangents(tape, local, direction))
    return [adot[i] for i in tape.inputs.values()]


def matrix(names: Sequence[str], chosen: Sequence[str],
           product: Callable[[list[float]], list[float] | None],
           ) -> tuple[tuple[float, ...], ...] | None:
    """The Hessian's rows and columns for the `chosen` variables of `names`, one H·e_j per
    column from `product` (None if it gives None for one)."""
    columns = []
    for name in chosen:
        column = product([1.0 if n == name else 0.0 for n in names])
        if column is None:
            return None
        found = dict(zip(names, column, strict=True))
        columns.append([found[n] for n in chosen])
    return tuple(tuple(column[r] for column in columns) for r in range(len(chosen)))


def finite_or_raise(tape: Tape, local: Locals, values: Sequence[float],
                    numbers: Sequence[float]) -> None:
    """Numbers that are not finite: an error naming the first node whose partials are not."""
    if all(math.isfinite(n) for n in numbers):
        return
    kinds = tape.kinds
    for i, _, _, args in tape.program:
        live = [k for k, a in enumerate(args) if kinds[a] != CONSTANT]
        entries = [local.first[i][k] for k in live]
        entries += [local.second[i][k][m] for k in live for m in live]
        if all(math.isfinite(e) for e in entries):
            continue
        op = tape.ops[i]
        pairs = ", ".join(f"{tape.expression(a, width=40)} = {format_number(values[a])}"
                          for a in args if kinds[a] != CONSTANT)
        name = op.name if op is not None else "?"
        raise ExprError("domain", f"{name} has no finite second derivative at node "
                        f"{tape.labels[i]} = {tape.expression(i, width=60)}, where {pairs}",
                        column=tape.columns[i], source=tape.source, node=tape.labels[i])
    raise ExprError("domain", "the second derivatives are not finite at this point",
                    source=tape.source)


class SecondWarning(Value):
    """A kink or jump met in second order: at that node the second partials hold a Dirac delta
    (or its derivative), not a number; the sides' second partials are used (0 for abs, relu,
    max, …; atan2's smooth ones on its cut)."""

    __slots__ = ("node", "expression", "op", "reason", "used", "column", "kind")
    node: str
    expression: str
    op: str
    reason: str
    used: tuple[float, ...]  # the first partials the gradient uses there
    column: int
    kind: str

    def __init__(self, node: str, expression: str, op: str, reason: str,
                 used: tuple[float, ...], column: int, kind: str) -> None:
        _set(self, "node", node)
        _set(self, "expression", expression)
        _set(self, "op", op)
        _set(self, "reason", reason)
        _set(self, "used", used)
        _set(self, "column", column)
        _set(self, "kind", kind)

    @classmethod
    def of(cls, warning: KinkWarning) -> SecondWarning:
        return cls(warning.node, warning.expression, warning.op, warning.reason, warning.used,
                   warning.column, warning.kind)

    @property
    def message(self) -> str:
        used = ", ".join(format_number(u) for u in self.used)
        what = (f"{self.op}'' there is" if len(self.used) == 1
                else f"the second partials of {self.op} there are")
        delta = "the derivative of a Dirac delta" if self.kind == JUMP else "a Dirac delta"
        head = "not continuous" if self.kind == JUMP else "not twice differentiable"
        return (f"{head} at node {self.node} = {self.expression}: {self.reason}; {what} "
                f"{delta}, which the Hessian leaves out: it uses the second partials of the "
                f"sides (and the gradient {used})")

    def to_dict(self) -> dict[str, object]:
        return {"node": self.node, "expression": self.expression, "op": self.op,
                "kind": self.kind, "order": 2, "message": self.message, "used": list(self.used)}


class Hessian(Value):
    """Value, gradient and Hessian at one point (Compiled.hessian): `hessian[r][c]` is
    ∂²f/∂v_r∂v_c for `variables` v in the order asked."""

    __slots__ = ("expression", "at", "variables", "value", "gradient", "hessian", "warnings",
                 "outputs")
    expression: str
    at: dict[str, float]
    variables: tuple[str, ...]
    value: float
    gradient: dict[str, float]
    hessian: tuple[tuple[float, ...], ...]
    warnings: tuple[SecondWarning, ...]
    outputs: dict[str, float] | None  # a program's output statement → value (SPEC §9)

    def __init__(self, expression: str, at: dict[str, float], variables: tuple[str, ...],
                 value: float, gradient: dict[str, float], hessian: tuple[tuple[float, ...], ...],
                 warnings: tuple[SecondWarning, ...] = (),
                 outputs: dict[str, float] | None = None) -> None:
        _set(self, "expression", expression)
        _set(self, "at", at)
        _set(self, "variables", variables)
        _set(self, "value", value)
        _set(self, "gradient", gradient)
        _set(self, "hessian", hessian)
        _set(self, "warnings", warnings)
        _set(self, "outputs", outputs)

    def to_dict(self) -> dict[str, object]:
        """JSON: expression, at, variables, value, gradient, hessian (rows), warnings."""
        return {"expression": self.expression, "at": dict(self.at),
                "variables": list(self.variables), "value": self.value,
                "gradient": dict(self.gradient), "hessian": [list(r) for r in self.hessian],
                "warnings": [w.to_dict() for w in self.warnings]} | _outputs(self.outputs)


class HessianVector(Value):
    """Value, gradient and the Hessian-vector product H·direction (Compiled.hvp)."""

    __slots__ = ("expression", "at", "direction", "value", "gradient", "hvp", "warnings",
                 "outputs")
    expression: str
    at: dict[str, float]
    direction: dict[str, float]
    value: float
    gradient: dict[str, float]
    hvp: dict[str, float]
    warnings: tuple[SecondWarning, ...]
    outputs: dict[str, float] | None

    def __init__(self, expression: str, at: dict[str, float], direction: dict[str, float],
                 value: float, gradient: dict[str, float], hvp: dict[str, float],
                 warnings: tuple[SecondWarning, ...] = (),
                 outputs: dict[str, float] | None = None) -> None:
        _set(self, "expression", expression)
        _set(self, "at", at)
        _set(self, "direction", direction)
        _set(self, "value", value)
        _set(self, "gradient", gradient)
        _set(self, "hvp", hvp)
        _set(self, "warnings", warnings)
        _set(self, "outputs", outputs)

    def to_dict(self) -> dict[str, object]:
        """JSON: expression, at, direction, value, gradient, hvp, warnings."""
        return {"expression": self.expression, "at": dict(self.at),
                "direction": dict(self.direction), "value": self.value,
                "gradient": dict(self.gradient), "hvp": dict(self.hvp),
                "warnings": [w.to_dict() for w in self.warnings]} | _outputs(self.outputs)


def _outputs(outputs: dict[str, float] | None) -> dict[str, object]:
    """A program's "outputs" in JSON, as grad writes it (none for one expression)."""
    return {} if outputs is None else {"outputs": dict(outputs)}
