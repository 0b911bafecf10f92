"""`python -m benchmarks.scaling`: exprdiff's own growth with size, in a process of its own.

String → full gradient for wide(N) and deep(D) at every size, the sizes **taking turns**
(timing.round_robin: shuffled rounds, each turn after an untimed call), printed as JSON of
medians. The harness runs it as a child process, and so can you:

    python -m benchmarks.scaling --sizes 100,1000,10000 --seconds 2

Why apart from the harness's main table: there the sizes run one after another, largest
last, in a process whose heap the peers reshape from row to row (SymPy's garbage, JAX's
compilation caches, PyTorch's allocator), so the ratio of two rows also measures what ran
between them. Here only exprdiff is loaded, and a burst of load from elsewhere on the machine
hits every size alike.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import exprdiff

from . import cases, timing

FAMILIES: dict[str, Callable[[int], str]] = {"wide": cases.wide, "deep": cases.deep}


def measure(sizes: list[int], seconds: float, rounds: int) -> dict[str, dict[str, Any]]:
    """Median seconds of `exprdiff.grad(text, point)` per (family, size), taking turns."""
    runs: dict[str, Callable[[], Any]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for family, make in FAMILIES.items():
        for n in sizes:
            text = make(n)
            compiled = exprdiff.compile(text)
            point = cases.point_for(compiled.variables)
            label = f"{family}({n})"
            runs[label] = lambda text=text, point=point: exprdiff.grad(text, point)
            rows[label] = {"family": family, "n": n, "nodes": len(compiled.tape),
                           "characters": len(text)}
    medians = timing.round_robin(runs, min_total=seconds, turn=0.05, min_rounds=rounds,
                                 max_reps=1000)
    for label, median in medians.items():
        rows[label]["median"] = median
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="comma-separated N and D (default: 100,1000,10000)")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="timed seconds per size at least (default: 2)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds at least (default: 15)")
    parser.add_argument("--smoke", action="store_true", help="one call each: does it run?")
    args = parser.parse_args()
    timing.SMOKE = args.smoke
    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    print(json.dumps(measure(sizes, args.seconds, args.rounds), indent=1))


if __name__ == "__main__":
    main()
