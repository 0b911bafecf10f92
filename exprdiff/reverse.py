"""The reverse sweep: one pass of adjoints from the output back to the inputs.

Each node's adjoint is the sum over its consumers of (consumer's adjoint × local partial).
With `partials` given, the sweep also records every node's local partials, so the step tables
are read off this very sweep.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from exprdiff.errors import ExprError
from exprdiff.forward import _all_finite
from exprdiff.tape import ADD, BINARY, CONSTANT, MUL, NEG, POWC, SUB, UNARY, Tape, format_number

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def reverse(
    tape: Tape, values: Sequence[float], partials: dict[int, tuple[float, ...]] | None = None
) -> list[float]:
    """Adjoints ∂f/∂node for every node (constants' adjoints are meaningless and set to 0)."""
    if partials is not None:
        return _recorded(tape, values, partials)
    adjoint = [0.0] * len(tape)
    adjoint[tape.output] = 1.0
    lean = tape.lean()
    many = lean.many
    try:
        # Same arithmetic as the ops' partials, with the cheap rules written out in the loop.
        for i, code, rule, a, b in zip(reversed(lean.nodes), reversed(lean.codes),
                                       reversed(lean.rules), reversed(lean.firsts),
                                       reversed(lean.seconds), strict=True):
            g = adjoint[i]
            if code == MUL:
                adjoint[a] += g * values[b]
                adjoint[b] += g * values[a]
            elif code == ADD:
                adjoint[a] += g
                adjoint[b] += g
            elif code == UNARY:
                adjoint[a] += g * rule(values[i], values[a])[0]
            elif code == POWC:  # a**c with c a constant: only ∂/∂a = c·a**(c-1) is needed
                c = values[b]
                adjoint[a] += g * (c * math.pow(values[a], c - 1))
            elif code == BINARY:
                da, db = rule(values[i], values[a], values[b])
                adjoint[a] += g * da
                adjoint[b] += g * db
            elif code == SUB:
                adjoint[a] += g
                adjoint[b] -= g
            elif code == NEG:
                adjoint[a] -= g
            else:
                args = many[i]
                local = rule(values[i], *[values[k] for k in args])
                for k, d in zip(args, local, strict=True):
                    adjoint[k] += g * d
    except _MATH_ERRORS:
        raise _diagnosed(tape, values) from None
    for i in lean.constant_nodes:
        adjoint[i] = 0.0  # a nan partial towards a constant (e.g. a negative base) is harmless
    if not _all_finite(adjoint):
        raise _diagnosed(tape, values)
    return adjoint


def _diagnosed(tape: Tape, values: Sequence[float]) -> ExprError:
    """_diagnose's error, keeping the forward values it was found with (ExprError.values)."""
    error = _diagnose(tape, values)
    error.tape, error.values = tape, list(values)
    return error


def _recorded(
    tape: Tape, values: Sequence[float], partials: dict[int, tuple[float, ...]]
) -> list[float]:
    """The sweep that also keeps every node's local partials (for the step tables)."""
    adjoint = [0.0] * len(tape)
    adjoint[tape.output] = 1.0
    try:
        for i, _, rule, args in reversed(tape.program):
            g = adjoint[i]
            local = rule(values[i], *[values[a] for a in args])  # type: ignore[operator]
            for a, d in zip(args, local, strict=True):
                adjoint[a] += g * d
            partials[i] = local
    except _MATH_ERRORS:
        raise _diagnosed(tape, values) from None
    for i, kind in enumerate(tape.kinds):
        if kind == CONSTANT:
            adjoint[i] = 0.0
    if not _all_finite(adjoint):
        raise _diagnosed(tape, values)
    return adjoint


def _diagnose(tape: Tape, values: Sequence[float]) -> ExprError:
    """Redo the sweep with a check on every edge, to name the node whose slope is not finite."""
    adjoint = [0.0] * len(tape)
    adjoint[tape.output] = 1.0
    for i, _, rule, args in reversed(tape.program):
        arguments = [values[a] for a in args]
        try:
            local = rule(values[i], *arguments)  # type: ignore[operator]
        except _MATH_ERRORS:
            local = (math.inf,) * len(args)
        for position, (a, d) in enumerate(zip(args, local, strict=True)):
            if tape.kinds[a] == CONSTANT:
                continue
            if not math.isfinite(d):
                return _slope_error(tape, i, position, arguments)
            adjoint[a] += adjoint[i] * d
            if not math.isfinite(adjoint[a]):
                return ExprError(
                    "domain",
                    f"the derivative overflows at node {tape.labels[i]} = "
                    f"{tape.expression(i, width=60)} (an adjoint beyond ±1.8e308)",
                    column=tape.columns[i], source=tape.source, node=tape.labels[i])
    return ExprError("domain", "the gradient is not finite at this point", source=tape.source)


def _slope_error(tape: Tape, i: int, position: int, arguments: list[float]) -> ExprError:
    op = tape.ops[i]
    assert op is not None  # noqa: S101 - only operation nodes have partials
    where = f"node {tape.labels[i]} = {tape.expression(i, width=60)}"
    shown = [tape.expression(a, width=40) for a in tape.args[i]]
    pairs = ", ".join(f"{s} = {format_number(v)}" for s, v in zip(shown, arguments, strict=True))
    if op.name == "pow" and position == 1:
        message = (f"a negative base with a variable exponent has no real derivative at {where}, "
                   f"where {pairs}")
    else:
        which = "" if len(arguments) == 1 else f" with respect to {shown[position]}"
        message = (f"{op.name} has an infinite or undefined slope{which} at {where}, "
                   f"where {pairs}")
    return ExprError("domain", message, column=tape.columns[i], source=tape.source,
                     node=tape.labels[i], hint="the gradient does not exist at this point")
