"""The primitive table's NumPy forms, bound to NumPy, and the plan's fast paths.

Every formula comes from the rows of ops.py (`Op.array`, `Op.array_partials`, `Op.array_kink`,
`Op.propagates`): NUMPY_OPS, KINKS and PROPAGATES below are read off the table. The only
arithmetic written here is `_PARTIALS`, the same partials as register calls for the cheapest
ops (no tuple per block); tests check every one of them bitwise against the table's forms.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from exprdiff import array_rules as A
from exprdiff.op import Op
from exprdiff.ops import TABLE, load
from exprdiff.tape import CONSTANT, Tape
from exprdiff.vector.registers import Array, Builder

load()  # the rows' rules this module reads (ops.load)

Forward = Callable[..., Array]
Partials = Callable[..., tuple[Array, ...]]


def _forward(op: Op) -> Forward:
    return getattr(np, op.array) if isinstance(op.array, str) else partial(op.array, np)


#: op name → (forward over arrays, partials over arrays), from the table.
NUMPY_OPS: dict[str, tuple[Forward, Partials]] = {
    op.name: (_forward(op), partial(op.array_partials, np)) for op in TABLE}

#: Where each kinked op is not differentiable or jumps, as a row mask (the scalar path then
#: explains).
KINKS: dict[str, Callable[..., Array]] = {
    op.name: partial(op.array_kink, np) for op in TABLE if op.array_kink is not None}

#: Where a non-finite argument always gives a non-finite result (inf·0 = nan, inf - inf = nan):
#: a bad value there shows up downstream, so only nodes without such a consumer are checked.
PROPAGATES = frozenset(op.name for op in TABLE if op.propagates)


def emit_forward(b: Builder, name: str, args: list[int]) -> int:
    """The register holding op `name` of the registers `args` (its NumPy forward, emitted)."""
    forward = NUMPY_OPS[name][0]
    if name == "pow":
        exponent = b.const[args[1]]
        if type(exponent) is float and exponent == 2.0:
            return b.emit(np.square, args[0])
        return b.emit(np.power, *args)
    if name == "log" and len(args) == 1:
        return b.emit(np.log, *args)
    return b.emit(forward, *args, fresh=not isinstance(forward, np.ufunc))


def _one_over_root(b: Builder, x: int, sign: float) -> int:
    """sign / sqrt((1 - x)(1 + x)), as asin's and acos's partials compute it."""
    return b.emit(np.divide, sign, b.emit(np.sqrt, b.emit(np.multiply, b.emit(np.subtract, 1.0, x),
                                                          b.emit(np.add, 1.0, x))))


_UNDERFLOW = partial(A.underflow, np)
_UNDERFLOW_POSITIVE = partial(A.underflow_positive, np)

#: op → its local partials as calls on registers, each the same arithmetic as NUMPY_OPS.
_PARTIALS: dict[str, Callable[..., tuple[int, ...]]] = {
    "add": lambda b, o, x, y: (b.number(1.0), b.number(1.0)),
    "sub": lambda b, o, x, y: (b.number(1.0), b.number(-1.0)),
    "mul": lambda b, o, x, y: (y, x),
    "div": lambda b, o, x, y: (b.emit(np.divide, 1.0, y),
                               b.emit(_UNDERFLOW, b.emit(np.divide, b.emit(np.negative, o), y),
                                      x, fresh=True)),
    "neg": lambda b, o, x: (b.number(-1.0),),
    "sin": lambda b, o, x: (b.emit(np.cos, x),),
    "cos": lambda b, o, x: (b.emit(np.negative, b.emit(np.sin, x)),),
    "tan": lambda b, o, x: (b.emit(np.add, 1.0, b.emit(np.multiply, o, o)),),
    "asin": lambda b, o, x: (_one_over_root(b, x, 1.0),),
    "acos": lambda b, o, x: (_one_over_root(b, x, -1.0),),
    "sinh": lambda b, o, x: (b.emit(np.cosh, x),),
    "cosh": lambda b, o, x: (b.emit(np.sinh, x),),
    "exp": lambda b, o, x: (b.emit(_UNDERFLOW_POSITIVE, o, fresh=True),),
    "ln": lambda b, o, x: (b.emit(np.divide, 1.0, x),),
    "sqrt": lambda b, o, x: (b.emit(np.divide, 0.5, o),),
    "abs": lambda b, o, x: (b.emit(np.add, b.emit(np.sign, x), 0.0),),
}


def emit_partials(b: Builder, name: str, out: int, args: list[int]) -> tuple[int, ...]:
    """Registers holding ∂out/∂arg for each argument (constants where they are constant)."""
    if name in _PARTIALS:
        return _PARTIALS[name](b, out, *args)
    if name == "log" and len(args) == 1:
        return _PARTIALS["ln"](b, out, *args)
    if name == "pow" and type(b.const[args[1]]) is float:
        exponent = b.const[args[1]]
        if exponent == 0:
            return b.number(0.0), b.number(0.0)
        if exponent == 2.0:
            return b.emit(np.multiply, exponent, args[0]), b.number(0.0)
        power = b.emit(np.power, args[0], exponent - 1.0)
        return (b.emit(_UNDERFLOW, b.emit(np.multiply, exponent, power), args[0], fresh=True),
                b.number(0.0))
    # Any other op: its NUMPY_OPS partials, once per block; which entries are plain numbers
    # depends only on which arguments are constants, so one call on stand-ins tells.
    partials = NUMPY_OPS[name][1]
    both = b.emit(partials, out, *args, fresh=True)
    if b.is_const(both):  # every argument constant: folded already
        return tuple(b.register(entry) for entry in b.const[both])
    stand_ins = [b.const[r] if b.is_const(r) else np.full(1, 0.5) for r in (out, *args)]
    with np.errstate(all="ignore"):
        probe = partials(*stand_ins)
    return tuple(b.emit(_item(k), both, fresh=True) if isinstance(entry, np.ndarray)
                 else b.register(entry) for k, entry in enumerate(probe))


def _item(k: int) -> Callable[[tuple[Array, ...]], Array]:
    def item(values: tuple[Array, ...]) -> Array:
        return values[k]
    return item


def covered_nodes(tape: Tape) -> list[bool]:
    """Nodes whose non-finite value always makes a consumer's value non-finite.

    That consumer is itself covered or checked, so only the others (and the output) need a check.
    """
    covered = [False] * len(tape)
    ops, kinds, constants = tape.ops, tape.kinds, tape.constants
    for j, _, _, args in tape.program:
        name = ops[j].name  # type: ignore[union-attr]
        if name in PROPAGATES or (name == "log" and len(args) == 1):
            for a in args:
                covered[a] = True
        elif name == "div" or (name == "pow" and kinds[args[1]] == CONSTANT
                               and constants[args[1]] > 0):
            covered[args[0]] = True
    return covered
