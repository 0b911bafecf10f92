"""The reverse sweep's written-out rules (+ - * neg a**c, reverse.py) against the table.

`reverse(tape, values)` takes fast paths for the cheapest ops; `reverse(tape, values,
partials={})` asks every row's `partials` (ops.py). Both must give the same floats, bit for
bit, on every row and on expressions that use every fast path.
"""

from __future__ import annotations

import pytest

import exprdiff
from exprdiff import ops
from exprdiff.forward import forward
from exprdiff.reverse import reverse
from exprdiff.tape import ADD, BINARY, MUL, NARY, NEG, POWC, SUB, UNARY

NAMES = ("a", "b", "c", "d")


def _row_text(op: ops.Op) -> tuple[str, list[float]]:
    count = op.arity[0] if op.arity[1] == op.arity[0] else op.arity[0] + 1
    args = []
    for k in range(count):
        low, high = op.interval(k)
        args.append(low + (high - low) * ((0.3 + 0.37 * k) % 1.0))
    for _ in range(20):
        moved = op.repair(0.05, *args)
        if moved is None:
            break
        args[moved] += 0.37
    names = NAMES[:count]
    if op.infix is None:
        return f"{op.name}({', '.join(names)})", args
    return ("(-a)" if op.name == "neg" else f"a {op.infix} b"), args


FAST = ["a*b + c - (-a) + a**3 + a**2 - b**-1 + c**0.5",
        "(a - b)*(a + b)*c - -(a*b) + (a*b*c)**2",
        "max(a, b, c) + hypot(a, b, c) + sin(a)*atan2(b, c) + log(b + 2, c + 2)"]


@pytest.mark.parametrize("text,args", [_row_text(op) for op in ops.TABLE] +
                         [(t, [0.7, -1.3, 2.9]) for t in FAST],
                         ids=[op.name for op in ops.TABLE] + FAST)
def test_the_fast_sweep_is_the_table_sweep_bit_for_bit(text, args):
    tape = exprdiff.compile(text).tape
    point = args[: len(tape.variables)]
    values = forward(tape, point)
    fast = reverse(tape, values)
    recorded = {}
    slow = reverse(tape, values, recorded)
    assert fast == slow
    assert recorded  # the slow sweep really asked the table, node by node
    for i, local in recorded.items():
        op = tape.ops[i]
        assert local == op.partials(values[i], *[values[a] for a in tape.args[i]])


def test_the_fast_paths_are_all_exercised():
    codes = set()
    for text in FAST:
        codes.update(exprdiff.compile(text).tape.lean().codes)
    assert {MUL, ADD, SUB, NEG, POWC, UNARY, BINARY, NARY} <= codes


def test_both_counts_of_numbers_below_the_normal_range_agree():
    """reverse._below_normal counts 0s and subnormals with a plain loop on a small tape and on
    the doubles' bytes (struct) on a big one: the two must agree, on every kind of double."""
    import random

    from exprdiff import reverse

    kinds = [0.0, -0.0, 5e-324, -2.2e-308, 2.2250738585072014e-308, 1.0, -3.5, 1e300,
             float("inf"), float("-inf"), float("nan"), 1e-310]
    rng = random.Random(7)
    for size in (1, 10, 63, 64, 200):
        tape = exprdiff.compile("+".join(f"x{k}" for k in range(size)) or "x").tape
        numbers = [rng.choice(kinds) for _ in range(len(tape))]
        plain = sum(n == 0 or (abs(n) < 2.2250738585072014e-308) for n in numbers)
        assert reverse._below_normal(tape, numbers) == plain, (size, numbers)
