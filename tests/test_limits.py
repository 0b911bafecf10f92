"""Every resource bound of exprdiff/limits.py at the limit and just beyond, the deep and huge
inputs of issue 8 (each under a hard time bound, never a speed assertion), power towers, and
numerical honesty: no NaN or inf is ever reported as a value or a gradient.
"""

from __future__ import annotations

import json
import math

import pytest
from hostile import assert_api_clean, run_cli, time_limit

import exprdiff
from exprdiff.syntax import limits
from exprdiff.syntax.limits import Limits

BIG = 120.0  # seconds: a hang bound for the megabyte-sized inputs on a slow, busy machine


def refused(text: str, field: str, lim: Limits | None = None) -> exprdiff.ExprError:
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.compile(text, limits=lim)
    problem = caught.value
    assert problem.kind == "limit", problem.render()
    assert f"({field})" in problem.message, problem.message
    assert f"Limits({field}=N)" in (problem.hint or ""), problem.hint
    assert problem.exit_code == 2
    return problem


# ---- size ---------------------------------------------------------------------------------


def test_size_at_the_limit_is_accepted_and_one_more_is_refused():
    padding = " " * (limits.MAX_SIZE - 3)
    at_limit = "x+1" + padding
    assert len(at_limit) == limits.MAX_SIZE
    with time_limit(BIG, "1 MB of padding"):
        assert exprdiff.compile(at_limit).variables == ("x",)
        problem = refused(at_limit + " ", "max_size")
    assert "1,000,001 characters" in problem.message
    assert "--max-size" in (problem.hint or "")


def test_max_size_option_raises_the_limit():
    text = "x" + " " * limits.MAX_SIZE
    result = run_cli(["grad", "--at", "x=1", "--", text])
    assert result.exit_code == 2 and "max_size" in result.stderr and "--max-size" in result.stderr
    result = run_cli(["grad", "--at", "x=3", "--format", "json", "--max-size", "2000000", "--",
                      text])
    assert json.loads(result.stdout)["gradient"] == {"x": 1.0}
    result = run_cli(["grad", "--at", "x=1", "--max-size", "2", "--", "x+1"])
    assert result.exit_code == 2 and "limit of 2 (max_size)" in result.stderr


def test_a_real_megabyte_expression_is_handled():
    # ~500 000 nested parentheses: the largest nesting the default size allows
    depth = limits.MAX_SIZE // 2 - 1
    text = "(" * depth + "x" + ")" * depth
    with time_limit(BIG, "1 MB of parentheses"):
        result = exprdiff.grad(text, {"x": 2.0})
    assert result.gradient == {"x": 1.0}


# ---- nesting depth 100 000 ----------------------------------------------------------------

DEEP = 100_000


@pytest.mark.parametrize("shape", ["parens", "neg", "sin", "pow", "sub"])
def test_depth_100000(shape: str):
    text = {
        "parens": "(" * DEEP + "x" + ")" * DEEP,
        "neg": "-" * DEEP + "x",  # an even count: the value is x
        "sin": "sin(" * DEEP + "x" + ")" * DEEP,
        "pow": "x**" * DEEP + "x",
        "sub": "x-" * DEEP + "x",
    }[shape]
    point = {"x": 1.0 if shape == "pow" else 0.5}
    with time_limit(BIG, shape):
        result = exprdiff.grad(text, point)
    assert math.isfinite(result.value) and math.isfinite(result.gradient["x"])
    expected = {"parens": (0.5, 1.0), "neg": (0.5, 1.0), "pow": (1.0, 1.0),
                "sub": (0.5 - DEEP * 0.5, 1.0 - DEEP)}
    if shape in expected:
        assert (result.value, result.gradient["x"]) == expected[shape]
    else:  # sin∘…∘sin shrinks slowly towards 0; its derivative is the product of cosines
        assert 0 < result.value < 0.5 and 0 < result.gradient["x"] < 1


def test_depth_100000_through_the_cli():
    result = run_cli(["grad", "--format", "json", "--at", "x=0.5", "--",
                      "sin(" * DEEP + "x" + ")" * DEEP], seconds=BIG)
    assert 0 < json.loads(result.stdout)["value"] < 0.5


