"""The primitives' scalar rules that need more than one expression, named for ops.py's rows:
forward functions, local partials and test samples (kinks, jumps and flat arguments are in
kink_rules.py, partials beyond the doubles' range in scaled.py).

Conventions at non-differentiable points (every one is reported as a warning, never silent):
the derivative used is the mean of the one-sided derivatives (abs'(0) = 0, relu'(0) = 1/2,
a max/min tie of k arguments gives 1/k to each), except where a one-sided derivative is infinite,
which is an error for the gradient (sqrt(0), cbrt(0), asin(±1), ...). Where the value itself
jumps (sign at 0, atan2 on its branch cut) the warning says so: a jump, not a corner.
"""

from __future__ import annotations

import math

#: A partial whose true value is not 0 but below the normal range (where a double keeps fewer
#: digits, down to none) is returned as NaN, never as a silent 0 or a subnormal with few digits
#: left: the reverse sweep then redoes it beyond the doubles' range (careful.py, scaled.py).
#: Partials that can vanish exactly say where.
UNDERFLOW = math.nan
#: The smallest normal double.
TINY = 2.2250738585072014e-308
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

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
# Each in a form that neither cancels near saturation nor overflows in an intermediate
# (docs/numerics.md): where the true partial is a normal double it comes out within a few ulps.


def _kept(d: float) -> float:
    """d, or UNDERFLOW where it is below the normal range (a partial that is never 0)."""
    return d if abs(d) >= TINY else UNDERFLOW


def pow_partials(out: float, a: float, b: float) -> tuple[float, float]:
    # ∂/∂a a**b = b·a**(b-1), exactly 0 for b = 0 and at a = 0 < b - 1;
    # ∂/∂b a**b = a**b·ln a, real only for a > 0 (exactly 0 at a = 1 and for a = 0 < b).
    if b == 0:
        da = 0.0
    else:
        da = b * math.pow(a, b - 1)
        if abs(da) < TINY and a:
            da = UNDERFLOW
    if a > 0:
        db = out * math.log(a)
        if abs(db) < TINY and a != 1:
            db = UNDERFLOW
    elif a == 0 and b > 0:
        db = 0.0
    else:
        db = math.nan  # a negative base (or 0**0): careful.py decides whether the edge matters
    return (da, db)


def div_partials(out: float, a: float, b: float) -> tuple[float, float]:
    # ∂/∂a a/b = 1/b;  ∂/∂b a/b = -a/b² = -out/b, exactly 0 only for a = 0.
    db = -out / b
    return (1.0 / b, db if abs(db) >= TINY or not a else UNDERFLOW)


def scaled_quotient(n: float, p: float, q: float) -> float:
    """n/(p·q) without p·q overflowing or underflowing (then by mantissas and exponents)."""
    pq = p * q
    if TINY <= abs(pq) < math.inf:
        return n / pq
    mn, en = math.frexp(n)
    mp, ep = math.frexp(p)
    mq, eq = math.frexp(q)
    return math.ldexp(mn / (mp * mq), en - ep - eq)


def log_partials(out: float, x: float, base: float | None = None) -> tuple[float, ...]:
    if base is None:
        return (1.0 / x,)
    ln_b = math.log(base)
    # ∂/∂x log_b x = 1/(x ln b);  ∂/∂b log_b x = -log_b(x)/(b ln b), exactly 0 only at x = 1
    db = scaled_quotient(-out, base, ln_b)
    return (scaled_quotient(1.0, x, ln_b), db if abs(db) >= TINY or not out else UNDERFLOW)


def reciprocal_product(x: float, c: float) -> float:
    """1/(x·c) for a constant c (log2, log10), without x·c overflowing."""
    return scaled_quotient(1.0, x, c)


def tanh_partials(out: float, x: float) -> tuple[float]:
    # 1 - tanh² cancels to 0 near saturation: 4e^(-2|x|)/(1 + e^(-2|x|))² does not.
    z = math.exp(-2.0 * abs(x))
    return (_kept(4.0 * z / ((1.0 + z) * (1.0 + z))),)


def sigmoid_partials(out: float, x: float) -> tuple[float]:
    # σ(1 - σ) cancels to 0 for large x: σ(x)·σ(-x) = e^(-|x|)/(1 + e^(-|x|))² does not.
    z = math.exp(-abs(x))
    return (_kept(z / ((1.0 + z) * (1.0 + z))),)


def softplus_partials(out: float, x: float) -> tuple[float]:
    return (_kept(sigmoid(x)),)


def exp_partials(out: float, x: float) -> tuple[float]:
    return (_kept(out),)


def expm1_partials(out: float, x: float) -> tuple[float]:
    # e^x, not out + 1: expm1(x) + 1 cancels for negative x (it is -1 + 4e-18 at x = -40).
    return (_kept(math.exp(x)),)


def erf_partials(out: float, x: float) -> tuple[float]:
    return (_kept(TWO_OVER_SQRT_PI * math.exp(-x * x)),)


def atan_partials(out: float, x: float) -> tuple[float]:
    # 1/(1 + x²) = (1/h)/h with h = hypot(1, x): x² overflows from |x| ≈ 1.3e154.
    h = math.hypot(1.0, x)
    return (_kept((1.0 / h) / h),)


def asin_partials(out: float, x: float) -> tuple[float]:
    # 1/sqrt(1 - x²) with 1 - x² as (1 - x)(1 + x): no cancellation near ±1.
    return (1.0 / math.sqrt((1.0 - x) * (1.0 + x)),)


def acos_partials(out: float, x: float) -> tuple[float]:
    return (-1.0 / math.sqrt((1.0 - x) * (1.0 + x)),)


def atanh_partials(out: float, x: float) -> tuple[float]:
    return (1.0 / ((1.0 - x) * (1.0 + x)),)


def asinh_partials(out: float, x: float) -> tuple[float]:
    # 1/sqrt(x² + 1) = 1/hypot(x, 1): x² overflows from |x| ≈ 1.3e154.
    return (1.0 / math.hypot(x, 1.0),)


def acosh_partials(out: float, x: float) -> tuple[float]:
    # 1/sqrt(x² - 1) = 1/(sqrt(x - 1)·sqrt(x + 1)): no overflow, no cancellation near 1.
    return (1.0 / (math.sqrt(x - 1.0) * math.sqrt(x + 1.0)),)


def extremum_partials(out: float, *args: float) -> tuple[float, ...]:
    # A tie of k arguments shares the derivative: 1/k each (reported as a kink).
    ties = [a == out for a in args]
    share = 1.0 / sum(ties)
    return tuple(share if t else 0.0 for t in ties)


def atan2_partials(out: float, y: float, x: float) -> tuple[float, float]:
    # ∂/∂y atan2(y, x) = x/(x² + y²) = (x/h)/h with h = hypot(x, y) (x² + y² would overflow
    # or underflow); ∂/∂x = -(y/h)/h. Each is exactly 0 only where its numerator is.
    h = math.hypot(y, x)
    dy = (x / h) / h
    dx = -(y / h) / h
    return (dy if abs(dy) >= TINY or not x else UNDERFLOW,
            dx if abs(dx) >= TINY or not y else UNDERFLOW)


def hypot_partials(out: float, *args: float) -> tuple[float, ...]:
    if out == 0:
        return tuple(0.0 for _ in args)  # the cone's tip: reported as a kink
    return tuple(_kept(a / out) if a else 0.0 for a in args)


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
