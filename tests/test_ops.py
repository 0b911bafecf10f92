"""Every primitive's local partials against central finite differences, inside its domain."""

from __future__ import annotations

import pytest

import exprdiff
from exprdiff import ops
from exprdiff.ops import FUNCTIONS, OPERATORS

#: Hand-picked hard points besides the table's samples: saturation, large and negative args.
EXTRA_POINTS: dict[str, list[tuple[float, ...]]] = {
    "pow": [(1.5, -0.5), (0.5, -3.0)],
    "log": [(3.0, 2.0), (8.0, 0.5)],
    "cbrt": [(-8.0,), (27.0,)],
    "sigmoid": [(-30.0,)],
    "softplus": [(-30.0,), (40.0,)],
    "atan2": [(-1.0, -3.0), (2.0, -0.5)],
    "hypot": [(3.0, 4.0), (1.0, 2.0, 2.0)],
}


def sample_points(op: ops.Op) -> list[tuple[float, ...]]:
    """Points from the row's sample intervals, moved off kinks, jumps and poles by its repair
    (the same rule the random expressions use): a new row is covered without a new test."""
    low, high = op.arity
    counts = [low] if high == low else [low, low + 1]
    points = []
    for count in counts:
        for fraction in (0.2, 0.55, 0.85):
            args = []
            for k in range(count):
                lo, hi = op.interval(k)
                args.append(lo + (hi - lo) * ((fraction + 0.37 * k) % 1.0))
            for _ in range(20):
                moved = op.repair(0.05, *args)
                if moved is None:
                    break
                args[moved] += 0.37
            assert op.repair(0.05, *args) is None, (op.name, args)
            points.append(tuple(args))
    return points


DOMAIN_POINTS: dict[str, list[tuple[float, ...]]] = {
    op.name: sample_points(op) + EXTRA_POINTS.get(op.name, []) for op in ops.TABLE}

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
def test_forward_matches_sympy(name):
    """The forward values against the row's SymPy counterpart at 30 digits: two definitions
    written apart (math/NumPy forms vs SymPy's), so a wrong row shows."""
    sympy = pytest.importorskip("sympy")
    op = FUNCTIONS[name]
    for args in DOMAIN_POINTS[name]:
        value = exprdiff.compile(_text(name, len(args))).value(
            {f"a{k}": v for k, v in enumerate(args)})
        reference = float(op.sympy(sympy, *[sympy.Float(a, 30) for a in args]).evalf(30))
        assert value == pytest.approx(reference, rel=1e-12, abs=1e-300), (name, args)


def test_arity_text():
    assert FUNCTIONS["max"].arity_text() == "2 or more arguments"
    assert FUNCTIONS["log"].arity_text() == "1 or 2 arguments"
    assert FUNCTIONS["sin"].arity_text() == "1 argument"


def test_load_puts_every_rows_own_rules_in_place():
    """The NumPy, wide and second-order rules are named lazily (op.Later) and ops.load()
    resolves all of them: no row keeps a name where its rule belongs."""
    from exprdiff.op import LATE_FIELDS, Later
    from exprdiff.ops import TABLE, load

    assert load() is TABLE
    late = [(op.name, field) for op in TABLE for field in LATE_FIELDS
            if isinstance(getattr(op, field), Later)]
    assert late == []
    assert callable(ops.lookup("log2").array_partials) and callable(ops.lookup("tanh").second)
