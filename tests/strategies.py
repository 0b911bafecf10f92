"""Hypothesis strategies: random well-formed expressions over the whole primitive table, each
with a point inside every function's domain and away from every kink.

    from strategies import expressions        # tests/ is on sys.path under pytest

    @given(expressions())
    def test_something(case):
        text, point = case                     # "sin((x + 0.5))*y", {"x": 1.25, "y": -2.0}

The expression is built bottom-up while its values are computed with the ops' own forward
functions, so every argument can be checked against its function's domain as it is made. An
argument that falls outside is squashed smoothly into range (`mid + k*atan(arg)`) or shifted off
a kink; nothing is filtered out, so hypothesis never has to reject. Every variable of the point
occurs in the expression (exprdiff rejects unknown names in --at).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from exprdiff.ops import FUNCTIONS, OPERATORS, lookup

NAMES = ("x", "y", "z", "x1", "x2", "x3", "theta", "m_0", "Ef", "w", "b")
#: Every primitive by the name the generator uses: operators by internal name, then functions.
PRIMITIVES = tuple(OPERATORS) + tuple(sorted(set(FUNCTIONS) - {"pow"}))
LIMIT = 1e4  # a larger value is squashed (atan), keeping everything well scaled
KINK_MARGIN = 0.05

NUMBERS = ("2", "3", "0.5", "1.5", "0.25", "10", "pi", "e")
_POSITIVE = frozenset({"acosh", "ln", "log", "log2", "log10", "sqrt"})


@dataclass(frozen=True)
class Piece:
    """A generated subexpression: its text, its value at the point, whether it needs no
    parentheses as an operand, and the primitives it uses."""

    text: str
    value: float
    atom: bool
    ops: frozenset[str] = frozenset()
    free: bool = False  # it holds a variable

    def operand(self) -> str:
        return self.text if self.atom else f"({self.text})"


def _literal(value: float) -> Piece:
    text = repr(float(value))
    return Piece(text, float(text), value >= 0)


def _call(name: str, args: list[Piece], extra: frozenset[str] = frozenset()) -> Piece:
    op = lookup(name)
    value = op.forward(*[a.value for a in args])
    ops = frozenset().union(*(a.ops for a in args)) | {name} | extra
    free = any(a.free for a in args)
    if op.infix is None:
        return Piece(f"{name}({', '.join(a.text for a in args)})", value, True, ops, free)
    if name == "neg":
        return Piece(f"-{args[0].operand()}", value, False, ops, free)
    left, right = args
    return Piece(f"{left.operand()} {op.infix} {right.operand()}", value, False, ops, free)


def squash(piece: Piece, low: float, high: float) -> Piece:
    """`piece` if its value is in [low, high], else mid + k*atan(piece), strictly inside."""
    if low <= piece.value <= high:
        return piece
    mid, k = (low + high) / 2, (high - low) / 2 * 0.63  # 0.63·π/2 < 1
    inner = _call("atan", [piece])
    return _call("add", [_literal(mid), _call("mul", [_literal(k), inner])])


def shift(piece: Piece, amount: float = 1.0) -> Piece:
    return _call("add", [piece, _literal(amount)])


#: extreme=True: arguments pushed to saturation (u + K, u a subexpression in [-3, 3]) ...
SHIFTS: dict[str, tuple[float, ...]] = {
    "tanh": (18.0, -20.0, 25.0, -40.0, 100.0, -300.0, 400.0),
    "sigmoid": (20.0, -37.0, 40.0, -100.0, 700.0, -700.0, 800.0),
    "softplus": (20.0, -37.0, 40.0, -100.0, 700.0, -700.0, -800.0),
    "exp": (-20.0, -40.0, -300.0, -700.0, 300.0, 700.0, -800.0),
    "expm1": (-20.0, -40.0, -300.0, -700.0, 300.0, 700.0),
    "erf": (3.0, -6.0, 10.0, -26.0, 30.0),
    "sin": (1e6, -1e6), "cos": (1e6, -1e6),
}
#: ... or to huge and tiny magnitudes (u·K, u a subexpression in ±[0.5, 1.5])
SCALES: dict[str, tuple[float, ...]] = {
    "atan": (1e20, -1e100, 1e160, -1e200, 1e300),
    "asinh": (1e20, -1e100, 1e160, -1e200, 1e300),
    "acosh": (1e20, 1e100, 1e200, 1e300),
    "ln": (1e-300, 1e-200, 1e-20, 1e20, 1e200, 1e300),
    "log": (1e-300, 1e-200, 1e-20, 1e20, 1e200, 1e300),
    "log2": (1e-300, 1e-200, 1e20, 1e300),
    "log10": (1e-300, 1e-200, 1e20, 1e300),
    "sqrt": (1e-300, 1e-200, 1e200, 1e300),
    "cbrt": (-1e-300, 1e-200, -1e200, 1e300),
    "atan2": (1e-300, -1e-200, 1e200, 1e300),
    "hypot": (1e-300, -1e-200, 1e200, 1e300),
    "div": (1e-200, -1e-20, 1e20, 1e200),
    "mul": (1e-200, 1e150, -1e300),
    "pow": (1e-100, 1e-30, 1e30, 1e100),
}
#: ... or next to ±1 (±(1 - u·K)), where 1 - x² cancels.
NEAR_ONE: dict[str, tuple[float, ...]] = {
    "asin": (1e-6, 1e-10, 1e-14), "acos": (1e-6, 1e-10, 1e-14), "atanh": (1e-6, 1e-10, 1e-14),
    "acosh": (-1e-6, -1e-10, -1e-14), "log1p": (1e-6, 1e-10, 1e-14),
}


#: What each strategy the Builder draws from means, for random_cases's plain draws.
_MEANING: dict[int, tuple[Any, ...]] = {}


@functools.lru_cache(maxsize=None)
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    """One strategy object per range, drawn from again and again (a new one each draw costs
    hypothesis its validation every time: a third of the property tests' drawing)."""
    strategy = st.integers(low, high)
    _MEANING[id(strategy)] = ("int", low, high)
    return strategy


@functools.lru_cache(maxsize=None)
def _pick(choices: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    strategy = st.sampled_from(choices)
    _MEANING[id(strategy)] = ("pick", choices)
    return strategy


_BOOLEANS = _pick((False, True))


class Builder:
    """Draws one expression; `draw` is hypothesis's. With `extreme`, some arguments are pushed
    to saturation, huge or tiny magnitudes, or next to ±1 (SHIFTS, SCALES, NEAR_ONE)."""

    def __init__(self, draw: Callable[[Any], Any], point: dict[str, float], depth: int,
                 extreme: bool = False) -> None:
        self.draw = draw
        self.point = point
        self.depth = depth
        self.used: set[str] = set()
        self.extreme = extreme

    def node(self, depth: int) -> Piece:
        leaf_chance = 3 + (self.depth - depth)  # out of 10: deeper means likelier a leaf
        if depth <= 0 or self.draw(_ints(0, 9)) < leaf_chance:
            return self.leaf()
        name = self.draw(_pick(PRIMITIVES))
        return self.bounded(self.apply(name, depth - 1))

    def leaf(self) -> Piece:
        if self.draw(_ints(0, 9)) < 7:
            name = self.draw(_pick(tuple(sorted(self.point))))
            self.used.add(name)
            return Piece(name, self.point[name], True, free=True)
        text = self.draw(_pick(NUMBERS))
        value = {"pi": math.pi, "e": math.e}.get(text)
        return Piece(text, float(text) if value is None else value, True)

    def bounded(self, piece: Piece) -> Piece:
        if abs(piece.value) <= LIMIT:
            return piece
        return _call("atan", [piece])

    def apply(self, name: str, depth: int) -> Piece:
        if self.extreme and self.draw(_ints(0, 9)) < 4:
            used = set(self.used)
            found = self.pushed(name, depth)
            if found is not None and found.free:  # (a constant folds, in doubles, on the tape)
                return found
            self.used = used  # what was drawn for it is not in the expression

        if name == "pow":
            return self.power(depth)
        op = lookup(name)
        low, high = op.arity
        count = self.draw(_ints(low, high if high is not None else 3))
        # Each argument inside the row's sample interval (domain, saturation, poles), then
        # moved off any kink, jump or pole the row names (ops.py: Op.sample, Op.repair).
        args = [squash(self.node(depth), *op.interval(k)) for k in range(count)]
        for _ in range(20):
            k = op.repair(KINK_MARGIN, *(a.value for a in args))
            if k is None:
                break
            args[k] = shift(args[k], 0.37)
        return _call(name, args)

    def pushed(self, name: str, depth: int) -> Piece | None:
        """`name` with its arguments pushed to an edge of the doubles (None: no edge for it,
        or the value overflowed on the way)."""
        try:
            if name in SHIFTS:
                k = self.draw(_pick(SHIFTS[name]))
                return _call(name, [shift(squash(self.node(depth), -3.0, 3.0), k)])
            if name in NEAR_ONE:
                k = self.draw(_pick(NEAR_ONE[name]))
                u = _call("mul", [squash(self.node(depth), 0.5, 1.5), _literal(k)])
                edge = self.draw(_pick((1.0, -1.0))) if name != "acosh" else 1.0
                edge = -1.0 if name == "log1p" else edge
                near = _call("sub", [_literal(edge), u]) if edge > 0 else shift(u, edge)
                return _call(name, [near])
            if name in SCALES:
                return self.scaled(name, depth)
        except (OverflowError, ValueError, ZeroDivisionError):
            return None
        return None

    def scaled(self, name: str, depth: int) -> Piece | None:
        def big() -> Piece:
            k = self.draw(_pick(SCALES[name]))
            sign = self.draw(_pick((1.0, -1.0)))
            u = squash(self.node(depth), 0.5, 1.5)
            return _call("mul", [u, _literal(sign * k if name not in _POSITIVE else abs(k))])

        if name == "pow":  # a huge or tiny base to a constant power that keeps it a double
            base = big()
            exponent = self.draw(_pick((2.0, -1.0, -2.0, 0.5, 3.0)))
            return _call("pow", [base, _literal(exponent)])
        if name in ("atan2", "hypot"):
            return _call(name, [big(), big()])
        if name in ("div", "mul"):
            return _call(name, [squash(self.node(depth), -3.0, 3.0), big()])
        if name == "log" and self.draw(_BOOLEANS):
            return _call(name, [big(), big()])
        piece = _call(name, [big()])
        return piece if math.isfinite(piece.value) else None

    def power(self, depth: int) -> Piece:
        """a**n with a constant n, or a**b with a positive base and a modest exponent."""
        base = self.node(depth)
        variant = self.draw(_ints(0, 2))
        if variant == 0:
            exponent = _literal(self.draw(_pick((2.0, 3.0, -1.0, -2.0))))
            if exponent.value < 0 and abs(base.value) < 0.1:
                base = shift(base)
            base = squash(base, -30.0, 30.0)
        else:
            base = squash(base, 0.2, 5.0)
            exponent = (_literal(self.draw(_pick((0.5, 1.5, -0.5))))
                        if variant == 1 else squash(self.node(depth), -3.0, 3.0))
        return _call("pow", [base, exponent])


@st.composite
def cases(draw: Callable[[Any], Any], max_depth: int = 8, max_variables: int = 5,
          extreme: bool = False) -> tuple[str, dict[str, float], frozenset[str]]:
    """(text, point, primitives used): like `expressions`, also naming the primitives;
    `extreme` pushes some arguments to the edges of the doubles (see Builder)."""
    count = draw(st.integers(1, max_variables))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=count, max_size=count, unique=True))
    # Four decimals: a variable like 1e-30 only measures the doubles' absolute limits
    # (cos(acos(1e-30)) is 6e-17 in doubles), not exprdiff's rules.
    coordinate = st.one_of(st.integers(-3, 3).map(float),
                           st.floats(-3.0, 3.0, allow_nan=False).map(lambda v: round(v, 4)))
    point = {name: draw(coordinate) for name in names}
    return _built(draw, point, max_depth, extreme)


