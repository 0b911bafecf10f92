"""The reverse sweep: one pass of adjoints from the output back to the inputs.

Each node's adjoint is the sum over its consumers of (consumer's adjoint × local partial).
With `partials` given, the sweep also records every node's local partials, so the step tables
are read off this very sweep. A sweep that meets a number that is not finite hands over to the
careful sweep (careful.py), which gives the true adjoints or says why there are none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from exprdiff.errors import ExprError
from exprdiff.rules import TINY, UNDERFLOW
from exprdiff.tape import ADD, BINARY, CONSTANT, MUL, NEG, POWC, SUB, UNARY, Tape

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def reverse(
    tape: Tape, values: Sequence[float], partials: dict[int, tuple[float, ...]] | None = None
) -> list[float]:
    """Adjoints ∂f/∂node for every node (constants' adjoints are meaningless and set to 0)."""
    if partials is not None:
        return _recorded(tape, values, partials)
    adjoint = [0.0] * len(tape)
    adjoint[tape.output] = 1.0
    lean = tape.lean()
    many = lean.many
    try:
        # Same arithmetic as the ops' partials, with the cheap rules written out in the loop.
        for i, code, rule, a, b in zip(reversed(lean.nodes), reversed(lean.codes),
                                       reversed(lean.rules), reversed(lean.firsts),
                                       reversed(lean.seconds), strict=True):
            g = adjoint[i]
            if code == MUL:
                adjoint[a] += g * values[b]
                adjoint[b] += g * values[a]
            elif code == ADD:
                adjoint[a] += g
                adjoint[b] += g
            elif code == UNARY:
                adjoint[a] += g * rule(values[i], values[a])[0]
            elif code == POWC:  # a**c with c a constant: only ∂/∂a = c·a**(c-1) is needed
                c = values[b]
                d = c * math.pow(values[a], c - 1)
                if abs(d) < TINY and values[a]:
                    d = UNDERFLOW  # as rules.pow_partials
                adjoint[a] += g * d
            elif code == BINARY:
                da, db = rule(values[i], values[a], values[b])
                adjoint[a] += g * da
                adjoint[b] += g * db
            elif code == SUB:
                adjoint[a] += g
                adjoint[b] -= g
            elif code == NEG:
                adjoint[a] -= g
            else:
                args = many[i]
                local = rule(values[i], *[values[k] for k in args])
                for k, d in zip(args, local, strict=True):
                    adjoint[k] += g * d
    except _MATH_ERRORS:
        return _careful(tape, values)
    if _doubtful(tape, values, adjoint):
        return _careful(tape, values)  # edge by edge: a true derivative or the reason why not
    return adjoint


def _doubtful(tape: Tape, values: Sequence[float], adjoint: list[float]) -> bool:
    """Whether the careful sweep must redo `adjoint`: an adjoint is not finite, or one may
    have lost digits below the normal range (_underflowed). Sets the constants' adjoints to 0
    (a nan partial towards a constant, e.g. a negative base, is harmless).

    The common case is two passes in C: the constants' adjoints are first set to 1, out of the
    way, then a sum (finite?) and a min of the magnitudes (all normal?) settle it."""
    constants = tape.lean().constant_nodes
    for i in constants:
        adjoint[i] = 1.0
    total = sum(adjoint)
    finite = total - total == 0.0 or all(map(math.isfinite, adjoint))
    low = finite and min(map(abs, adjoint)) < TINY
    for i in constants:
        adjoint[i] = 0.0
    return not finite or (low and _underflowed(tape, values, adjoint))


def _underflowed(tape: Tape, values: Sequence[float], adjoint: list[float]) -> bool:
    """Whether a product adjoint × partial may have lost digits below the normal range: an
    adjoint is there but not 0, or is 0 where the output reaches it without crossing a flat
    edge (a max loser, relu below 0: Op.flat). In most sweeps the constants' adjoints are the
    only ones below the range: a count of them in C, on the adjoints' bytes, settles it."""
    if _below_normal(tape, adjoint) <= len(tape.lean().constant_nodes):
        return False
    kinds = tape.kinds
    small = [i for i, g in enumerate(adjoint) if abs(g) < TINY and kinds[i] != CONSTANT]
    if any(adjoint[i] for i in small):
        return True
    reached = _reached(tape, values)
    return any(reached[i] for i in small)


#: Per byte value, 1 where the bits of a double's exponent field in it are all 0: the top byte
#: (sign and the exponent's 7 high bits) and the one below it (the exponent's 4 low bits).
_TOP = bytes(int(b & 0x7F == 0) for b in range(256))
_NEXT = bytes(int(b & 0xF0 == 0) for b in range(256))


#: Below this many nodes the count is a plain loop (struct, a module to load, pays from here).
_SMALL = 64


def _below_normal(tape: Tape, numbers: list[float]) -> int:
    """How many of `numbers` (one per node) are 0 or subnormal: exponent field 0."""
    if len(numbers) < _SMALL:
        return sum(-TINY < g < TINY for g in numbers)  # (nan: False, as its exponent is not 0)
    packer = tape.memo.get("doubles")
    if packer is None:  # (struct imported here: once per tape, not at every start-up)
        import struct

        packer = tape.memo["doubles"] = struct.Struct(f"<{len(tape)}d")
    raw = packer.pack(*numbers)
    return (int.from_bytes(raw[7::8].translate(_TOP), "little")
            & int.from_bytes(raw[6::8].translate(_NEXT), "little")).bit_count()


def _reached(tape: Tape, values: Sequence[float]) -> list[bool]:
    """Per node: some path from the output reaches it without crossing a flat edge."""
    reached = [False] * len(tape)
    reached[tape.output] = True
    kinds, ops = tape.kinds, tape.ops
    for i, _, _, args in reversed(tape.program):
        if not reached[i]:
            continue
        op = ops[i]
        if op is None or op.flat is None:
            for a in args:
                reached[a] = True
            continue
        flat = op.flat(tuple(kinds[a] == CONSTANT for a in args), values[i],
                       *[values[a] for a in args])
        for a, f in zip(args, flat, strict=True):
            reached[a] = reached[a] or not f
    return reached


def _careful(
    tape: Tape, values: Sequence[float], partials: dict[int, tuple[float, ...]] | None = None
) -> list[float]:
    """careful.careful's adjoints; its error keeps the forward values (ExprError.values).
    Imported here: only a sweep that overflows or underflows needs it."""
    from exprdiff.careful import careful

    try:
        return careful(tape, values, partials)
    except ExprError as error:
        error.tape, error.values = tape, list(values)
        raise


def _recorded(
    tape: Tape, values: Sequence[float], partials: dict[int, tuple[float, ...]]
) -> list[float]:
    """The sweep that also keeps every node's local partials (for the step tables)."""
    adjoint = [0.0] * len(tape)
    adjoint[tape.output] = 1.0
    try:
        for i, _, rule, args in reversed(tape.program):
            g = adjoint[i]
            local = rule(values[i], *[values[a] for a in args])  # type: ignore[operator]
            for a, d in zip(args, local, strict=True):
                adjoint[a] += g * d
            partials[i] = local
    except _MATH_ERRORS:
        partials.clear()
        return _careful(tape, values, partials)
    if _doubtful(tape, values, adjoint):
        partials.clear()
        return _careful(tape, values, partials)
    return adjoint
