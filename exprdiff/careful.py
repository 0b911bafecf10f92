"""The careful reverse sweep: what reverse.py falls back on when its fast pass meets a number
that is not finite. It goes edge by edge with adjoints of unbounded exponent range (scaled.py),
and either returns the true adjoints or an error naming the node and the real cause.

A non-finite local partial is one of three things (docs/numerics.md):

- an **underflow** (rules.UNDERFLOW): the true partial is not 0 but below the doubles' range.
  The row gives it as a Wide (Op.scaled), and the sweep carries on: tanh'(400)·e^700 is a
  normal double. An input's derivative that is not 0 but still below the range at the end is an
  error saying so, never a silent 0.
- **pow's exponent at a negative base** (or at 0**0): a**b has no real derivative in b there.
  That only matters if b can move: a *locally constant* exponent (`x**max(4, x)` at x = -2.2,
  where max(4, x) is 4 on a whole neighbourhood) is the constant it is here, and its edge adds
  nothing. An exponent that varies is an error saying why.
- an **overflow** or an **infinite slope**: an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from exprdiff import scaled as S
from exprdiff.errors import ExprError
from exprdiff.ops import load
from exprdiff.rules import TINY
from exprdiff.tape import CONSTANT, INPUT, Tape, format_number

load()  # the rows' rules this module reads (ops.load)


def locally_constant(tape: Tape, values: Sequence[float]) -> list[bool]:
    """Per node: its value cannot change anywhere near the point (in tape order).

    Constants are; inputs are not; an operation is when each argument is locally constant or
    is one the row says its value does not depend on near the point (Op.flat).
    """
    constant = [kind == CONSTANT for kind in tape.kinds]
    ops, args = tape.ops, tape.args
    for i, _, _, arguments in tape.program:
        flags = [constant[a] for a in arguments]
        if all(flags):
            constant[i] = True
            continue
        op = ops[i]
        if op is None or op.flat is None:
            continue
        flat = op.flat(tuple(flags), values[i], *[values[a] for a in args[i]])
        constant[i] = all(c or f for c, f in zip(flags, flat, strict=True))
    return constant


def careful(tape: Tape, values: Sequence[float],
            partials: dict[int, tuple[float, ...]] | None = None) -> list[float]:
    """The adjoints, edge by edge; an ExprError where a derivative does not exist or is not a
    double. With `partials`, every node's local partials as used are recorded there."""
    adjoint: list[S.Wide] = [S.ZERO] * len(tape)
    adjoint[tape.output] = S.wide(1.0)
    size: list[S.Wide] = [S.ZERO] * len(tape)  # Σ |chain-rule terms|: the scale of rounding
    size[tape.output] = S.wide(1.0)
    constant: list[bool] | None = None  # made when a negative base first asks
    kinds = tape.kinds
    for i, _, rule, args in reversed(tape.program):
        arguments = [values[a] for a in args]
        local = _local(tape, i, rule, arguments, values[i])
        g = adjoint[i]
        used = list(local)
        wides: tuple[S.Wide, ...] | None = None
        for position, (a, d) in enumerate(zip(args, local, strict=True)):
            if kinds[a] == CONSTANT:
                continue
            if math.isfinite(d):
                w = S.wide(d)
                adjoint[a] = S.add(adjoint[a], S.mul(g, w))
                size[a] = S.add(size[a], S.mul(size[i], S.magnitude(w)))
                continue
            used[position] = 0.0 if math.isnan(d) else d
            if _negative_base(tape, i, position, arguments):
                if constant is None:
                    constant = locally_constant(tape, values)
                if constant[a]:
                    continue  # the exponent cannot move: a**b is a**(its value) here
                raise _exponent_error(tape, i, arguments, constant, values)
            if wides is None:  # under- or overflow: the row's partials beyond the doubles
                wides = _scaled(tape, i, position, arguments, values[i], d)
            adjoint[a] = S.add(adjoint[a], S.mul(g, wides[position]))
            size[a] = S.add(size[a], S.mul(size[i], S.magnitude(wides[position])))
        if partials is not None:
            partials[i] = tuple(used)
    return _doubles(tape, adjoint, size)


def _local(tape: Tape, i: int, rule: object, arguments: list[float],
           out: float) -> tuple[float, ...]:
    """The row's partials; where they overflow (OverflowError), inf, for _scaled to redo."""
    try:
        return rule(out, *arguments)  # type: ignore[operator]
    except OverflowError:
        return (math.inf,) * len(arguments)
    except (ValueError, ZeroDivisionError):
        raise _slope_error(tape, i, _first_moving(tape, tape.args[i]), arguments,
                           "infinite") from None


def _scaled(tape: Tape, i: int, position: int, arguments: list[float], out: float,
            d: float) -> tuple[S.Wide, ...]:
    """The row's partials as Wides (Op.scaled), for one that under- or overflowed (`d`)."""
    op = tape.ops[i]
    why = "infinite" if math.isnan(d) else "overflow"
    if op is None or op.scaled is None:
        raise _slope_error(tape, i, position, arguments, why)
    try:
        return op.scaled(out, *arguments)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise _slope_error(tape, i, position, arguments, why) from None


#: Below this fraction of its terms' absolute sum, an adjoint is their rounding residue.
RESIDUE = S.wide(2.0**-40)


