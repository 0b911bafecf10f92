"""Rich tables for people: the value and gradient at each point, and warnings; a batch's records
as one table, then their notes in full. Everything here reads records (render/formats.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from exprdiff.render.formats import Options, Record
from exprdiff.render.numbers import fmt


def result_table(record: Record, precision: int | None = None) -> RichTable:
    """One point: f first, then ∂f/∂var for each chosen variable."""
    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_row("f", fmt(record["value"], precision))
    for name, partial in record["gradient"].items():
        table.add_row(f"∂f/∂{name}", fmt(partial, precision))
    return table


def print_results(console: Console, records: Sequence[Record], precision: int | None) -> None:
    """Each point's result: the expression and point as text lines, the table, then its warnings.

    Failed points are left out: their errors go to stderr."""
    for k, record in enumerate(r for r in records if "error" not in r):
        if k:
            console.print()
        at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in record["at"].items())
        console.print(Text("f = ", style="bold") + Text(_elide(record["expression"], 200)))
        if at and len(record["at"]) > PLAIN_ROWS:
            console.file.write(f"at {at}\n")  # rich would wrap it word by word, for seconds
        elif at:
            console.print(Text("at ", style="bold") + Text(at))
        if len(record["gradient"]) > PLAIN_ROWS:
            _print_plain(console, record, precision)
        else:
            console.print(result_table(record, precision))
        for warning in record["warnings"]:
            line = Text("warning: ", style="bold yellow") + Text(warning["message"])
            console.print(line, soft_wrap=True)


#: Beyond this many partials the table is plain aligned text: rich lays out ~1 000 rows a second,
#: so 100 000 variables would take minutes (issue 8: never hang).
PLAIN_ROWS = 2_000


def _print_plain(console: Console, record: Record, precision: int | None) -> None:
    rows = [("f", fmt(record["value"], precision))]
    rows += [(f"∂f/∂{name}", fmt(partial, precision))
             for name, partial in record["gradient"].items()]
    left = max(len(name) for name, _ in rows)
    right = max(len(value) for _, value in rows)
    lines = [f"{name:<{left}}  {value:>{right}}" for name, value in rows]
    console.file.write("\n".join(lines) + "\n")


def _elide(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[-keep:]


class Table:
    """Rich tables for people, printed by `finish()` (their widths fit the widest cell): one
    expression's results one after the other (`print_results`); a batch as one table, one row
    per record, then the full notes."""

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.records: list[Record] = []
        self.console = Console(file=stream) if options.console is None else options.console()
        self.precision = options.precision
        self.single = options.source == "single"

    def write(self, record: Record) -> None:
        self.records.append(record)

    def flush(self) -> None:
        pass  # nothing is printed before finish()

    def finish(self) -> None:
        if self.single:
            print_results(self.console, self.records, self.precision)
            return
        if not self.records:
            return
        self.console.print(records_table(self.records, self.precision))
        for where, style, message in notes(self.records):
            self.console.print(Text(f"{where}: ", style="bold") + Text(message, style=style))


def records_table(records: Sequence[Record], precision: int | None = None) -> RichTable:
    """line · expression · at · value · gradient · note (its kind; `notes` has the text)."""
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
        expression = _shorten(str(record.get("expression", "")), 32)
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


def _shorten(text: str, width: int) -> str:
    """`text` cut in the middle to `width` characters (whitespace kept, unlike _elide)."""
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[-keep:]
