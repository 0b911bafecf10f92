"""The result of one gradient: value, partials, warnings, and the sweeps' own lists.

Plain data below everything that reads it (step tables, the oracle, the NumPy engine, the
renderers); `exprdiff.api.Result` adds the conveniences that call up into them.
"""

from __future__ import annotations

from typing import Any, Protocol

from exprdiff.forward import KinkWarning
from exprdiff.frozen import Value, _set
from exprdiff.tape import Tape


class Verdict(Protocol):
    """What a Result holds of the oracle's check (oracle.check.Check)."""

    @property
    def ok(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


class Result(Value):
    """Value and gradient at one point, with the warnings met on the way.

    `values`, `adjoints` and `partials` are the sweeps' own lists (indexed by tape node), kept
    so that step tables are read off the very computation that produced the gradient. A frozen
    record (frozen.Value) whose equality and repr look at the first five fields only.
    """

    __slots__ = ("expression", "at", "value", "gradient", "warnings", "tape", "values",
                 "adjoints", "partials", "check", "outputs", "jacobian")
    _shown = _compared = ("expression", "at", "value", "gradient", "warnings")
    expression: str
    at: dict[str, float]
    value: float
    gradient: dict[str, float]
    warnings: tuple[KinkWarning, ...]
    tape: Tape | None
    values: list[float]
    adjoints: list[float]
    partials: dict[int, tuple[float, ...]] | None
    check: Verdict | None  # --check's oracle
    #: A program's outputs (name → value) and, with several, their Jacobian (output → {input →
    #: partial}); `value` and `gradient` are the first output's. None for one expression.
    outputs: dict[str, float] | None
    jacobian: dict[str, dict[str, float]] | None

    def __init__(self, expression: str, at: dict[str, float], value: float,
                 gradient: dict[str, float], warnings: tuple[KinkWarning, ...] = (),
                 tape: Tape | None = None, values: list[float] | None = None,
                 adjoints: list[float] | None = None,
                 partials: dict[int, tuple[float, ...]] | None = None,
                 check: Verdict | None = None, outputs: dict[str, float] | None = None,
                 jacobian: dict[str, dict[str, float]] | None = None) -> None:
        _set(self, "expression", expression)
        _set(self, "at", at)
        _set(self, "value", value)
        _set(self, "gradient", gradient)
        _set(self, "warnings", warnings)
        _set(self, "tape", tape)
        _set(self, "values", [] if values is None else values)
        _set(self, "adjoints", [] if adjoints is None else adjoints)
        _set(self, "partials", partials)
        _set(self, "check", check)
        _set(self, "outputs", outputs)
        _set(self, "jacobian", jacobian)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of SPEC §4 (with "check" once the oracle has been asked)."""
        data: dict[str, Any] = {
            "expression": self.expression,
            "at": dict(self.at),
            "value": self.value,
            "gradient": dict(self.gradient),
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.outputs is not None:
            data["outputs"] = dict(self.outputs)
        if self.jacobian is not None:
            data["jacobian"] = {name: dict(row) for name, row in self.jacobian.items()}
        if self.check is not None:
            data["check"] = self.check.to_dict()
        return data


class Directional(Value):
    """One tangent sweep's result: the value and the directional derivative along
    `direction` (forward mode, Compiled.jvp), with the sweep's own lists for the tables."""

    __slots__ = ("expression", "at", "direction", "value", "derivative", "warnings", "tape",
                 "values", "tangents", "partials")
    _shown = _compared = ("expression", "at", "direction", "value", "derivative", "warnings")
    expression: str
    at: dict[str, float]
    direction: dict[str, float]
    value: float
    derivative: float
    warnings: tuple[KinkWarning, ...]
    tape: Tape | None
    values: list[float]
    tangents: list[float]
    partials: dict[int, tuple[float, ...]]

    def __init__(self, expression: str, at: dict[str, float], direction: dict[str, float],
                 value: float, derivative: float, warnings: tuple[KinkWarning, ...] = (),
                 tape: Tape | None = None, values: list[float] | None = None,
                 tangents: list[float] | None = None,
                 partials: dict[int, tuple[float, ...]] | None = None) -> None:
        _set(self, "expression", expression)
        _set(self, "at", at)
        _set(self, "direction", direction)
        _set(self, "value", value)
        _set(self, "derivative", derivative)
        _set(self, "warnings", warnings)
        _set(self, "tape", tape)
        _set(self, "values", [] if values is None else values)
        _set(self, "tangents", [] if tangents is None else tangents)
        _set(self, "partials", {} if partials is None else partials)

    def to_dict(self) -> dict[str, Any]:
        """JSON: expression, at, direction, value, derivative, warnings."""
        return {"expression": self.expression, "at": dict(self.at),
                "direction": dict(self.direction), "value": self.value,
                "derivative": self.derivative, "warnings": [w.to_dict() for w in self.warnings]}