def _built(draw: Callable[[Any], Any], point: dict[str, float], max_depth: int,
           extreme: bool) -> tuple[str, dict[str, float], frozenset[str]]:
    builder = Builder(draw, point, max_depth, extreme)
    root = draw(_pick(PRIMITIVES))  # never a bare leaf: that tests nothing
    piece = builder.bounded(builder.apply(root, max_depth - 1))
    if not builder.used:  # a constant: bring one variable in
        name = next(iter(point))
        builder.used.add(name)
        piece = _call("add", [piece, Piece(name, point[name], True)])
    return piece.text, {n: v for n, v in point.items() if n in builder.used}, piece.ops


def random_cases(seed: int, count: int, max_depth: int = 8, max_variables: int = 5,
                 extreme: bool = False) -> Iterator[tuple[str, dict[str, float], frozenset[str]]]:
    """`count` cases as `cases` draws them, from `random.Random(seed)` instead of hypothesis's
    engine (a quarter of a bulk property test's time was hypothesis drawing, not testing):
    the same expressions for the same seed on every run; no shrinking, so a failure names
    its case in full."""
    rng = random.Random(seed)

    def draw(strategy: st.SearchStrategy[Any]) -> Any:
        meaning = _MEANING[id(strategy)]
        if meaning[0] == "int":
            return rng.randint(meaning[1], meaning[2])
        return rng.choice(meaning[1])

    for _ in range(count):
        names = rng.sample(NAMES, rng.randint(1, max_variables))
        point = {name: float(rng.randint(-3, 3)) if rng.random() < 0.5
                 else round(rng.uniform(-3.0, 3.0), 4) for name in names}
        yield _built(draw, point, max_depth, extreme)


def expressions(max_depth: int = 8, max_variables: int = 5) -> st.SearchStrategy[
        tuple[str, dict[str, float]]]:
    """(expression text, point) pairs: depth ≤ max_depth (plus range repairs), 1–max_variables
    variables, every function of ops.py, inside each function's domain, away from kinks."""
    return cases(max_depth, max_variables).map(lambda case: (case[0], case[1]))
