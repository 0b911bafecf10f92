"""One Hessian-vector product, fast: hessian.py's forward-over-reverse sweep on the tape's lean
lists, with the cheap rules written out as reverse.py writes them (add, sub, neg, mul, a**c,
one-argument functions) and every other row's partials asked of the table.

Same formulas as hessian.product (tests check the two against each other); where a number is
not finite, or a rule raises, this returns None and the caller runs hessian.product, which
names the node.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from exprdiff.ops import load
from exprdiff.tape import ADD, CONSTANT, MUL, NEG, ONE, POWC, SUB, UNARY, Tape

load()  # the rows' rules this module reads (ops.load)

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def _second_rules(tape: Tape) -> list[Any]:
    """Every operation's Op.second, in the lean lists' order (made once per tape)."""
    rules = tape.memo.get("second rules")
    if rules is None:
        ops = tape.ops
        rules = [ops[i].second for i in tape.lean().nodes]  # type: ignore[union-attr]
        tape.memo["second rules"] = rules
    return rules


def product(tape: Tape, values: Sequence[float], adjoint: Sequence[float],
            direction: Sequence[float]) -> list[float] | None:
    """H·direction at the inputs (in `tape.variables` order), or None (see the module)."""
    try:
        dot, slope = _tangents(tape, values, direction)
        adot = _adjoint_tangents(tape, values, adjoint, dot, slope)
    except _MATH_ERRORS:
        return None
    found = [adot[i] for i in tape.inputs.values()]
    total = sum(found)
    return found if total - total == 0.0 else None


def _arguments(tape: Tape, i: int, a: int, b: int) -> tuple[int, ...]:
    return (a, b) if b >= 0 else (a,) if b == ONE else tape.lean().many[i]


def _tangents(tape: Tape, values: Sequence[float],
              direction: Sequence[float]) -> tuple[list[float], list[float]]:
    """Every node's tangent, and the local partial of each one-argument node and a**c."""
    lean = tape.lean()
    dot = [0.0] * len(tape)
    slope = [0.0] * len(tape)
    for i, t in zip(tape.inputs.values(), direction, strict=True):
        dot[i] = float(t)
    for i, code, rule, a, b in zip(lean.nodes, lean.codes, lean.rules, lean.firsts,
                                   lean.seconds, strict=True):
        if code == MUL:
            dot[i] = dot[a] * values[b] + values[a] * dot[b]
        elif code == ADD:
            dot[i] = dot[a] + dot[b]
        elif code == SUB:
            dot[i] = dot[a] - dot[b]
        elif code == NEG:
            dot[i] = -dot[a]
        elif code == UNARY:
            d = slope[i] = rule(values[i], values[a])[0]
            dot[i] = d * dot[a] if dot[a] else 0.0
        elif code == POWC:  # ∂/∂a a**c = c·a**(c-1)
            c = values[b]
            d = slope[i] = c * math.pow(values[a], c - 1.0)
            dot[i] = d * dot[a] if dot[a] else 0.0
        else:
            args = _arguments(tape, i, a, b)
            local = rule(values[i], *[values[k] for k in args])
            dot[i] = sum(d * dot[k] for d, k in zip(local, args, strict=True) if dot[k])
    return dot, slope


def _adjoint_tangents(tape: Tape, values: Sequence[float], adjoint: Sequence[float],
                      dot: list[float], slope: list[float]) -> list[float]:
    """ȧ[a_k] += ȧ[i]·p_k + ā[i]·Σ_l H_kl·v̇[a_l], from the output back."""
    lean = tape.lean()
    adot = [0.0] * len(tape)
    kinds = tape.kinds
    for i, code, rule, second, a, b in zip(reversed(lean.nodes), reversed(lean.codes),
                                           reversed(lean.rules), reversed(_second_rules(tape)),
                                           reversed(lean.firsts), reversed(lean.seconds),
                                           strict=True):
        h, g = adot[i], adjoint[i]
        if code == MUL:  # H = [[0, 1], [1, 0]]
            adot[a] += h * values[b] + g * dot[b]
            adot[b] += h * values[a] + g * dot[a]
        elif code == ADD:
            adot[a] += h
            adot[b] += h
        elif code == SUB:
            adot[a] += h
            adot[b] -= h
        elif code == NEG:
            adot[a] -= h
        elif code == UNARY or code == POWC:
            t = dot[a]
            total = h * slope[i] if h else 0.0
            if g and t:
                if code == UNARY:
                    s = second(values[i], values[a])[0][0]
                else:  # ∂²/∂a² a**c = c(c-1)·a**(c-2)
                    c = values[b]
                    s = 0.0 if c == 1.0 else c * (c - 1.0) * math.pow(values[a], c - 2.0)
                total += g * s * t
            adot[a] += total
        elif g or h:
            args = _arguments(tape, i, a, b)
            arguments = [values[k] for k in args]
            local = rule(values[i], *arguments)
            rows = second(values[i], *arguments)
            for k, arg in enumerate(args):
                if kinds[arg] == CONSTANT:
                    continue
                total = h * local[k] if h else 0.0
                if g:
                    total += g * sum(e * dot[m] for e, m in zip(rows[k], args, strict=True)
                                     if dot[m])
                adot[arg] += total
    return adot
