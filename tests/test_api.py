"""The Python API (SPEC §6) on the seeds' hand-worked examples, and compile-once reuse."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from conftest import SEEDS

import exprdiff
from exprdiff import ExprError


@pytest.mark.parametrize(("text", "point", "value", "gradient"), SEEDS)
def test_seed_examples_number_by_number(text, point, value, gradient):
    result = exprdiff.grad(text, point)
    assert result.value == value
    assert result.gradient == gradient
    assert list(result.gradient) == list(gradient)  # order of first appearance
    assert result.warnings == ()


def test_compile_once_evaluate_at_many_points():
    compiled = exprdiff.compile("x*y + sin(x)")
    assert compiled.variables == ("x", "y")
    for x, y in [(0.0, 1.0), (1.5, -2.0), (3.0, 0.25)]:
        result = compiled.grad({"x": x, "y": y})
        assert result.value == pytest.approx(x * y + math.sin(x))
        assert result.gradient["x"] == pytest.approx(y + math.cos(x))
        assert result.gradient["y"] == pytest.approx(x)


def test_wrt_selects_and_orders():
    result = exprdiff.grad("a*b*c", {"a": 2, "b": 3, "c": 5}, wrt=["c", "a"])
    assert list(result.gradient.items()) == [("c", 6.0), ("a", 15.0)]


def test_wrt_unknown_name_is_a_usage_error():
    with pytest.raises(ExprError) as caught:
        exprdiff.grad("a*b", {"a": 1, "b": 2}, wrt=["q"])
    assert caught.value.kind == "usage"
    assert "q" in caught.value.message


def test_to_dict_is_the_spec_json_shape():
    result = exprdiff.grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3})
    assert result.to_dict() == {
        "expression": "x1**2 + 3*(x2*x3 - x1**2)",
        "at": {"x1": 1.0, "x2": 2.0, "x3": 3.0},
        "value": 16.0,
        "gradient": {"x1": -4.0, "x2": 9.0, "x3": 6.0},
        "warnings": [],
    }


def test_value_only():
    assert exprdiff.compile("2*pi*r").value({"r": 1}) == pytest.approx(2 * math.pi)


def test_expression_without_variables():
    result = exprdiff.grad("2**10 - e", {})
    assert result.value == pytest.approx(1024 - math.e)
    assert result.gradient == {}


@pytest.mark.parametrize(
    ("text", "point", "fragment"),
    [
        ("log(x - 1)", {"x": 1}, "log is undefined at node z2 = log(x - 1)"),
        ("sqrt(x)", {"x": -4}, "sqrt is undefined"),
        ("x/y", {"x": 1, "y": 0}, "div is undefined"),
        ("asin(x)", {"x": 2}, "asin is undefined"),
        ("x**-1", {"x": 0}, "pow is undefined"),
        ("exp(x)", {"x": 1000}, "exp overflows"),
        ("sqrt(x)", {"x": 0}, "infinite or undefined slope"),
        ("(x - 3)**y", {"x": 1, "y": 2}, "negative base with a variable exponent"),
        ("x*y*1e300", {"x": 1e10, "y": 1e10}, "overflows"),
        ("acosh(x)", {"x": 1}, "infinite or undefined slope"),
    ],
)
def test_domain_errors_name_the_node_and_subexpression(text, point, fragment):
    with pytest.raises(ExprError) as caught:
        exprdiff.grad(text, point)
    error = caught.value
    assert error.kind == "domain"
    assert fragment in error.message
    assert error.node is not None and error.node in error.message
    assert error.exit_code == 1


def test_negative_base_with_constant_exponent_is_fine():
    result = exprdiff.grad("x**2 + x**3", {"x": -2})
    assert result.value == 4 - 8
    assert result.gradient == {"x": 2 * -2 + 3 * 4}


@pytest.mark.parametrize(
    ("text", "point", "used"),
    [("abs(x)", {"x": 0}, 0.0), ("relu(x)", {"x": 0}, 0.5),
     ("max(x, y)", {"x": 1, "y": 1}, 0.5), ("sign(x)", {"x": 0}, 0.0)],
)
def test_kinks_warn_and_report_what_they_used(text, point, used):
    result = exprdiff.grad(text, point)
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.node == "z1"
    assert warning.used[0] == used
    assert result.gradient["x"] == used
    assert "at node z1" in warning.message
    with pytest.raises(ExprError) as caught:
        exprdiff.grad(text, point, strict=True)
    assert caught.value.kind == "kink"


def test_no_warning_away_from_the_kink():
    assert exprdiff.grad("abs(x) + relu(x) + max(x, 0)", {"x": 0.5}).warnings == ()


def test_seed_002_kink_when_the_relu_argument_is_zero():
    result = exprdiff.grad("y - max(0, w*x + b)", {"y": 5, "w": 1, "x": 1, "b": -1})
    assert [w.op for w in result.warnings] == ["max"]
    assert result.to_dict()["warnings"][0]["one_sided"] == [[0.0, 1.0], [0.0, 1.0]]


def test_importing_exprdiff_and_a_gradient_do_not_import_sympy_or_numpy():
    code = ("import sys, exprdiff; exprdiff.grad('x*y', {'x': 1, 'y': 2}); "
            "print(sorted(m for m in ('sympy', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
