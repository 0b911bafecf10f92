"""Every primitive's local partials against central finite differences, inside its domain."""

from __future__ import annotations

import math

import pytest

import exprdiff
from exprdiff.ops import FUNCTIONS, OPERATORS

#: Points inside each primitive's domain, away from kinks (several per primitive).
DOMAIN_POINTS: dict[str, list[tuple[float, ...]]] = {
    "add": [(1.0, 2.0), (-3.5, 0.25)],
    "sub": [(1.0, 2.0), (-3.5, 0.25)],
    "mul": [(1.5, -2.0), (0.3, 7.0)],
    "div": [(1.0, 3.0), (-2.0, 0.5), (5.0, -4.0)],
    "neg": [(1.0,), (-2.5,)],
    "pow": [(2.0, 3.0), (1.5, -0.5), (0.7, 2.2), (0.5, -3.0)],
    "sin": [(0.0,), (1.0,), (-2.5,)],
    "cos": [(0.0,), (1.0,), (-2.5,)],
    "tan": [(0.0,), (1.0,), (-1.2,)],
    "asin": [(0.0,), (0.5,), (-0.9,)],
    "acos": [(0.0,), (0.5,), (-0.9,)],
    "atan": [(0.0,), (2.0,), (-7.0,)],
    "sinh": [(0.0,), (1.0,), (-3.0,)],
    "cosh": [(0.5,), (1.0,), (-3.0,)],
    "tanh": [(0.0,), (0.5,), (-2.0,)],
    "asinh": [(0.0,), (2.0,), (-5.0,)],
    "acosh": [(1.5,), (3.0,), (10.0,)],
    "atanh": [(0.0,), (0.5,), (-0.9,)],
    "exp": [(0.0,), (1.0,), (-3.0,)],
    "log": [(0.5,), (2.0,), (10.0,), (3.0, 2.0), (0.5, 10.0), (8.0, 0.5)],
    "ln": [(0.5,), (2.0,), (10.0,)],
    "log2": [(0.5,), (2.0,), (10.0,)],
    "log10": [(0.5,), (2.0,), (10.0,)],
    "sqrt": [(0.25,), (2.0,), (9.0,)],
    "cbrt": [(0.5,), (-8.0,), (27.0,)],
    "abs": [(2.0,), (-3.0,)],
    "sign": [(2.0,), (-3.0,)],
    "max": [(1.0, 2.0), (3.0, -1.0), (1.0, 5.0, 2.0)],
    "min": [(1.0, 2.0), (3.0, -1.0), (1.0, 5.0, 2.0)],
    "relu": [(2.0,), (-3.0,)],
    "sigmoid": [(0.0,), (2.0,), (-30.0,)],
    "softplus": [(0.0,), (2.0,), (-30.0,), (40.0,)],
    "atan2": [(1.0, 2.0), (-1.0, -3.0), (2.0, -0.5)],
    "hypot": [(3.0, 4.0), (-1.0, 2.0), (1.0, 2.0, 2.0)],
    "erf": [(0.0,), (0.5,), (-1.5,)],
}

_SYNTAX = {"add": "a0 + a1", "sub": "a0 - a1", "mul": "a0*a1", "div": "a0/a1",
           "neg": "-a0", "pow": "a0**a1"}


def _text(name: str, arity: int) -> str:
    if name in _SYNTAX:
        return _SYNTAX[name]
    return f"{name}({', '.join(f'a{k}' for k in range(arity))})"


def _central_difference(compiled, point: dict[str, float], name: str) -> float:
    """Richardson-extrapolated central difference: error O(h^4)."""
    def slope(h: float) -> float:
        up = dict(point, **{name: point[name] + h})
        down = dict(point, **{name: point[name] - h})
        return (compiled.value(up) - compiled.value(down)) / (2 * h)
    h = 1e-3 * max(1.0, abs(point[name]))
    return (4 * slope(h / 2) - slope(h)) / 3


def test_every_primitive_has_domain_points():
    assert set(DOMAIN_POINTS) == set(OPERATORS) | set(FUNCTIONS)


CASES = [(name, args) for name, points in DOMAIN_POINTS.items() for args in points]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{n}{a}" for n, a in CASES])
def test_partials_match_central_differences(name, args):
    compiled = exprdiff.compile(_text(name, len(args)))
    point = {f"a{k}": v for k, v in enumerate(args)}
    result = compiled.grad(point)
    assert result.warnings == ()
    for variable, partial in result.gradient.items():
        numeric = _central_difference(compiled, point, variable)
        assert partial == pytest.approx(numeric, rel=1e-6, abs=1e-8), (
            f"{name}{args}: ∂/∂{variable} reverse mode {partial!r}, finite difference {numeric!r}")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_forward_matches_the_math_module_or_definition(name):
    """Spot-check the forward values against independent definitions."""
    reference = {
        "relu": lambda x: max(x, 0.0), "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
        "softplus": lambda x: math.log1p(math.exp(x)), "sign": lambda x: math.copysign(1, x),
        "ln": math.log, "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
        "max": max, "min": min, "pow": math.pow, "abs": abs,
    }.get(name, getattr(math, name, None))
    assert reference is not None, f"no reference for {name}"
    for args in DOMAIN_POINTS[name]:
        value = exprdiff.compile(_text(name, len(args))).value(
            {f"a{k}": v for k, v in enumerate(args)})
        assert value == pytest.approx(reference(*args), rel=1e-12, abs=1e-300)


def test_arity_text():
    assert FUNCTIONS["max"].arity_text() == "2 or more arguments"
    assert FUNCTIONS["log"].arity_text() == "1 or 2 arguments"
    assert FUNCTIONS["sin"].arity_text() == "1 argument"
