"""`exprdiff grad EXPR --at … --conventions`: what PyTorch, JAX and SymPy would say at each kink
or jump the point meets, beside exprdiff's own one-sided derivatives (exprdiff/conventions.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import cast

from exprdiff.api import Compiled
from exprdiff.cli.output import report
from exprdiff.conventions import peers
from exprdiff.errors import ExitCode, ExprError
from exprdiff.tape import Tape


def command(compiled: Compiled, points: Sequence[dict[str, float]], output: str,
            precision: int | None, console: object) -> int:
    """Print the conventions at each point in `output` (table, markdown or json); exit 1 if
    the expression cannot be evaluated at some point (that point is reported, the rest shown)."""
    records: list[dict[str, object]] = []
    failed: list[ExprError] = []
    for point in points:
        try:
            result = compiled.grad(point)
        except ExprError as problem:
            if problem.kind in ("usage", "parse"):
                raise
            failed.append(problem)
            continue
        tape = cast(Tape, result.tape)  # (a grad result always carries its tape)
        arguments = {i: args for i, _, _, args in tape.program}
        labels = tape.labels
        found = []
        for warning in result.warnings:
            node = labels.index(warning.node)
            operands = arguments[node]
            for convention in peers(warning, [result.values[a] for a in operands]):
                found.append({**convention.to_dict(),
                              "operand": labels[operands[convention.argument]]})
        records.append({"at": dict(point), "value": result.value,
                        "gradient": dict(result.gradient), "conventions": found})
    if output == "json":
        from exprdiff.render.json import dumps

        # JSON has no NaN: a tool's 0/0 is written "nan" (a string), no value is null.
        for record in records:
            record["conventions"] = [{k: "nan" if isinstance(v, float) and v != v else v
                                      for k, v in row.items()}
                                     for row in record["conventions"]]  # type: ignore[attr-defined]
        data = {"expression": compiled.source, "points": records}
        sys.stdout.write(dumps(data, indent=2) + "\n")
    elif output == "markdown":
        from exprdiff.render.conventions import markdown

        sys.stdout.write(markdown(compiled.source, records, precision))
    else:
        from exprdiff.render.conventions import print_conventions

        print_conventions(console, compiled.source, records, precision)
    for failure in failed:
        report(failure)
    return ExitCode.EVALUATION_FAILED if failed else ExitCode.OK
