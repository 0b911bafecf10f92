"""Rich step tables (SPEC §5) for a terminal; readable at 80 columns.

Subexpressions arrive already elided in the middle (steps.build's `width`); operation texts and
formulas that are still too wide are elided here the same way, never wrapped mid-token. Chain-rule
sums wrap only between their terms. A table shows at most ROWS rows (the first and the last
half), a sum at most TERMS terms and a path at most PATH_NODES nodes, each saying what it left
out: rich lays out about a thousand rows a second, and a screen holds fewer (docs/steps.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.table import Table
from rich.text import Text

from exprdiff.explain.paths import PathRow, Paths
from exprdiff.explain.steps import BackwardRow, FailedSteps, ForwardRow, Steps
from exprdiff.render.numbers import count, fmt

KINK_MARK = "⚠"
ERROR_MARK = "✗"
FORWARD = "Forward sweep: each node's value"
EDGES = "Local partials: one row per edge"
BACKWARD = "Backward sweep: each adjoint sums over the node's consumers (last first)"
GRADIENT = "Gradient"
PATHS = "Paths from the output to {} (multiply along a path, add across paths)"
#: Rows of one table (the first half and the last half are shown), terms of one chain-rule sum,
#: nodes of one path.
ROWS = 200
TERMS = 6
PATH_NODES = 24
EVERY_ROW = "--format markdown or --format json lists every row"

Row = TypeVar("Row")


def expression_width(console_width: int) -> int:
    """How wide a subexpression may be in the forward table of a console this wide."""
    return max(12, (console_width - 24) // 2)


def _table() -> FastTable:
    # The title is printed on its own line by print_steps, so a narrow table never wraps it.
    return FastTable()


class FastTable:
    """rich's SIMPLE_HEAD table (no edge, no edge padding), laid out here in one pass when every
    row fits the console's width, else by rich itself (which wraps and folds cells): rich lays
    out about a thousand rows a second, this a hundred thousand, the same characters."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, str, dict[str, object]]] = []
        self.rows: list[tuple[Text, ...]] = []
        self.caption: str | None = None
        self.caption_justify = "left"

    def add_column(self, header: str, justify: str = "left", **options: object) -> None:
        self.columns.append((header, justify, options))

    def add_row(self, *cells: str | Text) -> None:
        self.rows.append(tuple(c if isinstance(c, Text) else Text(c) for c in cells))

    def _rich(self) -> Table:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header, justify, options in self.columns:
            table.add_column(header, justify=justify, **options)  # type: ignore[arg-type]
        for row in self.rows:
            table.add_row(*row)
        table.caption, table.caption_justify = self.caption, self.caption_justify  # type: ignore[assignment]
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = [max([cell_len(header)] + [row[k].cell_len for row in self.rows])
                  for k, (header, _, _) in enumerate(self.columns)]
        total = sum(widths) + 3 * (len(widths) - 1)
        if total > options.max_width or any("\n" in c.plain for row in self.rows for c in row):
            yield self._rich()
            return
        justify = [j for _, j, _ in self.columns]
        heads = [Text(h, style="table.header") for h, _, _ in self.columns]
        for cells in [heads, None, *self.rows]:
            if cells is None:
                yield Text("─" * total)
                continue
            line = Text()
            for k, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                if k:
                    line.append("   ")
                pad = " " * (width - cell.cell_len)
                if justify[k] == "right":
                    line.append(pad)
                    line.append_text(cell)
                else:
                    line.append_text(cell)
                    line.append(pad)
            line.no_wrap = True
            yield line
        if self.caption:
            yield Constrain(Text(self.caption, style="table.caption", justify="left"), total)


