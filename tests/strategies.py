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

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from exprdiff.ops import FUNCTIONS, OPERATORS, lookup

NAMES = ("x", "y", "z", "x1", "x2", "x3", "theta", "m_0", "Ef", "w", "b")
#: Every primitive by the name the generator uses: operators by internal name, then functions.
PRIMITIVES = tuple(OPERATORS) + tuple(sorted(set(FUNCTIONS) - {"pow"}))
LIMIT = 1e4  # a larger value is squashed (atan), keeping everything well scaled
KINK_MARGIN = 0.05

#: Interval each function's argument must lie in: far enough from domain edges, saturation
#: (tanh, erf, sigmoid: a double that rounds to ±1 loses the derivative) and poles (tan).
RANGES: dict[str, tuple[float, float]] = {
    "exp": (-5.0, 5.0), "sinh": (-5.0, 5.0), "cosh": (-5.0, 5.0),
    "tanh": (-4.0, 4.0), "erf": (-3.0, 3.0), "sigmoid": (-8.0, 8.0), "softplus": (-10.0, 10.0),
    "sin": (-20.0, 20.0), "cos": (-20.0, 20.0), "tan": (-1.3, 1.3),
    "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9), "acosh": (1.1, 50.0),
    "log": (0.1, 1000.0), "ln": (0.1, 1000.0), "log2": (0.1, 1000.0), "log10": (0.1, 1000.0),
    "sqrt": (0.1, 1000.0),
}
NUMBERS = ("2", "3", "0.5", "1.5", "0.25", "10", "pi", "e")


@dataclass(frozen=True)
class Piece:
    """A generated subexpression: its text, its value at the point, whether it needs no
    parentheses as an operand, and the primitives it uses."""

    text: str
    value: float
    atom: bool
    ops: frozenset[str] = frozenset()

    def operand(self) -> str:
        return self.text if self.atom else f"({self.text})"


def _literal(value: float) -> Piece:
    text = repr(float(value))
    return Piece(text, float(text), value >= 0)


def _call(name: str, args: list[Piece], extra: frozenset[str] = frozenset()) -> Piece:
    op = lookup(name)
    value = op.forward(*[a.value for a in args])
    ops = frozenset().union(*(a.ops for a in args)) | {name} | extra
    if op.infix is None:
        return Piece(f"{name}({', '.join(a.text for a in args)})", value, True, ops)
    if name == "neg":
        return Piece(f"-{args[0].operand()}", value, False, ops)
    left, right = args
    return Piece(f"{left.operand()} {op.infix} {right.operand()}", value, False, ops)


def squash(piece: Piece, low: float, high: float) -> Piece:
    """`piece` if its value is in [low, high], else mid + k*atan(piece), strictly inside."""
    if low <= piece.value <= high:
        return piece
    mid, k = (low + high) / 2, (high - low) / 2 * 0.63  # 0.63·π/2 < 1
    inner = _call("atan", [piece])
    return _call("add", [_literal(mid), _call("mul", [_literal(k), inner])])


def shift(piece: Piece, amount: float = 1.0) -> Piece:
    return _call("add", [piece, _literal(amount)])


