"""CSV: one row per record, for single results, batches and point sets alike.

Columns known up front (a point set: its partials are named before the first row) let each row
be written as it comes, so 10⁶ rows are never held; otherwise the header is the union of the
variables met, and the table is written by `finish()` (also after an interrupt, with what was
done). Floats are written with repr, which round-trips.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from exprdiff.render.formats import Options, Record

#: A CSV layout: the header, and the row of one record.
Layout = tuple[list[str], Callable[[Record], list[Any]]]


class Csv:
    """One row per record, in one of two layouts.

    A point set's (its `names` given): row, value, `df/dNAME` for each name, warnings, error_kind,
    error; streamed. Single results' and a batch's: [file,] line, expression, value, the point
    (one column per variable), the gradient (`df/dNAME`), warnings, error_kind, error_column,
    error [, check_ok], over the union of the variables met; written by `finish()`.
    """

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream
        self.rows = csv.writer(stream, lineterminator="\n")
        self.records: list[Record] = []  # kept only while the columns are unknown
        self.layout: Layout | None = None
        if options.source == "points" and options.names is not None:
            self.layout = point_layout(options.names)
            self.row = self.layout[1]
        self.started = False

    def write(self, record: Record) -> None:
        if self.layout is None:
            self.records.append(record)
            return
        if not self.started:
            self._start(self.layout)
        self.rows.writerow(self.row(record))

    def flush(self) -> None:
        if self.started:
            self.stream.flush()

    def finish(self) -> None:
        layout = self.layout or record_layout(self.records)
        if not self.started:
            self._start(layout)
        self.rows.writerows(map(layout[1], self.records))
        self.stream.flush()

    def _start(self, layout: Layout) -> None:
        self.rows.writerow(layout[0])
        self.started = True


def point_layout(names: Sequence[str]) -> Layout:
    """A point set's columns: row, value, df/dNAME…, warnings, error_kind, error."""
    header = ["row", "value", *(f"df/d{name}" for name in names), "warnings", "error_kind",
              "error"]
    blank = [""] * (len(names) + 2)  # value, the partials, warnings

    def row(record: Record) -> list[Any]:  # once per row of 10⁶: kept lean
        if "error" in record:
            error = record["error"]
            return [record["row"], *blank, error["kind"], error["message"]]
        notes = record["warnings"]
        warnings = " | ".join(w["message"] for w in notes) if notes else ""
        return [record["row"], repr(record["value"]),
                *map(repr, map(record["gradient"].__getitem__, names)), warnings, "", ""]

    return header, row


def record_layout(records: Sequence[Record]) -> Layout:
    """The columns of single results and batches, over the union of the variables met."""
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

    def row(record: Record) -> list[Any]:
        return _csv_row(record, head, point_names, gradient_names, checked)

    return header, row


def _csv_row(record: Record, head: list[str], point_names: dict[str, None],
             gradient_names: dict[str, None], checked: bool) -> list[Any]:
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
