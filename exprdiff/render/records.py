"""Record writers for batch output: JSON Lines, CSV, one JSON array, and a rich table.

A record is the dict of SPEC §4 (`"line"`, the result keys or `"error"`). JSON Lines and the
JSON array are streamed record by record; CSV and the table need every record first (the CSV
header is the union of all variables, the table's columns fit the widest cell), so they are
written by `finish()` — also after an interrupt, with what was done.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from exprdiff.render.numbers import fmt

Record = dict[str, Any]


#: One encoder for every record; the C encoder writes each float with repr, which round-trips.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode


def dumps(record: Record) -> str:
    """One record as one line of JSON."""
    return _encode(record)


class JsonLines:
    """One JSON object per line, each handed to the stream whole; flushed per input line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, record: Record) -> None:
        self.stream.write(_encode(record) + "\n")

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        self.stream.flush()


class JsonArray:
    """One JSON array, one element per line, streamed; `finish()` closes it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.count = 0

    def write(self, record: Record) -> None:
        self.stream.write(("[\n" if self.count == 0 else ",\n") + _encode(record))
        self.count += 1

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()


class _Collected:
    """A writer that needs every record before it can print (a CSV header, a table's widths)."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def write(self, record: Record) -> None:
        self.records.append(record)

    def flush(self) -> None:
        pass  # nothing is printed before finish()


class Csv(_Collected):
    """One row per record; columns from the union of the variables met, in order of appearance.

    Columns: [file,] line, expression, value, the point (one column per variable), the gradient
    (`df/dNAME`), warnings, error_kind, error_column, error [, check_ok].
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

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


class Table(_Collected):
    """A rich table for people: one row per record, then the full notes; printed by `finish()`."""

    def __init__(self, console: Any, precision: int | None = None) -> None:
        super().__init__()
        self.console = console
        self.precision = precision

    def finish(self) -> None:
        if not self.records:
            return
        from rich.text import Text

        self.console.print(records_table(self.records, self.precision))
        for where, style, message in notes(self.records):
            self.console.print(Text(f"{where}: ", style="bold") + Text(message, style=style))


def records_table(records: Sequence[Record], precision: int | None = None) -> Any:
    """line · expression · at · value · gradient · note (its kind; `notes` has the text)."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("expression", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("at")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("gradient")
    table.add_column("note", no_wrap=True)
    for record in records:
        at = record.get("at")
        point = ", ".join(f"{n}={fmt(v, precision)}" for n, v in (at or {}).items())
        expression = _elide(str(record.get("expression", "")), 32)
        if "error" in record:
            note = Text(f"{record['error']['kind']} error", style="red")
            table.add_row(_where(record), expression, point, "", "", note)
            continue
        gradient = ", ".join(f"{n}: {fmt(v, precision)}" for n, v in record["gradient"].items())
        marks = ["warning"] * bool(record.get("warnings"))
        if "check" in record:
            marks.append("check ok" if record["check"].get("ok") else "check FAILED")
        table.add_row(_where(record), expression, point, fmt(record["value"], precision),
                      gradient, Text(", ".join(marks), style="yellow"))
    return table


def notes(records: Sequence[Record]) -> list[tuple[str, str, str]]:
    """(where, style, message) for every error, warning and failed check, in record order."""
    found: list[tuple[str, str, str]] = []
    for record in records:
        where = f"line {_where(record)}"
        if "error" in record:
            found.append((where, "red", f"{record['error']['kind']} error: "
                          f"{record['error']['message']}"))
        found += [(where, "yellow", f"warning: {w['message']}")
                  for w in record.get("warnings", ())]
        check = record.get("check")
        if check is not None and not check.get("ok"):
            found.append((where, "red", "check failed: " + "; ".join(check.get("failures", ()))))
    return found


def _where(record: Record) -> str:
    line = str(record.get("line", ""))
    return f"{record['file']}:{line}" if "file" in record else line


def _elide(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[-keep:]


def writer(output: str, stream: TextIO, console: Any = None, precision: int | None = None) -> Any:
    """The writer for `--format output` (jsonl, json, csv, table)."""
    if output == "jsonl":
        return JsonLines(stream)
    if output == "json":
        return JsonArray(stream)
    if output == "csv":
        return Csv(stream)
    return Table(console, precision)


def emit(stream: TextIO, output: str, records: Sequence[Record]) -> None:
    """All of `records` at once, as jsonl or csv (one expression, several --at)."""
    out = writer(output, stream)
    for record in records:
        out.write(record)
    out.finish()
