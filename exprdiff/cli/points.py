"""`exprdiff grad EXPR --points FILE.csv`: read the CSV, sweep every row, write CSV or JSON Lines.

NumPy is imported here (np.loadtxt) and by exprdiff.vector: the CLI imports this module only
for --points, and says how to install NumPy when the import fails.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from exprdiff.api import Compiled
from exprdiff.errors import usage
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


def write(stream: TextIO, batch: Batch, output: str) -> None:
    """Every row's record, streamed to the registry's writer: CSV (row, value, df/dNAME…,
    warnings, error_kind, error), or JSON Lines with --format jsonl; the default format of
    grad (table) means CSV here, any other was refused by cli/modes.py."""
    from exprdiff.render.formats import Options, names, writer

    if output not in names("points"):
        output = "csv"
    out = writer(output, stream, Options("points", names=tuple(batch.gradient)))
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
