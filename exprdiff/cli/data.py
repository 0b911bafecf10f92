"""`exprdiff grad PROGRAM --data rows.csv --at w=…`: the training-set loss of seed 001 (the
mean of the output over the rows, or the sum) and its gradient with respect to the `--at`
variables, swept by the many-points engine (exprdiff.vector.dataset)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from exprdiff.api import Compiled, Result
from exprdiff.cli.notes import warn
from exprdiff.cli.output import console, emit_results
from exprdiff.errors import ExitCode, ExprError, usage
from exprdiff.outputs import output_name
from exprdiff.points import parse_assignments
from exprdiff.render.json import dumps
from exprdiff.render.table import result_table
from exprdiff.vector.dataset import read_rows, reduce_rows


def command(compiled: Compiled, path: str, points: Sequence[str], wrt: Sequence[str] | None,
            reduce: str, output: str, precision: int | None, steps_row: int | None = None) -> int:
    """Read the rows, reduce, print; exit 1 when a row failed (it is left out and named).
    With `steps_row` (--steps; --row N, default 1): that row's step tables first, then the
    accumulation over the rows."""
    if output not in ("table", "json"):
        raise usage("--data writes a table or JSON (--format table|json)", compiled.variables)
    if len(points) > 1:
        raise usage("--data takes one --at: the weights, the same at every row",
                    compiled.variables)
    text = _read(path, compiled.variables)
    rows = read_rows(text, path, compiled.variables)
    at = parse_assignments(points[0], compiled.variables) if points else {}
    missing = [n for n in compiled.variables if n not in rows and n not in at]
    if missing:
        raise usage(f"no value for {', '.join(missing)}: give it in --at or as a column of "
                    f"{path}", compiled.variables)
    code: int = ExitCode.OK
    if steps_row is not None and output == "table":
        code = _row_steps(compiled, rows, at, wrt, steps_row, path, precision)
    reduced = reduce_rows(compiled, rows, at, wrt=wrt, reduce=reduce)
    name = output_name(compiled.tape)
    label = f"{reduce} of {name} over {reduced.rows} rows"
    if output == "json":
        sys.stdout.write(dumps({"expression": compiled.source, "data": path, "at": at,
                                **reduced.to_dict()}) + "\n")
    else:
        record = {"value": reduced.value, "gradient": reduced.gradient,
                  "outputs": {"ℒ": reduced.value}}  # seed 001's ℒ(w)
        console().print(f"ℒ = {label} of {path}", markup=False, highlight=False)
        console().print(result_table(record, precision))
    for row, why in reduced.failed:
        warn(f"row {row} of {path} left out: {why}")
    if reduced.failures > len(reduced.failed):
        warn(f"… {reduced.failures - len(reduced.failed)} more rows left out")
    return ExitCode.EVALUATION_FAILED if reduced.failures else code


def _row_steps(compiled: Compiled, rows: dict[str, Any], at: dict[str, float],
               wrt: Sequence[str] | None, row: int, path: str, precision: int | None) -> int:
    count = len(next(iter(rows.values()))) if rows else 0
    if row > count:
        raise usage(f"--row {row}: {path} has {count} rows", compiled.variables)
    point = {**at, **{name: float(column[row - 1]) for name, column in rows.items()}}
    chosen = list(wrt) if wrt is not None else [n for n in compiled.variables if n in at]
    console().print(f"row {row} of {path}:", markup=False, highlight=False)
    try:
        result: Result | ExprError = compiled.grad(point, wrt=chosen, record=True)
    except ExprError as problem:
        if problem.kind in ("usage", "parse"):
            raise
        result = problem
    code = emit_results([result], [point], "table", precision, steps=True)
    console().print()
    return code


def _read(path: str, variables: Sequence[str]) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as problem:
        reason = problem.strerror if isinstance(problem, OSError) else "not UTF-8 text"
        raise ExprError("usage", f"cannot read {path}: {reason}") from None
