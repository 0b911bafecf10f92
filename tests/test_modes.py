"""Forward mode (modes/tangent.py): the tangent sweep against reverse mode and by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, seed, settings
from strategies import cases

import exprdiff

SEED_001 = "x1**2 + 3*(x2*x3 - x1**2)"
POINT = {"x1": 1, "x2": 2, "x3": 3}


def test_seed_001_forward_gradient_equals_reverse_mode_exactly():
    compiled = exprdiff.compile(SEED_001)
    assert compiled.forward_gradient(POINT).gradient == compiled.grad(POINT).gradient == {
        "x1": -4.0, "x2": 9.0, "x3": 6.0}


def test_a_jvp_is_the_gradient_dotted_with_the_direction():
    compiled = exprdiff.compile(SEED_001)
    jvp = compiled.jvp(POINT, {"x1": 1, "x2": -2})
    assert jvp.derivative == -4 * 1 + 9 * -2
    assert jvp.value == 16
    assert jvp.tangents[compiled.tape.output] == jvp.derivative


@pytest.mark.parametrize(("text", "point", "direction", "expected"), [
    ("abs(x)", {"x": 0}, {"x": 1}, 1.0),     # abs'(0; d) = |d|
    ("abs(x)", {"x": 0}, {"x": -1}, 1.0),
    ("abs(x)", {"x": 0}, {"x": -2.5}, 2.5),
    ("relu(x)", {"x": 0}, {"x": -1}, 0.0),
    ("relu(x)", {"x": 0}, {"x": 1}, 1.0),
    ("max(x, y)", {"x": 1, "y": 1}, {"x": 1, "y": 3}, 3.0),  # follows the faster
    ("min(x, y)", {"x": 1, "y": 1}, {"x": 1, "y": 3}, 1.0),
    ("hypot(x, y)", {"x": 0, "y": 0}, {"x": 3, "y": 4}, 5.0),
    ("clamp(x, 0, 1)", {"x": 1}, {"x": 1}, 0.0),
    ("clamp(x, 0, 1)", {"x": 1}, {"x": -1}, -1.0),
])
def test_at_a_kink_the_directional_derivative_is_exact(text, point, direction, expected):
    result = exprdiff.compile(text).jvp(point, direction)
    assert result.derivative == expected
    assert result.warnings  # the kink is still reported


def test_across_a_jump_there_is_no_directional_derivative():
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.compile("atan2(y, x)").jvp({"x": -1, "y": 0}, {"y": 1})
    assert caught.value.kind == "kink" and "not continuous" in str(caught.value)
    along_the_cut = exprdiff.compile("atan2(y, x)").jvp({"x": -1, "y": 0}, {"x": 1})
    assert along_the_cut.derivative == 0.0


def test_a_direction_naming_an_unknown_variable_is_a_usage_error():
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.compile("x*y").jvp({"x": 1, "y": 2}, {"z": 1})
    assert caught.value.kind == "usage" and "'z'" in caught.value.message


@seed(20261203)
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(max_depth=6, max_variables=4))
def test_forward_mode_equals_reverse_mode_on_random_expressions(case):
    text, point, _ = case
    compiled = exprdiff.compile(text)
    reverse = compiled.grad(point)
    forward = compiled.forward_gradient(point)
    assert forward.value == reverse.value
    for name, partial in reverse.gradient.items():
        scale = max(abs(partial), 1e-300)
        assert math.isclose(forward.gradient[name], partial, rel_tol=1e-12,
                            abs_tol=1e-12 * scale), (text, point, name)
