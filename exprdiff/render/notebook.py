"""Rich display in Jupyter: a Result and its step tables as HTML, Markdown, LaTeX and text.

    >>> r = grad("x*y", {"x": 2, "y": 3}, record=True)
    >>> print(StepTables(r, r.steps()).text(width=60).splitlines()[0])
    f = x*y

`exprdiff.Result`'s `_repr_html_`/`_repr_markdown_` and `Result.tables()` call here (lazily:
a plain gradient never loads this). A notebook's HTML is a fragment inside the notebook's page,
so it is plain tables with inline styles and no script; the interactive page is
`grad --format html` (render/html). Every user text is escaped. No `_repr_latex_`: the LaTeX
renderer writes align/longtable blocks for a document, which a notebook's MathJax does not
show; `StepTables.latex()` returns them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from exprdiff.errors import printable
from exprdiff.explain.steps import Steps
from exprdiff.render.numbers import fmt
from exprdiff.result import Result

_CELL = "border:1px solid #d1d5db;padding:2px 8px;text-align:left;font-family:monospace"
_CAPTION = "text-align:left;font-weight:600;padding:4px 0"
#: A notebook shows at most this many rows per table (the text and JSON have them all).
ROWS = 200


def esc(text: str) -> str:
    return html.escape(printable(text), quote=True)


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th style="{_CELL}">{esc(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="{_CELL}">{esc(c)}</td>' for c in row) + "</tr>"
                   for row in rows[:ROWS])
    more = (f"<p><i>{len(rows) - ROWS:,} more rows not shown</i></p>"
            if len(rows) > ROWS else "")
    return (f'<table style="border-collapse:collapse;margin:4px 0">'
            f'<caption style="{_CAPTION}">{esc(caption)}</caption><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>{more}")


def result_html(result: Result, precision: int | None = None) -> str:
    """The expression, the point, the value and each partial, and the warnings."""
    at = ", ".join(f"{esc(n)} = {esc(fmt(v, precision))}" for n, v in result.at.items())
    rows = [("f", fmt(result.value, precision))]
    rows += [(f"∂f/∂{n}", fmt(v, precision)) for n, v in result.gradient.items()]
    warnings = "".join(f'<p style="color:#c2410c">⚠ {esc(w.message)}</p>'
                       for w in result.warnings)
    return (f'<div class="exprdiff-result"><p><b>f</b> = <code>{esc(result.expression)}</code>'
            + (f" at {at}" if at else "") + "</p>"
            + _table("", ["", "value"], rows) + warnings + "</div>")


def result_markdown(result: Result, precision: int | None = None) -> str:
    from exprdiff.render.text import render

    return render(result, None, precision)


class StepTables:
    """A result's step tables, rendered: HTML in a notebook, `text()` for a terminal or a
    doctest, `markdown()` and `latex()` as `grad --steps --format …` writes them."""

    def __init__(self, result: Result, steps: Steps, precision: int | None = None) -> None:
        self.result = result
        self.steps = steps
        self.precision = precision

    def number(self, value: float) -> str:
        return fmt(value, self.precision)

    def text(self, width: int = 100) -> str:
        """The rich tables of `grad --steps`, as plain text `width` columns wide."""
        import io

        from rich import box
        from rich.console import Console
        from rich.table import Table

        from exprdiff.render.steps_table import print_steps

        out = io.StringIO()
        console = Console(file=out, width=width, no_color=True, highlight=False, emoji=False,
                          color_system=None, force_terminal=False)
        result = self.result
        console.print(f"f = {printable(result.expression)}", markup=False)
        if result.at:
            console.print("at " + ", ".join(f"{n} = {self.number(v)}"
                                            for n, v in result.at.items()), markup=False)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)  # as `grad` prints
        table.add_column("", no_wrap=True)
        table.add_column("value", justify="right", no_wrap=True)
        for name, value in [("f", result.value), *((f"∂f/∂{n}", v)
                                                   for n, v in result.gradient.items())]:
            table.add_row(name, self.number(value))
        console.print(table)
        for warning in result.warnings:
            console.print(f"warning: {printable(warning.message)}", markup=False)
        print_steps(console, self.steps, self.precision, bool(self.steps.forward))
        return out.getvalue()

    def markdown(self) -> str:
        from exprdiff.render.text import render

        return render(self.result, self.steps, self.precision, bool(self.steps.forward))

    def latex(self) -> str:
        from exprdiff.render.latex import render

        return render(self.result, self.steps, self.precision, bool(self.steps.forward))

    def html(self) -> str:
        steps, number = self.steps, self.number
        parts = [result_html(self.result, self.precision)]
        if steps.forward:
            parts.append(_table("1. Forward", ["node", "operation", "expression", "value"], [
                (r.node, r.op if r.kind == "operation" else r.kind, r.expression,
                 "" if r.value is None else number(r.value)) for r in steps.forward]))
            parts.append(_table("2. Local partials", ["partial", "formula", "value"], [
                (e.symbol, e.formula, number(e.partial)) for e in steps.edges]))
            parts.append(_table("3. Backward", ["adjoint", "formula", "numbers", "value"], [
                (f"∂f/∂{r.node}", r.formula, r.substituted(number), number(r.adjoint))
                for r in steps.backward]))
        if steps.paths is not None:
            paths = steps.paths
            rows = [(" → ".join(p.nodes), p.substituted(number), number(p.product))
                    for p in paths.listed]
            rows.append(("sum", "", number(paths.listed_sum)))
            parts.append(_table(f"Paths to {paths.variable}: {paths.total_text}",
                                ["path", "partials", "product"], rows))
        return '<div class="exprdiff-steps">' + "".join(parts) + "</div>"

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        rows = len(self.steps.forward)
        return f"<StepTables of f = {printable(self.result.expression)[:60]}: {rows} nodes>"
