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
        # Each argument inside the row's sample interval (domain, saturation, poles), then
        # moved off any kink, jump or pole the row names (ops.py: Op.sample, Op.repair).
        args = [squash(self.node(depth), *op.interval(k)) for k in range(count)]
        for _ in range(20):
            k = op.repair(KINK_MARGIN, *(a.value for a in args))
            if k is None:
                break
            args[k] = shift(args[k], 0.37)
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
