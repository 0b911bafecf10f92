"""The primitives' scalar rules that need more than one expression, named for ops.py's rows:
forward functions, local partials and test samples (kinks and jumps are in kink_rules.py).

Conventions at non-differentiable points (every one is reported as a warning, never silent):
the derivative used is the mean of the one-sided derivatives (abs'(0) = 0, relu'(0) = 1/2,
a max/min tie of k arguments gives 1/k to each), except where a one-sided derivative is infinite,
which is an error for the gradient (sqrt(0), cbrt(0), asin(±1), ...). Where the value itself
jumps (sign at 0, atan2 on its branch cut) the warning says so: a jump, not a corner.
"""

from __future__ import annotations

import math

# ---- forward functions -------------------------------------------------------------------


def pow_(a: float, b: float) -> float:
    # math.pow raises on 0**-1 and (-8)**(1/3) instead of going complex like `**` does.
    return math.pow(a, b)


def sign(x: float) -> float:
    return 0.0 if x == 0 else math.copysign(1.0, x)


def relu(x: float) -> float:
    return x if x > 0 else 0.0


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    # log(1 + e^x) without overflow for large x.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def log(x: float, base: float | None = None) -> float:
    if base is None:
        return math.log(x)
    if base <= 0 or base == 1:
        raise ValueError("log base")
    return math.log(x) / math.log(base)


def maximum(*args: float) -> float:
    return max(args)


def minimum(*args: float) -> float:
    return min(args)


def hypot(*args: float) -> float:
    return math.hypot(*args)


def clamp(x: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError("clamp bounds")
    return min(max(x, low), high)


# ---- local partials ------------------------------------------------------------------------


def pow_partials(out: float, a: float, b: float) -> tuple[float, float]:
    # ∂/∂a a**b = b·a**(b-1);  ∂/∂b a**b = a**b·ln a, real only for a > 0 (0 for a = 0 < b).
    da = 0.0 if b == 0 else b * math.pow(a, b - 1)
    if a > 0:
        db = out * math.log(a)
    elif a == 0 and b > 0:
        db = 0.0
    else:
        db = math.nan  # a negative base: only an error if the exponent depends on a variable
    return (da, db)


def log_partials(out: float, x: float, base: float | None = None) -> tuple[float, ...]:
    if base is None:
        return (1.0 / x,)
    ln_b = math.log(base)
    # ∂/∂x log_b x = 1/(x ln b);  ∂/∂b log_b x = -log_b(x)/(b ln b)
    return (1.0 / (x * ln_b), -out / (base * ln_b))


def extremum_partials(out: float, *args: float) -> tuple[float, ...]:
    # A tie of k arguments shares the derivative: 1/k each (reported as a kink).
    ties = [a == out for a in args]
    share = 1.0 / sum(ties)
    return tuple(share if t else 0.0 for t in ties)


def atan2_partials(out: float, y: float, x: float) -> tuple[float, float]:
    # ∂/∂y atan2(y, x) = x/(x² + y²);  ∂/∂x atan2(y, x) = -y/(x² + y²)
    r2 = x * x + y * y
    return (x / r2, -y / r2)


def hypot_partials(out: float, *args: float) -> tuple[float, ...]:
    if out == 0:
        return tuple(0.0 for _ in args)  # the cone's tip: reported as a kink
    return tuple(a / out for a in args)


def relu_partials(out: float, x: float) -> tuple[float]:
    return (1.0 if x > 0 else 0.5 if x == 0 else 0.0,)


def abs_partials(out: float, x: float) -> tuple[float]:
    return (sign(x),)


def clamp_partials(out: float, x: float, low: float, high: float) -> tuple[float, float, float]:
    # clamp = min(max(x, low), high): the chain rule through both, ties shared half and half.
    inner = max(x, low)
    d_inner = 1.0 if inner < high else 0.5 if inner == high else 0.0
    d_x = 1.0 if x > low else 0.5 if x == low else 0.0
    return (d_inner * d_x, d_inner * (1.0 - d_x), 1.0 - d_inner)


# ---- test samples: which argument to move off a kink, jump or pole -------------------------


def near_zero(margin: float, x: float, *rest: float) -> int | None:
    return 0 if abs(x) < 2 * margin else None


def near_tie(margin: float, *args: float) -> int | None:
    for k in range(1, len(args)):
        if any(abs(args[k] - args[j]) < margin for j in range(k)):
            return k
    return None


def near_origin(margin: float, *args: float) -> int | None:
    return 0 if math.hypot(*args) < 2 * margin else None


def near_cut(margin: float, y: float, x: float) -> int | None:
    """atan2: away from the origin and from the negative x-axis (where it jumps)."""
    if math.hypot(y, x) < 2 * margin or (x < 0 and abs(y) < margin):
        return 0
    return None


def near_pole(margin: float, a: float, b: float) -> int | None:
    return 1 if abs(b) < 2 * margin else None


def near_bounds(margin: float, x: float, low: float, high: float) -> int | None:
    if high - low < margin:
        return 2
    if abs(x - low) < margin or abs(x - high) < margin:
        return 0
    return None
