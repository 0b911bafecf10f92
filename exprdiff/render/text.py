"""Markdown (GitHub tables) for results and step tables; code in backticks, numbers as text."""

from __future__ import annotations

from collections.abc import Sequence

from exprdiff.explain.steps import FailedSteps, ForwardRow, Paths, Steps
from exprdiff.render.numbers import count, fmt
from exprdiff.render.outputs import heading
from exprdiff.result import Result

KINK_MARK = "⚠"
ERROR_MARK = "✗"


def code(text: str) -> str:
    """Inline code safe inside a table cell (a `|` would end the cell)."""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """A GitHub table; columns listed in `right` are right-aligned."""
    rule = ["---:" if k in right else "---" for k in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _result(result: Result, precision: int | None) -> list[str]:
    head, text = heading({"expression": result.expression, "outputs": result.outputs})
    lines = [f"{'**f** =' if head == 'f = ' else '**program**:'} {code(text)}"]
    if result.at:
        at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in result.at.items())
        lines[-1] += f" at {at}"
    if result.jacobian is not None and result.outputs is not None:
        names = list(result.gradient)
        rows = [[output, fmt(result.outputs[output], precision),
                 *(fmt(row[n], precision) for n in names)]
                for output, row in result.jacobian.items()]
        lines += ["", table(["output", "value", *(f"∂/∂{n}" for n in names)], rows,
                            right=list(range(1, len(names) + 2)))]
        return lines
    output = "f" if not result.outputs else next(iter(result.outputs))
    rows = [[output, fmt(result.value, precision)]]
    rows += [[f"∂{output}/∂{n}", fmt(v, precision)] for n, v in result.gradient.items()]
    lines += ["", table(["", "value"], rows, right=[1])]
    lines += [f"\n> **warning:** {w.message}" for w in result.warnings]
    return lines


def _forward(forward: Sequence[ForwardRow], precision: int | None) -> str:
    rows = []
    for row in forward:
        value = "undefined" if row.value is None else fmt(row.value, precision)
        value += f" {KINK_MARK}" if row.kink is not None else ""
        value += f" {ERROR_MARK}" if row.error is not None else ""  # the error is printed above
        if row.kind == "operation":
            rows.append([row.node, code(f"{row.node} = {row.op}"), code(row.expression), value])
        else:
            rows.append([row.node, row.kind, "", value])
    return table(["node", "operation", "expression", "value"], rows, right=[3])


def _edges(steps: Steps, precision: int | None) -> str:
    rows = []
    for edge in steps.edges:
        value = fmt(edge.partial, precision)
        if edge.one_sided is not None:
            left, right = ("undefined" if s is None else fmt(s, precision) for s in edge.one_sided)
            value += f" {KINK_MARK} (left {left}, right {right})"
        rows.append([edge.symbol, code(edge.formula), value])
    return table(["edge", "formula", "value"], rows, right=[2])


def _backward(steps: Steps, precision: int | None) -> str:
    rows = [[row.symbol, row.formula, row.substituted(lambda v: fmt(v, precision)),
             fmt(row.adjoint, precision)] for row in steps.backward]
    return table(["adjoint", "chain rule", "numbers", "value"], rows, right=[3])


def _paths(paths: Paths, precision: int | None) -> list[str]:
    rows = [[str(k + 1), " → ".join(p.nodes), p.formula,
             p.substituted(lambda v: fmt(v, precision)), fmt(p.product, precision)]
            for k, p in enumerate(paths.listed)]
    lines = [table(["#", "path", "edges", "numbers", "product"], rows, right=[0, 4]), ""]
    if paths.complete:
        total = count(paths.total, "path")
        lines.append(f"Sum over the {total}: {fmt(paths.listed_sum, precision)}"
                     f" = ∂{paths.output}/∂{paths.variable} = {fmt(paths.adjoint, precision)}")
    else:
        lines.append(f"{len(paths.listed)} of {paths.total_text} paths listed (their sum: "
                     f"{fmt(paths.listed_sum, precision)}); "
                     f"∂{paths.output}/∂{paths.variable} = {fmt(paths.adjoint, precision)}"
                     + (f" ({paths.why})" if paths.why else ""))
    return lines


def render(result: Result, steps: Steps | None, precision: int | None = None,
           tables: bool = True) -> str:
    """The result, then (with `steps`) the forward, edge, backward and path tables."""
    lines = _result(result, precision)
    if steps is not None and tables:
        lines += ["", "### Forward", "", _forward(steps.forward, precision),
                  "", "### Local partials", "", _edges(steps, precision),
                  "", "### Backward", "", _backward(steps, precision),
                  "", "### Gradient", "",
                  table(["variable", f"∂{steps.output}/∂variable"],
                        [[n, fmt(v, precision)] for n, v in steps.gradient.items()], right=[1])]
        if steps.warnings:
            lines += ["", f"{KINK_MARK} a non-differentiable point: see the warning above."]
    if steps is not None and steps.paths is not None:
        lines += ["", f"### Paths to {steps.paths.variable}", "", *_paths(steps.paths, precision)]
    return "\n".join(lines)


def render_failed(failed: FailedSteps, precision: int | None = None) -> str:
    """A failed point: the forward table up to the node where it failed, marked ✗."""
    at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in failed.at.items())
    return "\n".join([f"**f** = {code(failed.expression)}" + (f" at {at}" if at else ""), "",
                      f"**error:** {failed.error.message}", "",
                      f"### Forward (up to {failed.error.node})", "",
                      _forward(failed.forward, precision)])


def render_all(items: Sequence[tuple[Result, Steps | None] | FailedSteps],
               precision: int | None, tables: bool = True) -> str:
    """Several points (a failed point as its partial forward table), separated by a rule."""
    return "\n\n---\n\n".join(
        render_failed(item, precision) if isinstance(item, FailedSteps) else
        render(item[0], item[1], precision, tables) for item in items)
