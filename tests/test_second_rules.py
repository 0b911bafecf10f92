"""Every row's second partials (Op.second) against central differences of its first partials,
at points drawn from the row's own sample intervals: a new row in ops.py is covered here
without a new test."""

from __future__ import annotations

import math
import random

import pytest

from exprdiff import ops

POINTS = 25


def _counts(op: ops.Op) -> list[int]:
    """Argument counts to try: each fixed arity, and three for a variadic row."""
    low, high = op.arity
    return [low + 1] if high is None else list(range(low, high + 1))


def _points(op: ops.Op, count: int) -> list[list[float]]:
    rng = random.Random(f"{op.name}/{count}")
    found = []
    while len(found) < POINTS:
        args = [rng.uniform(*op.interval(k)) for k in range(count)]
        if op.repair(0.05, *args) is None:
            found.append(args)
    return found


def _partials(op: ops.Op, args: list[float]) -> tuple[float, ...]:
    return op.partials(op.forward(*args), *args)


CASES = [(op.name, count) for op in ops.TABLE for count in _counts(op)]


@pytest.mark.parametrize(("name", "count"), CASES)
def test_second_partials_are_the_differences_of_the_first(name: str, count: int) -> None:
    op = ops.lookup(name)
    for args in _points(op, count):
        second = op.second(op.forward(*args), *args)
        assert len(second) == count and all(len(row) == count for row in second), (name, args)
        for j in range(count):
            h = 1e-5 * max(1.0, abs(args[j]))
            up, down = list(args), list(args)
            up[j] += h
            down[j] -= h
            above, below = _partials(op, up), _partials(op, down)
            for i in range(count):
                estimate = (above[i] - below[i]) / (2 * h)
                # truncation ~ h², rounding ~ ε·|partial|/h
                rounding = 1e-9 * max(abs(d) for d in _partials(op, args)) / h
                tolerance = 1e-6 * max(abs(estimate), abs(second[i][j])) + rounding
                assert second[i][j] == second[j][i], (name, args, i, j)
                assert abs(second[i][j] - estimate) <= tolerance, (
                    f"{name}{tuple(args)}: ∂²/∂a{i}∂a{j} = {second[i][j]!r}, "
                    f"differences give {estimate!r}")


@pytest.mark.parametrize(("text", "args", "expected"), [
    ("mul", (2.0, 3.0), ((0.0, 1.0), (1.0, 0.0))),
    ("div", (1.0, 2.0), ((0.0, -0.25), (-0.25, 0.25))),     # -1/b², 2a/b³
    ("pow", (2.0, 3.0), ((12.0, 4 * (1 + 3 * math.log(2))), (4 * (1 + 3 * math.log(2)),
                                                            8 * math.log(2) ** 2))),
    ("relu", (0.0,), ((0.0,),)),    # relu'' at 0: a delta, 0 used (the Hessian warns)
    ("abs", (0.0,), ((0.0,),)),
    ("hypot", (3.0, 4.0), ((16 / 125, -12 / 125), (-12 / 125, 9 / 125))),
])
def test_hand_worked_second_partials(text: str, args: tuple[float, ...],
                                     expected: tuple[tuple[float, ...], ...]) -> None:
    op = ops.lookup(text)
    found = op.second(op.forward(*args), *args)
    for row, want in zip(found, expected, strict=True):
        assert row == pytest.approx(want, rel=1e-15)