def _elide(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = max(1, (width - 1) // 2)
    return text[:keep] + "…" + text[len(text) - (width - keep - 1):]


def _spaced(numbers: str) -> str:
    # Room to wrap between factors: a long product then breaks at a `·`, not inside a number.
    return numbers if len(numbers) <= 24 else numbers.replace("·", " · ")


def forward_table(rows: Sequence[ForwardRow], precision: int | None, width: int) -> FastTable:
    table = _table()
    for name, justify in (("node", "left"), ("operation", "left"), ("expression", "left"),
                          ("value", "right")):
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis")
    room = expression_width(width)
    for row in _rows(table, rows):
        value = Text("undefined" if row.value is None else fmt(row.value, precision))
        if row.kink is not None:
            value.append(f" {KINK_MARK}", style="bold yellow")
        if row.error is not None:
            value.append(f" {ERROR_MARK}", style="bold red")
        if row.kind == "operation":
            table.add_row(row.node, _elide(f"{row.node} = {row.op}", room),
                          _elide(row.expression, room), value)
        else:
            table.add_row(row.node, Text(row.kind, style="dim"), "", value)
    return table


def edge_table(steps: Steps, precision: int | None, width: int) -> FastTable:
    table = _table()
    table.add_column("edge", no_wrap=True)
    table.add_column("formula", no_wrap=True, overflow="ellipsis")
    table.add_column("value", justify="right", no_wrap=True)
    room = max(12, width - 40)
    for edge in _rows(table, steps.edges):
        value = Text(fmt(edge.partial, precision))
        if edge.one_sided is not None:
            left, right = ("undefined" if s is None else fmt(s, precision) for s in edge.one_sided)
            value.append(f" {KINK_MARK} left {left}, right {right}", style="bold yellow")
        table.add_row(edge.symbol, _elide(edge.formula, room), value)
    return table


def backward_table(steps: Steps, precision: int | None) -> FastTable:
    table = _table()
    table.add_column("adjoint", no_wrap=True)
    table.add_column("chain rule", overflow="fold", ratio=3)
    table.add_column("numbers", overflow="fold", ratio=2)
    table.add_column("value", justify="right", no_wrap=True)
    for row in _rows(table, steps.backward):
        formula, numbers = _sum_cells(row, lambda v: fmt(v, precision))
        table.add_row(row.symbol, formula, _spaced(numbers), fmt(row.adjoint, precision))
    return table


def gradient_table(steps: Steps, precision: int | None) -> FastTable:
    table = _table()
    table.add_column("", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for name, value in _rows(table, list(steps.gradient.items())):
        table.add_row(f"∂{steps.output}/∂{name}", fmt(value, precision))
    return table


def paths_table(paths: Paths, precision: int | None) -> RenderableType:
    table = _table()
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("path", overflow="fold", ratio=2)
    table.add_column("numbers", overflow="fold", ratio=2)
    table.add_column("product", justify="right", no_wrap=True)
    for k, row in enumerate(paths.listed):
        route, numbers = _path_cells(row, lambda v: fmt(v, precision))
        table.add_row(str(k + 1), route, _spaced(numbers), fmt(row.product, precision))
    if paths.complete:
        total = count(paths.total, "path")
        note = (f"sum over the {total} = {fmt(paths.listed_sum, precision)} = "
                f"∂{paths.output}/∂{paths.variable} = {fmt(paths.adjoint, precision)}")
    else:
        note = (f"{len(paths.listed)} of {paths.total_text} paths listed (their sum "
                f"{fmt(paths.listed_sum, precision)}); ∂{paths.output}/∂{paths.variable} = "
                f"{fmt(paths.adjoint, precision)}")
        if paths.why:
            note += f"\n({paths.why})"
    return Group(table, Text(note))


def _rows(table: FastTable, rows: Sequence[Row]) -> Iterator[Row]:
    """The rows to lay out: all of them, or the first and the last ROWS // 2, between which
    this adds a `…` row to `table`; the caption then says how many were left out."""
    if len(rows) <= ROWS:
        yield from rows
        return
    half = ROWS // 2
    table.caption = (f"{len(rows) - 2 * half:,} of {len(rows):,} rows left out after row "
                     f"{half}: {EVERY_ROW}")
    table.caption_justify = "left"
    yield from rows[:half]
    table.add_row("…", *([""] * (len(table.columns) - 1)))
    yield from rows[-half:]


def _sum_cells(row: BackwardRow, number: Callable[[float], str]) -> tuple[str, str]:
    """The chain-rule sum and its numbers, the middle terms left out beyond TERMS terms."""
    if len(row.terms) <= TERMS:
        return row.formula, row.substituted(number)
    shown = [*row.terms[:TERMS - 1], row.terms[-1]]
    more = f" + … ({len(row.terms):,} terms) + "
    formulas = [t.text(row.output) for t in shown]
    numbers = [f"{_factor(number(t.adjoint))}·{_factor(number(t.partial))}" for t in shown]
    return (" + ".join(formulas[:-1]) + more + formulas[-1],
            " + ".join(numbers[:-1]) + more + numbers[-1])


def _path_cells(row: PathRow, number: Callable[[float], str]) -> tuple[str, str]:
    """A path's nodes and its numbers, the middle left out beyond PATH_NODES nodes."""
    if len(row.nodes) <= PATH_NODES:
        return " → ".join(row.nodes), row.substituted(number)
    half = PATH_NODES // 2
    more = f" … ({len(row.nodes):,} nodes) … "
    numbers = [_factor(number(p)) for p in row.partials]
    return (" → ".join(row.nodes[:half]) + more + " → ".join(row.nodes[-half:]),
            "·".join(numbers[:half]) + more + "·".join(numbers[-half + 1:]))


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def print_steps(console: Console, steps: Steps, precision: int | None,
                tables: bool = True) -> None:
    """The four tables of SPEC §5 (with `tables`) and, when asked, the paths."""
    width = console.width
    parts: list[tuple[str, RenderableType]] = []
    if tables:
        parts += [(FORWARD, forward_table(steps.forward, precision, width)),
                  (EDGES, edge_table(steps, precision, width)),
                  (BACKWARD, backward_table(steps, precision)),
                  (GRADIENT, gradient_table(steps, precision))]
    if steps.paths is not None:
        parts.append((PATHS.format(steps.paths.variable), paths_table(steps.paths, precision)))
    for title, part in parts:
        console.print()
        console.print(Text(title, style="bold"), overflow="fold")
        console.print(part)
    if tables and steps.warnings:
        console.print(Text(f"{KINK_MARK} marks a non-differentiable point: see the warning above",
                           style="yellow"))


def print_failed(console: Console, failed: FailedSteps, precision: int | None) -> None:
    """A failed point: the forward table up to the node where it failed, marked ✗."""
    console.print(Text("f = ", style="bold") + Text(failed.expression))
    if failed.at:
        at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in failed.at.items())
        console.print(Text("at ", style="bold") + Text(at))
    console.print()
    console.print(Text(f"Forward sweep, up to the failing node {failed.error.node} "
                       f"({ERROR_MARK}; the error follows on stderr)", style="bold"),
                  overflow="fold")
    console.print(forward_table(failed.forward, precision, console.width))
