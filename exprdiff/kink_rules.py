"""Where the primitives are not smooth, named for ops.py's rows: kinks and jumps (Op.kink), which
side of them a point is on (Op.side), one-sided slopes from them (Op.directional), and the
arguments a value does not depend on near a point (Op.flat).

Conventions at non-differentiable points are those of rules.py's docstring: every one is
reported as a warning, never silent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from exprdiff.op import JUMP, Kink, KinkCheck
from exprdiff.rules import clamp_partials

# ---- kinks and jumps -----------------------------------------------------------------------
# The reasons that do not depend on the point: the rows' code templates (op.Code) say them too.
ABS_CORNER = "abs has a corner at 0"
RELU_CORNER = "relu has a corner at 0"
SIGN_JUMP = "sign jumps at 0: no derivative exists"
HYPOT_TIP = "hypot has a cone tip at the origin"
ATAN2_CUT = "atan2 jumps by 2π across its branch cut, the negative x-axis (y = 0, x < 0)"


def abs_kink(out: float, x: float) -> Kink | None:
    if x != 0:
        return None
    return Kink(ABS_CORNER, ((-1.0, 1.0),), (0.0,))


def relu_kink(out: float, x: float) -> Kink | None:
    if x != 0:
        return None
    return Kink(RELU_CORNER, ((0.0, 1.0),), (0.5,))


def sign_kink(out: float, x: float) -> Kink | None:
    if x != 0:
        return None
    return Kink(SIGN_JUMP, ((None, None),), (0.0,), JUMP)


def extremum_kink(name: str) -> KinkCheck:
    def check(out: float, *args: float) -> Kink | None:
        ties = [a == out for a in args]
        k = sum(ties)
        if k < 2:
            return None
        left, right = (0.0, 1.0) if name == "max" else (1.0, 0.0)
        one_sided = tuple((left, right) if t else (0.0, 0.0) for t in ties)
        used = tuple(1.0 / k if t else 0.0 for t in ties)
        return Kink(f"{name} has a tie between {k} arguments", one_sided, used)

    return check


def extremum_side(out: float, *args: float) -> object:
    return tuple(a == out for a in args)


def max_directional(out: float, args: Sequence[float], tangents: Sequence[float]) -> float:
    # From a tie, max moves with the fastest of the tied arguments.
    return max(t for a, t in zip(args, tangents, strict=True) if a == out)


def min_directional(out: float, args: Sequence[float], tangents: Sequence[float]) -> float:
    return min(t for a, t in zip(args, tangents, strict=True) if a == out)


def hypot_directional(out: float, args: Sequence[float], tangents: Sequence[float]) -> float:
    # From the cone's tip, hypot grows by the length of the step.
    return math.sqrt(sum(t * t for t in tangents))


def hypot_kink(out: float, *args: float) -> Kink | None:
    if out != 0:
        return None
    one_sided = tuple((-1.0, 1.0) for _ in args)
    return Kink(HYPOT_TIP, one_sided, tuple(0.0 for _ in args))


def hypot_side(out: float, *args: float) -> object:
    return out == 0.0


def atan2_kink(out: float, y: float, x: float) -> Kink | None:
    if y != 0 or x >= 0:
        return None
    # On the negative x-axis atan2 is ±π by the sign of the zero: the value jumps by 2π across
    # it, while the partials of both sides agree (∂/∂y = 1/x, ∂/∂x = 0).
    return Kink(ATAN2_CUT, ((None, None), (0.0, 0.0)), (1.0 / x, 0.0), JUMP)


def atan2_side(out: float, y: float, x: float) -> object:
    return math.copysign(1.0, y) if x < 0 else 0.0


def clamp_kink(out: float, x: float, low: float, high: float) -> Kink | None:
    inner = max(x, low)
    if x != low and inner != high:
        return None
    used = clamp_partials(out, x, low, high)
    if x == low and low == high:
        return Kink("clamp has its two bounds and x equal", ((0.0, 0.0), (0.0, 0.0), (1.0, 0.0)),
                    used)
    if x == low:  # left of it the bound wins, right of it x does
        return Kink("clamp has a corner where x meets its lower bound",
                    ((0.0, 1.0), (0.0, 1.0), (0.0, 0.0)), used)
    return Kink("clamp has a corner where its value meets the upper bound",
                ((1.0, 0.0) if x == high else (0.0, 0.0), (0.0, 0.0) if x == high else (1.0, 0.0),
                 (1.0, 0.0)), used)


def clamp_side(out: float, x: float, low: float, high: float) -> object:
    return ((x > low) - (x < low), (max(x, low) > high) - (max(x, low) < high))


# ---- locally flat arguments (Op.flat): the value does not depend on them near the point ------
# `constant[i]` says whether argument i is itself locally constant (careful.locally_constant).


def mul_flat(constant: Sequence[bool], out: float, a: float, b: float) -> tuple[bool, bool]:
    return (constant[1] and b == 0, constant[0] and a == 0)


def div_flat(constant: Sequence[bool], out: float, a: float, b: float) -> tuple[bool, bool]:
    return (False, constant[0] and a == 0)


def pow_flat(constant: Sequence[bool], out: float, a: float, b: float) -> tuple[bool, bool]:
    # a**0 is 1 whatever a is; 1**b is 1 and 0**b is 0 (b > 0) whatever b is.
    return (constant[1] and b == 0, constant[0] and (a == 1 or (a == 0 and b > 0)))


def relu_flat(constant: Sequence[bool], out: float, x: float) -> tuple[bool]:
    return (x < 0,)


def sign_flat(constant: Sequence[bool], out: float, x: float) -> tuple[bool]:
    return (x != 0,)


def max_flat(constant: Sequence[bool], out: float, *args: float) -> tuple[bool, ...]:
    return tuple(a < out for a in args)  # a strict loser stays one nearby


def min_flat(constant: Sequence[bool], out: float, *args: float) -> tuple[bool, ...]:
    return tuple(a > out for a in args)


def clamp_flat(constant: Sequence[bool], out: float, x: float, low: float,
               high: float) -> tuple[bool, bool, bool]:
    inner = max(x, low)
    return (x < low or inner > high, x > low or inner > high, inner < high)
