"""The Python API: text → AST → tape → forward → reverse. No I/O.

    >>> r = grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3})
    >>> r.value, r.gradient
    (16.0, {'x1': -4.0, 'x2': 9.0, 'x3': 6.0})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import ast
from .errors import ExprError
from .forward import KinkWarning, forward, kinks
from .graph import Tape, lower
from .parser import parse
from .points import usage, validate
from .reverse import reverse


@dataclass(frozen=True, slots=True)
class Result:
    """Value and gradient at one point, with the warnings met on the way.

    `values`, `adjoints` and `partials` are the sweeps' own lists (indexed by tape node), kept
    so that step tables are read off the very computation that produced the gradient.
    """

    expression: str
    at: dict[str, float]
    value: float
    gradient: dict[str, float]
    warnings: tuple[KinkWarning, ...] = ()
    tape: Tape | None = field(default=None, repr=False, compare=False)
    values: list[float] = field(default_factory=list, repr=False, compare=False)
    adjoints: list[float] = field(default_factory=list, repr=False, compare=False)
    partials: dict[int, tuple[float, ...]] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of SPEC §4."""
        return {
            "expression": self.expression,
            "at": dict(self.at),
            "value": self.value,
            "gradient": dict(self.gradient),
            "warnings": [w.to_dict() for w in self.warnings],
        }


class Compiled:
    """An expression parsed and lowered once, to be evaluated at many points."""

    __slots__ = ("source", "tree", "tape")

    def __init__(self, source: str, tree: ast.Node, tape: Tape) -> None:
        self.source = source
        self.tree = tree
        self.tape = tape

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in order of first appearance."""
        return self.tape.variables

    def __repr__(self) -> str:
        return f"<Compiled {self.source!r}: {len(self.tape.program)} operations>"

    def value(self, at: Mapping[str, object]) -> float:
        """The expression's value at a point (forward sweep only)."""
        values = forward(self.tape, validate(at, self.variables))
        return values[self.tape.output]

    def grad(
        self,
        at: Mapping[str, object],
        *,
        wrt: Sequence[str] | None = None,
        strict: bool = False,
        record: bool = False,
    ) -> Result:
        """Value and gradient at `at`; `wrt` picks and orders the partials reported.

        `strict` turns kink warnings into an ExprError of kind 'kink'; `record` keeps every local
        partial (for the step tables).
        """
        tape = self.tape
        names = self.variables
        point = validate(at, names)
        chosen = self._wrt(wrt)
        values = forward(tape, point)
        warnings = tuple(kinks(tape, values)) if tape.kink_nodes else ()
        if strict and warnings:
            first = warnings[0]
            raise ExprError("kink", f"not differentiable: {first.message}", column=first.column,
                            source=self.source, node=first.node,
                            hint="--strict is on; without it the derivative used is reported")
        partials: dict[int, tuple[float, ...]] | None = {} if record else None
        adjoints = reverse(tape, values, partials)
        gradient = {name: adjoints[tape.inputs[name]] for name in chosen}
        return Result(
            expression=self.source,
            at=dict(zip(names, point, strict=True)),
            value=values[tape.output],
            gradient=gradient,
            warnings=warnings,
            tape=tape,
            values=values,
            adjoints=adjoints,
            partials=partials,
        )

    def _wrt(self, wrt: Sequence[str] | None) -> Sequence[str]:
        if wrt is None:
            return self.variables
        for name in wrt:
            if name not in self.tape.inputs:
                raise usage(f"--wrt names '{name}', which is not a variable of the expression",
                            self.variables)
        return list(dict.fromkeys(wrt))


def compile(text: str) -> Compiled:  # noqa: A001 - the public name SPEC §6 and STYLE ask for
    """Parse and lower `text` once; evaluate the result at many points."""
    tree = parse(text)
    return Compiled(text, tree, lower(tree, text))


def grad(text: str, at: Mapping[str, object], **options: Any) -> Result:
    """Value and every partial derivative of `text` at the point `at` (see Compiled.grad)."""
    return compile(text).grad(at, **options)
