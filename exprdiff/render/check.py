"""How `grad --check` and `exprdiff diff` print: the oracle's verdict and symbolic partials."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from exprdiff.oracle.check import Check, PartialCheck, Symbolic
from exprdiff.render.numbers import fmt
from exprdiff.result import Result


def _number(value: float | None, precision: int | None) -> str:
    return "—" if value is None else fmt(value, precision)


def _elide(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width // 2 - 1] + " … " + text[-width // 2 + 2:]


def check_table(check: Check, precision: int | None = None) -> Table:
    """One row per variable: reverse mode, SymPy, finite differences, relative error, verdict."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for title in ("", "reverse mode", "SymPy", "finite diff.", "rel. error", ""):
        table.add_column(title, justify="left" if not title else "right", no_wrap=True)
    for p in check.partials:
        fd = _number(p.finite_difference, precision)
        if p.one_sided is not None:
            left, right = p.one_sided["left"], p.one_sided["right"]
            fd = (f"left {_number(left['finite_difference'], precision)}, "
                  f"right {_number(right['finite_difference'], precision)}")
        error = "—" if p.relative_error is None else f"{p.relative_error:.1e}"
        verdict = Text("ok", style="green") if p.ok else Text("FAIL", style="bold red")
        table.add_row(f"∂{check.output}/∂{p.variable}", fmt(p.reverse, precision),
                      _number(p.sympy, precision), fd, error, verdict)
    return table


def _formula_line(p: PartialCheck, output: str) -> Text:
    text = Text(f"∂{output}/∂{p.variable} = ", style="bold")
    text += Text(_elide(p.symbolic) if p.symbolic is not None else "(not available)")
    if p.symbolic is not None and not p.simplified:
        text += Text("   (not simplified: time limit)", style="dim")
    return text


def print_checks(console: Console, results: Sequence[Result], precision: int | None) -> None:
    """For each checked point: SymPy's partials as formulas, the comparison table, the verdict."""
    for result in results:
        check = result.check
        if not isinstance(check, Check):
            continue
        console.print()
        at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in result.at.items())
        console.print(Text("check", style="bold") + Text(f" at {at}" if at else ""))
        for p in check.partials:
            console.print(_formula_line(p, check.output), soft_wrap=True)
        console.print(check_table(check, precision))
        for p in check.partials:
            if p.note and p.ok:
                console.print(Text(f"note: ∂{check.output}/∂{p.variable}: {p.note}", style="dim"),
                              soft_wrap=True)
        console.print(_verdict(check), soft_wrap=True)  # the terminal wraps it at word ends
        others = [name for name in (result.jacobian or ()) if name != check.output]
        if others:
            console.print(Text(f"note: the check is of {check.output}'s row of the Jacobian; "
                               f"check {', '.join(others)} with --of {others[0]} --check",
                               style="dim"), soft_wrap=True)


def _verdict(check: Check) -> Text:
    if not check.ok:
        return Text("check failed: ", style="bold red") + Text("; ".join(check.failures))
    worst = check.max_relative_error
    detail = "" if worst is None else f" (max relative error {worst:.1e})"
    if check.gave_up:
        return Text("check: SymPy gave up", style="bold yellow") + Text(
            f" ({check.gave_up}); finite differences agree; the reverse-mode gradient stands")
    return Text("check passed: ", style="bold green") + Text(
        "reverse mode, SymPy and finite differences agree" + detail)


# ---- exprdiff diff ----------------------------------------------------------------------------


def latex_name(name: str) -> str:
    """x1 → x_{1}, m_0 → m_{0}, theta → \\theta-free plain text (escaped)."""
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    return name.replace("_", r"\_")


def symbolic_dict(expression: str, partials: Sequence[Symbolic],
                  note: str | None) -> dict[str, Any]:
    """`exprdiff diff --format json`: each partial as SymPy text and LaTeX."""
    return {
        "expression": expression,
        "partials": {p.variable: {"text": p.text, "latex": p.latex, "simplified": p.simplified}
                     for p in partials},
        "note": note,
    }
