"""The data of one interactive explainer page (render/html), read off a Result and its Steps.

    >>> r = grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3}, record=True)
    >>> data = page_data(r, build(r))
    >>> [n["sum"] for n in data["nodes"] if n["name"] == "z1"]
    ['∂f/∂z1 = 1·1 + 3·(-1) = -2']

Plain JSON-ready data: the graph's nodes (value, adjoint, the chain-rule sum with numbers in,
kink warnings) and edges (local partial), the backward sweep's order, and for every variable
its paths from the output with their products (explain/paths.py, bounded as --path is). Nothing
here differentiates: values, adjoints and partials are the sweeps' own, kept on the Result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exprdiff.explain.paths import find_paths
from exprdiff.explain.picture import Picture
from exprdiff.tape import format_number

if TYPE_CHECKING:
    from exprdiff.explain.steps import Steps
    from exprdiff.result import Result

#: Paths listed per variable on a page (all are counted); a page lists every variable's.
PAGE_PATH_CAP = 32
#: Character width of a node's label lines in the drawing (longer text is elided).
LABEL_WIDTH = 28


def page_data(result: Result, steps: Steps, number: Any = format_number) -> dict[str, Any]:
    """Everything the page's script shows for one point, as JSON-ready data."""
    tape = result.tape
    if tape is None or result.partials is None:
        raise ValueError("a page needs a Result made with record=True")
    picture = Picture(tape, result, width=LABEL_WIDTH, precision=None)
    sums = {row.node: row for row in steps.backward}
    kinks = {w.node: w for w in result.warnings}
    nodes = []
    for node in picture.nodes:
        row = sums.get(node.name)
        item: dict[str, Any] = {
            "id": node.index, "name": node.name, "kind": node.kind, "output": node.output,
            "operation": node.operation, "expression": node.expression,
            "value": number(node.value) if node.value is not None else None,
            "adjoint": number(node.adjoint) if node.adjoint is not None else None,
        }
        if row is not None and node.kind != "constant":
            item["sum"] = _sum_text(row, number)
            item["formula"] = f"{row.symbol} = {row.formula}"
            item["terms"] = [{"consumer": t.consumer, "adjoint": number(t.adjoint),
                              "partial": number(t.partial)} for t in row.terms]
        if node.name in kinks:
            item["warning"] = kinks[node.name].message
            item["jump"] = kinks[node.name].kind == "jump"
        nodes.append(item)
    edges = [{"source": e.source, "target": e.target, "symbol": e.symbol, "formula": e.formula,
              "partial": number(e.partial) if e.partial is not None else None,
              "kink": e.one_sided is not None and e.one_sided[0] != e.one_sided[1]}
             for e in picture.edges]
    order = [tape.labels.index(row.node) for row in steps.backward]
    return {
        "expression": result.expression,
        "output": steps.output,
        "at": {name: number(v) for name, v in result.at.items()},
        "value": number(result.value),
        "gradient": {name: number(v) for name, v in result.gradient.items()},
        "warnings": [w.message for w in result.warnings],
        "nodes": nodes, "edges": edges, "sweep": order,
        "paths": _paths(result, number),
    }


def _sum_text(row: Any, number: Any) -> str:
    """`∂f/∂z1 = 1·1 + 3·(-1) = -2`, as the backward table writes it (the output: `= 1`)."""
    adjoint = number(row.adjoint)
    if not row.terms:
        return f"{row.symbol} = {adjoint}"
    return f"{row.symbol} = {row.substituted(number)} = {adjoint}"


def _paths(result: Result, number: Any) -> dict[str, Any]:
    tape, partials = result.tape, result.partials
    assert tape is not None and partials is not None  # noqa: S101 - page_data checked both
    found = {}
    for name, index in tape.inputs.items():
        paths = find_paths(tape, partials, index, result.adjoints, PAGE_PATH_CAP)
        found[name] = {
            "total": paths.total_text, "complete": paths.complete, "why": paths.why,
            "adjoint": number(paths.adjoint), "sum": number(paths.listed_sum),
            "paths": [{"nodes": list(p.nodes), "partials": [number(d) for d in p.partials],
                       "substituted": p.substituted(number), "product": number(p.product)}
                      for p in paths.listed],
        }
    return found
