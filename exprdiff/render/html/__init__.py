"""`grad --format html`: one self-contained, offline page that explains the gradient.

    >>> r = grad("x*y", {"x": 2, "y": 3}, record=True)
    >>> page = render_all([(r, r.steps())], None)
    >>> page.startswith("<!doctype html>") and "http" not in page.split("<body")[0]
    True

The page holds the expression, the point, the result, the step tables (plain HTML, readable
without script and on paper) and, for its script (explain.js beside this file), each point's
data as JSON (explain/page.py) with the graph's layout by Graphviz (layout.py) when `dot` is
installed; without it the vendored dagre library (dagre.min.js, MIT) lays the graph out in the
browser. Every text from the user is escaped here (html.escape) or set by the script as text,
never as markup; a Content-Security-Policy forbids any network request and `eval`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from exprdiff.errors import printable
from exprdiff.explain.page import page_data
from exprdiff.explain.steps import FailedSteps, Steps, build
from exprdiff.render.html.layout import box, dot_layout
from exprdiff.render.numbers import fmt
from exprdiff.result import Result

#: A page draws graphs of at most this many nodes (the tables are always there, bounded).
GRAPH_NODE_LIMIT = 1500
#: Each step table shows at most this many rows; the page says how many it left out.
TABLE_ROWS = 2000
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")


def asset(name: str) -> str:
    """A file shipped beside this module (explain.js, explain.css, dagre.min.js)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def esc(text: str) -> str:
    """User text made safe as HTML text or attribute: controls shown escaped, markup escaped."""
    return html.escape(printable(text), quote=True)


def render_all(items: Sequence[tuple[Result, Steps | None] | FailedSteps],
               precision: int | None, tables: bool = True, *,
               layout: bool = True) -> str:
    """One page for every point (a failed point shows its forward table up to the failure).

    `layout=False` leaves the layout to the page's dagre even when Graphviz is installed.
    """
    number: Callable[[float], str] = lambda value: fmt(value, precision)  # noqa: E731
    sections = []
    drawn_by: set[str] = set()  # "dagre" (in the browser) or "Graphviz"
    for k, item in enumerate(items):
        if isinstance(item, FailedSteps):
            sections.append(_failed_section(item, number))
            continue
        result, steps = item
        if steps is None or not steps.forward:
            steps = build(result, width=72)
        section, by = _section(k, result, steps, number, layout)
        drawn_by |= {by} if by else set()
        sections.append(section)
    first = items[0] if items else None
    title = "" if first is None else (
        first.expression if isinstance(first, FailedSteps) else first[0].expression)
    return _page(title, "\n".join(sections), drawn_by)


def _page(title: str, body: str, drawn_by: set[str]) -> str:
    dagre = "dagre" in drawn_by
    scripts = []
    if dagre:
        scripts.append(f"<script>{_script(asset('dagre.min.js'))}</script>")
    scripts.append(f"<script>{_script(asset('explain.js'))}</script>")
    short = title if len(title) <= 80 else title[:79] + "…"
    return "\n".join([
        "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>exprdiff: f = {esc(short)}</title>",
        f"<style>{asset('explain.css')}</style>", "</head>", "<body>",
        '<header><h1>exprdiff: the gradient, step by step</h1>',
        '<p class="help">Click a node (or Tab to it and press Enter) to see its adjoint as the '
        "chain-rule sum; step through the backward sweep with Next / Previous / Play (keys "
        "→ / ← / p); pick a variable to light up its paths from the output.</p></header>",
        f"<main>{body}</main>",
        "<footer><p>Made by exprdiff."
        + (" Graph layout: Graphviz." if "Graphviz" in drawn_by else "")
        + (" Graph layout in your browser: the dagre library (MIT licence, © 2012-2014 Chris "
           "Pettitt), included in this page." if dagre else "") + "</p></footer>",
        *scripts, "</body>", "</html>", ""])


def _script(text: str) -> str:
    return text.replace("</script", "<\\/script")  # the HTML parser ends a script only there


