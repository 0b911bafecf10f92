"""`exprdiff grad EXPR --expect "x=…, y=…"`: check a hand-derived gradient; exit 1 if wrong."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from exprdiff.api import Compiled
from exprdiff.errors import ExitCode, ExprError
from exprdiff.expect import expect


def command(compiled: Compiled, claims: str, points: Sequence[dict[str, float]] | None,
            samples: int, seed: int, timeout: float, output: str, console: object) -> int:
    """Check the claims at `points` (or `samples` seeded random points), print the verdicts in
    `output` (table, json or jsonl), and return the exit code: 1 if any claim is wrong."""
    if points is not None and (_given("samples") or _given("seed")):
        raise ExprError("usage", "--samples and --seed choose random points, but --at gives "
                        "the points", hint="drop --at to check at random points, or drop "
                        "--samples/--seed")
    found = expect(compiled, claims, points, samples=samples, seed=seed, timeout=timeout)
    if output in ("json", "jsonl"):
        from exprdiff.render.json import dumps

        data = {"expression": compiled.source, "expect": found.to_dict()}
        sys.stdout.write(dumps(data, indent=2 if output == "json" else None) + "\n")
    else:
        from exprdiff.render.expect import print_expectation

        print_expectation(console, found)
    return ExitCode.OK if found.ok else ExitCode.EVALUATION_FAILED


def _given(name: str) -> bool:
    context = click.get_current_context()
    source = context.get_parameter_source(name)
    return source is not None and source is not click.core.ParameterSource.DEFAULT
