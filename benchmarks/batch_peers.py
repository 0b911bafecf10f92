"""Batches against SymEngine (issue 20, acceptance 2), medians of alternating runs.

    python -m benchmarks.batch_peers [--lines 10000] [--runs 7] [--smoke]

Workloads (seeded, the same lines for every contender):
  repeated  `--lines` lines over 18 distinct expressions (seed 001, seed 000's `(a - b)**2` and
            16 seed-sized smooth ones), a different point on every line;
  distinct  `--lines` seed-sized lines, every expression text different (the same 18
            templates, a constant changed per line: what shape reuse serves, syntax/shapes.py);
  structural `--lines` seed-sized lines, every expression different in structure, not only
            in its numbers (seeded random trees of 2–6 smooth operations: + - * /, sin, cos,
            tanh, exp(-u**2), log(1 + u**2), sqrt(1 + u**2), u**2, u**3), so no line can reuse
            another's parse: what shape reuse does not help.
Contenders:
  exprdiff  `--jobs 1` in process (batch.run.Batch with the jsonl writer's encode, the CLI's
            path, JSON Lines to /dev/null); the CLI end to end (`grad --file F --format jsonl`,
            start-up included) with `--jobs 1` and `--jobs 2`;
  Lambdify  a user's loop over the repeated lines: split the line, read the point's floats,
            look up (or make: symengine.sympify, diff by each variable, Lambdify) the function
            of [f, ∂f/∂v…] for the expression text, call it. It writes nothing; a second row
            also writes each result as a JSON record (json.dumps), as exprdiff does;
  SymEngine parse + diff + subs per line, for the distinct lines: sympify, diff by each
            variable, subs of the point, float().
seed 002 (`y - max(0, w*x + b)`) is left out: SymEngine leaves max's derivative unevaluated
(`Derivative(max(0, b + w*x), w)`), which neither Lambdify nor subs can evaluate.
Each round runs every contender once, in turn; a ratio is the median of the rounds' ratios.
From 10 000 lines on, --jobs 2 ÷ --jobs 1 is also taken on 20× the repeated lines, where the
start-up (a fresh process, the workers' fork) is a small share: whether the parent keeps up.
Targets: --jobs 1 ≥ the Lambdify loop; --jobs 2 ≥ 1.7× --jobs 1; distinct ≥ 3× SymEngine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import timing

#: (template, variables, the constant of the repeated workload); seed 001 and seed 000 first.
TEMPLATES = [
    ("x1**2 + {c}*(x2*x3 - x1**2)", ("x1", "x2", "x3"), "3"),
    ("(a - b{c})**2", ("a", "b"), ""),  # distinct lines: `(a - b*1.0001)**2`
    ("sin({c}*x1) * exp(-x2/2) + x3", ("x1", "x2", "x3"), "1.5"),
    ("log(1 + exp({c}*x - y)) - 2*y", ("x", "y"), "1.2"),
    ("tanh(w*x + {c}) * v + 2", ("w", "x", "v"), "0.3"),
    ("sqrt(x**2 + y**2) / ({c} + z)", ("x", "y", "z"), "1.5"),
    ("{c}*u*v - cos(u + 2)", ("u", "v"), "2.5"),
    ("exp(-{c}*t) * cos(w*t)", ("t", "w"), "0.5"),
    ("x*y*z + {c}*x**2", ("x", "y", "z"), "4"),
    ("(x - {c})**2 + (y + 1)**2", ("x", "y"), "0.25"),
    ("log(x**2 + {c}) * y", ("x", "y"), "2"),
    ("1/(1 + exp(-{c}*x - y))", ("x", "y"), "1.7"),
    ("atan(x/{c}) + y**3", ("x", "y"), "3"),
    ("sinh(a*b) - {c}*a", ("a", "b"), "0.7"),
    ("x**3 - {c}*x*y + y**2", ("x", "y"), "5"),
    ("cos(x)*sin(y) + {c}*z", ("x", "y", "z"), "1.1"),
    ("sqrt(1 + {c}*p**2 + q**2)", ("p", "q"), "0.9"),
    ("exp(x - y) / (1 + {c}*x**2)", ("x", "y"), "2"),
]
TARGETS = {"lambdify": 1.0, "jobs": 1.7, "distinct": 3.0}


def _point(names: tuple[str, ...], rng: random.Random) -> str:
    return ", ".join(f"{n}={rng.uniform(0.5, 2.0):.6g}" for n in names)


def repeated_lines(count: int) -> list[str]:
    """`count` lines over the 18 expressions, each at its own point."""
    rng = random.Random(20)
    lines = []
    for _ in range(count):
        template, names, c = TEMPLATES[rng.randrange(len(TEMPLATES))]
        lines.append(f"{template.format(c=c)} ; {_point(names, rng)}")
    return lines


def distinct_lines(count: int) -> list[str]:
    """`count` seed-sized lines, every expression text different."""
    rng = random.Random(21)
    digits = len(str(count)) + 1
    lines = []
    for k in range(count):
        template, names, default = TEMPLATES[k % len(TEMPLATES)]
        c = f"{1 + (k + 1) / 10 ** digits:.{digits}f}"
        c = c if default else f"*{c}"
        lines.append(f"{template.format(c=c)} ; {_point(names, rng)}")
    return lines


_UNARY = ("sin({})", "cos({})", "tanh({})", "exp(-({})**2)", "log(1 + ({})**2)",
          "sqrt(1 + ({})**2)", "({})**2", "({})**3")
_BINARY = ("{} + {}", "{} - {}", "{}*{}", "{}/(1 + ({})**2)")
_NAMES = ("x", "y", "z", "w", "v")


def _tree(rng: random.Random, budget: int, names: tuple[str, ...]) -> str:
    """A random expression of `budget` operations over `names` (finite and off every domain
    edge at points in [0.5, 2])."""
    if budget <= 0:
        return rng.choice(names) if rng.random() < 0.7 else f"{rng.uniform(0.1, 3.0):.3g}"
    if rng.random() < 0.4:
        return rng.choice(_UNARY).format(_tree(rng, budget - 1, names))
    left = rng.randint(0, budget - 1)
    return "(" + rng.choice(_BINARY).format(_tree(rng, left, names),
                                            _tree(rng, budget - 1 - left, names)) + ")"


def structural_lines(count: int) -> list[str]:
    """`count` seed-sized lines, no two of the same structure (numbers aside); a drawn line
    that exprdiff refuses at its point (a derivative below the doubles' range, from a
    saturated tanh or exp(-u**2)) is drawn again."""
    import re

    from exprdiff.api import compile
    from exprdiff.errors import ExprError

    rng = random.Random(22)
    number = re.compile(r"(?<![A-Za-z0-9_.])[0-9.]+(?:e[+-]?[0-9]+)?")
    shapes: set[str] = set()
    lines = []
    while len(lines) < count:
        names = tuple(rng.sample(_NAMES, rng.randint(1, 3)))
        text = _tree(rng, rng.randint(2, 6), names)
        used = tuple(n for n in names if re.search(rf"\b{n}\b", text))
        shape = number.sub("#", text)
        if not used or shape in shapes:
            continue
        point = _point(used, rng)
        try:
            compile(text).grad({k: float(v) for k, _, v in
                                (part.strip().partition("=") for part in point.split(","))})
        except ExprError:
            continue
        shapes.add(shape)
        lines.append(f"{text} ; {point}")
    return lines


def exprdiff_in_process(path: Path) -> None:
    """`grad --file F --format jsonl --jobs 1` without the start-up: the CLI's own path."""
    from exprdiff.batch.evaluate import Settings
    from exprdiff.batch.run import Batch
    from exprdiff.render.formats import Options, writer

    with open(os.devnull, "w") as sink:
        out = writer("jsonl", sink, Options("batch"))
        with Batch([str(path)], Settings(), encode=out.encode) as batch:  # type: ignore[attr-defined]
            for texts in batch.lines():
                for text in texts:
                    out.write_text(text)  # type: ignore[attr-defined]
                out.flush()
        out.finish()
    assert batch.summary.failed == 0, batch.summary.text()


