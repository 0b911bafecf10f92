"""The ops' NumPy forms, the only place that knows a formula per op for many points.

They mirror ops.py's scalar rows (same formulas, same conventions at kinks): NUMPY_OPS over whole
arrays, KINKS as row masks, _PROPAGATES_ALL for the non-finite checks, and the same arithmetic
as calls on registers (emit_forward, _PARTIALS, emit_partials) for the plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from exprdiff.tape import CONSTANT, Tape
from exprdiff.vector.registers import Array, Builder

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)


def _sigmoid(x: Array) -> Array:
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _pow_partials(out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    # ∂/∂a a**b = b·a**(b-1) (0 for b = 0);  ∂/∂b = a**b·ln a for a > 0, 0 for a = 0 < b, else nan
    if type(b) is float:  # a constant exponent: its own partial is never used
        if b == 0:
            return 0.0, 0.0
        return (b * a if b == 2.0 else b * np.power(a, b - 1.0)), 0.0
    da = np.where(b == 0, 0.0, b * np.power(a, b - 1.0))
    safe = np.where(a > 0, a, 1.0)
    db = np.where(a > 0, out * np.log(safe), np.where((a == 0) & (b > 0), 0.0, np.nan))
    return da, db


def _log(x: Array, base: Array | None = None) -> Array:
    if base is None:
        return np.log(x)
    bad = (base <= 0) | (base == 1)
    return np.where(bad, np.nan, np.log(x) / np.log(np.where(bad, 2.0, base)))


def _log_partials(out: Array, x: Array, base: Array | None = None) -> tuple[Array, ...]:
    if base is None:
        return (1.0 / x,)
    ln_b = np.log(base)
    return (1.0 / (x * ln_b), -out / (base * ln_b))


def _extremum_partials(out: Array, *args: Array) -> tuple[Array, ...]:
    ties = [a == out for a in args]
    share = 1.0 / sum(t.astype(float) for t in ties)
    return tuple(np.where(t, share, 0.0) for t in ties)


def _hypot(*args: Array) -> Array:
    return np.sqrt(sum(a * a for a in args)) if len(args) > 2 else np.hypot(*args)


def _hypot_partials(out: Array, *args: Array) -> tuple[Array, ...]:
    zero = out == 0
    safe = np.where(zero, 1.0, out)
    return tuple(np.where(zero, 0.0, a / safe) for a in args)


def _sign(x: Array) -> Array:
    return np.sign(x) + 0.0


Forward = Callable[..., Array]
Partials = Callable[..., tuple[Array, ...]]

#: op name → (forward over arrays, partials over arrays), mirroring ops.py row by row.
NUMPY_OPS: dict[str, tuple[Forward, Partials]] = {
    "add": (np.add, lambda out, a, b: (1.0, 1.0)),
    "sub": (np.subtract, lambda out, a, b: (1.0, -1.0)),
    "mul": (np.multiply, lambda out, a, b: (b, a)),
    "div": (np.divide, lambda out, a, b: (1.0 / b, -out / b)),
    "neg": (np.negative, lambda out, a: (-1.0,)),
    "pow": (lambda a, b: np.square(a) if type(b) is float and b == 2.0 else np.power(a, b),
            _pow_partials),
    "sin": (np.sin, lambda out, x: (np.cos(x),)),
    "cos": (np.cos, lambda out, x: (-np.sin(x),)),
    "tan": (np.tan, lambda out, x: (1.0 + out * out,)),
    "asin": (np.arcsin, lambda out, x: (1.0 / np.sqrt(1.0 - x * x),)),
    "acos": (np.arccos, lambda out, x: (-1.0 / np.sqrt(1.0 - x * x),)),
    "atan": (np.arctan, lambda out, x: (1.0 / (1.0 + x * x),)),
    "sinh": (np.sinh, lambda out, x: (np.cosh(x),)),
    "cosh": (np.cosh, lambda out, x: (np.sinh(x),)),
    "tanh": (np.tanh, lambda out, x: (1.0 - out * out,)),
    "asinh": (np.arcsinh, lambda out, x: (1.0 / np.sqrt(x * x + 1.0),)),
    "acosh": (np.arccosh, lambda out, x: (1.0 / np.sqrt(x * x - 1.0),)),
    "atanh": (np.arctanh, lambda out, x: (1.0 / (1.0 - x * x),)),
    "exp": (np.exp, lambda out, x: (out,)),
    "log": (_log, _log_partials),
    "ln": (np.log, lambda out, x: (1.0 / x,)),
    "log2": (np.log2, lambda out, x: (1.0 / (x * math.log(2.0)),)),
    "log10": (np.log10, lambda out, x: (1.0 / (x * math.log(10.0)),)),
    "sqrt": (np.sqrt, lambda out, x: (0.5 / out,)),
    "cbrt": (np.cbrt, lambda out, x: (1.0 / (3.0 * out * out),)),
    "abs": (np.abs, lambda out, x: (_sign(x),)),
    "sign": (_sign, lambda out, x: (0.0,)),
    "max": (lambda *a: np.maximum.reduce(np.broadcast_arrays(*a)), _extremum_partials),
    "min": (lambda *a: np.minimum.reduce(np.broadcast_arrays(*a)), _extremum_partials),
    "relu": (lambda x: np.where(x > 0, x, 0.0),
             lambda out, x: (np.where(x > 0, 1.0, np.where(x == 0, 0.5, 0.0)),)),
    "sigmoid": (_sigmoid, lambda out, x: (out * (1.0 - out),)),
    "softplus": (lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
                 lambda out, x: (_sigmoid(x),)),
    "atan2": (np.arctan2, lambda out, y, x: (x / (x * x + y * y), -y / (x * x + y * y))),
    "hypot": (_hypot, _hypot_partials),
    "erf": (lambda x: np.asarray(_erf(x), dtype=np.float64),
            lambda out, x: (_TWO_OVER_SQRT_PI * np.exp(-x * x),)),
}

#: Where each kinked op is not differentiable, as a row mask (the scalar path then explains).
KINKS: dict[str, Callable[..., Array]] = {
    "abs": lambda out, x: x == 0,
    "relu": lambda out, x: x == 0,
    "sign": lambda out, x: x == 0,
    "max": lambda out, *a: sum((x == out).astype(int) for x in a) >= 2,
    "min": lambda out, *a: sum((x == out).astype(int) for x in a) >= 2,
    "hypot": lambda out, *a: out == 0,
}

#: Where a non-finite argument always gives a non-finite result (inf·0 = nan, inf - inf = nan):
#: a bad value there shows up downstream, so only nodes without such a consumer are checked.
_PROPAGATES_ALL = frozenset({"add", "sub", "mul", "neg", "sin", "cos", "tan", "sqrt", "cbrt",
                             "ln", "log2", "log10", "abs", "sinh", "cosh", "asinh"})


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
    """sign / sqrt(1 - x·x), as asin's and acos's partials compute it."""
    return b.emit(np.divide, sign, b.emit(np.sqrt, b.emit(np.subtract, 1.0,
                                                           b.emit(np.multiply, x, x))))


#: op → its local partials as calls on registers, each the same arithmetic as NUMPY_OPS.
_PARTIALS: dict[str, Callable[..., tuple[int, ...]]] = {
    "add": lambda b, o, x, y: (b.number(1.0), b.number(1.0)),
    "sub": lambda b, o, x, y: (b.number(1.0), b.number(-1.0)),
    "mul": lambda b, o, x, y: (y, x),
    "div": lambda b, o, x, y: (b.emit(np.divide, 1.0, y),
                               b.emit(np.divide, b.emit(np.negative, o), y)),
    "neg": lambda b, o, x: (b.number(-1.0),),
    "sin": lambda b, o, x: (b.emit(np.cos, x),),
    "cos": lambda b, o, x: (b.emit(np.negative, b.emit(np.sin, x)),),
    "tan": lambda b, o, x: (b.emit(np.add, 1.0, b.emit(np.multiply, o, o)),),
    "asin": lambda b, o, x: (_one_over_root(b, x, 1.0),),
    "acos": lambda b, o, x: (_one_over_root(b, x, -1.0),),
    "atan": lambda b, o, x: (b.emit(np.divide, 1.0, b.emit(np.add, 1.0,
                                                            b.emit(np.multiply, x, x))),),
    "sinh": lambda b, o, x: (b.emit(np.cosh, x),),
    "cosh": lambda b, o, x: (b.emit(np.sinh, x),),
    "tanh": lambda b, o, x: (b.emit(np.subtract, 1.0, b.emit(np.multiply, o, o)),),
    "exp": lambda b, o, x: (o,),
    "ln": lambda b, o, x: (b.emit(np.divide, 1.0, x),),
    "sqrt": lambda b, o, x: (b.emit(np.divide, 0.5, o),),
    "abs": lambda b, o, x: (b.emit(np.add, b.emit(np.sign, x), 0.0),),
    "sigmoid": lambda b, o, x: (b.emit(np.multiply, o, b.emit(np.subtract, 1.0, o)),),
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
        return b.emit(np.multiply, exponent, power), b.number(0.0)
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
        if name in _PROPAGATES_ALL or (name == "log" and len(args) == 1):
            for a in args:
                covered[a] = True
        elif name == "div" or (name == "pow" and kinds[args[1]] == CONSTANT
                               and constants[args[1]] > 0):
            covered[args[0]] = True
    return covered