def test_deep_unclosed_input_is_a_parse_error():
    problem = assert_api_clean("(" * DEEP + "x", seconds=BIG)
    assert isinstance(problem, exprdiff.ExprError) and problem.kind == "parse"
    assert "never closed" in problem.message


# ---- identifiers and literals -------------------------------------------------------------


def test_identifier_at_the_limit_and_beyond():
    name = "a" * limits.MAX_IDENTIFIER
    assert exprdiff.grad(f"{name}*2", {name: 1.5}).gradient == {name: 2.0}
    problem = refused(f"1 + {name}b", "max_identifier")
    assert problem.column == 5 and "257 characters" in problem.message
    assert len(problem.render()) < 600  # the name is shortened, not echoed in full


def test_a_megabyte_identifier_is_refused_quickly_and_briefly():
    with time_limit(BIG, "1 MB name"):
        problem = refused("x" * limits.MAX_SIZE, "max_identifier")
    assert len(problem.render()) < 600


def test_literal_at_the_limit_and_beyond():
    at_limit = "1." + "0" * (limits.MAX_LITERAL - 2)
    assert exprdiff.grad(f"x*{at_limit}", {"x": 3}).value == 3.0
    problem = refused(f"x*{at_limit}0", "max_literal")
    assert problem.column == 3


def test_ten_thousand_digit_literals_are_refused():
    for text in ("9" * 10_000, "1." + "0" * 10_000, "0." + "0" * 9_999 + "1", "1" * 10_000 + "e5"):
        problem = refused(f"x + {text}", "max_literal")
        assert "10,0" in problem.message


def test_literals_are_floats_never_exact_integers():
    tape = exprdiff.compile("x + " + "9" * 300).tape
    assert all(type(value) is float for value in tape.constants)
    problem = assert_api_clean("x + " + "9" * 400)  # > 1.8e308 as a double
    assert isinstance(problem, exprdiff.ExprError) and "too large for a double" in problem.message


# ---- call arguments -----------------------------------------------------------------------


def test_arguments_at_the_limit_and_beyond():
    at_limit = "max(" + ",".join(f"x{i % 7}" for i in range(limits.MAX_ARGUMENTS)) + ")"
    assert exprdiff.grad(at_limit, {f"x{i}": float(i) for i in range(7)}).value == 6.0
    problem = refused("1 + " + at_limit[:-1] + ",y)", "max_arguments")
    assert problem.column == 5  # the call's name
    nested = "max(" + ",".join(["min(x,y)"] * 999) + ", hypot(x, y))"  # commas counted per call
    assert exprdiff.compile(nested).variables == ("x", "y")


# ---- variables ----------------------------------------------------------------------------


def test_100000_variables_at_the_limit_and_one_more_beyond():
    names = [f"v{i}" for i in range(limits.MAX_VARIABLES)]
    with time_limit(BIG, "100 000 variables"):
        compiled = exprdiff.compile("+".join(names))
        result = compiled.grad(dict.fromkeys(names, 2.0))
        assert result.value == 2.0 * limits.MAX_VARIABLES
        assert len(result.gradient) == limits.MAX_VARIABLES
        assert set(result.gradient.values()) == {1.0}
        with pytest.raises(exprdiff.ExprError) as caught:
            compiled.grad({"v0": 1.0, "w": 2.0})  # a typo among 100 000 names: a short message
        problem = refused("+".join([*names, "w"]), "max_variables")
    assert "100,001 distinct variables" in problem.message
    assert caught.value.kind == "usage" and "unknown variable 'w'" in caught.value.message
    assert len(caught.value.render()) < 1000 and "100,000 in all" in caught.value.render()


def test_custom_limits_are_honoured():
    tight = Limits(max_size=50, max_identifier=3, max_literal=4, max_arguments=2,
                   max_variables=2)
    assert exprdiff.compile("max(abc, 1.25) + xyz", limits=tight).variables == ("abc", "xyz")
    refused("abcd", "max_identifier", tight)
    refused("1.255", "max_literal", tight)
    refused("max(a, b, c)", "max_arguments", tight)
    refused("a + b + c", "max_variables", tight)
    refused("a" + " " * 50, "max_size", tight)