def exprdiff_cli(path: Path, jobs: int) -> None:
    subprocess.run([sys.executable, "-m", "exprdiff", "grad", "--file", str(path), "--format",
                    "jsonl", "--jobs", str(jobs)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)


def lambdify_loop(lines: list[str], write: bool = False) -> None:
    """A user's loop over cached SymEngine Lambdify functions (benchmark only: exprdiff itself
    never hands text to sympify). `write`: each result also written as a JSON record."""
    import symengine as se

    functions: dict[str, Any] = {}
    with open(os.devnull, "w") as sink:
        for number, line in enumerate(lines, 1):
            text, _, point_text = line.partition(";")
            pairs = [part.partition("=") for part in point_text.split(",")]
            values = [float(value) for _, _, value in pairs]
            f = functions.get(text)
            if f is None:
                expr = se.sympify(text)
                symbols = [se.Symbol(name.strip()) for name, _, _ in pairs]
                f = functions[text] = se.Lambdify(symbols,
                                                  [expr, *(expr.diff(s) for s in symbols)])
            result = f(*values)
            if write:
                names = [name.strip() for name, _, _ in pairs]
                gradient = map(float, result[1:])
                record = {"line": number, "expression": text.strip(),
                          "at": dict(zip(names, values, strict=True)),
                          "value": float(result[0]),
                          "gradient": dict(zip(names, gradient, strict=True)), "warnings": []}
                sink.write(json.dumps(record) + "\n")


def symengine_per_line(lines: list[str]) -> None:
    """SymEngine's own pipeline on every line: sympify, diff by each variable, subs."""
    import symengine as se

    for line in lines:
        text, _, point_text = line.partition(";")
        pairs = [part.partition("=") for part in point_text.split(",")]
        point = {se.Symbol(name.strip()): float(value) for name, _, value in pairs}
        expr = se.sympify(text)
        float(expr.subs(point))
        for symbol in point:
            float(expr.diff(symbol).subs(point))


def _cpu() -> float:
    return time.process_time() + timing.children_cpu()


def alternate(jobs: dict[str, Callable[[], object]], runs: int,
              ) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each job per round, the jobs taking turns (after a warm-up)."""
    for job in jobs.values():
        job()
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            cpu, start = _cpu(), time.perf_counter()
            job()
            found[name].append((time.perf_counter() - start, _cpu() - cpu))
    return found


def _rate(count: int, times: list[tuple[float, float]]) -> str:
    wall = statistics.median(t[0] for t in times)
    cpu = statistics.median(t[1] for t in times)
    return f"{count / wall:,.0f} | {count / cpu:,.0f} | {wall * 1e3:.0f} ms"


def _ratio(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Median over rounds of time(b) ÷ time(a): how many times faster a is."""
    return statistics.median(y[0] / x[0] for x, y in zip(a, b, strict=True))


def _verdict(value: float, target: float) -> str:
    return f"{value:.2f}× (target ≥ {target}×: {'met' if value >= target else 'MISSED'})"


def measure(count: int, runs: int) -> list[str]:
    try:
        import symengine  # noqa: F401
        peer = True
    except ImportError:
        peer = False
    rows = ["| workload | contender | lines/s (wall) | lines/s (CPU) | median time |",
            "|---|---|---:|---:|---:|"]
    notes = []
    with tempfile.TemporaryDirectory() as folder:
        same, distinct = repeated_lines(count), distinct_lines(count)
        structural = structural_lines(count)
        same_path, distinct_path = Path(folder) / "repeated.txt", Path(folder) / "distinct.txt"
        structural_path = Path(folder) / "structural.txt"
        same_path.write_text("\n".join(same) + "\n", encoding="utf-8")
        distinct_path.write_text("\n".join(distinct) + "\n", encoding="utf-8")
        structural_path.write_text("\n".join(structural) + "\n", encoding="utf-8")
        jobs: dict[str, Callable[[], object]] = {
            "exprdiff --jobs 1, in process": lambda: exprdiff_in_process(same_path),
            "exprdiff CLI --jobs 1 (start-up included)": lambda: exprdiff_cli(same_path, 1),
            "exprdiff CLI --jobs 2 (start-up included)": lambda: exprdiff_cli(same_path, 2)}
        if peer:
            jobs["SymEngine Lambdify loop (writes nothing)"] = lambda: lambdify_loop(same)
            jobs["SymEngine Lambdify loop + a JSON record per line"] = (
                lambda: lambdify_loop(same, write=True))
        found = alternate(jobs, runs)
        rows += [f"| repeated (18 expressions) | {name} | {_rate(count, times)} |"
                 for name, times in found.items()]
        one, two = (found[f"exprdiff CLI --jobs {j} (start-up included)"] for j in (1, 2))
        scaled = _verdict(_ratio(two, one), TARGETS["jobs"])
        notes.append(f"- --jobs 2 ÷ --jobs 1, end to end: {scaled}")
        if count >= 10_000:
            notes.append(_scaling(count * 20, max(3, runs // 2)))
        start = _start_up(runs)
        if start is not None:
            without = statistics.median((a[0] - start) / (b[0] - start)
                                        for a, b in zip(one, two, strict=True))
            notes.append(f"- the same without the start-up (a fresh `grad` of one line: "
                         f"{start * 1e3:.0f} ms): {without:.2f}×")
        if peer:
            inside = found["exprdiff --jobs 1, in process"]
            lam = found["SymEngine Lambdify loop (writes nothing)"]
            written = found["SymEngine Lambdify loop + a JSON record per line"]
            notes.append(f"- exprdiff --jobs 1 in process ÷ the Lambdify loop: "
                         f"{_verdict(_ratio(inside, lam), TARGETS['lambdify'])}; against the loop "
                         f"that also writes its records: {_ratio(inside, written):.2f}×")
        for workload, path, lines in (("distinct", distinct_path, distinct),
                                      ("structural", structural_path, structural)):
            distinct_jobs: dict[str, Callable[[], object]] = {
                "exprdiff --jobs 1, in process":
                    lambda path=path: exprdiff_in_process(path)}
            if peer:
                distinct_jobs["SymEngine sympify + diff + subs per line"] = (
                    lambda lines=lines: symengine_per_line(lines))
            found = alternate(distinct_jobs, runs)
            label = "distinct" if workload == "distinct" else "structurally distinct"
            rows += [f"| {label} | {name} | {_rate(count, times)} |"
                     for name, times in found.items()]
            if peer:
                ratio = _ratio(found["exprdiff --jobs 1, in process"],
                               found["SymEngine sympify + diff + subs per line"])
                notes.append(f"- {label} lines, exprdiff ÷ SymEngine per line: "
                             f"{_verdict(ratio, TARGETS['distinct'])}")
        if not peer:
            notes.append("- SymEngine: not installed (pip install symengine): no peer rows")
    notes.append(f"- {count:,} lines per workload, {runs} rounds (each contender once per round, "
                 f"in turn); {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    return [*rows, "", *notes]


def _scaling(count: int, runs: int) -> str:
    """--jobs 2 ÷ --jobs 1 end to end on a batch long enough that the start-up (~70 ms, and
    ~100 ms with the workers) is a small share of it: whether the parent keeps up."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.txt"
        path.write_text("\n".join(repeated_lines(count)) + "\n", encoding="utf-8")
        found = alternate({f"{j}": lambda j=j: exprdiff_cli(path, j) for j in (1, 2)}, runs)
    walls = {j: statistics.median(t[0] for t in found[j]) for j in found}
    return (f"- --jobs 2 ÷ --jobs 1 on {count:,} repeated lines ({runs} rounds; --jobs 1 "
            f"{walls['1']:.2f} s, --jobs 2 {walls['2']:.2f} s): "
            f"{_ratio(found['2'], found['1']):.2f}×")


def _start_up(runs: int) -> float | None:
    """Median wall time of a fresh `grad --file` of one line (--jobs 1)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.txt"
        path.write_text(repeated_lines(1)[0] + "\n", encoding="utf-8")
        times = alternate({"one": lambda: exprdiff_cli(path, 1)}, runs)["one"]
    return statistics.median(t[0] for t in times)


def table(args: argparse.Namespace, out: list[str]) -> None:
    """The harness's table (python -m benchmarks): full, --quick or --smoke sizes."""
    runs = 1 if getattr(args, "smoke", False) else 3 if getattr(args, "quick", False) else 7
    out += measure(200 if runs == 1 else 10_000, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true")
    options = parser.parse_args()
    count, runs = (200, 1) if options.smoke else (options.lines, options.runs)
    print("\n".join(measure(count, runs)))


if __name__ == "__main__":
    main()
