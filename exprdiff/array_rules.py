"""The primitives' NumPy rules that need more than one expression, named for ops.py's rows.

Each takes the NumPy module as its first argument (`np`), so that nothing here imports NumPy:
the vector engine passes it in. Same formulas and conventions as rules.py, over arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from exprdiff.rules import TINY, TWO_OVER_SQRT_PI

Array = Any  # numpy.ndarray of float64, one entry per row
_ERF: dict[str, Any] = {}
NAN = math.nan


def underflow_positive(np: Any, d: Array) -> Array:
    """underflow() for a partial that is never negative (exp's, tanh's, …): one pass less."""
    lost = d < TINY
    return np.where(lost, NAN, d) if lost.any() else d


def underflow(np: Any, d: Array, exact: Array | None = None) -> Array:
    """d, with NaN where it is below the normal range but its true value is not 0
    (rules.UNDERFLOW): everywhere, or where `exact` (what makes the partial exactly 0: a
    numerator, an argument) is not 0."""
    lost = np.abs(d) < TINY
    if exact is not None:
        lost &= exact != 0
    return np.where(lost, NAN, d) if lost.any() else d


def sign(np: Any, x: Array) -> Array:
    return np.sign(x) + 0.0


def abs_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (sign(np, x),)


def sigmoid(np: Any, x: Array) -> Array:
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def softplus(np: Any, x: Array) -> Array:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def power(np: Any, a: Array, b: Array) -> Array:
    return np.square(a) if type(b) is float and b == 2.0 else np.power(a, b)


def pow_partials(np: Any, out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    # As rules.pow_partials: b·a**(b-1) (0 for b = 0);  a**b·ln a for a > 0, 0 for a = 0 < b,
    # else NaN; an underflow to 0 is NaN.
    if type(b) is float:  # a constant exponent: its own partial is never used
        if b == 0:
            return 0.0, 0.0
        return (b * a if b == 2.0 else underflow(np, b * np.power(a, b - 1.0), a)), 0.0
    da = np.where(b == 0, 0.0, underflow(np, b * np.power(a, b - 1.0), a))
    safe = np.where(a > 0, a, 1.0)
    db = np.where(a > 0, underflow(np, out * np.log(safe), safe - 1.0),
                  np.where((a == 0) & (b > 0), 0.0, NAN))
    return da, db


def div_partials(np: Any, out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    return 1.0 / b, underflow(np, -out / b, a)


def scaled_quotient(np: Any, n: Array, p: Array, q: Array) -> Array:
    """As rules.scaled_quotient: n/(p·q) without p·q overflowing or underflowing."""
    pq = p * q
    size = np.abs(pq)
    plain = n / pq
    if np.all((size >= TINY) & (size < np.inf)):
        return plain
    mn, en = np.frexp(n)
    mp, ep = np.frexp(p)
    mq, eq = np.frexp(q)
    return np.where((size >= TINY) & (size < np.inf), plain,
                    np.ldexp(mn / (mp * mq), en - ep - eq))


def reciprocal_product(np: Any, x: Array, c: float) -> Array:
    return scaled_quotient(np, 1.0, x, c)


def reciprocal_times(c: float) -> Callable[[Any, Array, Array], tuple[Array]]:
    """The partials of log to a base: 1/(x·c) for the constant c = ln(base)."""
    def partials(np: Any, out: Array, x: Array) -> tuple[Array]:
        return (reciprocal_product(np, x, c),)

    return partials


def tanh_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    z = np.exp(-2.0 * np.abs(x))
    return (underflow_positive(np, 4.0 * z / ((1.0 + z) * (1.0 + z))),)


def sigmoid_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    z = np.exp(-np.abs(x))
    return (underflow_positive(np, z / ((1.0 + z) * (1.0 + z))),)


def softplus_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (underflow_positive(np, sigmoid(np, x)),)


def exp_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (underflow_positive(np, out),)


def expm1_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (underflow_positive(np, np.exp(x)),)


def erf_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (underflow_positive(np, TWO_OVER_SQRT_PI * np.exp(-x * x)),)


def atan_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    h = np.hypot(1.0, x)
    return (underflow_positive(np, (1.0 / h) / h),)


def asin_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (1.0 / np.sqrt((1.0 - x) * (1.0 + x)),)


def acos_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (-1.0 / np.sqrt((1.0 - x) * (1.0 + x)),)


def atanh_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (1.0 / ((1.0 - x) * (1.0 + x)),)


def asinh_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (1.0 / np.hypot(x, 1.0),)


def acosh_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (1.0 / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0)),)


def log(np: Any, x: Array, base: Array | None = None) -> Array:
    if base is None:
        return np.log(x)
    bad = (base <= 0) | (base == 1)
    return np.where(bad, np.nan, np.log(x) / np.log(np.where(bad, 2.0, base)))


def log_partials(np: Any, out: Array, x: Array, base: Array | None = None) -> tuple[Array, ...]:
    if base is None:
        return (1.0 / x,)
    ln_b = np.log(base)
    return (scaled_quotient(np, 1.0, x, ln_b),
            underflow(np, scaled_quotient(np, -out, base, ln_b), out))


def maximum(np: Any, *args: Array) -> Array:
    return np.maximum.reduce(np.broadcast_arrays(*args))


def minimum(np: Any, *args: Array) -> Array:
    return np.minimum.reduce(np.broadcast_arrays(*args))


def extremum_partials(np: Any, out: Array, *args: Array) -> tuple[Array, ...]:
    ties = [a == out for a in args]
    share = 1.0 / sum(np.asarray(t).astype(float) for t in ties)
    return tuple(np.where(t, share, 0.0) for t in ties)


def ties(np: Any, out: Array, *args: Array) -> Array:
    return sum(np.asarray(x == out).astype(int) for x in args) >= 2


def hypot(np: Any, *args: Array) -> Array:
    # hypot(hypot(a, b), c)...: a sum of squares would overflow or underflow.
    total = args[0]
    for a in args[1:]:
        total = np.hypot(total, a)
    return total


def hypot_partials(np: Any, out: Array, *args: Array) -> tuple[Array, ...]:
    zero = out == 0
    safe = np.where(zero, 1.0, out)
    return tuple(np.where(zero, 0.0, underflow(np, a / safe, a)) for a in args)


def relu(np: Any, x: Array) -> Array:
    return np.where(x > 0, x, 0.0)


def relu_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (np.where(x > 0, 1.0, np.where(x == 0, 0.5, 0.0)),)


def atan2_partials(np: Any, out: Array, y: Array, x: Array) -> tuple[Array, Array]:
    # As rules.atan2_partials: (x/h)/h and -(y/h)/h with h = hypot(y, x).
    h = np.hypot(y, x)
    return (underflow(np, (x / h) / h, x), underflow(np, -(y / h) / h, y))


def erf(np: Any, x: Array) -> Array:
    ufunc = _ERF.get("erf")
    if ufunc is None:
        ufunc = _ERF["erf"] = np.frompyfunc(math.erf, 1, 1)
    return np.asarray(ufunc(x), dtype=np.float64)


def clamp(np: Any, x: Array, low: Array, high: Array) -> Array:
    return np.where(low <= high, np.minimum(np.maximum(x, low), high), np.nan)


def clamp_partials(np: Any, out: Array, x: Array, low: Array,
                   high: Array) -> tuple[Array, Array, Array]:
    inner = np.maximum(x, low)
    d_inner = np.where(inner < high, 1.0, np.where(inner == high, 0.5, 0.0))
    d_x = np.where(x > low, 1.0, np.where(x == low, 0.5, 0.0))
    return (d_inner * d_x, d_inner * (1.0 - d_x), 1.0 - d_inner)


def clamp_kink(np: Any, out: Array, x: Array, low: Array, high: Array) -> Array:
    return (x == low) | (np.maximum(x, low) == high)


def atan2_jump(np: Any, out: Array, y: Array, x: Array) -> Array:
    return (y == 0) & (x < 0)
