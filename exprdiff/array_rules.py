"""The primitives' NumPy rules that need more than one expression, named for ops.py's rows.

Each takes the NumPy module as its first argument (`np`), so that nothing here imports NumPy:
the vector engine passes it in. Same formulas and conventions as rules.py, over arrays.
"""

from __future__ import annotations

import math
from typing import Any

Array = Any  # numpy.ndarray of float64, one entry per row
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERF: dict[str, Any] = {}


def sign(np: Any, x: Array) -> Array:
    return np.sign(x) + 0.0


def sigmoid(np: Any, x: Array) -> Array:
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def softplus(np: Any, x: Array) -> Array:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def power(np: Any, a: Array, b: Array) -> Array:
    return np.square(a) if type(b) is float and b == 2.0 else np.power(a, b)


def pow_partials(np: Any, out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    # ∂/∂a a**b = b·a**(b-1) (0 for b = 0);  ∂/∂b = a**b·ln a for a > 0, 0 for a = 0 < b, else nan
    if type(b) is float:  # a constant exponent: its own partial is never used
        if b == 0:
            return 0.0, 0.0
        return (b * a if b == 2.0 else b * np.power(a, b - 1.0)), 0.0
    da = np.where(b == 0, 0.0, b * np.power(a, b - 1.0))
    safe = np.where(a > 0, a, 1.0)
    db = np.where(a > 0, out * np.log(safe), np.where((a == 0) & (b > 0), 0.0, np.nan))
    return da, db


def log(np: Any, x: Array, base: Array | None = None) -> Array:
    if base is None:
        return np.log(x)
    bad = (base <= 0) | (base == 1)
    return np.where(bad, np.nan, np.log(x) / np.log(np.where(bad, 2.0, base)))


def log_partials(np: Any, out: Array, x: Array, base: Array | None = None) -> tuple[Array, ...]:
    if base is None:
        return (1.0 / x,)
    ln_b = np.log(base)
    return (1.0 / (x * ln_b), -out / (base * ln_b))


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
    return np.sqrt(sum(a * a for a in args)) if len(args) > 2 else np.hypot(*args)


def hypot_partials(np: Any, out: Array, *args: Array) -> tuple[Array, ...]:
    zero = out == 0
    safe = np.where(zero, 1.0, out)
    return tuple(np.where(zero, 0.0, a / safe) for a in args)


def relu(np: Any, x: Array) -> Array:
    return np.where(x > 0, x, 0.0)


def relu_partials(np: Any, out: Array, x: Array) -> tuple[Array]:
    return (np.where(x > 0, 1.0, np.where(x == 0, 0.5, 0.0)),)


def atan2_partials(np: Any, out: Array, y: Array, x: Array) -> tuple[Array, Array]:
    return (x / (x * x + y * y), -y / (x * x + y * y))


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
