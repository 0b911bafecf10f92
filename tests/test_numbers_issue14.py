"""Issue 14, items 1-4 ("Wrong numbers, silently"), each at the points the issue reports.

Only `exprdiff.grad` and `ExprError` are used, so these run unchanged against older commits
(each fails on 5b5c894). The references are closed forms worked out in mpmath at 50 digits.
"""

from __future__ import annotations

import math

import pytest

import exprdiff
from exprdiff import ExprError

mpmath = pytest.importorskip("mpmath")
mp = mpmath.mp


def reference(f, *args: float) -> float:
    with mp.workdps(50):
        return float(f(*[mpmath.mpf(a) for a in args]))


def close(got: float, want: float, rtol: float = 1e-12) -> bool:
    return math.isfinite(got) and want != 0 and abs(got - want) <= rtol * abs(want)


# ---- item 1: cancellation near saturation ---------------------------------------------------

SATURATION = [
    ("tanh(x)", {"x": 20.0}, "x", lambda x: 1 / mpmath.cosh(x) ** 2),
    ("tanh(x)", {"x": -20.0}, "x", lambda x: 1 / mpmath.cosh(x) ** 2),
    ("sigmoid(x)", {"x": 40.0}, "x", lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2),
    ("sigmoid(z - y)", {"z": 1.0, "y": -20.72}, "z",
     lambda z, y: mpmath.exp(-(z - y)) / (1 + mpmath.exp(-(z - y))) ** 2),
    ("tanh(tanh((x + x)**(x * 1)))", {"x": 1.942703}, "x",
     lambda x: mpmath.diff(lambda t: mpmath.tanh(mpmath.tanh((2 * t) ** t)), x)),
    ("expm1(x)", {"x": -40.0}, "x", mpmath.exp),
    ("expm1(x)", {"x": -20.0}, "x", mpmath.exp),
    ("asin(x)", {"x": 1 - 1e-10}, "x", lambda x: 1 / mpmath.sqrt(1 - x * x)),
    ("acos(x)", {"x": -1 + 1e-6}, "x", lambda x: -1 / mpmath.sqrt(1 - x * x)),
    ("atanh(x)", {"x": 1 - 1e-6}, "x", lambda x: 1 / (1 - x * x)),
    ("acosh(x)", {"x": 1 + 1e-6}, "x", lambda x: 1 / mpmath.sqrt(x * x - 1)),
]


@pytest.mark.parametrize(("text", "point", "name", "truth"), SATURATION,
                         ids=[f"{c[0]}@{c[1]}" for c in SATURATION])
def test_item1_partials_near_saturation_keep_their_digits(text, point, name, truth):
    """The issue's points, and (found by the audit, same shape) expm1 for negative x and the
    inverse functions near ±1, where 1 - x² and x² - 1 cancelled."""
    got = exprdiff.grad(text, point).gradient[name]
    want = reference(truth, *point.values())
    assert close(got, want), f"{text} at {point}: ∂/∂{name} = {got!r}, true {want!r}"


# ---- item 2: intermediate squares overflow or underflow --------------------------------------

OVERFLOW = [
    ("asinh(x)", {"x": 1e200}, {"x": lambda x: 1 / mpmath.sqrt(x * x + 1)}),
    ("acosh(x)", {"x": 1e200}, {"x": lambda x: 1 / mpmath.sqrt(x * x - 1)}),
    ("atan2(y, x)", {"y": 1e200, "x": 1e200},
     {"y": lambda y, x: x / (x * x + y * y), "x": lambda y, x: -y / (x * x + y * y)}),
    ("atan2(y, x)", {"y": 1e-200, "x": 1e-200},
     {"y": lambda y, x: x / (x * x + y * y), "x": lambda y, x: -y / (x * x + y * y)}),
]


@pytest.mark.parametrize(("text", "point", "truths"), OVERFLOW,
                         ids=[f"{c[0]}@{c[1]}" for c in OVERFLOW])
def test_item2_no_intermediate_overflows(text, point, truths):
    gradient = exprdiff.grad(text, point).gradient
    for name, truth in truths.items():
        want = reference(truth, *point.values())
        assert close(gradient[name], want), (text, point, name, gradient[name], want)


def test_item2_a_true_value_below_the_doubles_is_an_error_not_a_silent_0():
    """atan' at 1e160 is 1e-320 (a subnormal, kept); at 1e300 it is 1e-600: no double."""
    assert exprdiff.grad("atan(x)", {"x": 1e160}).gradient["x"] == pytest.approx(1e-320,
                                                                                rel=1e-3)
    for text, point in [("atan(x)", {"x": 1e300}), ("tanh(x)", {"x": 1000.0}),
                        ("sigmoid(x)", {"x": 800.0}), ("exp(x)", {"x": -800.0})]:
        with pytest.raises(ExprError, match="too small for a double"):
            exprdiff.grad(text, point)
    # ... but a lost part that cannot matter is no error: 1 + 4e-869 is 1.
    assert exprdiff.grad("tanh(x) + x", {"x": 1000.0}).gradient == {"x": 1.0}


# ---- item 3: a negative base with a locally constant exponent --------------------------------


def test_item3_a_locally_constant_exponent_has_a_derivative():
    x = -2.2288
    assert exprdiff.grad("x**max(4, x)", {"x": x}).gradient["x"] == pytest.approx(
        4 * x**3, rel=1e-15)  # -44.28...
    assert exprdiff.grad("y**relu(z)", {"y": -0.8, "z": -1.96}).gradient == {"y": 0.0,
                                                                             "z": 0.0}
    got = exprdiff.grad("atan(x*10)**sign(softplus(y))", {"x": -1e-5, "y": 0.3}).gradient
    assert got["x"] == pytest.approx(10 / (1 + 1e-8), rel=1e-15) and got["y"] == 0.0


def test_item3_an_exponent_that_varies_stays_an_error_saying_why():
    with pytest.raises(ExprError) as caught:
        exprdiff.grad("x**max(4, y)", {"x": -2.0, "y": 5.0})
    message = caught.value.message
    assert "negative base with a variable exponent" in message
    assert "max(4, y) varies with y" in message


# ---- item 4: messages that name the real cause ------------------------------------------------


def test_item4_0_to_the_0_is_not_a_negative_base():
    with pytest.raises(ExprError) as caught:
        exprdiff.grad("x**y", {"x": 0.0, "y": 0.0})
    message = caught.value.message
    assert "negative" not in message
    assert "0**y has no derivative in y at y = 0" in message


def test_item4_a_quotient_that_overflows_is_not_a_division_by_0():
    with pytest.raises(ExprError) as caught:
        exprdiff.grad("1/x", {"x": 1e-310})
    message = caught.value.message
    assert "div overflows" in message and "must not be 0" not in message
    with pytest.raises(ExprError, match="the divisor must not be 0"):
        exprdiff.grad("1/x", {"x": 0.0})


def test_item4_a_partial_that_overflows_says_so():
    with pytest.raises(ExprError) as caught:
        exprdiff.grad("x**-2", {"x": 1e-120})  # x**-2 is 1e240; its slope -2e360 is not
    assert "overflows" in caught.value.message
    assert "infinite or undefined" not in caught.value.message
