"""The oracle at scale (issue 18): `--check` on a batch, at many points, and once; one run.

    python -m benchmarks.oracle_batch [--lines 10000] [--points 10000] [--runs 15] [--smoke]

Every figure is the command line end to end (start-up included), output to /dev/null:
  batch   `grad --file F --check --format jsonl --jobs 2` on `--lines` distinct seed-sized
          lines (batch_throughput.py's), in lines/s; target ≥ 100;
  points  one expression at `--points` points, `--check`: one batch line holding them all
          (and the same points as repeated --at, when the command line can hold them), in
          points/s; target ≥ 2 000;
  once    `grad SEED --at … --check` against `python -c "import sympy"`, taking turns, the
          medians of `--runs` each; target ≤ 1.3×.
Besides wall-clock rates: CPU seconds of every process (ours, the workers, the SymPy
processes), the rate that CPU time would give spread over two free cores, and the load
average, since the machine may be shared. Sizes other than the targets' 10 000 are not judged.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import timing
from .batch_throughput import distinct_lines
from .cases import POINTS_EXPR, SEEDS

TARGETS = {"batch": 100.0, "points": 2000.0, "once": 1.3}



def _run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the command and every process it waited for)."""
    before = timing.children_cpu()
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start, timing.children_cpu() - before


def _exprdiff(*args: str) -> list[str]:
    return [sys.executable, "-m", "exprdiff", "grad", *args]


def _points(count: int) -> list[str]:
    rng = random.Random(18)
    return [f"x={rng.uniform(0.1, 2):.6g}, y={rng.uniform(0.1, 2):.6g}, "
            f"z={rng.uniform(0.1, 2):.6g}" for _ in range(count)]


def _verdict(value: float, target: float, higher: bool = True, judged: bool = True) -> str:
    if not judged:
        return "not judged (the target is for 10 000)"
    met = value >= target if higher else value <= target
    return f"target {'≥' if higher else '≤'} {target:g}: {'met' if met else 'MISSED'}"


def _row(what: str, size: int, unit: str, wall: float, cpu: float, target: float) -> str:
    return (f"| {what} | {size:,} {unit} | {wall:.2f} s | {size / wall:,.0f} {unit}/s | "
            f"{cpu:.2f} s | {size / (cpu / 2):,.0f} {unit}/s | "
            f"{_verdict(size / wall, target, judged=size == 10_000)} |")


def measure(lines: int, points: int, runs: int) -> list[str]:
    """The table's rows (markdown) and its notes."""
    import compileall

    import exprdiff

    # Byte-compiled first, as `pip install` does (an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would compile every module from source at each start).
    compileall.compile_dir(os.path.dirname(exprdiff.__file__), quiet=1)
    rows = ["| measurement | size | wall | rate (wall) | CPU, all processes | "
            "rate (CPU ÷ 2 cores) | verdict (wall) |", "|---|---|---|---|---|---|---|"]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        batch = Path(folder) / "distinct.txt"
        batch.write_text("\n".join(distinct_lines(lines)) + "\n", encoding="utf-8")
        wall, cpu = _run(_exprdiff("--file", str(batch), "--check", "--format", "jsonl",
                                   "--jobs", "2"))
        rows.append(_row("batch --check --jobs 2, distinct seed-sized lines", lines, "lines",
                         wall, cpu, TARGETS["batch"]))
        print(rows[-1], file=sys.stderr, flush=True)
        at = _points(points)
        line = Path(folder) / "points.txt"
        line.write_text(f"{POINTS_EXPR} ; " + " ; ".join(at) + "\n", encoding="utf-8")
        wall, cpu = _run(_exprdiff("--file", str(line), "--check", "--format", "jsonl"))
        rows.append(_row("one expression at many points, --check (one batch line)", points,
                         "points", wall, cpu, TARGETS["points"]))
        print(rows[-1], file=sys.stderr, flush=True)
        repeated = [part for point in at for part in ("--at", point)]
        if sum(len(part) + 1 for part in repeated) < os.sysconf("SC_ARG_MAX") // 2:
            wall, cpu = _run(_exprdiff(POINTS_EXPR, *repeated, "--check", "--format", "jsonl"))
            rows.append(_row("the same, as repeated --at", points, "points", wall, cpu,
                             TARGETS["points"]))
            print(rows[-1], file=sys.stderr, flush=True)
    rows += _once(runs)
    rows += ["", f"- the batch lines are benchmarks/batch_throughput.py's `distinct` workload "
             f"(8 templates of 3 to 8 operations, every expression text different); the "
             f"points: `{POINTS_EXPR}` at seeded random points in [0.1, 2]³",
             f"- CPU: user + system seconds of every process the command waited for (exprdiff, "
             f"its workers, their SymPy processes); {os.cpu_count()} CPUs; load average "
             f"{load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"]
    return rows


def _once(runs: int) -> list[str]:
    """The seed's `grad --check` against `python -c "import sympy"`, taking turns."""
    text, point = SEEDS["seed-001"]
    at = ",".join(f"{k}={v:g}" for k, v in point.items())
    commands = {"check": _exprdiff(text, "--at", at, "--check"),
                "sympy": [sys.executable, "-c", "import sympy"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # an untimed run each: files in the page cache
        _run(command)
    for _ in range(runs):
        for name, command in commands.items():
            wall, cpu = _run(command)
            times[name].append(wall)
            cpus[name].append(cpu)
    check, sympy = (statistics.median(times[name]) for name in ("check", "sympy"))
    ratio = check / sympy
    row = (f"| `grad SEED --at … --check` ÷ `python -c \"import sympy\"` | {runs} runs each, "
           f"taking turns | {check * 1e3:.0f} ms ÷ {sympy * 1e3:.0f} ms | {ratio:.3f}× | "
           f"{statistics.median(cpus['check']):.2f} s ÷ {statistics.median(cpus['sympy']):.2f} s"
           f" | — | {_verdict(ratio, TARGETS['once'], higher=False)} |")
    print(row, file=sys.stderr, flush=True)
    return [row]


def table(args: argparse.Namespace, out: list[str]) -> None:
    """The harness's table (python -m benchmarks): full, --quick or --smoke sizes."""
    if getattr(args, "smoke", False):
        out += measure(20, 50, 1)
    elif getattr(args, "quick", False):
        out += measure(2000, 2000, 7)
    else:
        out += measure(10_000, 10_000, 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="20 lines, 50 points, 1 run")
    options = parser.parse_args()
    if options.smoke:
        options.lines, options.points, options.runs = 20, 50, 1
    print("\n".join(measure(options.lines, options.points, options.runs)))


if __name__ == "__main__":
    main()
