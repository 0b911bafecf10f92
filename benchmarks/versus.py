"""`python -m benchmarks.versus --base REV`: this checkout against an earlier commit, one run.

The base commit is checked out into a temporary git worktree; each version is timed in child
processes of its own (only that version on `sys.path`), the two **taking turns** round by
round, so a burst of load on this shared machine hits both alike. Rows: string → gradient
(`exprdiff.grad(text, point)`) on the seed, wide(1000) and deep(10000), and a fresh process
(`python -m exprdiff grad SEED --at … --format json`, start-up included). Prints a markdown
table of medians and the ratio new ÷ base (above 1.10 is a slowdown beyond 10 %).

    python -m benchmarks.versus --base 5b5c894 --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import cases

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT, SEED_POINT = cases.SEEDS["seed-001"]

#: The in-process rows: label → (family, size); run by CHILD in each version's process.
ROWS = {"seed-001": ("seed", 0), "wide(1000)": ("wide", 1000), "deep(10000)": ("deep", 10000)}

CHILD = """
import json, sys, time, statistics
import exprdiff
job = json.load(sys.stdin)
text, point, seconds = job["text"], job["point"], job["seconds"]
exprdiff.grad(text, point)
times = []
spent = 0.0
while spent < seconds or len(times) < 5:
    start = time.perf_counter()
    exprdiff.grad(text, point)
    took = time.perf_counter() - start
    times.append(took)
    spent += took
print(json.dumps([exprdiff.__file__, statistics.median(times)]))
"""


def job(family: str, n: int) -> tuple[str, dict[str, float]]:
    if family == "seed":
        return SEED_TEXT, SEED_POINT
    text = getattr(cases, family)(n)
    names = list(dict.fromkeys(_names(text)))
    return text, cases.point_for(tuple(names))


def _names(text: str) -> list[str]:
    import re

    return [m for m in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)
            if m not in ("sin", "sqrt", "tanh")]


def child(tree: Path, family: str, n: int, seconds: float) -> float:
    """Median seconds of one row, measured in a fresh process running `tree`'s exprdiff."""
    text, point = job(family, n)
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, check=True, cwd=tree,
                          input=json.dumps({"text": text, "point": point, "seconds": seconds}))
    where, median = json.loads(done.stdout.strip().splitlines()[-1])
    if not where.startswith(str(tree)):
        raise RuntimeError(f"the child ran {where}, not the tree {tree}")
    return float(median)


def fresh(tree: Path, cache: Path) -> float:
    """Wall seconds of one fresh `python -m exprdiff grad SEED --format json`, with a parse-table
    cache of the tree's own (two versions sharing one would rebuild it on every run)."""
    point = ",".join(f"{k}={v:g}" for k, v in SEED_POINT.items())
    env = dict(os.environ, PYTHONPATH=str(tree), XDG_CACHE_HOME=str(cache))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exprdiff", "grad", SEED_TEXT, "--at", point,
                    "--format", "json"], env=env, capture_output=True, check=True, cwd=tree)
    return time.perf_counter() - start


def measure(trees: dict[str, Path], rounds: int, seconds: float,
            fresh_runs: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, list[float]]] = {
        row: {name: [] for name in trees} for row in [*ROWS, "fresh process"]}
    for k in range(rounds):
        order = list(trees) if k % 2 == 0 else list(reversed(trees))
        for row, (family, n) in ROWS.items():
            for name in order:
                found[row][name].append(child(trees[name], family, n, seconds))
    import compileall

    for tree in trees.values():  # byte-compiled as `pip install` does, for both alike
        compileall.compile_dir(str(tree / "exprdiff"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="exprdiff-caches-") as caches:
        for name, tree in trees.items():  # one untimed run fills each version's cache
            fresh(tree, Path(caches) / name)
        for k in range(fresh_runs):
            order = list(trees) if k % 2 == 0 else list(reversed(trees))
            for name in order:
                found["fresh process"][name].append(fresh(trees[name], Path(caches) / name))
    return {row: {name: statistics.median(t) for name, t in by.items()}
            for row, by in found.items()}


def show(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.versus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--rounds", type=int, default=7, help="turns per row (default: 7)")
    parser.add_argument("--seconds", type=float, default=0.5,
                        help="timed seconds per turn (default: 0.5)")
    parser.add_argument("--fresh", type=int, default=20,
                        help="fresh-process runs per version (default: 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exprdiff-base-") as folder:
        base = Path(folder) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            results = measure({"base": base, "new": ROOT}, args.rounds, args.seconds,
                              args.fresh)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           check=False, capture_output=True)
    print(f"| row | base {args.base} | this checkout | new ÷ base |")
    print("|---|---:|---:|---:|")
    for row, by in results.items():
        print(f"| {row} | {show(by['base'])} | {show(by['new'])} | "
              f"{by['new'] / by['base']:.3f} |")


if __name__ == "__main__":
    main()
