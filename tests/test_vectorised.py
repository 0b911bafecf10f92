"""The NumPy sweep over many points agrees with the scalar sweep, row by row."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

import exprdiff
from exprdiff import ops
from exprdiff.cli.commands import main

np = pytest.importorskip("numpy", reason="numpy is needed for the vectorised path")

#: Points inside every op's domain, away from kinks: x in (0.1, 0.9), y in (1.2, 2.5).
_NAMES = ("a", "b", "c")


def _call_case(op: ops.Op) -> tuple[str, dict[str, tuple[float, float]]]:
    """`op` on a, b, c, each drawn from the row's sample interval for its argument (ops.py)."""
    names = _NAMES[: op.arity[0]]
    if op.infix is not None:
        text = f"-{names[0]}" if op.name == "neg" else f"a {op.infix} b"
    else:
        text = f"{op.name}({', '.join(names)})"
    return text, {name: op.interval(k) for k, name in enumerate(names)}


_CASES = dict(_call_case(op) for op in ops.TABLE)
_SEEDS = {"x1**2 + 3*(x2*x3 - x1**2)": {},
          "sin(x*y)*exp(-x) + log(y, 2) - atan2(y, x)*tanh(x - y)": {"y": (1.2, 2.5)}}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14)


@pytest.mark.parametrize("text", [*_CASES, *_SEEDS])
def test_every_row_matches_the_scalar_sweep(text: str) -> None:
    compiled = exprdiff.compile(text)
    rng = np.random.default_rng(7)
    rows = 50
    arrays = {}
    intervals = _CASES.get(text) or _SEEDS[text]
    for name in compiled.variables:
        low, high = intervals.get(name, (0.1, 0.9))
        arrays[name] = rng.uniform(low, high, rows)
    batch = compiled.grad(arrays)
    assert len(batch) == rows
    assert not batch.errors, batch.errors
    for row in range(rows):
        point = {name: float(arrays[name][row]) for name in compiled.variables}
        scalar = compiled.grad(point)
        assert _close(batch.value[row], scalar.value), (text, point, batch.value[row],
                                                        scalar.value)
        for name, partial in scalar.gradient.items():
            got = batch.gradient[name][row]
            assert _close(got, partial), (text, point, name, got, partial)


def test_domain_errors_and_kinks_are_reported_per_row() -> None:
    compiled = exprdiff.compile("sqrt(x) + abs(y - 1) + max(x, y)")
    batch = compiled.grad_points({"x": [4.0, -1.0, 2.0, 3.0], "y": [2.0, 2.0, 1.0, 3.0]})
    assert sorted(batch.errors) == [1]
    assert batch.errors[1].kind == "domain"
    assert "sqrt" in batch.errors[1].message and "x = -1" in batch.errors[1].message
    assert math.isnan(batch.value[1])
    assert sorted(batch.warnings) == [2, 3]
    assert batch.warnings[2][0].op == "abs"
    assert batch.warnings[3][0].op == "max"
    # The warned rows carry the scalar path's conventions: abs'(0) = 0, a tie shares 1/2.
    assert batch.gradient["y"][2] == exprdiff.grad("sqrt(x) + abs(y - 1) + max(x, y)",
                                                   {"x": 2, "y": 1}).gradient["y"]
    assert batch.gradient["x"][3] == pytest.approx(1 / (2 * math.sqrt(3)) + 0.5)
    assert batch.record(1)["error"]["kind"] == "domain"
    assert batch.record(0)["value"] == pytest.approx(2 + 1 + 4)  # sqrt(4) + |1| + max(4, 2)


@pytest.mark.parametrize("chunk", [1, 2, 3, 4096])
@pytest.mark.parametrize("wrt", [None, ["y"], ["y", "x"]])
def test_records_are_every_rows_record_across_chunks(chunk, wrt) -> None:
    """Batch.records() (what --points writes) gives record(row) for every row, in order."""
    compiled = exprdiff.compile("sqrt(x) + abs(y - 1) + max(x, y)")
    batch = compiled.grad_points({"x": [4.0, -1.0, 2.0, 3.0, 0.5], "y": [2.0, 2.0, 1.0, 3.0, 7.0]},
                                 wrt=wrt)
    records = list(batch.records(chunk))
    assert records == [batch.record(row) for row in range(len(batch))]
    assert [("error" in r, bool(r.get("warnings"))) for r in records] == [
        (False, False), (True, False), (False, True), (False, True), (False, False)]
    assert all(list(r["gradient"]) == (wrt or ["x", "y"]) for r in records if "error" not in r)
    empty = exprdiff.compile("2*x").grad_points({"x": np.zeros(0)})
    assert list(empty.records()) == []
    constant = exprdiff.compile("x").grad_points({"x": [1.0, 2.0]}, wrt=[])
    assert list(constant.records(1)) == [constant.record(0), constant.record(1)]


