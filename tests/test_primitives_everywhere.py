"""Every row of the primitive table through every path: `--at`, `--points`, `--steps` in all
four formats, `--check`, `diff`, `graph`, batch. A new row in ops.py is covered here without a
new test: each call and its point come from the row's own sample intervals.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from conftest import missing_tool

import exprdiff
from exprdiff import ops
from exprdiff.cli import main

NAMES = ("a", "b", "c", "d")


def call(op: ops.Op) -> tuple[str, dict[str, float]]:
    """`op` on a, b, … at a point inside its sample intervals, off its kinks and poles."""
    count = op.arity[0] if op.arity[1] == op.arity[0] else op.arity[0] + 1
    names = NAMES[:count]
    args = []
    for k in range(count):
        low, high = op.interval(k)
        args.append(round(low + (high - low) * ((0.3 + 0.37 * k) % 1.0), 3))
    for _ in range(20):
        moved = op.repair(0.05, *args)
        if moved is None:
            break
        args[moved] = round(args[moved] + 0.37, 3)
    if op.infix is None:
        text = f"{op.name}({', '.join(names)})"
    elif op.name == "neg":
        text = "(-a)"  # a leading "-" would read as an option
    else:
        text = f"a {op.infix} b"
    return text, dict(zip(names, args, strict=True))


ROWS = {op.name: op for op in ops.TABLE}


def point_text(point: dict[str, float]) -> str:
    return ",".join(f"{k}={v!r}" for k, v in point.items())


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: str | None = None):
    result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
    return result


@pytest.mark.parametrize("name", sorted(ROWS))
def test_every_path_agrees_on_every_row(runner, name):
    op = ROWS[name]
    text, point = call(op)
    reference = exprdiff.grad(text, point)
    assert reference.warnings == (), (text, point)
    assert all(math.isfinite(g) for g in reference.gradient.values())

    # --at, JSON
    at = invoke(runner, "grad", text, "--at", point_text(point), "--format", "json")
    assert at.exit_code == 0, at.output
    data = json.loads(at.stdout)
    assert data["value"] == reference.value and data["gradient"] == reference.gradient

    # --steps in all four formats: each names every node and ends with the gradient
    for output in ("table", "json", "markdown", "latex"):
        steps = invoke(runner, "grad", text, "--at", point_text(point), "--steps", "--format",
                       output)
        assert steps.exit_code == 0, (output, steps.output)
        assert "z1" in steps.stdout or "z_{1}" in steps.stdout, (output, steps.stdout)
    tables = json.loads(invoke(runner, "grad", text, "--at", point_text(point), "--steps",
                               "--format", "json").stdout)["steps"]
    assert tables["gradient"] == reference.gradient

    # batch (JSON Lines)
    line = json.dumps({"expr": text, "at": point})
    batch = invoke(runner, "grad", "-", "--format", "jsonl", input=line + "\n")
    assert batch.exit_code == 0, batch.output
    record = json.loads(batch.stdout.splitlines()[0])
    assert record["value"] == reference.value and record["gradient"] == reference.gradient

    # graph (DOT, with values)
    graph = invoke(runner, "graph", text, "--at", point_text(point))
    assert graph.exit_code == 0 and graph.stdout.startswith("digraph"), graph.output


@pytest.mark.parametrize("name", sorted(ROWS))
def test_many_points_match_the_scalar_path_on_every_row(runner, name, tmp_path):
    pytest.importorskip("numpy")
    op = ROWS[name]
    text, point = call(op)
    shifted = {k: v + 0.01 for k, v in point.items()}
    csv = tmp_path / "points.csv"
    csv.write_text(",".join(point) + "\n" + "\n".join(
        ",".join(repr(v) for v in p.values()) for p in (point, shifted)) + "\n")
    result = invoke(runner, "grad", text, "--points", str(csv), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for record, at in zip(records, (point, shifted), strict=True):
        scalar = exprdiff.grad(text, at)
        assert record["value"] == pytest.approx(scalar.value, rel=1e-12, abs=1e-300)
        for variable, partial in scalar.gradient.items():
            assert record["gradient"][variable] == pytest.approx(partial, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_check_and_diff_on_every_row(runner, name):
    op = ROWS[name]
    text, point = call(op)
    checked = invoke(runner, "grad", text, "--at", point_text(point), "--check", "--format",
                     "json", "--timeout", "30")
    assert checked.exit_code == 0, checked.output
    verdict = json.loads(checked.stdout)["check"]
    assert verdict["ok"], verdict
    diff = invoke(runner, "diff", text, "--format", "json", "--timeout", "30")
    assert diff.exit_code == 0, diff.output
    assert list(json.loads(diff.stdout)["partials"]) == list(point)


def test_every_row_latex_compiles(runner, tmp_path):
    engine = shutil.which("pdflatex") or shutil.which("lualatex") or shutil.which("xelatex")
    if engine is None:
        missing_tool("no LaTeX engine on PATH; .ci/run installs texlive-latex-base as root")
    bodies = []
    for name in sorted(ROWS):
        text, point = call(ROWS[name])
        done = invoke(runner, "grad", text, "--at", point_text(point), "--steps", "--format",
                      "latex")
        assert done.exit_code == 0, done.output
        bodies.append(done.stdout)
    document = "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,longtable}",
                          r"\begin{document}", *bodies, r"\end{document}"])
    (tmp_path / "rows.tex").write_text(document, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "rows.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
