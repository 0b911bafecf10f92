"""Forward mode's step table as data: each node's value and tangent, its rule with the numbers
put in, read off the tangent sweep that made them (modes/tangent.py).

    ż3 = ∂z3/∂z2·ż2 + ∂z3/∂z1·ż1 = 1·0 + (-1)·2 = -2

One table per direction: for the gradient by forward mode, one per input (ẋ1 = 1, the others
0); for a directional derivative (`--direction`), one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exprdiff.forward import KinkWarning
from exprdiff.tape import CONSTANT, INPUT, Tape, bounded_expressions, format_number

#: Subexpressions in the table are elided past this many characters.
WIDTH = 60


def dotted(name: str) -> str:
    """The tangent's name: a dot over the first letter, ẋ1 for x1, ż3 for z3."""
    return name[:1] + "\u0307" + name[1:]


@dataclass(frozen=True, slots=True)
class TangentTerm:
    """∂node/∂argument · the argument's tangent."""

    argument: str
    partial: float
    tangent: float


@dataclass(frozen=True, slots=True)
class TangentRow:
    """One node of the sweep: its value, its tangent, and the chain rule that made it."""

    node: str
    kind: str  # "input" or "operation"
    expression: str
    value: float
    tangent: float
    terms: tuple[TangentTerm, ...]  # empty for an input (its tangent is the direction's)
    kink: KinkWarning | None = None  # a one-sided slope was taken here

    @property
    def formula(self) -> str:
        if not self.terms:
            return "seed" if self.kind == INPUT else "0"
        return " + ".join(f"∂{self.node}/∂{t.argument}·{dotted(t.argument)}" for t in self.terms)

    def substituted(self, number: Any = format_number) -> str:
        if not self.terms:
            return number(self.tangent)
        return " + ".join(f"{_factor(number(t.partial))}·{_factor(number(t.tangent))}"
                          for t in self.terms)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"node": self.node, "kind": self.kind,
                                "expression": self.expression, "value": self.value,
                                "tangent": self.tangent, "formula": self.formula,
                                "substituted": self.substituted(),
                                "terms": [{"argument": t.argument, "partial": t.partial,
                                           "tangent": t.tangent} for t in self.terms]}
        if self.kink is not None:
            data["kink"] = self.kink.to_dict()
        return data


@dataclass(frozen=True, slots=True)
class TangentTable:
    """The sweep along one direction: its rows and the derivative it gives."""

    direction: dict[str, float]
    rows: tuple[TangentRow, ...]
    derivative: float

    def to_dict(self) -> dict[str, Any]:
        return {"direction": dict(self.direction), "derivative": self.derivative,
                "rows": [row.to_dict() for row in self.rows]}


def build(tape: Tape, values: Sequence[float], partials: dict[int, tuple[float, ...]],
          tangents: Sequence[float], direction: dict[str, float],
          warnings: Sequence[KinkWarning] = ()) -> TangentTable:
    """The table of one tangent sweep; rows for the inputs and the operations (a constant's
    tangent is 0 and its edges are left out, as in the reverse tables)."""
    texts = bounded_expressions(tape, WIDTH)
    kinks = {w.node: w for w in warnings}
    rows = []
    labels = tape.labels
    for i, kind in enumerate(tape.kinds):
        if kind == CONSTANT:
            continue
        terms: tuple[TangentTerm, ...] = ()
        if tape.ops[i] is not None:
            terms = tuple(TangentTerm(labels[a], partials[i][k], tangents[a])
                          for k, a in enumerate(tape.args[i]) if tape.kinds[a] != CONSTANT)
        rows.append(TangentRow(labels[i], INPUT if kind == INPUT else "operation", texts[i],
                               values[i], tangents[i], terms, kinks.get(labels[i])))
    return TangentTable(direction, tuple(rows), tangents[tape.output])


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text
