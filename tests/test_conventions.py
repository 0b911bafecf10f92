"""`grad --conventions`: what PyTorch, JAX and SymPy return at kinks and jumps (issue 18).

The PyTorch and JAX columns restate their documented rules (docs/oracle.md cites each); the
SymPy column is checked here against SymPy itself, through the oracle's own translation.
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from exprdiff.cli.commands import main
from exprdiff.conventions import RULES, TOOLS
from exprdiff.ops import FUNCTIONS, OPERATORS, lookup

#: (expression, point): one call of a primitive at one of its special points.
SPECIAL = [
    ("abs(x)", {"x": 0.0}),
    ("relu(x)", {"x": 0.0}),
    ("sign(x)", {"x": 0.0}),
    ("max(x, y)", {"x": 0.0, "y": 0.0}),
    ("max(x, y, z)", {"x": 1.0, "y": 1.0, "z": 1.0}),
    ("max(x, y, z)", {"x": 2.0, "y": 2.0, "z": -1.0}),
    ("min(x, y)", {"x": -1.5, "y": -1.5}),
    ("min(x, y, z)", {"x": 1.0, "y": 1.0, "z": 1.0}),
    ("clamp(x, lo, hi)", {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clamp(x, lo, hi)", {"x": 1.0, "lo": 0.0, "hi": 1.0}),
    ("hypot(x, y)", {"x": 0.0, "y": 0.0}),
    ("atan2(y, x)", {"y": 0.0, "x": -1.0}),
    ("atan2(y, x)", {"y": -0.0, "x": -2.0}),
]


def run(*args: str):
    return CliRunner().invoke(main, ["--no-color", "grad", *args])


def conventions(text: str, point: dict[str, float]) -> list[dict]:
    at = ",".join(f"{k}={v!r}" for k, v in point.items())
    done = run(text, "--at", at, "--conventions", "--format", "json")
    assert done.exit_code == 0, done.output
    (only,) = json.loads(done.output)["points"]
    return only["conventions"]


def test_every_primitive_with_a_kink_has_its_conventions():
    kinked = {name for name in (*OPERATORS, *FUNCTIONS) if lookup(name).kink is not None}
    assert kinked == set(RULES)


@pytest.mark.parametrize(("text", "column", "expected"), [
    ("abs(x)", "exprdiff", [0.0]), ("abs(x)", "pytorch", [0.0]), ("abs(x)", "jax", [1.0]),
    ("abs(x)", "sympy", [0.0]), ("abs(x)", "left", [-1.0]), ("abs(x)", "right", [1.0]),
    ("relu(x)", "pytorch", [0.0]), ("relu(x)", "jax", [0.0]), ("relu(x)", "sympy", [0.5]),
    ("max(x, y)", "pytorch", [0.5, 0.5]), ("max(x, y)", "jax", [0.5, 0.5]),
    ("max(x, y)", "exprdiff", [0.5, 0.5]),
])
def test_the_hand_checked_columns(text, column, expected):
    point = {"x": 0.0, "y": 0.0} if "y" in text else {"x": 0.0}
    assert [r[column] for r in conventions(text, point)] == expected


def test_atan2_on_its_branch_cut_every_tool_differentiates_the_formula():
    rows = conventions("atan2(y, x)", {"y": 0.0, "x": -2.0})
    assert [r["kind"] for r in rows] == ["jump", "jump"]
    for tool in ("exprdiff", "pytorch", "jax", "sympy"):
        assert [r[tool] for r in rows] == [-0.5, 0.0], tool
    assert rows[0]["left"] is None and rows[0]["right"] is None  # the value jumps by 2π


@pytest.mark.parametrize(("text", "point"), SPECIAL)
def test_the_sympy_column_is_what_sympy_says(text, point):
    sp = pytest.importorskip("sympy")
    from exprdiff.oracle.symbolic import derivative, evaluate, to_sympy
    from exprdiff.syntax import parser

    expr, symbols = to_sympy(parser.parse(text))
    subs = {symbols[n]: sp.Float(v, 40) for n, v in point.items()}
    rows = conventions(text, point)
    assert rows, f"{text} at {point} meets no kink"
    for row in rows:
        value, _ = evaluate(sp, derivative(sp, expr, symbols[row["operand"]]), subs)
        claimed = row["sympy"]
        if value is None or math.isnan(value):
            assert claimed in (None, "nan"), (row, value)  # JSON writes 0/0 as "nan"
        else:
            assert claimed == value, (row, value)


@pytest.mark.parametrize(("text", "point"), SPECIAL)
def test_every_tool_has_a_column_for_every_argument(text, point):
    for row in conventions(text, point):
        assert set(TOOLS) <= {k.replace("pytorch", "PyTorch").replace("jax", "JAX")
                              .replace("sympy", "SymPy") for k in row}
        assert row["operand"] in point


def test_the_table_has_the_four_columns_and_the_reason():
    done = run("abs(x) + relu(x)", "--at", "x=0", "--conventions")
    assert done.exit_code == 0, done.output
    for word in ("exprdiff", "PyTorch", "JAX", "SymPy", "abs has a corner at 0", "relu"):
        assert word in done.output


def test_markdown_is_a_table():
    done = run("max(x, y)", "--at", "x=1,y=1", "--conventions", "--format", "markdown")
    assert done.exit_code == 0, done.output
    assert "| node | argument | left | right | exprdiff | PyTorch | JAX | SymPy |" in done.output
    assert "| `z1 = max(x, y)` | 1: x | 0 | 1 | 0.5 | 0.5 | 0.5 | 0.5 |" in done.output


def test_a_smooth_point_says_that_every_tool_agrees():
    done = run("abs(x)", "--at", "x=2", "--conventions")
    assert done.exit_code == 0 and "no kink or jump here" in done.output


def test_a_point_where_the_gradient_does_not_exist_is_reported_exit_1():
    done = run("atan2(y, x)", "--at", "x=0,y=0", "--at", "x=-1,y=0", "--conventions")
    assert done.exit_code == 1
    assert "infinite or undefined slope" in done.output and "branch cut" in done.output


@pytest.mark.parametrize("extra", [["--steps"], ["--check"], ["--mode", "forward"],
                                   ["--wrt", "x"], ["--format", "csv"]])
def test_options_that_do_not_fit_are_usage_errors(extra):
    done = run("abs(x)", "--at", "x=0", "--conventions", *extra)
    assert done.exit_code == 2, done.output
    assert "--conventions" in done.output


def test_a_batch_refuses_it():
    done = CliRunner().invoke(main, ["grad", "-", "--conventions"], input="abs(x) ; x=0\n")
    assert done.exit_code == 2 and "--conventions" in done.output
