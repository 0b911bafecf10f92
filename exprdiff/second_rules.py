"""The primitives' second-order local partials (Op.second), named for ops.py's rows.

`second(out, *args)` gives ∂²out/∂arg_i∂arg_j as a tuple of rows, one per argument: symmetric,
and as long as the argument list (a variadic max or hypot gets an n×n matrix). The Hessian's
forward-over-reverse sweep (modes/hessian.py) reads them.

Where a primitive kinks or jumps (abs, relu, sign, max/min ties, clamp at a bound, hypot at the
origin, atan2 across its cut) the first derivative is not continuous: its derivative there is a
Dirac delta, not a number. These rules give 0 there (the second partials on both sides), and
the sweep reports the node as a warning. Where a second partial is infinite or undefined
(x**1.5 at 0, a negative base) the rule returns NaN or raises a math error, and the sweep
names the node.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from exprdiff.rules import TWO_OVER_SQRT_PI, sigmoid_partials, tanh_partials

Second = tuple[tuple[float, ...], ...]


def zeros(out: float, *args: float) -> Second:
    """A primitive linear or piecewise linear in its arguments (add, max, relu, clamp, …)."""
    n = len(args)
    return tuple((0.0,) * n for _ in range(n))


def mul(out: float, a: float, b: float) -> Second:
    return ((0.0, 1.0), (1.0, 0.0))


def div(out: float, a: float, b: float) -> Second:
    # ∂²/∂a∂b a/b = -1/b²;  ∂²/∂b² a/b = 2a/b³ = 2·out/b²
    ab = -1.0 / b / b
    return ((0.0, ab), (ab, 2.0 * out / b / b))


def pow_(out: float, a: float, b: float) -> Second:
    # ∂²/∂a² = b(b-1)a**(b-2); ∂²/∂a∂b = a**(b-1)(1 + b ln a); ∂²/∂b² = a**b ln²a
    aa = 0.0 if b in (0.0, 1.0) else b * (b - 1.0) * math.pow(a, b - 2.0)
    if a > 0:
        log_a = math.log(a)
        ab = math.pow(a, b - 1.0) * (1.0 + b * log_a)
        bb = out * log_a * log_a
    elif a == 0 and b > 1:
        ab, bb = 0.0, 0.0  # a**(b-1)·ln a → 0 as a → 0⁺
    else:
        ab, bb = math.nan, math.nan  # a constant exponent's: never used
    return ((aa, ab), (ab, bb))


def minus_itself(out: float, x: float) -> Second:
    """sin'' = -sin, cos'' = -cos."""
    return ((-out,),)


def tan(out: float, x: float) -> Second:
    # d/dx (1 + tan²) = 2 tan (1 + tan²)
    return ((2.0 * out * (1.0 + out * out),),)


def _one_minus_square(x: float) -> float:
    return (1.0 - x) * (1.0 + x)  # no cancellation near ±1


def asin(out: float, x: float) -> Second:
    # d/dx (1 - x²)^(-1/2) = x (1 - x²)^(-3/2)
    return ((x / _one_minus_square(x) ** 1.5,),)


def acos(out: float, x: float) -> Second:
    return ((-x / _one_minus_square(x) ** 1.5,),)


def atan(out: float, x: float) -> Second:
    # d/dx 1/(1 + x²) = -2x/(1 + x²)², with h = hypot(1, x)
    h = math.hypot(1.0, x)
    return ((-2.0 * (x / h) / h / h / h,),)


def itself(out: float, x: float) -> Second:
    """sinh'' = sinh, cosh'' = cosh, exp'' = exp."""
    return ((out,),)


def tanh(out: float, x: float) -> Second:
    # d/dx (1 - tanh²) = -2 tanh (1 - tanh²), with the stable 1 - tanh²
    return ((-2.0 * out * tanh_partials(out, x)[0],),)


def asinh(out: float, x: float) -> Second:
    # d/dx (x² + 1)^(-1/2) = -x (x² + 1)^(-3/2)
    h = math.hypot(x, 1.0)
    return ((-(x / h) / h / h,),)


def acosh(out: float, x: float) -> Second:
    # d/dx (x² - 1)^(-1/2) = -x (x² - 1)^(-3/2)
    return ((-x / ((x - 1.0) * (x + 1.0)) ** 1.5,),)


def atanh(out: float, x: float) -> Second:
    # d/dx 1/(1 - x²) = 2x/(1 - x²)²
    q = _one_minus_square(x)
    return ((2.0 * x / q / q,),)


def expm1(out: float, x: float) -> Second:
    return ((math.exp(x),),)


def log(out: float, x: float, base: float | None = None) -> Second:
    if base is None:
        return ((-1.0 / x / x,),)
    ln_b = math.log(base)
    # f = ln x/ln b: f_xx = -1/(x² ln b), f_xb = -1/(x b ln²b), f_bb = ln x (ln b + 2)/(b² ln³b)
    xb = -1.0 / (x * base * ln_b * ln_b)
    bb = math.log(x) * (ln_b + 2.0) / (base * base * ln_b ** 3)
    return ((-1.0 / (x * x * ln_b), xb), (xb, bb))


def reciprocal_slope(c: float) -> Callable[[float, float], Second]:
    """ln x/c (ln, log2, log10): ∂²/∂x² = -1/(c x²)."""
    def rule(out: float, x: float) -> Second:
        return ((-1.0 / x / x / c,),)

    return rule


def log1p(out: float, x: float) -> Second:
    return ((-1.0 / (1.0 + x) / (1.0 + x),),)


def sqrt(out: float, x: float) -> Second:
    # d/dx 1/(2 sqrt x) = -1/(4 x^(3/2)) = -1/(4 out³)
    return ((-0.25 / (out * out * out),),)


def cbrt(out: float, x: float) -> Second:
    # d/dx 1/(3 x^(2/3)) = -2/(9 x^(5/3)) = -2/(9 out⁵)
    return ((-2.0 / (9.0 * out ** 5),),)


def sigmoid(out: float, x: float) -> Second:
    # σ'' = σ'(1 - 2σ) = -σ' tanh(x/2): no cancellation near saturation
    return ((-sigmoid_partials(out, x)[0] * math.tanh(0.5 * x),),)


def softplus(out: float, x: float) -> Second:
    return ((sigmoid_partials(out, x)[0],),)


def atan2(out: float, y: float, x: float) -> Second:
    # f_y = x/r², f_x = -y/r²: f_yy = -2xy/r⁴, f_xx = 2xy/r⁴, f_yx = (y² - x²)/r⁴
    h = math.hypot(y, x)
    u, v = y / h, x / h
    yy = -2.0 * u * v / h / h
    cross = (u - v) * (u + v) / h / h
    return ((yy, cross), (cross, -yy))


def hypot(out: float, *args: float) -> Second:
    # ∂²h/∂a_i∂a_j = (δ_ij - (a_i/h)(a_j/h))/h; 0 at the cone's tip (reported as a kink)
    if out == 0:
        return zeros(out, *args)
    unit = [a / out for a in args]
    return tuple(tuple(((1.0 if i == j else 0.0) - ui * uj) / out for j, uj in enumerate(unit))
                 for i, ui in enumerate(unit))


def erf(out: float, x: float) -> Second:
    # d/dx 2/√π e^(-x²) = -2x · 2/√π e^(-x²)
    return ((-2.0 * x * TWO_OVER_SQRT_PI * math.exp(-x * x),),)
