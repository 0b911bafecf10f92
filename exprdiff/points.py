"""Points: `x1=1,x2=2` text and mappings → validated values in the expression's variable order."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from exprdiff.errors import ExprError, names_text, usage
from exprdiff.ops import CONSTANTS


def split_assignments(text: str) -> list[str]:
    """Split `x=1, y=atan2(1, 2)` on the commas outside parentheses."""
    parts: list[str] = []
    depth = 0
    start = 0
    for k, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return [p for p in (part.strip() for part in parts) if p]


def parse_assignments(text: str, variables: Sequence[str] = ()) -> dict[str, float]:
    """`x1=1,x2=2` → {"x1": 1.0, "x2": 2.0}; values may be constant expressions (`pi/4`).

    Raises a usage ExprError naming the bad part and listing the expression's variables.
    """
    point: dict[str, float] = {}
    for part in split_assignments(text):
        name, sep, value_text = part.partition("=")
        name = name.strip()
        if not sep:
            raise usage(f"'{part}' is not NAME=VALUE (a point looks like x1=1,x2=2.5)", variables)
        if not name:
            raise usage(f"'{part}' has no variable name before '='", variables)
        if name in point:
            raise usage(f"{name} is given twice in the point", variables)
        point[name] = _number(name, value_text.strip(), variables)
    return point


def _number(name: str, text: str, variables: Sequence[str]) -> float:
    if not text:
        raise usage(f"{name}= has no value", variables)
    try:
        value = float(text)
    except ValueError:
        value = _constant_expression(name, text, variables)
    if not math.isfinite(value):
        raise usage(f"the value of {name} must be a finite number, not {text}", variables)
    return value


def _constant_expression(name: str, text: str, variables: Sequence[str]) -> float:
    """A value written as a constant expression: `pi/4`, `sqrt(2)`, `-1/3`."""
    from exprdiff.forward import forward
    from exprdiff.syntax.limits import DEFAULT, check_tape, check_text
    from exprdiff.syntax.parser import parse_tape

    try:
        check_text(text, DEFAULT)
        tape = parse_tape(text)
        check_tape(tape, DEFAULT)
    except ExprError:
        raise usage(f"the value of {name} is not a number: '{text}'", variables) from None
    if tape.variables:
        raise usage(f"the value of {name} must be a number or a constant expression, "
                    f"not '{text}'", variables)
    return forward(tape, [])[tape.output]


def validate(point: Mapping[str, object], variables: Sequence[str]) -> list[float]:
    """The point's values in `variables` order; every mistake is a usage error."""
    known = set(variables)  # a tuple's `in` would make 100 000 variables quadratic
    for name in point:
        if name in known:
            continue
        if name in CONSTANTS:
            raise usage(f"{name} is a constant ({CONSTANTS[name]!r}), not a variable: "
                        "it cannot be given a value", variables)
        from difflib import get_close_matches  # an error path: not loaded by every run

        close = get_close_matches(name, list(variables), n=1)
        guess = f"; did you mean '{close[0]}'?" if close else ""
        raise usage(f"unknown variable '{name}' in the point{guess}", variables)
    missing = [v for v in variables if v not in point]
    if missing:
        raise usage(f"no value given for {names_text(missing)}", variables)
    values: list[float] = []
    for name in variables:
        raw = point[name]
        try:
            value = float(raw)  # type: ignore[arg-type]
        except OverflowError:  # an int or Fraction beyond a double: 10**400 (never echoed whole)
            raise usage(f"the value of {name} is beyond ±1.8e308", variables) from None
        except (TypeError, ValueError):
            raise usage(f"the value of {name} is not a number: {raw!r}", variables) from None
        if not math.isfinite(value):
            raise usage(f"the value of {name} must be a finite number, not {raw}", variables)
        values.append(value)
    return values