# ---- control characters -------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f",
                                  "\u202e", "\u2066", "\u200f", "\u061c"])
def test_control_characters_are_refused_and_shown_escaped(char: str):
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.compile(f"x\n + {char}y")
    problem = caught.value
    assert problem.kind == "parse" and problem.column == 6
    assert "line 2, column 4" in problem.message and f"U+{ord(char):04X}" in problem.message
    shown = problem.render()
    assert char not in shown and repr(char)[1:-1] in shown
    lines = shown.splitlines()
    assert lines[2].index("^") == lines[1].index("\\")  # the caret under the escape


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\r", "\x0c"])
def test_whitespace_is_not_a_control_character(space: str):
    assert exprdiff.grad(f"x{space}*{space}2", {"x": 1}).value == 2.0


def test_a_terminal_escape_in_a_point_name_is_not_echoed_raw():
    result = run_cli(["grad", "--at", "x=1,\x1b[2J=3", "--", "x"])
    assert result.exit_code == 2 and "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr


# ---- power towers and overflow ------------------------------------------------------------


@pytest.mark.parametrize("text", ["9**9**9**9", "9^9^9^9", "x**9**9**9", "2**2**2**2**2**2",
                                  "exp(exp(exp(10)))", "10**400 * x"])
def test_power_towers_end_in_an_overflow_error(text: str):
    with time_limit(5, text):
        problem = assert_api_clean(text, {"x": 2.0})
    assert isinstance(problem, exprdiff.ExprError), problem
    assert problem.kind == "domain" and "overflows" in problem.message, problem.message


def test_a_variable_power_tower_overflows_naming_the_node():
    with time_limit(5, "x**x**x**x"):
        problem = assert_api_clean("x**x**x**x", {"x": 9.0})
    assert isinstance(problem, exprdiff.ExprError)
    assert problem.kind == "domain" and "overflows at node z" in problem.message


# ---- numerical honesty --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "point", "node"), [
    ("exp(1000)", {}, None),
    ("exp(x)*0", {"x": 1000.0}, "z1"),
    ("exp(x)", {"x": 710.0}, "z1"),
    ("x*y", {"x": 1e200, "y": 1e200}, "z1"),
    ("cosh(x) - sinh(x)", {"x": 800.0}, "z1"),
    ("log(x)", {"x": 1e-320}, "z1"),  # a finite value, an infinite slope 1/x
    ("x**2 / x", {"x": 1e200}, "z1"),
])
def test_overflow_is_an_error_naming_the_node(text: str, point: dict[str, float],
                                              node: str | None):
    problem = assert_api_clean(text, point)
    assert isinstance(problem, exprdiff.ExprError), problem
    assert problem.kind == "domain"
    assert problem.node == node, problem.message
    if node is not None:
        assert f"node {node}" in problem.message
    args = ["grad", "--format", "json", "--", text]
    if point:
        args[3:3] = ["--at", ",".join(f"{k}={v!r}" for k, v in point.items())]
    result = run_cli(args)
    assert result.exit_code == 1 and "NaN" not in result.stdout and "Infinity" not in result.stdout


def test_the_largest_finite_results_are_reported():
    result = exprdiff.grad("exp(x)", {"x": 709.0})
    assert math.isfinite(result.value) and result.value == result.gradient["x"]


@pytest.mark.parametrize("value", [10**400, -(10**5000), "1e999"], ids=["1e400", "-1e5000", "text"])
def test_a_point_beyond_a_double_is_a_usage_error(value: object):
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.grad("x*2", {"x": value})
    assert caught.value.kind == "usage" and len(caught.value.render()) < 300


def test_a_batch_line_over_the_size_limit_names_what_works_in_a_batch():
    """A batch refuses --max-size, so its hint must not suggest it alone."""
    line = "x+" * 500_001 + "x ; x=1\n"
    result = run_cli(["grad", "-", "--format", "jsonl"], stdin=line, batch=True)
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "limit" and "a batch line keeps this limit" in error["hint"]
