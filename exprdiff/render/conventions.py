"""`grad EXPR --at … --conventions`: at each kink or jump, exprdiff's one-sided derivatives and
the value it uses beside what PyTorch, JAX and SymPy return (as a rich table or Markdown).

Reads the records of exprdiff.conventions (`Convention.to_dict()`) and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from exprdiff.errors import printable
from exprdiff.render.numbers import fmt

HEADER = ("node", "argument", "left", "right", "exprdiff", "PyTorch", "JAX", "SymPy")
#: What a cell says where there is no number: a one-sided derivative across a jump, SymPy's
#: DiracDelta(0), JAX's composite hypot.
NONE = "no value"
NOTE_NONE = (f"'{NONE}': no number exists there (a one-sided derivative across a jump, SymPy's "
             "DiracDelta(0)), or the tool has no one documented rule (JAX's hypot is a "
             "composite of abs, maximum, minimum and sqrt)")


def _number(value: float | None, precision: int | None) -> str:
    return NONE if value is None else fmt(value, precision)


def rows(records: Sequence[Mapping[str, Any]], precision: int | None) -> list[list[str]]:
    """One row per argument of each node at a kink or jump."""
    return [[f"{r['node']} = {printable(r['expression'])}",
             f"{r['argument']}: {printable(r['operand'])}",
             _number(r["left"], precision), _number(r["right"], precision),
             _number(r["exprdiff"], precision), _number(r["pytorch"], precision),
             _number(r["jax"], precision), _number(r["sympy"], precision)] for r in records]


def reasons(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each node's reason once, in order; a jump says that finite differences cannot help."""
    seen: dict[str, str] = {}
    for r in records:
        jump = " (a jump: the value itself is not continuous)" if r["kind"] == "jump" else ""
        seen.setdefault(r["node"], f"{r['node']}: {printable(r['reason'])}{jump}")
    return list(seen.values())


def headline(point: Mapping[str, Any]) -> str:
    at = ", ".join(f"{name} = {fmt(value)}" for name, value in point["at"].items())
    return f"at {at}: f = {fmt(point['value'])}"


def print_conventions(console: Any, expression: str, points: Sequence[Mapping[str, Any]],
                      precision: int | None) -> None:
    """A rich table per point (or a sentence where no kink or jump is met)."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"f = {printable(expression)}", style="bold"), soft_wrap=True)
    for point in points:
        console.print(Text(headline(point)), soft_wrap=True)
        records = point["conventions"]
        if not records:
            console.print(Text("  no kink or jump here: PyTorch, JAX and SymPy differentiate "
                               "it by the same rules as exprdiff"), soft_wrap=True)
            continue
        table = Table(*HEADER, show_edge=False, pad_edge=False)
        for row in rows(records, precision):
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)
        for line in reasons(records):
            console.print(Text("  " + line, style="dim"), soft_wrap=True)
    if any(None in (r["left"], r["right"], r["pytorch"], r["jax"], r["sympy"])
           for p in points for r in p["conventions"]):
        console.print(Text(NOTE_NONE, style="dim"), soft_wrap=True)


def markdown(expression: str, points: Sequence[Mapping[str, Any]],
             precision: int | None) -> str:
    from exprdiff.render.text import code, table

    parts = [f"**f** = {code(expression)}"]
    for point in points:
        parts.append(headline(point).replace("f = ", "**f** = "))
        records = point["conventions"]
        if not records:
            parts.append("No kink or jump here: PyTorch, JAX and SymPy differentiate it by "
                         "the same rules as exprdiff.")
            continue
        body = [[code(row[0]), *row[1:]] for row in rows(records, precision)]
        parts.append(table(HEADER, body, right=range(1, len(HEADER))))
        parts.append("\n".join(f"- {line}" for line in reasons(records)))
    if any(None in (r["left"], r["right"], r["pytorch"], r["jax"], r["sympy"])
           for p in points for r in p["conventions"]):
        parts.append(NOTE_NONE)
    return "\n\n".join(parts) + "\n"