def test_records_carry_the_point_and_take_the_rows_numbers() -> None:
    """Each record holds its point (`at`, as a batch record does); `numbers` renumbers the rows
    (a block of a --points file gives its own), errors and warnings included."""
    compiled = exprdiff.compile("sqrt(x) + abs(y)")
    batch = compiled.grad_points({"y": [2.0, 0.0, 1.0], "x": [4.0, 1.0, -1.0]}, wrt=["y"])
    records = list(batch.records(2, numbers=[7, 9, 12]))
    assert [r["row"] for r in records] == [7, 9, 12]
    assert [r["at"] for r in records] == [{"x": 4.0, "y": 2.0}, {"x": 1.0, "y": 0.0},
                                          {"x": -1.0, "y": 1.0}]
    assert records[0] == {"row": 7, "at": {"x": 4.0, "y": 2.0}, "value": 4.0,
                          "gradient": {"y": 1.0}, "warnings": []}
    assert records[1]["warnings"][0]["op"] == "abs" and records[2]["error"]["kind"] == "domain"
    assert [dict(r, row=k + 1) for k, r in enumerate(records)] == [
        batch.record(k) for k in range(3)]


def test_strict_turns_kink_rows_into_errors() -> None:
    batch = exprdiff.compile("relu(x)").grad_points({"x": [1.0, 0.0, -1.0]}, strict=True)
    assert sorted(batch.errors) == [1]
    assert batch.errors[1].kind == "kink"
    assert list(batch.gradient["x"][[0, 2]]) == [1.0, 0.0]


def test_usage_errors_name_the_column() -> None:
    compiled = exprdiff.compile("x*y")
    with pytest.raises(exprdiff.ExprError, match="no value given for y"):
        compiled.grad_points({"x": [1.0]})
    with pytest.raises(exprdiff.ExprError, match="did you mean 'y'"):
        compiled.grad_points({"x": [1.0], "yy": [2.0], "y": [1.0]})
    with pytest.raises(exprdiff.ExprError, match="y has 2 values, the others 1"):
        compiled.grad_points({"x": [1.0], "y": [1.0, 2.0]})
    with pytest.raises(exprdiff.ExprError, match="row 2 must be a finite number"):
        compiled.grad_points({"x": [1.0, math.inf], "y": [1.0, 2.0]})


def test_cli_points_csv_and_jsonl(tmp_path) -> None:
    data = tmp_path / "points.csv"
    data.write_text("x2,x1,x3\n2,1,3\n0.5,0.5,0.5\n2,-1,3\n")
    runner = CliRunner()
    text = "x1**2 + 3*(x2*x3 - x1**2) + sqrt(x1)"
    result = runner.invoke(main, ["grad", text, "--points", str(data)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "row,value,x1,x2,x3,df/dx1,df/dx2,df/dx3,warnings,error_kind,error"
    assert lines[1].startswith("1,17.0,1.0,2.0,3.0,-3.5,9.0,6.0,")
    assert lines[3].startswith("3,,-1.0,2.0,3.0,,,,,domain,")
    assert "row 3: sqrt is undefined" in result.stderr
    result = runner.invoke(main, ["grad", text, "--points", str(data), "--format", "jsonl",
                                  "--wrt", "x3"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0] == {"row": 1, "at": {"x1": 1.0, "x2": 2.0, "x3": 3.0}, "value": 17.0,
                          "gradient": {"x3": 6.0}, "warnings": []}
    assert records[2]["error"]["kind"] == "domain"
    assert records[2]["at"] == {"x1": -1.0, "x2": 2.0, "x3": 3.0}


def test_cli_points_bad_file(tmp_path) -> None:
    data = tmp_path / "points.csv"
    data.write_text("x,z\n1,2\n")
    result = CliRunner().invoke(main, ["grad", "x*y", "--points", str(data)])
    assert result.exit_code == 2
    assert "unknown variable 'z'" in result.stderr
    data.write_text("x,y\n1,oops\n")  # a bad cell is its row's error record (exit 1)
    result = CliRunner().invoke(main, ["grad", "x*y", "--points", str(data)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == (
        "1,,,,,,,usage,the value of y is not a number: 'oops' (line 2)")
    assert "error: row 1: the value of y" in result.stderr and "Traceback" not in result.stderr


def test_plain_grad_path_imports_no_numpy() -> None:
    code = ("import sys, exprdiff; exprdiff.grad('sin(x)*y', {'x': 1, 'y': 2}); "
            "print(sorted(m for m in ('numpy', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_grad_points_redoes_only_suspect_rows_with_the_scalar_path_it_is_given() -> None:
    from exprdiff.vector.runtime import grad_points

    compiled = exprdiff.compile("abs(x)*y")
    asked: list[dict[str, float]] = []

    def scalar(point: dict[str, float]) -> exprdiff.Result:
        asked.append(point)
        return compiled.grad(point, wrt=["y"])

    batch = grad_points(compiled.tape, compiled.variables, {"x": [2.0, 0.0], "y": [3.0, 4.0]},
                        chosen=["y"], scalar=scalar)
    assert asked == [{"x": 0.0, "y": 4.0}]  # the kink row only
    assert list(batch.gradient) == ["y"] and list(batch.gradient["y"]) == [2.0, 0.0]
    assert [w.op for w in batch.warnings[1]] == ["abs"]


def test_vector_sits_below_the_api_and_prints_nothing() -> None:
    from pathlib import Path

    from test_architecture import import_graph

    above = ("exprdiff.api", "exprdiff.render", "exprdiff.cli", "exprdiff.batch")
    vector = {n: t for n, t in import_graph().items() if n.startswith("exprdiff.vector")}
    assert len(vector) > 3
    for name, targets in vector.items():
        assert sorted(t for t in targets if t.startswith(above)) == [], name
    for path in (Path(exprdiff.__file__).parent / "vector").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "print(" not in source and "sys.std" not in source, path.name
