"""One gradient of an n-variable expression: exprdiff's reverse mode vs SymPy (diff per variable,
then evaluation), for n = 10, 100, 1000, all in one run. Prints a markdown table of medians.

    python -m benchmarks.oracle_vs_sympy [--sizes 10,100,1000] [--repeats 5] [--budget 120]

exprdiff is timed from text (parse + tape + forward + reverse) and from a compiled tape (the
sweeps alone). SymPy gets the same expression already built (from exprdiff's AST, so its parsing
is not counted), differentiates it once per variable and evaluates each partial at the point
(xreplace with Floats + evalf, 15 digits). A SymPy size that would exceed --budget seconds per
repeat is run once. The partials are compared, so a wrong number cannot look fast.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import exprdiff
from exprdiff.oracle.symbolic import to_sympy
from exprdiff.syntax import parser


def expression(n: int) -> tuple[str, dict[str, float]]:
    """Σ_i tanh(x_i·x_{i+1}) + exp(-x_i²)·sin(x_i) + log(1 + x_i²), indices wrapping."""
    terms = [f"tanh(x{i}*x{i % n + 1}) + exp(-x{i}**2)*sin(x{i}) + log(1 + x{i}**2)"
             for i in range(1, n + 1)]
    point = {f"x{i}": round(0.5 + 0.37 * ((i * 7919) % 13) / 13, 6) for i in range(1, n + 1)}
    return " + ".join(terms), point


def timed(action: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """(median seconds, last result)."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def sympy_gradient(expr: Any, symbols: dict[str, Any], point: dict[str, float]) -> dict[str, float]:
    import sympy as sp

    subs = {symbols[name]: sp.Float(value) for name, value in point.items()}
    return {name: float(sp.diff(expr, symbol).xreplace(subs).evalf(15))
            for name, symbol in symbols.items()}


def measure(n: int, repeats: int, budget: float) -> dict[str, Any]:
    text, point = expression(n)
    from_text, result = timed(lambda: exprdiff.grad(text, point), repeats)
    compiled = exprdiff.compile(text)
    sweeps, _ = timed(lambda: compiled.grad(point), repeats)
    expr, symbols = to_sympy(parser.parse(text))
    start = time.perf_counter()
    reference = sympy_gradient(expr, symbols, point)
    first = time.perf_counter() - start
    runs = [first]
    if first * (repeats - 1) <= budget:
        for _ in range(repeats - 1):
            start = time.perf_counter()
            sympy_gradient(expr, symbols, point)
            runs.append(time.perf_counter() - start)
    worst = max(abs(result.gradient[k] - v) / max(abs(v), 1.0) for k, v in reference.items())
    return {"n": n, "nodes": len(compiled.tape), "exprdiff": from_text, "sweeps": sweeps,
            "sympy": statistics.median(runs), "sympy_runs": len(runs), "error": worst}


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| variables | tape nodes | exprdiff from text | exprdiff sweeps | SymPy diff+eval "
             "(runs) | SymPy ÷ exprdiff | max rel. diff |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['nodes']} | {r['exprdiff'] * 1e3:.2f} ms | {r['sweeps'] * 1e3:.2f} ms"
            f" | {r['sympy'] * 1e3:.1f} ms ({r['sympy_runs']}) | {r['sympy'] / r['exprdiff']:.0f}×"
            f" | {r['error']:.1e} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--sizes", default="10,100,1000")
    options.add_argument("--repeats", type=int, default=5)
    options.add_argument("--budget", type=float, default=120.0)
    args = options.parse_args(argv)
    import sympy

    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows.append(measure(n, args.repeats, args.budget))
        print(f"n = {n}: done", file=sys.stderr, flush=True)
    print(f"One gradient, medians of {args.repeats} runs (Python {sys.version.split()[0]}, "
          f"SymPy {sympy.__version__}, exprdiff {exprdiff.__version__})\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