class Builder:
    """Draws one expression; `draw` is hypothesis's."""

    def __init__(self, draw: Callable[[Any], Any], point: dict[str, float], depth: int) -> None:
        self.draw = draw
        self.point = point
        self.depth = depth
        self.used: set[str] = set()

    def node(self, depth: int) -> Piece:
        leaf_chance = 3 + (self.depth - depth)  # out of 10: deeper means likelier a leaf
        if depth <= 0 or self.draw(st.integers(0, 9)) < leaf_chance:
            return self.leaf()
        name = self.draw(st.sampled_from(PRIMITIVES))
        return self.bounded(self.apply(name, depth - 1))

    def leaf(self) -> Piece:
        if self.draw(st.integers(0, 9)) < 7:
            name = self.draw(st.sampled_from(sorted(self.point)))
            self.used.add(name)
            return Piece(name, self.point[name], True)
        text = self.draw(st.sampled_from(NUMBERS))
        value = {"pi": math.pi, "e": math.e}.get(text)
        return Piece(text, float(text) if value is None else value, True)

    def bounded(self, piece: Piece) -> Piece:
        if abs(piece.value) <= LIMIT:
            return piece
        return _call("atan", [piece])

    def apply(self, name: str, depth: int) -> Piece:
        if name == "pow":
            return self.power(depth)
        op = lookup(name)
        low, high = op.arity
        count = self.draw(st.integers(low, high if high is not None else 3))
        args = [self.node(depth) for _ in range(count)]
        if name in RANGES:
            args[0] = squash(args[0], *RANGES[name])
        if name == "log" and len(args) == 2:  # log(x, b): a base well away from 1
            args[1] = squash(args[1], 1.5, 10.0)
        elif name in ("abs", "relu", "sign", "cbrt"):
            args[0] = args[0] if abs(args[0].value) >= 2 * KINK_MARGIN else shift(args[0])
        elif name == "div":
            args[1] = args[1] if abs(args[1].value) >= 0.1 else shift(args[1])
        elif name in ("max", "min"):
            args = _separate(args)
        elif name in ("hypot", "atan2"):
            if math.hypot(*(a.value for a in args)) < 0.1:
                args[0] = shift(args[0])
        return _call(name, args)

    def power(self, depth: int) -> Piece:
        """a**n with a constant n, or a**b with a positive base and a modest exponent."""
        base = self.node(depth)
        variant = self.draw(st.integers(0, 2))
        if variant == 0:
            exponent = _literal(self.draw(st.sampled_from((2.0, 3.0, -1.0, -2.0))))
            if exponent.value < 0 and abs(base.value) < 0.1:
                base = shift(base)
            base = squash(base, -30.0, 30.0)
        else:
            base = squash(base, 0.2, 5.0)
            exponent = (_literal(self.draw(st.sampled_from((0.5, 1.5, -0.5))))
                        if variant == 1 else squash(self.node(depth), -3.0, 3.0))
        return _call("pow", [base, exponent])


def _separate(args: list[Piece]) -> list[Piece]:
    """Shift max/min arguments apart so that no two tie (a tie is a kink)."""
    kept: list[Piece] = []
    for piece in args:
        for _ in range(20):
            if all(abs(piece.value - other.value) >= KINK_MARGIN for other in kept):
                break
            piece = shift(piece, 0.37)
        kept.append(piece)
    return kept


@st.composite
def cases(draw: Callable[[Any], Any], max_depth: int = 8,
          max_variables: int = 5) -> tuple[str, dict[str, float], frozenset[str]]:
    """(text, point, primitives used): like `expressions`, also naming the primitives."""
    count = draw(st.integers(1, max_variables))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=count, max_size=count, unique=True))
    # Four decimals: a variable like 1e-30 only measures the doubles' absolute limits
    # (cos(acos(1e-30)) is 6e-17 in doubles), not exprdiff's rules.
    coordinate = st.one_of(st.integers(-3, 3).map(float),
                           st.floats(-3.0, 3.0, allow_nan=False).map(lambda v: round(v, 4)))
    point = {name: draw(coordinate) for name in names}
    builder = Builder(draw, point, max_depth)
    root = draw(st.sampled_from(PRIMITIVES))  # never a bare leaf: that tests nothing
    piece = builder.bounded(builder.apply(root, max_depth - 1))
    if not builder.used:  # a constant: bring one variable in
        name = names[0]
        builder.used.add(name)
        piece = _call("add", [piece, Piece(name, point[name], True)])
    return piece.text, {n: v for n, v in point.items() if n in builder.used}, piece.ops


def expressions(max_depth: int = 8, max_variables: int = 5) -> st.SearchStrategy[
        tuple[str, dict[str, float]]]:
    """(expression text, point) pairs: depth ≤ max_depth (plus range repairs), 1–max_variables
    variables, every function of ops.py, inside each function's domain, away from kinks."""
    return cases(max_depth, max_variables).map(lambda case: (case[0], case[1]))
