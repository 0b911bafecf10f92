"""The tangent sweep (forward mode): every node's directional derivative along a direction of
the inputs, in tape order, from the same local partials the reverse sweep uses.

At a kink the sweep takes the one-sided derivative on the side the argument moves to (the
row's `directional` rule, else each argument's one-sided slope), so a directional derivative
there is exact: abs'(0; d) = |d|. Across a jump there is none: `tangent` returns None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from exprdiff.forward import KinkWarning
from exprdiff.ops import load
from exprdiff.tape import Tape

load()  # the rows' rules this module reads (ops.load)

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def tangent(tape: Tape, values: Sequence[float], direction: Sequence[float],
            kinks: Mapping[int, KinkWarning] | None = None,
            record: dict[int, tuple[float, ...]] | None = None) -> list[float] | None:
    """d(node)/dt along `direction` (one entry per input, in `tape.variables` order) for every
    node; None where a jump makes it undefined. `kinks` maps kinked nodes to their warnings;
    `record` receives every operation's local partials (for the tangent tables)."""
    dot = [0.0] * len(tape)
    for i, t in zip(tape.inputs.values(), direction, strict=True):
        dot[i] = float(t)
    for i, _, rule, args in tape.program:
        moving = [dot[a] for a in args]
        if record is not None or (any(moving) and (kinks is None or i not in kinks)):
            try:
                local = rule(values[i], *[values[a] for a in args])  # type: ignore[operator]
            except _MATH_ERRORS:
                local = (math.nan,) * len(args)
            if record is not None:
                record[i] = local
        if not any(moving):
            continue
        warning = kinks.get(i) if kinks is not None else None
        if warning is None:
            total = sum(d * t for d, t in zip(local, moving, strict=True) if t)
            dot[i] = total if total == total else _wide_sum(tape, i, values, local, moving)
            continue
        slope = _kink_slope(tape, i, values, warning, moving)
        if slope is None:
            return None
        dot[i] = slope
    return dot


def _kink_slope(tape: Tape, i: int, values: Sequence[float], warning: KinkWarning,
                moving: Sequence[float]) -> float | None:
    """The one-sided slope of node i when its arguments move along `moving` from the kink."""
    op = tape.ops[i]
    if op is not None and op.directional is not None:  # the row's own rule (max, hypot, …)
        return op.directional(values[i], [values[a] for a in tape.args[i]], moving)
    total = 0.0
    for (left, right), t in zip(warning.one_sided, moving, strict=True):
        if t == 0:
            continue
        slope = right if t > 0 else left
        if slope is None:  # a jump: no one-sided derivative
            return None
        total += slope * t
    return total


def _wide_sum(tape: Tape, i: int, values: Sequence[float], local: Sequence[float],
              moving: Sequence[float]) -> float:
    """Σ ∂i/∂a·ȧ where some partial is below the doubles' range (the rows return UNDERFLOW,
    a NaN, there): those terms from the row's scaled partials (m·2**e), as the careful
    reverse sweep takes them; NaN if a partial is undefined, not just tiny, or a term is below
    every double."""
    from exprdiff import scaled as S

    op = tape.ops[i]
    args = [values[a] for a in tape.args[i]]
    wide = op.scaled(values[i], *args) if op is not None and op.scaled is not None else None
    total = 0.0
    for k, (d, t) in enumerate(zip(local, moving, strict=True)):
        if not t:
            continue
        if d == d:
            total += d * t
        elif wide is None:
            return math.nan
        else:
            term = S.mul(wide[k], S.wide(t))
            near = S.to_float(term)
            if term[0] and not near:  # below every double: the tangent would be a false 0,
                return math.nan       # so none (the reverse sweep words why)
            total += near
    return total