def _section(k: int, result: Result, steps: Steps, number: Callable[[float], str],
             layout: bool) -> tuple[str, str | None]:
    data = page_data(result, steps, number)
    big = len(data["nodes"]) > GRAPH_NODE_LIMIT
    for node in data["nodes"]:
        lines = _label_lines(node, data["output"])
        node["w"], node["h"] = box(lines)
        terms = len(node.get("terms", ()))
        if terms > 1:  # the sweep part way through a shared node: "∂f/∂z1: 1 of 2 terms"
            node["w"] = max(node["w"], box([f"∂{data['output']}/∂{node['name']}: {terms} of "
                                            f"{terms} terms"])[0])
    data["layout"], data["layout_note"] = None, ""
    if big:
        data["layout_note"] = (f"the graph has {len(data['nodes'])} nodes: the page draws at "
                               f"most {GRAPH_NODE_LIMIT}; the tables below have every number")
    elif layout:
        data["layout"], data["layout_note"] = dot_layout(data["nodes"], data["edges"])
    data["draw"] = not big
    gradient = "".join(f"<tr><th>∂{esc(data['output'])}/∂{esc(name)}</th><td>{esc(value)}</td></tr>"
                       for name, value in data["gradient"].items())
    at = ", ".join(f"{esc(n)} = {esc(v)}" for n, v in data["at"].items()) or "no variables"
    warnings = "".join(f'<li class="warn">⚠ {esc(text)}</li>' for text in data["warnings"])
    parts = [
        f'<section class="explainer" id="point-{k + 1}" aria-label="point {k + 1}">',
        f'<h2 class="title">f = <code class="expr">{esc(result.expression)}</code></h2>',
        f'<div class="summary"><p class="point">at {at}</p>',
        '<table class="result"><tbody>'
        f'<tr><th>f</th><td>{esc(data["value"])}</td></tr>{gradient}</tbody></table></div>',
        f'<ul class="warnings">{warnings}</ul>' if warnings else "",
        '<div class="workspace"><div class="graph-wrap"><svg class="graph" role="group" '
        'aria-label="computational graph" xmlns="http://www.w3.org/2000/svg"></svg>'
        f'<p class="layout-note">{esc(data["layout_note"])}</p></div><div class="side">'
        '<div class="controls" role="toolbar" aria-label="backward sweep">'
        '<button type="button" class="prev" aria-label="previous step">◀ Previous</button>'
        '<button type="button" class="next" aria-label="next step">Next ▶</button>'
        '<button type="button" class="play">Play</button>'
        '<button type="button" class="all">All</button>'
        '<span class="status" aria-live="polite"></span>'
        '<label>Paths to <select class="variable"><option value="">(none)</option>'
        + "".join(f'<option value="{esc(n)}">{esc(n)}</option>' for n in data["paths"])
        + "</select></label></div>",
        '<div class="panel" aria-live="polite"><p class="node-info">Click a node to see its '
        'adjoint as the chain-rule sum.</p><div class="path-info"></div></div></div></div>',
        _tables(steps, number),
        f'<script type="application/json" class="page-data">{_json(data)}</script>',
        "</section>",
    ]
    by = None if not data["draw"] else "dagre" if data["layout"] is None else "Graphviz"
    return "\n".join(p for p in parts if p), by


def _label_lines(node: dict[str, Any], output: str) -> list[str]:
    """The lines of a node's box, as explain.js writes them (the adjoint line at its widest)."""
    head = node["name"] if node["operation"] == node["name"] else (
        f"{node['name']} = {node['operation']}")
    lines = [("f = " if node["output"] and output == "f" else "") + head]
    if node["value"] is not None:
        lines.append(f"value {node['value']}")
    if node["kind"] != "constant" and node["adjoint"] is not None:
        lines.append(f"∂{output}/∂{node['name']} = {node['adjoint']}")

    if "warning" in node:
        lines[0] = "⚠ " + lines[0]
    return lines


def _json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` to end it, controls escaped."""
    text = json.dumps(_printable(data), ensure_ascii=False, allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _printable(data: Any) -> Any:
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {printable(str(k)): _printable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_printable(v) for v in data]
    return data


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    shown = rows[:TABLE_ROWS]
    body = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                   for row in shown)
    more = (f'<p class="more">{len(rows) - len(shown):,} more rows not shown '
            "(exprdiff grad --steps --format json has them all)</p>"
            if len(rows) > len(shown) else "")
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    return (f'<div class="table-wrap"><table class="steps"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>")


def _tables(steps: Steps, number: Callable[[float], str]) -> str:
    forward = [(r.node, r.op if r.kind == "operation" else r.kind, r.expression,
                "" if r.value is None else number(r.value)) for r in steps.forward]
    edges = [(e.symbol, e.formula, number(e.partial)) for e in steps.edges]
    backward = [(r.symbol, r.formula, r.substituted(number), number(r.adjoint))
                for r in steps.backward]
    gradient = [(f"∂{steps.output}/∂{name}", number(v)) for name, v in steps.gradient.items()]
    return "\n".join([
        '<details class="tables" open><summary>Step tables</summary>',
        _table("1. Forward: each node's value", ["node", "operation", "expression", "value"],
               forward),
        _table("2. Local partials: one per edge", ["partial", "formula", "value"], edges),
        _table("3. Backward: each adjoint as the chain-rule sum", ["adjoint", "formula",
               "numbers", "value"], backward),
        _table("4. Gradient", ["partial", "value"], gradient),
        "</details>"])


def _failed_section(item: FailedSteps, number: Callable[[float], str]) -> str:
    rows = [(r.node, r.op, r.expression, "undefined" if r.value is None else number(r.value))
            for r in item.forward]
    at = ", ".join(f"{esc(n)} = {esc(number(v))}" for n, v in item.at.items())
    return "\n".join([
        '<section class="explainer failed">',
        f'<h2>f = <code class="expr">{esc(item.expression)}</code></h2>',
        f'<p class="point">at {at}</p>',
        f'<p class="error">✗ {esc(item.error.message)}</p>',
        _table("Forward, up to the failing node", ["node", "operation", "expression", "value"],
               rows),
        "</section>"])
