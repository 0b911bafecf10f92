"""Points: `x1=1,x2=2` text and mappings → validated values in the expression's variable order."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from exprdiff.errors import ExprError, names_text, usage
from exprdiff.ops import CONSTANTS


def split_assignments(text: str) -> list[str]:
    """Split `x=1, y=atan2(1, 2)` on the commas outside parentheses (empty parts dropped)."""
    return [p for p in (part.strip() for part in _split(text)) if p]


def _split(text: str) -> list[str]:
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
    return parts


#: The hint for values run together: one point's values are separated by commas.
_COMMAS = "separate a point's values with commas: x=1,y=2"


def parse_assignments(text: str, variables: Sequence[str] = ()) -> dict[str, float]:
    """`x1=1,x2=2` → {"x1": 1.0, "x2": 2.0}; values may be constant expressions (`pi/4`).

    Raises a usage ExprError naming the bad part and listing the expression's variables; the
    common slips (`;` or spaces between values, an empty pair, a pasted `−`) say what to write.
    """
    if not text.isascii():  # Python's float() and strip() would take '١' and no-break spaces
        from exprdiff.syntax.lookalikes import lookalike_hint

        raise ExprError("usage", f"the point '{text}' is not plain ASCII",
                        hint=lookalike_hint(text))
    if ";" in text:
        raise ExprError("usage", f"'{text}' has ';' inside one point", hint=_COMMAS +
                        " (';' separates points only in batch lines)")
    parts = _split(text) if text.strip() else []  # an empty point: an expression without variables
    if len(parts) > 1 and any(not part.strip() for part in parts):
        raise usage(f"'{text}' has an empty pair between commas", variables)
    point: dict[str, float] = {}
    for raw_part in parts:
        part = raw_part.strip()
        name, sep, value_text = part.partition("=")
        name = name.strip()
        if not sep:
            raise usage(f"'{part}' is not NAME=VALUE (a point looks like x1=1,x2=2.5)", variables)
        if not name:
            raise usage(f"'{part}' has no variable name before '='", variables)
        if name in point:
            raise usage(f"{name} is given twice in the point", variables)
        if "=" in value_text:
            raise ExprError("usage", f"'{part}' runs two values together", hint=_COMMAS)
        point[name] = _number(name, value_text.strip(), variables)
    return point


def _number(name: str, text: str, variables: Sequence[str]) -> float:
    if not text:
        raise usage(f"{name}= has no value", variables)
    try:
        value = float(text)
    except ValueError:
        value = _constant_expression(name, text, variables)
    else:
        if "_" in text:  # float() reads 1_000; exprdiff's expressions do not
            raise usage(f"the value of {name} has digit-group underscores: '{text}' (write "
                        f"{text.replace('_', '')})", variables)
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
        raise usage(f"unknown variable '{name}' in the point{_guess(name, point, variables)}",
                    variables)
    missing = [v for v in variables if v not in point]
    if missing:
        problem = usage(f"no value given for {names_text(missing)}", variables)
        slip = _missing_hint(missing)
        if slip is not None:
            problem.hint = f"{slip}; {problem.hint}"
        raise problem
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


def _guess(name: str, point: Mapping[str, object], variables: Sequence[str]) -> str:
    """'; did you mean …?' for an unknown name: a case slip, or a name the point splits."""
    for variable in variables:
        if variable.lower() == name.lower():
            return f"; did you mean '{variable}'? names are case-sensitive"
    from exprdiff.ops import FUNCTIONS

    for variable in variables:  # `sinx` with x=…: the function call is sin(x)
        function = variable[: len(variable) - len(name)]
        if variable.endswith(name) and function in FUNCTIONS:
            return f"; '{variable}' is one variable: for the function write {function}({name})"
    for variable in variables:  # `wx + b` with w=…, x=…: wx is one name
        if variable not in point and variable.startswith(name) and variable[len(name):] in point:
            rest = variable[len(name):]
            return (f"; the expression has '{variable}', one name: for a product write "
                    f"{name}*{rest}")
    from difflib import get_close_matches  # an error path: not loaded by every run

    close = get_close_matches(name, list(variables), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _missing_hint(missing: Sequence[str]) -> str | None:
    """`sinx` is a variable: the function call is sin(x)."""
    from exprdiff.ops import FUNCTIONS

    for name in missing:
        for function in sorted(FUNCTIONS, key=len, reverse=True):
            rest = name[len(function):]
            if name.startswith(function) and rest and (rest[0].isalpha() or rest[0] == "_"):
                return f"'{name}' is one variable: for the function write {function}({rest})"
    return None
