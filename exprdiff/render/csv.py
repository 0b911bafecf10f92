"""CSV: one row per record, for single results, batches and point sets alike.

Columns known up front (a point set: its partials are named before the first row) let each row
be written as it comes, so 10⁶ rows are never held; otherwise the header is the union of the
variables met, and the table is written by `finish()` (also after an interrupt, with what was
done). Floats are written with repr, which round-trips.

Text cells are safe to open in a spreadsheet (SPEC §8; docs/batch.md, "CSV and spreadsheets"):
a text cell (file, expression, warnings, error_kind, error, and the header's names) whose first
character, or first after leading spaces, would start a formula gets a `'` in front, OWASP's
rule; so does one that starts with `'` itself, so that dropping one leading `'` from a text
cell gives back exactly what was meant. Number cells are never touched (`-4.0` stays a number).
Control and bidi characters in text cells are written as escapes (`\x1b`, `\u202e`), as on a
terminal: CSV has no escape of its own (jsonl keeps them exactly).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from exprdiff.errors import printable
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
            self.records.extend(per_output(record))
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
    header = ["row", "value", *(text_cell(f"df/d{name}") for name in names), "warnings",
              "error_kind", "error"]
    blank = [""] * (len(names) + 2)  # value, the partials, warnings

    def row(record: Record) -> list[Any]:  # once per row of 10⁶: kept lean
        if "error" in record:
            error = record["error"]
            return [record["row"], *blank, text_cell(error["kind"]), text_cell(error["message"])]
        notes = record["warnings"]
        warnings = text_cell(" | ".join(w["message"] for w in notes)) if notes else ""
        return [record["row"], repr(record["value"]),
                *map(repr, map(record["gradient"].__getitem__, names)), warnings, "", ""]

    return header, row


def per_output(record: Record) -> list[Record]:
    """A record with a Jacobian as one record per output (its row of the Jacobian, an
    "output" column naming it); any other record as it is."""
    matrix = record.get("jacobian")
    if matrix is None:
        return [record]
    rest = {k: v for k, v in record.items() if k not in ("jacobian", "outputs")}
    return [{**rest, "output": name, "value": record["outputs"][name], "gradient": row}
            for name, row in matrix.items()]


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
    expected = any("expect" in r for r in records)
    if any("output" in r for r in records):
        head.append("output")
    header = [*head, "line", "expression", "value", *map(text_cell, point_names),
              *(text_cell(f"df/d{name}") for name in gradient_names),
              "warnings", "error_kind", "error_column", "error", *(["check_ok"] if checked else []),
              *(["expect_ok", "expect"] if expected else [])]

    def row(record: Record) -> list[Any]:
        cells = _csv_row(record, head, point_names, gradient_names, checked)
        if expected:
            from exprdiff.render.expect import summary

            found = record.get("expect")
            cells += ([_cell(found["ok"]), text_cell(summary(found))] if found else ["", ""])
        return cells

    return header, row


def _csv_row(record: Record, head: list[str], point_names: dict[str, None],
             gradient_names: dict[str, None], checked: bool) -> list[Any]:
    at = record.get("at")
    at = at if isinstance(at, dict) else {}
    gradient = record.get("gradient", {})
    error = record.get("error") or {}
    warnings = " | ".join(w["message"] for w in record.get("warnings", ()))
    row = [text_cell(_cell(record.get(key))) for key in head]
    row += [_cell(record.get("line")), text_cell(record.get("expression", "")),
            _cell(record.get("value"))]
    row += [_cell(at.get(name)) for name in point_names]
    row += [_cell(gradient.get(name)) for name in gradient_names]
    row += [text_cell(warnings), text_cell(error.get("kind", "")), _cell(error.get("column")),
            text_cell(error.get("message", ""))]
    if checked:
        row.append(_cell(record["check"].get("ok")) if "check" in record else "")
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


#: First characters that make a spreadsheet read a cell as a formula: OWASP's `= + - @`, tab and
#: carriage return, their full-width forms, and `'` (so that the rule can be undone exactly).
FORMULA_STARTS = frozenset("=+-@\t\r'\uff1d\uff0b\uff0d\uff20")


def text_cell(text: str) -> str:
    """A text column's cell: control characters escaped, and a `'` in front of a cell that a
    spreadsheet would read as a formula (`=HYPERLINK(…)` → `'=HYPERLINK(…)`, `-x` → `'-x`).

    >>> text_cell("-x**2"), text_cell("x - 1"), text_cell("'quoted")
    ("'-x**2", 'x - 1', "''quoted")
    """
    if not text:
        return ""
    text = printable(text)
    if text[0] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text
