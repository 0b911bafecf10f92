"""Forward mode's tangent tables in the step formats: a rich table, Markdown and LaTeX (JSON is
the tables' own to_dict). They format explain/tangents.py's rows; nothing here computes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exprdiff.errors import printable
from exprdiff.explain.tangents import TangentTable, dotted
from exprdiff.render.latex import BEGIN, END, symbol, texttt
from exprdiff.render.latex import number as latex_number
from exprdiff.render.numbers import fmt

KINK_NOTE = ("⚠ a kink: forward mode takes the exact one-sided slope on the side the "
             "direction moves to")


def title(table: TangentTable) -> str:
    seeds = ", ".join(f"{dotted(n)} = {fmt(v)}" for n, v in table.direction.items())
    return f"Forward sweep (tangents) along {seeds}"


def print_tables(console: Any, tables: Sequence[TangentTable], precision: int | None) -> None:
    """Each direction's tangent table as a rich table, then the derivative it gives."""
    from rich import box
    from rich.table import Table

    for table in tables:
        console.print()
        out = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                    title=title(table), title_justify="left")
        for heading, justify in (("node", "left"), ("value", "right"), ("tangent rule", "left"),
                                 ("numbers", "left"), ("tangent", "right")):
            out.add_column(heading, justify=justify)  # type: ignore[arg-type]
        for row in table.rows:
            mark = " ⚠" if row.kink is not None else ""
            out.add_row(printable(row.node), fmt(row.value, precision),
                        f"{dotted(row.node)} = {row.formula}",
                        row.substituted(lambda v: fmt(v, precision)),
                        fmt(row.tangent, precision) + mark)
        console.print(out)
        if any(row.kink is not None for row in table.rows):
            console.print(KINK_NOTE)


def markdown(tables: Sequence[TangentTable], precision: int | None) -> str:
    parts = []
    for table in tables:
        lines = [f"**{title(table)}**", "",
                 "| node | value | tangent rule | numbers | tangent |", "|---|---:|---|---|---:|"]
        for row in table.rows:
            mark = " ⚠" if row.kink is not None else ""
            lines.append(f"| {row.node} | {fmt(row.value, precision)} | "
                         f"`{dotted(row.node)} = {row.formula}` | "
                         f"{row.substituted(lambda v: fmt(v, precision))} | "
                         f"{fmt(row.tangent, precision)}{mark} |")
        if any(row.kink is not None for row in table.rows):
            lines += ["", KINK_NOTE]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def latex(tables: Sequence[TangentTable], precision: int | None) -> str:
    parts = []
    for table in tables:
        seeds = ", ".join(f"\\dot{{{symbol(n)}}} = {latex_number(v, precision)}"
                          for n, v in table.direction.items())
        body = []
        for row in table.rows:
            left = rf"\dot{{{symbol(row.node)}}}"
            value = latex_number(row.tangent, precision)
            if not row.terms:
                body.append(f"{left} &= {value}")
                continue
            rule = " + ".join(rf"\frac{{\partial {symbol(row.node)}}}{{\partial "
                              rf"{symbol(t.argument)}}} \dot{{{symbol(t.argument)}}}"
                              for t in row.terms)
            numbers = " + ".join(f"{_factor(latex_number(t.partial, precision))} \\cdot "
                                 f"{_factor(latex_number(t.tangent, precision))}"
                                 for t in row.terms)
            mark = r" \quad \dagger" if row.kink is not None else ""
            body.append(f"{left} &= {rule} = {numbers} = {value}{mark}")
        block = [rf"\paragraph{{Forward sweep along ${seeds}$}}", BEGIN,
                 " \\\\\n".join(body), END]
        if any(row.kink is not None for row in table.rows):
            block.append(r"\noindent $\dagger$ " + texttt(KINK_NOTE[2:], math=False) + r"\par")
        parts.append("\n".join(block))
    return "\n\n".join(parts)


def _factor(text: str) -> str:
    return rf"\left({text}\right)" if text.startswith("-") else text
