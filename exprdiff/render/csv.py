"""CSV: one row per record; the header is the union of the variables met, so the table is
written by `finish()` (also after an interrupt, with what was done)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any, TextIO

from exprdiff.render.formats import Options, Record


class Csv:
    """One row per record; columns from the union of the variables met, in order of appearance.

    Columns: [file,] line, expression, value, the point (one column per variable), the gradient
    (`df/dNAME`), warnings, error_kind, error_column, error [, check_ok].
    """

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream
        self.records: list[Record] = []

    def write(self, record: Record) -> None:
        self.records.append(record)

    def flush(self) -> None:
        pass  # nothing is printed before finish()

    def finish(self) -> None:
        write_csv(self.stream, self.records)
        self.stream.flush()


def write_csv(stream: TextIO, records: Sequence[Record]) -> None:
    """The CSV table of `records` (see Csv)."""
    point_names: dict[str, None] = {}
    gradient_names: dict[str, None] = {}
    for record in records:
        at = record.get("at")
        if isinstance(at, dict):
            point_names.update(dict.fromkeys(at))
        gradient_names.update(dict.fromkeys(record.get("gradient", ())))
    head = ["file"] if any("file" in r for r in records) else []
    checked = any("check" in r for r in records)
    header = [*head, "line", "expression", "value", *point_names,
              *(f"df/d{name}" for name in gradient_names),
              "warnings", "error_kind", "error_column", "error", *(["check_ok"] if checked else [])]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow(_csv_row(record, head, point_names, gradient_names, checked))


def _csv_row(record: Record, head: list[str], point_names: dict[str, None],
             gradient_names: dict[str, None], checked: bool) -> list[str]:
    at = record.get("at")
    at = at if isinstance(at, dict) else {}
    gradient = record.get("gradient", {})
    error = record.get("error") or {}
    warnings = " | ".join(w["message"] for w in record.get("warnings", ()))
    row = [_cell(record.get(key)) for key in head]
    row += [_cell(record.get("line")), record.get("expression", ""), _cell(record.get("value"))]
    row += [_cell(at.get(name)) for name in point_names]
    row += [_cell(gradient.get(name)) for name in gradient_names]
    row += [warnings, error.get("kind", ""), _cell(error.get("column")), error.get("message", "")]
    if checked:
        row.append(_cell(record["check"].get("ok")) if "check" in record else "")
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)
