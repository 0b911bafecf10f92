"""`exprdiff grad EXPR --points FILE.csv`: read the CSV, sweep every row, write CSV or JSON Lines.

NumPy is imported here (np.loadtxt) and by exprdiff.vector: the CLI imports this module only
for --points, and says how to install NumPy when the import fails.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from exprdiff.api import Compiled
from exprdiff.errors import usage
from exprdiff.render.formats import Options, Writer, names, writer
from exprdiff.vector.registers import Array
from exprdiff.vector.runtime import Batch


def read_csv(path: str, variables: Sequence[str]) -> dict[str, Array]:
    """A CSV whose header names the variables (any order) → name → float64 column."""
    try:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as problem:
        raise usage(f"cannot read {path}: {problem.strerror}", variables) from None
    with handle:
        header = [name.strip() for name in handle.readline().strip().split(",")]
        if header == [""]:
            raise usage(f"{path} is empty: its first line must name the variables", variables)
        try:
            data = np.loadtxt(handle, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError as problem:
            raise usage(f"{path}: {problem}", variables) from None
    if data.size and data.shape[1] != len(header):
        raise usage(f"{path} has {data.shape[1]} columns but its header names {len(header)}",
                    variables)
    if len(set(header)) != len(header):
        raise usage(f"{path}'s header names a column twice", variables)
    return {name: data[:, k] if data.size else np.zeros(0) for k, name in enumerate(header)}


def point_writer(stream: TextIO, output: str, variables: Sequence[str],
                 partials: Sequence[str]) -> Writer:
    """The registry's writer for a point set: JSON Lines with --format jsonl, else CSV (the
    default format of grad, table, means CSV here; any other was refused by cli/modes.py).

    Each record holds its point (`at`), as a batch's does; the CSV writer is given the point's
    columns after `value`, where a batch's CSV has them: row, value, the variables, df/dNAME…,
    warnings, error_kind, error.
    """
    if output not in names("points"):
        output = "csv"
    out = writer(output, stream, Options("points", names=tuple(partials)))
    if output == "csv":
        _point_columns(out, variables)
    return out


def _point_columns(out: Writer, variables: Sequence[str]) -> None:
    """Give the registry's CSV writer of a point set the point's columns, after `value`."""
    from exprdiff.render.csv import Csv

    if not isinstance(out, Csv) or out.layout is None:
        return
    header, row = out.layout
    blank = [""] * len(variables)

    def with_point(record: dict[str, Any]) -> list[Any]:
        cells = row(record)
        at = record.get("at")
        cells[2:2] = at.values() if at is not None else blank  # floats: csv writes their repr
        return cells

    out.layout = ([*header[:2], *variables, *header[2:]], with_point)
    out.row = with_point


def write(stream: TextIO, batch: Batch, output: str) -> None:
    """Every row's record, streamed to the registry's writer (point_writer)."""
    out = point_writer(stream, output, batch.variables, tuple(batch.gradient))
    for record in batch.records():
        out.write(record)
    out.finish()


def command(compiled: Compiled, path: str, wrt: Sequence[str] | None, output: str,
            strict: bool) -> int:
    """`exprdiff grad EXPR --points FILE`: the exit status (1 if any row failed)."""
    arrays = read_csv(path, compiled.variables)
    batch = compiled.grad_points(arrays, wrt=wrt, strict=strict)
    write(sys.stdout, batch, output)
    sys.stdout.flush()
    for row, problem in sorted(batch.errors.items())[:5]:
        sys.stderr.write(f"error: row {row + 1}: {problem.message}\n")
    if len(batch.errors) > 5:
        sys.stderr.write(f"error: … and {len(batch.errors) - 5} more rows failed\n")
    return 1 if batch.errors else 0
