"""The forward sweep: every node's value at a point, in tape order; domain errors; kink notes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from exprdiff.errors import ExprError
from exprdiff.frozen import Value, _set
from exprdiff.op import JUMP, KINK, Kink, Op
from exprdiff.tape import ONE, OPERATION, Tape, format_number

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


class KinkWarning(Value):
    """A non-differentiable point met on the way: where, what, and which derivative was used."""

    __slots__ = ("node", "expression", "op", "reason", "one_sided", "used", "column", "kind")
    node: str
    expression: str
    op: str
    reason: str
    one_sided: tuple[tuple[float | None, float | None], ...]
    used: tuple[float, ...]
    column: int
    kind: str  # "kink" (a corner) or "jump" (the value is not continuous here)

    def __init__(self, node: str, expression: str, op: str, reason: str,
                 one_sided: tuple[tuple[float | None, float | None], ...],
                 used: tuple[float, ...], column: int, kind: str = KINK) -> None:
        _set(self, "node", node)
        _set(self, "expression", expression)
        _set(self, "op", op)
        _set(self, "reason", reason)
        _set(self, "one_sided", one_sided)
        _set(self, "used", used)
        _set(self, "column", column)
        _set(self, "kind", kind)

    @property
    def message(self) -> str:
        where = f"node {self.node} = {self.expression}"
        if self.kind == JUMP:  # one-sided difference quotients diverge: name the partials used
            used = ", ".join(format_number(u) for u in self.used)
            noun = "partial" if len(self.used) == 1 else "partials"
            return f"not continuous at {where}: {self.reason}; using the {noun} {used}"
        pairs = list(zip(self.one_sided, self.used, strict=True))
        if len(pairs) == 1:
            (left, right), used_one = pairs[0]
            sides = (f"one-sided derivatives {_side(left)} and {_side(right)}, "
                     f"using {format_number(used_one)}")
        else:
            sides = "; ".join(
                f"argument {k + 1}: one-sided {_side(left)} and {_side(right)}, "
                f"using {format_number(u)}" for k, ((left, right), u) in enumerate(pairs))
        return f"not differentiable at {where}: {self.reason}; {sides}"

    def to_dict(self) -> dict[str, object]:
        return {
            "node": self.node,
            "expression": self.expression,
            "op": self.op,
            "kind": self.kind,
            "message": self.message,
            "one_sided": [list(pair) for pair in self.one_sided],
            "used": list(self.used),
        }


def _side(value: float | None) -> str:
    return "undefined" if value is None else format_number(value)


def forward(tape: Tape, point: Sequence[float]) -> list[float]:
    """Values of all nodes, given the inputs' values in `tape.variables` order."""
    values = tape.constants[:]
    for i, value in zip(tape.inputs.values(), point, strict=True):
        values[i] = value
    lean = tape.lean()
    many = lean.many
    try:
        for i, f, a, b in zip(lean.nodes, lean.forwards, lean.firsts, lean.seconds,
                              strict=True):
            if b >= 0:
                values[i] = f(values[a], values[b])
            elif b == ONE:
                values[i] = f(values[a])
            else:
                values[i] = f(*[values[k] for k in many[i]])
    except _MATH_ERRORS:
        raise _diagnose(tape, point) from None
    if not _all_finite(values):
        raise _diagnose(tape, point)
    return values


def _all_finite(values: list[float]) -> bool:
    # One C-level pass: inf or nan anywhere makes the sum non-finite; an overflowing sum of
    # finite values is a false alarm that the slow scan in _diagnose clears.
    total = sum(values)
    if total - total == 0.0:
        return True
    return all(math.isfinite(v) for v in values)


def values_until_failure(
    tape: Tape, point: Sequence[float]
) -> tuple[list[float | None], int | None]:
    """Node values in tape order, node by node, up to the first operation whose value is
    undefined or not finite; returns them (None from that node on) and that node (or None).

    The forward sweep raises at such a node without handing its values out: this is what lets
    error messages, failed step tables and pictures show everything computed before it.
    """
    values: list[float | None] = [None if kind == OPERATION else value
                                  for value, kind in zip(tape.constants, tape.kinds, strict=True)]
    for i, value in zip(tape.inputs.values(), point, strict=True):
        values[i] = value
    for i, f, _, args in tape.program:
        try:
            result = f(*[values[a] for a in args])  # type: ignore[operator]
        except _MATH_ERRORS:
            return values, i
        if not math.isfinite(result):
            return values, i
        values[i] = result
    return values, None


def _diagnose(tape: Tape, point: Sequence[float]) -> ExprError:
    """Re-run node by node to find the first failing one and say why, naming it; the error
    keeps the values computed before it (ExprError.values)."""
    values, failing = values_until_failure(tape, point)
    if failing is None:
        return ExprError("domain", "the expression has no finite value at this point",
                         source=tape.source)
    arguments = [values[a] for a in tape.args[failing]]
    finite = [a for a in arguments if a is not None]
    error = domain_error(tape, failing, finite, overflow=_overflows(tape.ops[failing], finite))
    error.tape, error.values = tape, values
    return error


def _overflows(op: Op | None, arguments: list[float]) -> bool:
    """Whether the failure is a finite-but-too-large result rather than a point off the domain:
    from finite arguments, the row's forward raises OverflowError or returns ±inf (`1/x` at
    x = 1e-310 overflows; at x = 0 it is off the domain)."""
    if op is None or not op.overflows or not all(math.isfinite(a) for a in arguments):
        return False
    try:
        value = op.forward(*arguments)
    except OverflowError:
        return True
    except (ValueError, ZeroDivisionError):
        return False
    return math.isinf(value)


def domain_error(
    tape: Tape, i: int, arguments: list[float], *, overflow: bool = False
) -> ExprError:
    """The error for node i: op, node, subexpression, and the offending argument values."""
    op = tape.ops[i]
    assert op is not None  # noqa: S101 - only operation nodes fail
    shown = [tape.expression(a, width=40) for a in tape.args[i]]
    pairs = ", ".join(f"{s} = {format_number(v)}" for s, v in zip(shown, arguments, strict=True))
    where = f"node {tape.labels[i]} = {tape.expression(i, width=60)}"
    if overflow:
        message = f"{op.name} overflows at {where}: with {pairs} the result is beyond ±1.8e308"
    else:
        detail = f" ({op.domain})" if op.domain else ""
        message = f"{op.name} is undefined at {where}, where {pairs}{detail}"
    return ExprError("domain", message, column=tape.columns[i], source=tape.source,
                     node=tape.labels[i])


def kinks(tape: Tape, values: Sequence[float]) -> list[KinkWarning]:
    """Warnings for every node sitting on a non-differentiable point of its op."""
    found: list[KinkWarning] = []
    for i in tape.kink_nodes:
        op = tape.ops[i]
        assert op is not None and op.kink is not None  # noqa: S101 - kink_nodes holds such nodes
        kink: Kink | None = op.kink(values[i], *(values[a] for a in tape.args[i]))
        if kink is not None:
            found.append(KinkWarning(tape.labels[i], tape.expression(i, width=60), op.name,
                                     kink.reason, kink.one_sided, kink.used, tape.columns[i],
                                     kink.kind))
    return found
