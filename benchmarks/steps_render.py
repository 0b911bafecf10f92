"""The step tables of a 1 002-node expression: the rich table against JSON, in fresh processes
taking turns (the issue "What a new user trips over", item 9: table ≤ 2× JSON)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from . import cases, timing


def steps_render(args: argparse.Namespace, out: list[str]) -> None:
    """Table: `grad WIDE --steps` as a rich table and as JSON, median wall time, and the ratio."""
    n = 3 if timing.SMOKE else 167  # wide(167): 6 × 167 = 1 002 tape nodes
    text = cases.wide(n)
    names = [f"x{i}" for i in range(1, n + 1)]
    point = ",".join(f"{name}={0.1 + 0.8 * k / n:.3f}" for k, name in enumerate(names))
    base = [sys.executable, "-m", "exprdiff", "grad", text, "--at", point, "--steps"]
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    commands = {"table (rich, 120 columns)": base, "json": [*base, "--format", "json"]}
    for command in commands.values():  # warm the OS's caches and the parse-table cache
        subprocess.run(command, check=True, capture_output=True, env=env)
    runs = {label: lambda command=command: subprocess.run(command, check=True,
                                                          capture_output=True, env=env)
            for label, command in commands.items()}
    results = timing.round_robin(runs, min_total=2.0, max_reps=max(args.runs, 3))
    out.append(f"| `grad wide({n}) --steps` ({6 * n} nodes), fresh process | median |")
    out.append("|---|---|")
    for label, seconds in results.items():
        out.append(f"| {label} | {seconds * 1e3:.0f} ms |")
    ratio = results["table (rich, 120 columns)"] / results["json"]
    out.append(f"| table ÷ json | {ratio:.2f} (goal ≤ 2) |")
