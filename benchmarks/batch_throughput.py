"""Batch throughput: exprdiff vs the SymPy loop a user would write, in one run (issue 5 item 4).

    python -m benchmarks.batch_throughput [--runs 3] [--lines 10000] [--sympy-lines 200]

Two workloads of `--lines` lines each:
  distinct  seed-sized expressions, every line a different expression, one point per line;
  same      the seeds' x1**2 + 3*(x2*x3 - x1**2) at a different point on every line.
exprdiff is timed in-process (batch.run.Batch over the file, JSON Lines to /dev/null: the steady
state) and end to end (`python -m exprdiff grad --file F --format jsonl`, start-up included),
with --jobs 1 and --jobs 2. The SymPy loop does, for each line, what a script would: parse_expr,
diff for every variable, evalf at the point (on the first `--sympy-lines` lines: it is slow, and
its rate per line is steady; SymPy's cache is cleared before each run). For `same` a second
SymPy row parses and differentiates once and lambdifies (the fast way to use SymPy). Every
number is the median of `--runs` runs, in wall-clock and in CPU time (this process and its
children: on a busy machine, what one free core would do).
Targets (issue 5): distinct ≥ 5 000 lines/s single process; same ≥ 50 000 points/s;
exprdiff ≥ 50× the SymPy loop.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SEED_EXPRESSION = "x1**2 + 3*(x2*x3 - x1**2)"


def distinct_lines(count: int) -> list[str]:
    """Seed-sized expressions (3 to 8 operations), each line a different expression."""
    rng = random.Random(5)
    templates = [
        ("x1**2 + {d}*(x2*x3 - x1**{b})", ("x1", "x2", "x3")),
        ("y - max(0, w*x + {d})", ("y", "w", "x")),
        ("(a - {d}*b)**{b}", ("a", "b")),
        ("sin({d}*x1) * exp(-x2/{b}) + x3", ("x1", "x2", "x3")),
        ("log(1 + exp({d}*x - y)) - {b}*y", ("x", "y")),
        ("tanh(w*x + {d}) * v + {b}", ("w", "x", "v")),
        ("sqrt(x**2 + y**{b}) / ({d} + z)", ("x", "y", "z")),
        ("{d}*u*v - cos(u + {b})", ("u", "v")),
    ]
    lines = []
    for k in range(count):
        template, names = templates[k % len(templates)]
        # {d} differs on every line (1.0001, 1.0002, ...): every expression text is distinct
        text = template.format(d=f"{1 + (k + 1) / 10 ** len(str(count)):.{len(str(count))}f}",
                               b=k % 5 + 2)
        point = ", ".join(f"{n}={rng.uniform(0.5, 2.0):.6g}" for n in names)
        lines.append(f"{text} ; {point}")
    assert len({line.partition(";")[0] for line in lines}) == count
    return lines


def same_lines(count: int) -> list[str]:
    rng = random.Random(6)
    return [f"{SEED_EXPRESSION} ; x1={rng.uniform(-2, 2):.6g}, x2={rng.uniform(-2, 2):.6g}, "
            f"x3={rng.uniform(-2, 2):.6g}" for _ in range(count)]


def median_time(job: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock seconds and median CPU seconds (this process and its children): on a
    busy machine the CPU time shows what one free core would do."""
    walls, cpus = [], []
    for _ in range(runs):
        before = _cpu()
        start = time.perf_counter()
        job()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - before)
    return statistics.median(walls), statistics.median(cpus)


def _cpu() -> float:
    me, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                           resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def exprdiff_in_process(path: Path) -> None:
    from exprdiff.batch.evaluate import Settings
    from exprdiff.batch.run import Batch
    from exprdiff.render.formats import Options
    from exprdiff.render.formats import writer as record_writer

    with open(os.devnull, "w") as sink, Batch([str(path)], Settings()) as batch:
        writer = record_writer("jsonl", sink, Options("batch"))
        for records in batch.lines():
            for record in records:
                writer.write(record)
            writer.flush()
        writer.finish()
    assert batch.summary.failed == 0, batch.summary.text()


