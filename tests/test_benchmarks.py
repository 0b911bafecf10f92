"""The benchmark harness (`python -m benchmarks`) runs: its smallest sizes, one call each.

Speed is never asserted here; this only keeps the harness from rotting as the code it times
changes (a renamed function once broke its tape table unnoticed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_table_of_the_harness_runs_and_has_figures(tmp_path) -> None:  # type: ignore[no-untyped-def]
    output = tmp_path / "results.md"
    tables = ["text", "symengine", "sweeps", "points", "start", "oracle", "hessian", "dask",
              "batch"]
    command = [sys.executable, "-m", "benchmarks", "--smoke", "--budget", "2",
               "--output", str(output)]
    for table in tables:
        command += ["--only", table]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    for title in ("String → full gradient", "The tape alone", "One expression at many points",
                  "Fresh process", "The oracle", "Second order"):
        assert f"### {title}" in text
    # every exprdiff figure is a time with a unit (no "—" where exprdiff should have a number)
    seed_row = next(line for line in text.splitlines() if line.startswith("| seed-001 |"))
    assert re.search(r"\| \d+(\.\d+)? (µs|ms|s) \|", seed_row), seed_row
    points_row = next(line for line in text.splitlines() if line.startswith("| 1,000 |"))
    assert re.match(r"\| 1,000 \| \d+(\.\d+)? (µs|ms) \|", points_row), points_row
    assert re.search(r"÷ `import sympy`: \d\.\d{3}", text)
    hessian_row = next(line for line in text.splitlines() if line.startswith("| seed-001 Hessian"))
    assert re.match(r"\| seed-001 Hessian \| \d+(\.\d+)? (µs|ms) \|", hessian_row), hessian_row
    for row in ("| batch --check --jobs 2", "| one expression at many points", "| `grad SEED"):
        assert any(line.startswith(row) for line in text.splitlines()), row
    assert "### String → gradient on small expressions" in text
    assert re.search(r"\| tanh chain\(10\) \| 33 \| \d+(\.\d+)? (µs|ms) \|", text) or (
        "SymEngine is not installed" in text)
    assert "### A batch on Dask" in text
    assert re.search(r"\| repeated \(18 expressions\) \| exprdiff --jobs 1, in process \| [\d,]+ \|",
                     text)
    assert "÷ the Lambdify loop" in text or "SymEngine: not installed" in text
    assert re.search(r"\| `--dask local:2` \(start-up included\) \| \d+\.\d\d s \|", text) or (
        "Dask is not installed" in text)


def test_the_symengine_table_says_when_symengine_is_missing(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import argparse

    from benchmarks import peers, versus_symengine

    monkeypatch.setattr(peers, "available", lambda name: name != "symengine")
    out: list[str] = []
    versus_symengine.table(argparse.Namespace(), out)
    assert out == ["- SymEngine is not installed (`pip install symengine`): this comparison was "
                   "not run"]


def test_symengine_reads_our_spelling_of_max_and_min() -> None:
    from benchmarks import peers

    assert peers.symengine_text("y - max(0, w*x) + min (a, b) + maxi(x)") == (
        "y - Max(0, w*x) + Min (a, b) + maxi(x)")


def test_the_program_chain_measures_a_program_and_its_expression() -> None:
    from benchmarks import program_chain

    expression, program = program_chain.measure(3, 2)
    assert expression > 0 and program > 0
