"""Rich tables for people: the value and gradient at each point, and warnings."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from exprdiff.render.numbers import fmt
from exprdiff.result import Result


def result_table(result: Result, precision: int | None = None) -> Table:
    """One point: f first, then ∂f/∂var for each chosen variable."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_row("f", fmt(result.value, precision))
    for name, partial in result.gradient.items():
        table.add_row(f"∂f/∂{name}", fmt(partial, precision))
    return table


def print_results(console: Console, results: Sequence[Result], precision: int | None) -> None:
    """Each point: the expression and point as text lines, the table, then its warnings."""
    for k, result in enumerate(results):
        if k:
            console.print()
        at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in result.at.items())
        console.print(Text("f = ", style="bold") + Text(_elide(result.expression, 200)))
        if at and len(result.at) > PLAIN_ROWS:
            console.file.write(f"at {at}\n")  # rich would wrap it word by word, for seconds
        elif at:
            console.print(Text("at ", style="bold") + Text(at))
        if len(result.gradient) > PLAIN_ROWS:
            _print_plain(console, result, precision)
        else:
            console.print(result_table(result, precision))
        for warning in result.warnings:
            line = Text("warning: ", style="bold yellow") + Text(warning.message)
            console.print(line, soft_wrap=True)


#: Beyond this many partials the table is plain aligned text: rich lays out ~1 000 rows a second,
#: so 100 000 variables would take minutes (issue 8: never hang).
PLAIN_ROWS = 2_000


def _print_plain(console: Console, result: Result, precision: int | None) -> None:
    rows = [("f", fmt(result.value, precision))]
    rows += [(f"∂f/∂{name}", fmt(partial, precision)) for name, partial in result.gradient.items()]
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
