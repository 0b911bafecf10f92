"""Record writers for batch output, by `--format`: one module per format (jsonl.py, json.py,
csv.py, table.py); here the choice between them.

A record is the dict of SPEC §4 (`"line"`, the result keys or `"error"`). JSON Lines and the
JSON array are streamed record by record; CSV and the table need every record first (the CSV
header is the union of all variables, the table's columns fit the widest cell), so they are
written by `finish()` — also after an interrupt, with what was done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

Record = dict[str, Any]


def writer(output: str, stream: TextIO, console: Any = None, precision: int | None = None) -> Any:
    """The writer for `--format output` (jsonl, json, csv, table)."""
    if output == "jsonl":
        from exprdiff.render.jsonl import JsonLines

        return JsonLines(stream)
    if output == "json":
        from exprdiff.render.json import JsonArray

        return JsonArray(stream)
    if output == "csv":
        from exprdiff.render.csv import Csv

        return Csv(stream)
    from exprdiff.render.table import Table

    return Table(console, precision)


def emit(stream: TextIO, output: str, records: Sequence[Record]) -> None:
    """All of `records` at once, as jsonl or csv (one expression, several --at)."""
    out = writer(output, stream)
    for record in records:
        out.write(record)
    out.finish()
