"""--data (issue 16): the training-set loss of seed 001, ℒ(w) = (1/ℓ) Σᵢ L(f(xᵢ, w), yᵢ), over
the network of seed 000, swept by the many-points engine; hand-checked against per-row
gradients and SymPy."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_programs import NETWORK

import exprdiff
from exprdiff.cli import main

np = pytest.importorskip("numpy")
from exprdiff.vector.dataset import read_rows, reduce_rows  # noqa: E402

WEIGHTS = {"w11": 0.5, "w12": -0.25, "b1": 0.1, "w21": -0.3, "w22": 0.8, "b2": 0, "v1": 1.5,
           "v2": -2, "c": 0.2}
ROWS = [(1, 2, 1), (0.5, -1, 0), (-1, 1, 2), (2, 0.5, -1)]  # (x1, x2, y)
WEIGHTS_ARG = ",".join(f"{k}={v}" for k, v in WEIGHTS.items())


@pytest.fixture
def rows_csv(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("x1,x2,y\n" + "".join(f"{a},{b},{y}\n" for a, b, y in ROWS),
                    encoding="utf-8")
    return path


def test_the_mean_is_the_mean_of_the_rows_and_sympys(rows_csv):
    compiled = exprdiff.compile(NETWORK)
    rows = read_rows(rows_csv.read_text(encoding="utf-8"), "rows.csv", compiled.variables)
    reduced = reduce_rows(compiled, rows, WEIGHTS)
    per_row = [compiled.grad({**WEIGHTS, "x1": a, "x2": b, "y": y}) for a, b, y in ROWS]
    assert math.isclose(reduced.value, sum(r.value for r in per_row) / 4, rel_tol=1e-12)
    for name in WEIGHTS:
        mean = sum(r.gradient[name] for r in per_row) / 4
        assert math.isclose(reduced.gradient[name], mean, rel_tol=1e-12, abs_tol=1e-15), name
    sp = pytest.importorskip("sympy")
    from exprdiff.oracle.symbolic import to_sympy

    loss, symbols = to_sympy(exprdiff.compile(NETWORK, tree=True).tree)
    total = sum(loss.subs({symbols["x1"]: sp.nsimplify(a), symbols["x2"]: sp.nsimplify(b),
                           symbols["y"]: sp.nsimplify(y)}) for a, b, y in ROWS) / 4
    at = {symbols[n]: sp.nsimplify(v) for n, v in WEIGHTS.items()}
    for name in WEIGHTS:
        exact = float(sp.diff(total, symbols[name]).subs(at))
        assert math.isclose(reduced.gradient[name], exact, rel_tol=1e-12, abs_tol=1e-15), name


def test_data_on_the_command_line(rows_csv):
    done = CliRunner().invoke(main, ["grad", NETWORK, "--data", str(rows_csv), "--at",
                                     WEIGHTS_ARG, "--format", "json", "--reduce", "sum"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["rows"] == 4 and data["reduce"] == "sum" and data["failed_rows"] == 0
    assert math.isclose(data["value"], 4 * 4.35767578125, rel_tol=1e-12)


def test_a_failing_row_is_left_out_and_named(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n1,2\n-1,3\n2,4\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["grad", "L = log(x)*w + y", "--data", str(path), "--at",
                                     "w=2", "--format", "json"])
    assert done.exit_code == 1
    data = json.loads(done.stdout)
    assert data["rows"] == 2 and data["failed"][0]["row"] == 2
    assert math.isclose(data["value"], (2 + math.log(2) * 2 + 4) / 2, rel_tol=1e-12)
    assert "row 2 of" in done.stderr and "left out" in done.stderr


def test_a_bad_cell_names_its_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n1,2\n1,oops\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["grad", "L = x*w + y", "--data", str(path), "--at", "w=2"])
    assert done.exit_code == 2 and "row 2" in done.stderr and "oops" in done.stderr


def test_100000_rows_are_at_least_20_times_faster_than_a_loop():
    compiled = exprdiff.compile(NETWORK)
    rng = np.random.default_rng(16)
    count = 100_000
    rows = {"x1": rng.normal(size=count), "x2": rng.normal(size=count),
            "y": rng.normal(size=count)}
    started = time.perf_counter()
    reduce_rows(compiled, rows, WEIGHTS)
    swept = time.perf_counter() - started
    sample = 2_000  # the loop on a sample, scaled to every row
    started = time.perf_counter()
    for k in range(sample):
        compiled.grad({**WEIGHTS, "x1": rows["x1"][k], "x2": rows["x2"][k], "y": rows["y"][k]})
    looped = (time.perf_counter() - started) * count / sample
    assert looped / swept >= 20, f"{looped:.2f} s looped, {swept:.3f} s swept"


def test_steps_show_one_rows_tables_then_the_mean(rows_csv):
    done = CliRunner(env={"COLUMNS": "100"}).invoke(main, [
        "grad", NETWORK, "--data", str(rows_csv), "--at", WEIGHTS_ARG, "--wrt", "w11,c",
        "--steps", "--row", "2"])
    assert done.exit_code == 0, done.output
    text = done.stdout
    assert text.index("row 2 of") < text.index("Backward sweep") < text.index("ℒ = mean of L")
    # row 2 = (0.5, -1, 0): h1 = 0.6, h2 = 0, yhat = 1.1, so ∂L/∂c = yhat - y = 1.1
    assert "∂L/∂c       1.1" in text