def exprdiff_cli(path: Path, jobs: int) -> None:
    subprocess.run([sys.executable, "-m", "exprdiff", "grad", "--file", str(path),
                    "--format", "jsonl", "--jobs", str(jobs)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def sympy_loop(lines: list[str]) -> None:
    """The obvious script: parse_expr, diff, evalf — per line. (Benchmark only: exprdiff itself
    never hands user text to parse_expr.)"""
    import sympy as sp
    from sympy.core.cache import clear_cache
    from sympy.parsing.sympy_parser import parse_expr

    clear_cache()  # each run starts cold, like a script meeting these lines for the first time
    names = {"max": sp.Max, "min": sp.Min}
    for line in lines:
        text, _, point_text = line.partition(";")
        expr = parse_expr(text, local_dict=names)
        point = {}
        for part in point_text.split(","):
            name, _, value = part.partition("=")
            point[sp.Symbol(name.strip())] = float(value)
        float(expr.evalf(subs=point))
        for symbol in sorted(expr.free_symbols, key=str):
            float(sp.diff(expr, symbol).evalf(subs=point))


def sympy_lambdify(lines: list[str]) -> None:
    """SymPy used well for one expression: parse and differentiate once, lambdify, call."""
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr

    expr = parse_expr(SEED_EXPRESSION)
    symbols = sorted(expr.free_symbols, key=str)
    f = sp.lambdify(symbols, [expr, *(sp.diff(expr, s) for s in symbols)], "math")
    for line in lines:
        values = [float(part.partition("=")[2]) for part in line.partition(";")[2].split(",")]
        f(*values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--sympy-lines", type=int, default=200)
    options = parser.parse_args()
    runs, count = max(3, options.runs), options.lines
    rows: list[tuple[str, str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        for workload, lines, target in (("distinct", distinct_lines(count), 5_000),
                                        ("same", same_lines(count), 50_000)):
            path = Path(folder) / f"{workload}.txt"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            subset = lines[: options.sympy_lines]
            wall, cpu = median_time(lambda s=subset: sympy_loop(s), runs)
            sympy = (len(subset) / wall, len(subset) / cpu)
            wall, cpu = median_time(lambda p=path: exprdiff_in_process(p), runs)
            mine = (count / wall, count / cpu)
            verdict = "met" if mine[0] >= target else "met on CPU time" if mine[1] >= target \
                else "MISSED"
            rows.append((workload, "exprdiff, in-process (steady state)", *mine,
                         f"target ≥ {target:,}: {verdict}"))
            for jobs in (1, 2):
                wall, cpu = median_time(lambda p=path, j=jobs: exprdiff_cli(p, j), runs)
                rows.append((workload, f"exprdiff CLI end to end, --jobs {jobs}", count / wall,
                             count / cpu, "start-up included"))
            rows.append((workload, f"SymPy loop: parse_expr+diff+evalf ({len(subset)} lines)",
                         *sympy, "the peer"))
            if workload == "same":
                wall, cpu = median_time(lambda ls=lines: sympy_lambdify(ls), runs)
                rows.append((workload, "SymPy once + lambdify (informative)", count / wall,
                             count / cpu, "not the peer of the issue"))
            ratio = (mine[0] / sympy[0], mine[1] / sympy[1])
            rows.append((workload, "ratio in-process / SymPy loop", *ratio,
                         f"target ≥ 50×: {'met' if min(ratio) >= 50 else 'MISSED'}"))
    print(f"\n{count} lines per workload; medians of {runs} runs; {os.cpu_count()} CPUs; "
          f"Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f}\n")
    print("| workload | measurement | lines/s (wall) | lines/s (CPU time) | note |")
    print("|---|---|---:|---:|---|")
    for workload, what, wall_rate, cpu_rate, note in rows:
        unit = "×" if what.startswith("ratio") else ""
        print(f"| {workload} | {what} | {wall_rate:,.0f}{unit} | {cpu_rate:,.0f}{unit} | {note} |")


if __name__ == "__main__":
    main()
