"""Rich tables for people: the value and gradient at each point, and warnings; a batch's records
as one table, then their notes in full, or as blocks (render/batch_table.py). Everything here
reads records (render/formats.py); user text is shown escaped (render/prose.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from exprdiff.errors import printable
from exprdiff.render.formats import Options, Record
from exprdiff.render.numbers import fmt
from exprdiff.render.outputs import heading, output_label
from exprdiff.render.prose import wrap


def result_table(record: Record, precision: int | None = None,
                 names: Sequence[str] | None = None) -> RichTable:
    """One point: f first, then ∂f/∂var for each chosen variable (a program's output by its
    name); several outputs: their Jacobian, a row per output and a column per variable (the
    columns of `names` only, when given: see jacobian_tables)."""
    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    matrix = record.get("jacobian")
    if matrix is not None:
        first = names is None or names[:1] == list(record["gradient"])[:1]
        names = list(record["gradient"]) if names is None else names
        if first:
            table.add_column("value", justify="right", no_wrap=True)
        for name in names:
            table.add_column(f"∂/∂{printable(name)}", justify="right", no_wrap=True)
        for output, row in matrix.items():
            table.add_row(printable(output),
                          *([fmt(record["outputs"][output], precision)] if first else []),
                          *(fmt(row[name], precision) for name in names))
        return table
    table.add_column("value", justify="right", no_wrap=True)
    output = printable(output_label(record))
    table.add_row(output, fmt(record["value"], precision))
    for name, partial in record["gradient"].items():
        table.add_row(f"∂{output}/∂{name}", fmt(partial, precision))
    return table


def print_results(console: Console, records: Sequence[Record], precision: int | None) -> None:
    """Each point's result: the expression and point as text lines, the table, then its warnings.

    Failed points are left out: their errors go to stderr. Warnings are wrapped at word
    boundaries on a terminal, one line each elsewhere."""
    wrap_width = console.width if console.is_terminal else None
    for k, record in enumerate(r for r in records if "error" not in r):
        if k:
            console.print()
        at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in record["at"].items())
        head, text = heading(record)
        expression = printable(_elide(text, 200))
        console.print(Text(head, style="bold") + Text(expression))
        if at and len(record["at"]) > PLAIN_ROWS:
            console.file.write(f"at {at}\n")  # rich would wrap it word by word, for seconds
        elif at:
            console.print(Text("at ", style="bold") + Text(at))
        if len(record["gradient"]) > PLAIN_ROWS:
            _print_plain(console, record, precision)
        elif record.get("jacobian") is not None:
            for j, table in enumerate(jacobian_tables(record, precision, console.width)):
                if j:
                    console.print()
                console.print(table)
        else:
            console.print(result_table(record, precision))
        for warning in record["warnings"]:
            first, *rest = wrap(f"warning: {printable(warning['message'])}", wrap_width)
            line = Text("warning:", style="bold yellow") + Text(first[len("warning:"):])
            console.print(Text("\n").join([line, *map(Text, rest)]), soft_wrap=True)


#: Beyond this many partials the table is plain aligned text: rich lays out ~1 000 rows a second,
#: so 100 000 variables would take minutes (issue 8: never hang).
PLAIN_ROWS = 2_000


def jacobian_tables(record: Record, precision: int | None, width: int) -> list[RichTable]:
    """The Jacobian as tables of `width` characters at most: its columns in groups, each
    table repeating the outputs' names (the value column is in the first)."""
    matrix = record["jacobian"]
    label = max(len(printable(output)) for output in matrix)
    value = max(len(fmt(v, precision)) for v in record["outputs"].values())
    groups: list[list[str]] = [[]]
    used = label + 1 + max(value, len("value")) + 3  # rich: padding 1 + 1 and a divider
    for name in record["gradient"]:
        cell = max(len(f"∂/∂{printable(name)}"),
                   *(len(fmt(row[name], precision)) for row in matrix.values())) + 3
        if groups[-1] and used + cell - 1 > width:  # (the last column has no right padding)
            groups.append([])
            used = label + 1
        groups[-1].append(name)
        used += cell
    return [result_table(record, precision, names) for names in groups]


def _print_plain(console: Console, record: Record, precision: int | None) -> None:
    output = printable(output_label(record))
    rows = [(output, fmt(record["value"], precision))]
    rows += [(f"∂{output}/∂{name}", fmt(partial, precision))
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
    """Rich tables for people. One expression's results one after the other (`print_results`),
    printed by `finish()`; a batch as one table whose widths fit the widest cell, then the full
    notes, printed by `finish()` (render/batch_table.py), or, when `options.live` (lines typed
    at a terminal), each record as a block as soon as it is written."""

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.records: list[Record] = []
        self.console = Console(file=stream) if options.console is None else options.console()
        self.precision = options.precision
        self.single = options.source == "single"
        self.live = options.live and not self.single

    def write(self, record: Record) -> None:
        if self.live:
            from exprdiff.render.batch_table import print_blocks

            print_blocks(self.console, [record], self.precision)  # the typed line parts two
            return
        self.records.append(record)

    def flush(self) -> None:
        if self.live:
            self.console.file.flush()

    def finish(self) -> None:
        if self.single:
            print_results(self.console, self.records, self.precision)
        elif self.records:
            from exprdiff.render.batch_table import print_records

            print_records(self.console, self.records, self.precision)
