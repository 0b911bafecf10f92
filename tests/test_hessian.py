"""The Hessian and H·v (modes/hessian.py, `exprdiff hessian`): hand-worked values in every
format, golden files, kinks, errors, H·v against the full Hessian."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, seed, settings
from strategies import cases

import exprdiff
from exprdiff.cli import main

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import make_golden  # noqa: E402

ROSENBROCK = make_golden.ROSENBROCK
#: By hand: H = [[2 - 400(y - x²) + 800x², -400x], [-400x, 200]].
HAND = {"x=1,y=1": [[802, -400], [-400, 200]], "x=-1.2,y=1": [[1330, 480], [480, 200]]}


def invoke(*args: str):
    return CliRunner().invoke(main, ["--no-color", *args], catch_exceptions=False)


@pytest.mark.parametrize("at", HAND)
def test_rosenbrock_by_hand_in_the_api(at: str) -> None:
    point = dict((k, float(v)) for k, v in (p.split("=") for p in at.split(",")))
    result = exprdiff.hessian(ROSENBROCK, point)
    assert result.variables == ("x", "y")
    assert [list(row) for row in result.hessian] == HAND[at]
    assert not result.warnings


@pytest.mark.parametrize("at", HAND)
@pytest.mark.parametrize("output", ["json", "csv", "table", "markdown", "latex"])
def test_rosenbrock_by_hand_in_every_format(at: str, output: str) -> None:
    done = invoke("hessian", ROSENBROCK, "--at", at, "--format", output)
    assert done.exit_code == 0, done.output
    expected = HAND[at]
    if output == "json":
        data = json.loads(done.stdout)
        assert data["variables"] == ["x", "y"] and data["hessian"] == expected
        assert set(data) >= {"value", "gradient"}
    elif output == "csv":
        rows = list(csv.reader(io.StringIO(done.stdout)))
        assert rows[0] == ["variable", "x", "y"]
        assert [[float(c) for c in row[1:]] for row in rows[1:]] == expected
    else:
        numbers = [str(v) for row in expected for v in row]
        text = done.stdout
        for number in numbers:  # every entry printed, row by row
            position = text.find(number)
            assert position >= 0, (number, text)
            text = text[position + len(number):]


HESSIAN_FILES = sorted(make_golden.hessian_files().items())


@pytest.mark.parametrize(("path", "text"), HESSIAN_FILES, ids=[p.name for p, _ in HESSIAN_FILES])
def test_hessian_golden_files(path: Path, text: str) -> None:
    assert path.exists(), f"{path} is missing: run python tests/golden/make_golden.py"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, rerun tests/golden/make_golden.py "
        "and read the new file")


@pytest.mark.parametrize("at", HAND)
def test_rosenbrock_check_passes(at: str) -> None:
    done = invoke("hessian", ROSENBROCK, "--at", at, "--check", "--format", "json")
    assert done.exit_code == 0, done.output
    check = json.loads(done.stdout)["check"]
    assert check["ok"] and len(check["entries"]) == 4
    assert all(e["sympy"] is not None and e["finite_difference"] is not None
               for e in check["entries"])


def test_check_fails_on_a_wrong_second_partial(monkeypatch: pytest.MonkeyPatch) -> None:
    from exprdiff import ops

    wrong = ops.lookup("sin").replace(second=lambda out, x: ((out,),))  # sin'' = -sin
    monkeypatch.setattr(ops, "FUNCTIONS", {**ops.FUNCTIONS, "sin": wrong})
    done = invoke("hessian", "sin(x)*y", "--at", "x=1,y=2", "--check")
    assert done.exit_code == 1, done.output
    assert "check FAILED: ∂²f/∂x∂x = 1.682941969615793: SymPy gives -1.68294196961579" in (
        done.stdout)


def test_wrt_picks_and_orders() -> None:
    result = exprdiff.compile("x*y*z + sin(x)").hessian({"x": 1, "y": 2, "z": 3}, wrt=["z", "x"])
    assert result.variables == ("z", "x")
    assert result.hessian == ((0.0, 2.0), (2.0, -0.8414709848078965))


@pytest.mark.parametrize(("args", "message"), [
    (["x*y", "--at", "x=1,y=2", "--wrt", "q"], "--wrt names 'q', which is not a variable"),
    (["x*y"], "no point given: add --at x=1,y=1"),
    (["x*y", "--at", "x=1,y=abc"], "the value of y must be a number"),
    (["x*y", "--at", "x=1,y=2", "--times", "q=1"], "the direction names 'q'"),
    (["x*y", "--at", "x=1,y=2", "--times", "x=1", "--wrt", "x"], "--wrt does not work with"),
    (["x*", "--at", "x=1"], "error:"),
])
def test_usage_errors_are_worded_like_grads(args: list[str], message: str) -> None:
    done = invoke("hessian", *args)
    assert done.exit_code == 2
    assert message in done.stderr and "Traceback" not in done.output


def test_an_infinite_second_partial_names_its_node() -> None:
    done = invoke("hessian", "x**1.5 + y", "--at", "x=0,y=1")
    assert done.exit_code == 1
    assert "pow has no finite second derivative at node z1 = x**1.5, where x = 0" in done.stderr


@pytest.mark.parametrize(("text", "at", "op"), [
    ("relu(x)*y", {"x": 0, "y": 2}, "relu''"), ("abs(x) + x*y", {"x": 0, "y": 1}, "abs''"),
    ("max(x, y)**2", {"x": 1, "y": 1}, "the second partials of max"),
    ("sign(x)*y", {"x": 0, "y": 1}, "sign''"),
])
def test_a_kink_met_in_second_order_is_a_warning_naming_the_node(text, at, op) -> None:
    result = exprdiff.hessian(text, at)
    messages = [w.message for w in result.warnings]
    assert len(messages) == 1 and op in messages[0] and "at node z" in messages[0], messages
    with pytest.raises(exprdiff.ExprError):
        exprdiff.hessian(text, at, strict=True)


def test_relu_at_zero_by_hand() -> None:
    # f = relu(x)·y: ∂f/∂x = relu'(x)·y (0.5·y at 0), ∂²f/∂x∂y = relu'(0) = 0.5, relu'' := 0
    assert exprdiff.hessian("relu(x)*y", {"x": 0, "y": 2}).hessian == ((0.0, 0.5), (0.5, 0.0))


def test_the_table_fits_80_columns() -> None:
    names = [f"x{k}" for k in range(1, 13)]
    text = " + ".join(f"sin({a}*{b})" for a in names for b in names if a < b)
    at = ",".join(f"{n}=0.{k + 1}" for k, n in enumerate(names))
    done = invoke("hessian", text, "--at", at)
    assert done.exit_code == 0
    matrix = done.stdout.split("\nHessian\n")[1]
    assert max(len(line) for line in matrix.splitlines()) <= 80
    assert all(n in matrix for n in names)


@seed(17)
@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_depth=5, max_variables=4))
def test_hvp_is_the_hessian_times_the_direction(case) -> None:
    text, point, _ = case
    compiled = exprdiff.compile(text)
    full = compiled.hessian(point)
    direction = {n: (-1.0) ** k * (k + 0.5) for k, n in enumerate(full.variables)}
    product = compiled.hvp(point, direction).hvp
    for r, name in enumerate(full.variables):
        expected = sum(h * direction[m] for h, m in zip(full.hessian[r], full.variables,
                                                        strict=True))
        scale = sum(abs(h * direction[m]) for h, m in zip(full.hessian[r], full.variables,
                                                          strict=True))
        assert abs(product[name] - expected) <= 1e-12 * max(scale, 1e-300), (text, point, name)


@seed(18)
@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_depth=5, max_variables=4))
def test_the_lean_sweep_is_the_general_one(case) -> None:
    """modes/hvp.py (the cheap rules written out) against modes/hessian.py (every rule asked
    of the table): the same formulas, so the same numbers to rounding."""
    from exprdiff.forward import forward
    from exprdiff.modes import hessian, hvp
    from exprdiff.reverse import reverse

    text, point, _ = case
    tape = exprdiff.compile(text).tape
    values = forward(tape, [point[n] for n in tape.variables])
    adjoint = reverse(tape, values)
    direction = [(-1.0) ** k * (k + 0.5) for k in range(len(tape.variables))]
    lean = hvp.product(tape, values, adjoint, direction)
    general = hessian.product(tape, hessian.Locals(tape, values), adjoint, direction)
    assert lean is not None
    for a, b in zip(lean, general, strict=True):
        # relative, absolute below 1e-2: an exact 0 comes out as a residue of either order
        assert abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-2), (text, point, lean, general)


@pytest.mark.parametrize("output", ["table", "json", "csv", "markdown", "latex"])
def test_an_expression_without_variables_has_an_empty_hessian(output: str) -> None:
    done = invoke("hessian", "2 + 3", "--format", output)
    assert done.exit_code == 0, done.output
    if output == "json":
        assert json.loads(done.stdout)["hessian"] == []
    elif output != "csv":
        assert "no second partials" in done.stdout


def test_several_points_give_several_records() -> None:
    done = invoke("hessian", "x**3*y", "--at", "x=1,y=2", "--at", "x=2,y=1", "--format", "json")
    assert done.exit_code == 0, done.output
    # H = [[6xy, 3x²], [3x², 0]]
    assert [r["hessian"] for r in json.loads(done.stdout)] == [[[12, 3], [3, 0]],
                                                              [[12, 12], [12, 0]]]
