"""Forward mode (modes/tangent.py): the tangent sweep against reverse mode and by hand."""

from __future__ import annotations

import math

import pytest
from conftest import missing_tool
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


# ---- the tangent tables: hand-worked golden files in the four step formats -----------------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import make_golden  # noqa: E402

FORWARD_CASES = sorted(make_golden.forward_files().items())


@pytest.mark.parametrize(("path", "text"), FORWARD_CASES, ids=[p.name for p, _ in FORWARD_CASES])
def test_forward_golden_files(path, text):
    assert path.exists(), f"{path} is missing: run python tests/golden/make_golden.py"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, rerun tests/golden/make_golden.py "
        "and read the new file")


def test_the_golden_tangents_are_the_hand_worked_ones():
    """Seed 001 by hand: along ẋ1 = 1 the tangents z1…z5 are 2, 0, -2, -6, -4; along ẋ2 = 1
    they are 0, 3, 3, 9, 9 (∂f/∂x1 = -4, ∂f/∂x2 = 9)."""
    for name, expected in (("seed001-x1", [2, 0, -2, -6, -4]), ("seed001-x2", [0, 3, 3, 9, 9])):
        data = __import__("json").loads(
            (make_golden.FORWARD / f"{name}.json").read_text(encoding="utf-8"))
        rows = {row["node"]: row["tangent"] for row in data["tangents"][0]["rows"]}
        assert [rows[f"z{k}"] for k in range(1, 6)] == expected
        assert data["derivative"] == expected[-1]


def test_forward_latex_compiles(tmp_path):
    import shutil
    import subprocess

    engine = shutil.which("pdflatex")
    if engine is None:
        missing_tool("no pdflatex (.ci/run installs texlive-latex-base as root)")
    bodies = [p.read_text(encoding="utf-8") for p, _ in FORWARD_CASES if p.suffix == ".tex"]
    kink = make_golden.run(["abs(x)*y", "--at", "x=0,y=2", "--direction", "x=-1"], "latex")
    document = "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,longtable}",
                          r"\begin{document}", *bodies, kink, r"\end{document}"])
    (tmp_path / "forward.tex").write_text(document, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "forward.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]


def test_forward_mode_takes_partials_below_the_normal_range_from_the_scaled_rows():
    """x**2 at 5e-324: the partial 2x is subnormal (the rows say UNDERFLOW); forward mode takes
    it from the row's scaled form, as the careful reverse sweep does (found by the Hessian's
    random programs)."""
    compiled = exprdiff.compile("s0 = log(1 + x**2)*x; L = x + s0")
    assert compiled.forward_gradient({"x": 5e-324}).gradient == {"x": 1.0}
    assert exprdiff.compile("x**2").forward_gradient({"x": 1e-200}).gradient == {"x": 2e-200}


def test_forward_mode_says_so_where_a_tangent_leaves_the_doubles():
    """tanh'(400)·exp(700) is a normal double, but its first factor (1e-347) is not: reverse
    mode carries it edge by edge; forward mode refuses rather than give a false 0."""
    compiled = exprdiff.compile("tanh(x)*exp(y)")
    point = {"x": 400.0, "y": 700.0}
    assert compiled.grad(point).gradient["x"] > 0
    with pytest.raises(exprdiff.ExprError, match="forward mode cannot carry"):
        compiled.forward_gradient(point)
