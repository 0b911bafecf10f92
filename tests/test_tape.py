"""Lowering to the tape: shared subexpressions, folded constants, printed form, deep input."""

from __future__ import annotations

import math

import pytest

import exprdiff
from exprdiff.tape import CONSTANT, INPUT, OPERATION


def tape_of(text: str):
    return exprdiff.compile(text).tape


def test_seed_001_lowers_to_five_operations_with_x1_squared_shared():
    tape = tape_of("x1**2 + 3*(x2*x3 - x1**2)")
    assert len(tape.program) == 5
    assert str(tape) == "\n".join([
        "z1 = x1**2",
        "z2 = x2*x3",
        "z3 = z2 - z1",
        "z4 = 3*z3",
        "z5 = z1 + z4",
    ])
    z1 = tape.labels.index("z1")
    consumers = tape.consumers()[z1]
    assert sorted(tape.labels[c] for c in consumers) == ["z3", "z5"]
    assert tape.labels[tape.output] == "z5"


def test_seed_002_lowering_matches_the_seed_table():
    tape = tape_of("y - max(0, w*x + b)")
    assert str(tape).splitlines() == ["z1 = w*x", "z2 = z1 + b", "z3 = max(0, z2)",
                                      "z4 = y - z3"]
    assert tape.variables == ("y", "w", "x", "b")


def test_subexpressions_print_in_source_syntax():
    tape = tape_of("x1**2 + 3*(x2*x3 - x1**2)")
    texts = [tape.expression(i) for i in tape.operations]
    assert texts == ["x1**2", "x2*x3", "x2*x3 - x1**2", "3*(x2*x3 - x1**2)",
                     "x1**2 + 3*(x2*x3 - x1**2)"]


@pytest.mark.parametrize(
    "text",
    ["-x**2", "(-x)**2", "a - (b - c)", "a/(b*c)", "(a + b)*c", "a**b**c", "(a**b)**c",
     "2**-x", "-(a*b)", "a - -b", "max(a, b, c) + min(a, b)*log(a, 2)"],
)
def test_printed_expression_parses_back_to_the_same_tape(text):
    tape = tape_of(text)
    printed = tape.expression(tape.output)
    again = tape_of(printed)
    assert str(again) == str(tape)
    assert again.expression(again.output) == printed


def test_constant_subtrees_fold_into_one_node():
    tape = tape_of("2*pi*r + sqrt(16)/4")
    assert str(tape).splitlines() == ["z1 = 6.283185307179586*r", "z2 = z1 + 1"]
    kinds = [tape.kinds[i] for i in range(len(tape))]
    assert kinds.count(OPERATION) == 2 and kinds.count(INPUT) == 1
    first, second = tape.args[tape.output]  # z1 + 1: sqrt(16)/4 folded into one constant
    assert tape.kinds[first] == OPERATION and tape.labels[first] == "z1"
    assert tape.kinds[second] == CONSTANT and tape.constants[second] == 1.0


def test_constant_domain_error_is_reported_at_compile_time():
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.compile("x + log(-1)")
    assert caught.value.kind == "domain"
    assert "log(-1)" in caught.value.message
    assert caught.value.column == 5


def test_repeated_variables_are_one_input():
    tape = tape_of("x*x + x")
    assert tape.variables == ("x",)
    assert exprdiff.grad("x*x + x", {"x": 3}).gradient == {"x": 7.0}


def test_long_subexpressions_are_elided_in_the_middle():
    text = " + ".join(f"x{i}" for i in range(200))
    tape = tape_of(text)
    short = tape.expression(tape.output, width=40)
    assert len(short) <= 40
    assert short.startswith("x0 + x1") and short.endswith("x198 + x199") and "…" in short
    assert tape.expression(tape.output) == text


def test_depth_100000_parentheses():
    depth = 100_000
    result = exprdiff.grad("(" * depth + "x" + ")" * depth + "**2", {"x": 3})
    assert result.value == 9.0
    assert result.gradient == {"x": 6.0}


def test_10000_nested_calls():
    depth = 10_000
    result = exprdiff.grad("sin(" * depth + "x" + ")" * depth, {"x": 0.5})
    value, slope = 0.5, 1.0
    for _ in range(depth):  # the chain rule by hand: d sin(u) = cos(u) du
        value, slope = math.sin(value), slope * math.cos(value)
    assert result.value == pytest.approx(value, rel=1e-12)
    assert result.gradient["x"] == pytest.approx(slope, rel=1e-9)


def test_deep_unary_minus_and_powers():
    depth = 50_000
    result = exprdiff.grad("-" * depth + "x", {"x": 2})
    assert result.value == 2.0 * (-1) ** depth
    tower = "x" + "**1" * 20_000
    assert exprdiff.grad(tower, {"x": 3}).gradient == {"x": 1.0}


def test_deep_error_message_is_short():
    depth = 20_000
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.grad("log(" * depth + "x" + ")" * depth, {"x": 0.5})
    assert caught.value.kind == "domain"
    assert len(caught.value.message) < 400


def test_a_warning_per_kink_of_a_deep_chain_costs_the_tape_once():
    from hostile import time_limit

    depth = 20_000  # abs(abs(…(x)…)) at 0: a kink warning naming each node's subexpression
    text = "abs(" * depth + "x" + ")" * depth
    with time_limit(30, "20 000 kink warnings"):  # each walked its whole subtree: > 120 s
        result = exprdiff.grad(text, {"x": 0.0})
    assert len(result.warnings) == depth
    tape = result.tape
    for warning in (result.warnings[0], result.warnings[-1]):
        i = tape.labels.index(warning.node)
        assert warning.expression == tape.expression(i, width=60)
        full = tape.expression(i)
        assert len(full) <= 60 or warning.expression == full[:29] + "…" + full[-30:]