def _doubles(tape: Tape, adjoint: list[S.Wide], size: list[S.Wide]) -> list[float]:
    """The adjoints as doubles; an error where an input's is not one (or any overflows).

    An input's derivative below the normal range is kept as a subnormal; below that, it is an
    error, unless it is within the rounding of terms that cancel (then 0, as a residue that
    small is in any double computation)."""
    out = [0.0] * len(tape)
    for i, kind in enumerate(tape.kinds):
        if kind == CONSTANT:
            continue
        try:
            out[i] = S.to_float(adjoint[i])
        except OverflowError:
            raise _overflow_error(tape, i) from None
        if kind == INPUT and adjoint[i][0] and abs(out[i]) < TINY:
            if S.below(adjoint[i], S.mul(size[i], RESIDUE)):
                out[i] = 0.0
            elif out[i] == 0:
                raise _underflow_error(tape, i, adjoint[i])
    return out


def _first_moving(tape: Tape, args: Sequence[int]) -> int:
    """The first argument that is not a constant (whose partial is the one that matters)."""
    for position, a in enumerate(args):
        if tape.kinds[a] != CONSTANT:
            return position
    return 0


def _negative_base(tape: Tape, i: int, position: int, arguments: list[float]) -> bool:
    op = tape.ops[i]
    return op is not None and op.name == "pow" and position == 1 and arguments[0] <= 0


def _where(tape: Tape, i: int, arguments: Sequence[float]) -> tuple[str, str]:
    shown = [tape.expression(a, width=40) for a in tape.args[i]]
    pairs = ", ".join(f"{s} = {format_number(v)}" for s, v in zip(shown, arguments, strict=True))
    return f"node {tape.labels[i]} = {tape.expression(i, width=60)}", pairs


def _slope_error(tape: Tape, i: int, position: int, arguments: list[float],
                 why: str) -> ExprError:
    op = tape.ops[i]
    assert op is not None  # noqa: S101 - only operation nodes have partials
    where, pairs = _where(tape, i, arguments)
    shown = tape.expression(tape.args[i][position], width=40)
    which = "" if len(arguments) == 1 else f" with respect to {shown}"
    if why == "overflow":
        message = (f"the partial of {op.name}{which} overflows at {where}, where {pairs}: "
                   f"it is beyond ±1.8e308")
    else:
        message = (f"{op.name} has an infinite or undefined slope{which} at {where}, "
                   f"where {pairs}")
    hint = ("the derivative is finite but beyond the range of doubles" if why == "overflow"
            else "the gradient does not exist at this point")
    return ExprError("domain", message, column=tape.columns[i], source=tape.source,
                     node=tape.labels[i], hint=hint)


def _exponent_error(tape: Tape, i: int, arguments: list[float], constant: list[bool],
                    values: Sequence[float]) -> ExprError:
    """pow's exponent moves where the power has no derivative in it: say why and what moves it."""
    where, pairs = _where(tape, i, arguments)
    exponent = tape.args[i][1]
    movers = _inputs_moving(tape, exponent, constant, values)
    shown = tape.expression(exponent, width=40)
    varies = f"{shown} varies" + (f" with {', '.join(movers)}" if movers and movers != [shown]
                                   else "")
    if arguments[0] == 0:
        message = (f"0**y has no derivative in y at y = 0 (it is 0 for y > 0, 1 at y = 0 and "
                   f"undefined for y < 0), at {where}, where {pairs}, and the exponent {varies}")
    else:
        message = (f"a negative base with a variable exponent has no real derivative at {where}, "
                   f"where {pairs}: a negative number to a non-integer power is not real, and "
                   f"the exponent {varies}")
    return ExprError("domain", message, column=tape.columns[i], source=tape.source,
                     node=tape.labels[i], hint="the gradient does not exist at this point")


def _inputs_moving(tape: Tape, node: int, constant: list[bool], values: Sequence[float],
                   limit: int = 3) -> list[str]:
    """The inputs (up to `limit`) that `node` depends on near the point, by name."""
    names = {i: name for name, i in tape.inputs.items()}
    found: list[str] = []
    seen = {node}
    stack = [node]
    while stack and len(found) < limit:
        j = stack.pop()
        if j in names:
            found.append(names[j])
            continue
        op, args = tape.ops[j], tape.args[j]
        if op is None:
            continue
        flags = tuple(constant[a] for a in args)
        flat = (op.flat(flags, values[j], *[values[a] for a in args]) if op.flat is not None
                else (False,) * len(args))
        for a, c, f in zip(args, flags, flat, strict=True):
            if not (c or f) and a not in seen:
                seen.add(a)
                stack.append(a)
    return sorted(found)


def _overflow_error(tape: Tape, i: int) -> ExprError:
    consumer = next((j for j, _, _, args in tape.program if i in args), i)
    return ExprError(
        "domain", f"the derivative overflows at node {tape.labels[consumer]} = "
                  f"{tape.expression(consumer, width=60)} (an adjoint beyond ±1.8e308)",
        column=tape.columns[consumer], source=tape.source, node=tape.labels[consumer])


def _underflow_error(tape: Tape, i: int, size: S.Wide) -> ExprError:
    name = tape.labels[i]
    return ExprError(
        "domain", f"the derivative with respect to {name} is not 0 but too small for a double: "
                  f"it is about 1e{math.floor(S.log10_size(size)):d}, below the smallest "
                  f"double (4.9e-324)", source=tape.source, node=name,
        hint="the true derivative is not 0, but it is below the range of doubles")
