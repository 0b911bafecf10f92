"""`exprdiff grad EXPR --points FILE.csv`: read the CSV a block of rows at a time, sweep each
block, and write every row's record (CSV, or JSON Lines) as it comes, in bounded memory.

The file is read by exprdiff.vector.csvin (a bad row is an error record, the header is checked
before any output). NumPy is imported here and by exprdiff.vector: the CLI imports this module
only for --points, and says how to install NumPy when the import fails.
"""

from __future__ import annotations

import io
import sys
from collections import deque
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from exprdiff.api import Compiled
from exprdiff.errors import printable, usage
from exprdiff.render.formats import Options, Writer, names, writer
from exprdiff.vector.csvin import PointsFile

#: Rows whose error is repeated on stderr (all of them are in the output).
SHOWN_ERRORS = 5


def open_points(path: str, variables: Sequence[str]) -> TextIO:
    """The file (`-`: stdin) as UTF-8 text: a byte-order mark dropped, bytes that are not
    UTF-8 replaced (their row is then an error record)."""
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:
            return sys.stdin
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace")
    try:
        return open(path, encoding="utf-8-sig", errors="replace")  # noqa: SIM115
    except OSError as problem:
        raise usage(f"cannot read {path}: {problem.strerror}", variables) from None


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


def command(compiled: Compiled, path: str, wrt: Sequence[str] | None, output: str,
            strict: bool) -> int:
    """`exprdiff grad EXPR --points FILE`: the exit status (1 if any row failed).

    A mistake in the file's header or in --wrt is a usage error before any output; a row that
    cannot be read or evaluated is an error record, and the rows after it go on.
    """
    with open_points(path, compiled.variables) as handle:
        source = PointsFile(handle, path, compiled.variables)
        empty = {name: np.zeros(0) for name in compiled.variables}
        partials = tuple(compiled.grad_points(empty, wrt=wrt).gradient)  # checks --wrt
        out = point_writer(sys.stdout, output, compiled.variables, partials)
        failed: list[tuple[int, str]] = []  # the first SHOWN_ERRORS, for stderr
        count = 0
        for block in source:
            batch = compiled.grad_points(block.columns, wrt=wrt, strict=strict)
            deque(map(out.write, block.records(batch)), maxlen=0)  # one C loop per block
            count += len(block.problems) + len(batch.errors)
            if len(failed) < SHOWN_ERRORS:
                failed += block.failures(batch)[:SHOWN_ERRORS - len(failed)]
        out.finish()
    sys.stdout.flush()
    for row, message in failed:
        sys.stderr.write(f"error: row {row}: {printable(message)}\n")
    if count > len(failed):
        sys.stderr.write(f"error: … and {count - len(failed)} more rows failed\n")
    return 1 if count else 0

