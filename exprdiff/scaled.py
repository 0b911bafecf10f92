"""Numbers beyond the doubles' exponent range, for the careful sweep (careful.py), and the
partials of the rows that can underflow, in that form (`Op.scaled`).

A `Wide` is (m, e), the number m·2**e, with m a double (0, or 0.5 ≤ |m| < 1) and e an int
of any size. Products and sums of Wides round exactly as doubles do where doubles neither
overflow nor underflow, and keep every digit where they would: tanh'(400) is 4e-348, and
times exp(700) it is a normal double again.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Wide = tuple[float, int]
ZERO: Wide = (0.0, 0)
LN2 = math.log(2.0)
#: ln 2 in two parts (fdlibm's): k·_LN2_HI is exact for |k| < 2**20, so x - k·ln 2 keeps its digits.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
LN4 = math.log(4.0)
LN_TWO_OVER_SQRT_PI = math.log(2.0 / math.sqrt(math.pi))


def wide(x: float) -> Wide:
    m, e = math.frexp(x)
    return (m, e)


def from_log(ln_size: float, sign: float = 1.0) -> Wide:
    """sign·e**ln_size, for any ln_size (far below -1e6 only its exponent is kept: no double
    can come back from there)."""
    if ln_size < -1e6:
        if ln_size == -math.inf:
            return (math.copysign(0.5, sign), -(1 << 80))
        return (math.copysign(0.5, sign), math.floor(ln_size / LN2))
    k = math.floor(ln_size / LN2)
    m, e = math.frexp(math.copysign(math.exp((ln_size - k * _LN2_HI) - k * _LN2_LO), sign))
    return (m, e + k)


def mul(a: Wide, b: Wide) -> Wide:
    m = a[0] * b[0]
    if not m:
        return ZERO
    f, e = math.frexp(m)
    return (f, e + a[1] + b[1])


def add(a: Wide, b: Wide) -> Wide:
    if not a[0]:
        return b
    if not b[0]:
        return a
    top = max(a[1], b[1])
    if a[1] - top < -1100:  # below the last digit of the other: no double would see it
        return b
    if b[1] - top < -1100:
        return a
    m = math.ldexp(a[0], a[1] - top) + math.ldexp(b[0], b[1] - top)
    if not m:
        return ZERO
    f, e = math.frexp(m)
    return (f, top + e)


def magnitude(a: Wide) -> Wide:
    return (abs(a[0]), a[1])


def below(a: Wide, b: Wide) -> bool:
    """|a| ≤ |b|."""
    if not a[0]:
        return True
    if not b[0]:
        return False
    return (a[1], abs(a[0])) <= (b[1], abs(b[0]))


def to_float(a: Wide) -> float:
    """The double nearest a (0 or a subnormal below the normal range); OverflowError above."""
    if not a[0] or a[1] < -1100:
        return math.copysign(0.0, a[0])
    return math.ldexp(a[0], a[1])


def log10_size(a: Wide) -> float:
    """log10 |a| (for messages)."""
    return (math.log2(abs(a[0])) + a[1]) * math.log10(2.0)


def _sign(x: float) -> float:
    return math.copysign(1.0, x)


# ---- the rows' partials as Wides (Op.scaled): only asked where a double partial underflowed --


def tanh(out: float, x: float) -> tuple[Wide]:
    # 4e^(-2|x|)/(1 + e^(-2|x|))²
    return (from_log(LN4 - 2.0 * abs(x) - 2.0 * math.log1p(math.exp(-2.0 * abs(x)))),)


def sigmoid(out: float, x: float) -> tuple[Wide]:
    return (from_log(-abs(x) - 2.0 * math.log1p(math.exp(-abs(x)))),)


def softplus(out: float, x: float) -> tuple[Wide]:
    # σ(x) = e^(-softplus(-x))
    return (from_log(-(max(-x, 0.0) + math.log1p(math.exp(-abs(x))))),)


def exp(out: float, x: float) -> tuple[Wide]:
    return (from_log(x),)


def erf(out: float, x: float) -> tuple[Wide]:
    return (from_log(LN_TWO_OVER_SQRT_PI - x * x),)


def atan(out: float, x: float) -> tuple[Wide]:
    # 1/(1 + x²) = x^-2/(1 + x^-2)
    return (from_log(-2.0 * math.log(abs(x)) - math.log1p(1.0 / (x * x))),)


def pow_(out: float, a: float, b: float) -> tuple[Wide, Wide]:
    if b == 0 or a == 0:
        da = ZERO
    else:  # b·a**(b-1); for a < 0 the exponent is an integer: the sign alternates
        negative = (b < 0) != (a < 0 and b % 2 == 0)
        da = from_log(math.log(abs(b)) + (b - 1.0) * math.log(abs(a)), -1.0 if negative else 1.0)
    if a > 0 and a != 1:
        ln_a = math.log(a)
        db = from_log(b * ln_a + math.log(abs(ln_a)), _sign(ln_a))
    else:
        db = ZERO  # a = 1 or a = 0 < b; a negative base never gets here (careful.py)
    return (da, db)


def div(out: float, a: float, b: float) -> tuple[Wide, Wide]:
    # 1/b, -a/b²
    ln_b = math.log(abs(b))
    db = ZERO if a == 0 else from_log(math.log(abs(a)) - 2.0 * ln_b, -_sign(a))
    return (from_log(-ln_b, _sign(b)), db)


def _ln_hypot(y: float, x: float) -> float:
    big, small = max(abs(y), abs(x)), min(abs(y), abs(x))
    return math.log(big) + 0.5 * math.log1p((small / big) ** 2)


def atan2(out: float, y: float, x: float) -> tuple[Wide, Wide]:
    # x/h², -y/h² with h = hypot(y, x)
    ln_h = _ln_hypot(y, x)
    dy = ZERO if x == 0 else from_log(math.log(abs(x)) - 2.0 * ln_h, _sign(x))
    dx = ZERO if y == 0 else from_log(math.log(abs(y)) - 2.0 * ln_h, -_sign(y))
    return (dy, dx)


def hypot(out: float, *args: float) -> tuple[Wide, ...]:
    if out == 0:
        return tuple(ZERO for _ in args)
    ln_out = math.log(out)
    return tuple(ZERO if a == 0 else from_log(math.log(abs(a)) - ln_out, _sign(a))
                 for a in args)


def reciprocal(out: float, x: float) -> tuple[Wide]:
    """1/x (ln), beyond the doubles for a subnormal x."""
    return (from_log(-math.log(abs(x)), _sign(x)),)


def reciprocal_times(c: float) -> Callable[[float, float], tuple[Wide]]:
    """1/(x·c) for a constant c > 0 (log2, log10)."""
    ln_c = math.log(c)

    def partials(out: float, x: float) -> tuple[Wide]:
        return (from_log(-math.log(x) - ln_c),)

    return partials


def log(out: float, x: float, base: float | None = None) -> tuple[Wide, ...]:
    if base is None:
        return reciprocal(out, x)
    ln_b = math.log(base)
    # -log_b(x)/(b ln b)
    db = ZERO if out == 0 else from_log(
        math.log(abs(out)) - math.log(base) - math.log(abs(ln_b)), -_sign(out) * _sign(ln_b))
    return (from_log(-math.log(x) - math.log(abs(ln_b)), _sign(ln_b)), db)
