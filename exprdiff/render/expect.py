"""`grad EXPR --expect CLAIMS`: each claimed partial's verdict, for people (a rich table)."""

from __future__ import annotations

from typing import Any

from exprdiff.errors import printable
from exprdiff.expect import Expectation, Verdict
from exprdiff.render.numbers import fmt

_STYLE = {"right": "bold green", "wrong": "bold red", "partly": "bold yellow"}


def print_expectation(console: Any, expectation: Expectation) -> None:
    """The points the claims were checked at, one line per claim, then the notes."""
    from rich.text import Text

    count = len(expectation.points)
    where = (f"{count} random points (--seed {expectation.seed})" if expectation.sampled
             else f"{count} point" + ("" if count == 1 else "s"))
    f = expectation.output
    head_text = (f"{f} = " if f == "f" else "program: ") + printable(expectation.expression)
    console.print(Text(head_text, style="bold"), soft_wrap=True)
    console.print(f"claims checked against reverse mode at {where}", soft_wrap=True)
    for verdict in expectation.verdicts:
        head = Text(f"∂{f}/∂{verdict.variable} = {printable(verdict.claim)}: ")
        head.append(_word(verdict), style=_STYLE[verdict.verdict])
        console.print(head, soft_wrap=True)
        for line in _details(verdict, f):
            console.print(Text("  " + line), soft_wrap=True)
    for note in expectation.notes:
        console.print(Text(f"note: {printable(note)}", style="dim"), soft_wrap=True)


def summary(data: dict[str, Any]) -> str:
    """A batch record's "expect" in one line: `x right; y right only where x > 0`."""
    words = []
    for name, claim in data["claims"].items():
        verdict = claim["verdict"]
        if verdict == "partly":
            where = claim.get("where")
            verdict = f"right only where {where}" if where else "right only in part"
        words.append(f"∂{data.get('output', 'f')}/∂{name} {verdict}")
    return "; ".join(words)


def _word(verdict: Verdict) -> str:
    if verdict.verdict == "right":
        return ("right (at the one point)" if verdict.points == 1 else
                f"right (at all {verdict.points} points)")
    if verdict.verdict == "wrong":
        return "wrong"
    return f"right only where {verdict.where}" if verdict.where and "points" not in (
        verdict.where) else f"right only {verdict.where}"


def _details(verdict: Verdict, output: str = "f") -> list[str]:
    lines = []
    mismatch = verdict.first_mismatch
    if mismatch is not None:
        at = ", ".join(f"{n} = {fmt(v)}" for n, v in mismatch.at.items())
        claimed = "undefined" if mismatch.claimed is None else fmt(mismatch.claimed)
        because = f" ({printable(mismatch.why)})" if mismatch.why else ""
        lines.append(f"at {at}: claimed {claimed}{because}, true {fmt(mismatch.true)}")
    if verdict.symbolic is not None:
        lines.append(f"SymPy: ∂{output}/∂{verdict.variable} = {printable(verdict.symbolic)}")
    return lines
