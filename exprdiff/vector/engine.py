"""Many points at once: the same tape swept over NumPy arrays of rows.

`Compiled.grad_points(arrays)` comes here, and `--points FILE.csv` by way of exprdiff.cli.points.
The ops' NumPy forms below mirror ops.py's scalar rows (same formulas, same conventions
at kinks). `sweep` is the plain form: one array per node over all rows, forward then reverse.
`evaluate` computes the same floats faster: the tape becomes a straight list of ufunc calls
(`plan`) run block by block in buffers reused across blocks, on a thread per core for large
inputs. A row whose sweep is not finite, or that sits on a kink, is handed to the scalar path
(`Compiled.grad`), so its error or warning is exactly the one `--at` reports.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from exprdiff.errors import ExprError, usage
from exprdiff.forward import KinkWarning
from exprdiff.tape import CONSTANT, Tape

if TYPE_CHECKING:
    from exprdiff.api import Compiled

Array = Any  # numpy.ndarray of float64, one entry per row

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
_KINKS: dict[str, Callable[..., Array]] = {
    "abs": lambda out, x: x == 0,
    "relu": lambda out, x: x == 0,
    "sign": lambda out, x: x == 0,
    "max": lambda out, *a: sum((x == out).astype(int) for x in a) >= 2,
    "min": lambda out, *a: sum((x == out).astype(int) for x in a) >= 2,
    "hypot": lambda out, *a: out == 0,
}


@dataclass(slots=True)
class Batch:
    """Value and gradient at every row; rows that failed or met a kink are listed by index."""

    variables: tuple[str, ...]
    value: Array
    gradient: dict[str, Array]
    warnings: dict[int, tuple[KinkWarning, ...]] = field(default_factory=dict)
    errors: dict[int, ExprError] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.value.shape[0])

    def record(self, row: int) -> dict[str, Any]:
        """Row `row` as a JSON-ready object: row (1-based), value and gradient, or its error."""
        data: dict[str, Any] = {"row": row + 1}
        problem = self.errors.get(row)
        if problem is not None:
            data["error"] = problem.to_dict()
            return data
        data["value"] = float(self.value[row])
        data["gradient"] = {name: float(g[row]) for name, g in self.gradient.items()}
        data["warnings"] = [w.to_dict() for w in self.warnings.get(row, ())]
        return data


def columns(arrays: Mapping[str, object], variables: Sequence[str], *,
            finite: bool = True) -> tuple[list[Array], int]:
    """The arrays in `variables` order, as float64 of one common length; usage errors else.

    `finite=False` leaves inf and nan to the caller (grad_points finds them in its sweep).
    """
    from exprdiff.points import validate

    validate(dict.fromkeys(arrays, 0.0), variables)  # unknown or missing names, typo hints
    out: list[Array] = []
    length: int | None = None
    for name in variables:
        try:
            column = np.asarray(arrays[name], dtype=np.float64)
        except (TypeError, ValueError, OverflowError):  # OverflowError: [10**400]
            raise usage(f"the values of {name} are not numbers", variables) from None
        column = np.atleast_1d(column)
        if column.ndim != 1:
            raise usage(f"the values of {name} must be one-dimensional", variables)
        if length is not None and column.shape[0] != length:
            raise usage(f"{name} has {column.shape[0]} values, the others {length}", variables)
        length = int(column.shape[0])
        if finite:
            _refuse_non_finite(column, name, variables)
        out.append(column)
    return out, (length if length is not None else 1)


def _refuse_non_finite(column: Array, name: str, variables: Sequence[str],
                       rows: Array | None = None) -> None:
    """A usage error naming the first row (of `rows`, else of all) where `column` is not finite."""
    if rows is None:
        with np.errstate(over="ignore"):
            total = column.sum()
        if math.isfinite(total):  # one pass: inf or nan anywhere would make the sum so
            return
        rows = np.arange(column.shape[0])
    bad = np.flatnonzero(~np.isfinite(column[rows]))
    if bad.size:  # (else the sum only overflowed)
        row = int(rows[bad[0]])
        raise usage(f"the value of {name} in row {row + 1} must be a finite number, not "
                    f"{column[row]}", variables)


def grad_points(compiled: Compiled, arrays: Mapping[str, object], *,
                wrt: Sequence[str] | None = None, strict: bool = False) -> Batch:
    """Value and gradient at every row of `arrays` (name → 1-D array-like, equal lengths)."""
    tape = compiled.tape
    names = compiled.variables
    inputs, rows = columns(arrays, names, finite=False)
    chosen = compiled._wrt(wrt)
    value, gradient, suspect = evaluate(tape, inputs, rows, chosen)
    if suspect:  # every row with an inf or nan among its inputs is one (evaluate)
        for name, column in zip(names, inputs, strict=True):
            _refuse_non_finite(column, name, names, np.array(suspect, dtype=np.intp))
    batch = Batch(names, value, gradient)
    for row in suspect:
        point = {name: float(column[row]) for name, column in zip(names, inputs, strict=True)}
        try:
            result = compiled.grad(point, wrt=chosen, strict=strict)
        except ExprError as problem:
            if problem.kind == "usage":
                raise
            batch.errors[row] = problem
            value[row] = math.nan
            for g in gradient.values():
                g[row] = math.nan
            continue
        value[row] = result.value
        for name, g in gradient.items():
            g[row] = result.gradient[name]
        if result.warnings:
            batch.warnings[row] = result.warnings
    return batch


# ---------------------------------------------------------------------------------------------
# The blocked sweep. The tape is turned once into a straight list of NumPy calls over slots
# (`_Plan`); each block of rows then runs that list with every intermediate in a buffer
# allocated once per thread (ufunc `out=`), so a node's array stays in cache between its
# forward and reverse uses and large rows counts cost no fresh pages. Each call is the very
# ufunc `sweep` makes, on the same operands in the same order: the results are bitwise equal.

#: Rows per block: big enough that the per-call overhead is small, small enough that a block's
#: live buffers stay in cache (on a 2-core EPYC, 16k and 32k rows did best, 4k-8k worse).
BLOCK_ROWS = 16_384
#: A second thread (and more, up to the cores available) only once each gets this many rows.
ROWS_PER_THREAD = 40_000
MAX_THREADS = 8
#: Every thread's buffers together stay under this (a huge tape gets shorter blocks).
BUFFER_BYTES = 256 << 20
MIN_BLOCK_ROWS = 1024

#: Where a non-finite argument always gives a non-finite result (inf·0 = nan, inf - inf = nan):
#: a bad value there shows up downstream, so only nodes without such a consumer are checked.
_PROPAGATES_ALL = frozenset({"add", "sub", "mul", "neg", "sin", "cos", "tan", "sqrt", "cbrt",
                             "ln", "log2", "log10", "abs", "sinh", "cosh", "asinh"})

#: (form, function, first in, second in, out, all ins): form 1 and 2 are ufuncs of one and
#: two arguments writing `out`, form 0 any other writing `out`, form 3 returns a fresh value.
Step = tuple[int, Callable[..., Any], int, int, int, tuple[int, ...]]


def _copy(src: Array, out: Array) -> None:
    np.copyto(out, src)


class _Builder:
    """Straight-line code over virtual registers; constants are folded as they appear."""

    __slots__ = ("steps", "const", "made_by", "literals")

    def __init__(self) -> None:
        self.steps: list[tuple[bool, Callable[..., Any], list[int], int]] = []
        self.const: list[Any] = []  # per register: its value, or _ARRAY
        self.made_by: list[int] = []  # per register: the step that writes it (-1: none)
        self.literals: dict[tuple[float, float], int] = {}

    def register(self, value: Any = None) -> int:
        self.const.append(_ARRAY if value is None else value)
        self.made_by.append(-1)
        return len(self.const) - 1

    def number(self, x: float) -> int:
        """The register of a plain number, shared (0.0 and -0.0 apart)."""
        key = (x, math.copysign(1.0, x))
        r = self.literals.get(key)
        if r is None:
            r = self.literals[key] = self.register(x)
        return r

    def is_const(self, r: int) -> bool:
        return self.const[r] is not _ARRAY

    def emit(self, fn: Callable[..., Any], *ins: int | float, fresh: bool = False) -> int:
        """fn(*ins) into a new register: out= a buffer, or (`fresh`) whatever fn returns.

        `ins` are registers (int) or plain numbers (float).
        """
        const = self.const
        regs = [self.number(x) if isinstance(x, float) else x for x in ins]
        for r in regs:
            if const[r] is _ARRAY:
                break
        else:  # every argument a constant: fold
            with np.errstate(all="ignore"):
                return self.register(fn(*[const[r] for r in regs]))
        const.append(_ARRAY)
        self.made_by.append(len(self.steps))
        out = len(const) - 1
        self.steps.append((fresh, fn, regs, out))
        return out


_ARRAY = object()  # the register holds an array computed per block


def _forward(b: _Builder, name: str, args: list[int]) -> int:
    forward = NUMPY_OPS[name][0]
    if name == "pow":
        exponent = b.const[args[1]]
        if type(exponent) is float and exponent == 2.0:
            return b.emit(np.square, args[0])
        return b.emit(np.power, *args)
    if name == "log" and len(args) == 1:
        return b.emit(np.log, *args)
    return b.emit(forward, *args, fresh=not isinstance(forward, np.ufunc))


def _one_over_root(b: _Builder, x: int, sign: float) -> int:
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


def _partials(b: _Builder, name: str, out: int, args: list[int]) -> tuple[int, ...]:
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


def _term(b: _Builder, g: int, d: int) -> tuple[int, float]:
    """(register, sign) of g·d: ±1 partials and a unit adjoint multiply not (bitwise the same)."""
    dv = b.const[d]
    if type(dv) is float and dv in (1.0, -1.0):
        return g, dv
    gv = b.const[g]
    if type(gv) is float and gv == 1.0:
        return d, 1.0
    return b.emit(np.multiply, g, d), 1.0


def _accumulate_into(b: _Builder, current: int, term: int, sign: float) -> int:
    """The adjoint after adding ±term to `current` (-1: the first contribution)."""
    if current < 0:
        return term if sign > 0 else b.emit(np.negative, term)
    return b.emit(np.add if sign > 0 else np.subtract, current, term)


def _covered(tape: Tape) -> list[bool]:
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


@dataclass(slots=True)
class _Plan:
    """The sweep as slot code: `steps` run per block over a copy of `slots`."""

    steps: list[Step]
    slots: list[Any]  # constants in place; buffers and per-block views set by each worker
    buffers: list[int]  # slots that hold a buffer of the block's length
    inputs: list[int]  # slot of each variable's column (variables order)
    value: int  # slot of the value column
    gradient: list[int]  # slot of each chosen variable's gradient column
    fills: list[tuple[int, Any]]  # (output number, constant): 0 = value, k = gradient k-1
    checks: list[int]  # slots whose non-finite rows go to the scalar path
    always: bool  # a constant output or adjoint is not finite: every row does
    kinks: list[tuple[str, int, tuple[int, ...]]]  # (op, value slot, argument slots)


_CACHE_LOCK = threading.Lock()  # the spare buffer memory below


def cached_plan(tape: Tape, chosen: Sequence[str]) -> _Plan:
    """`plan(tape, chosen)`, made once per tape and choice of partials (kept on the tape)."""
    key = ("numpy plan", tuple(chosen))
    found: _Plan | None = tape.memo.get(key)
    if found is None:
        found = tape.memo[key] = plan(tape, chosen)
    return found


def plan(tape: Tape, chosen: Sequence[str]) -> _Plan:
    """Lower the tape's forward and reverse sweeps to slot code (see `_Plan`)."""
    b = _Builder()
    value: list[int] = [-1] * len(tape)
    for i, kind in enumerate(tape.kinds):
        if kind == CONSTANT:
            value[i] = b.register(tape.constants[i])
    input_regs = {name: b.register() for name in tape.inputs}
    for name, i in tape.inputs.items():
        value[i] = input_regs[name]
    names = [op.name if op is not None else "" for op in tape.ops]
    for i, _, _, args in tape.program:
        value[i] = _forward(b, names[i], [value[a] for a in args])
    none = -1  # no adjoint yet: nothing flows into the node (0)
    adjoint = [none] * len(tape)
    adjoint[tape.output] = b.number(1.0)
    constant = [kind == CONSTANT for kind in tape.kinds]
    for i, _, _, args in reversed(tape.program):
        g = adjoint[i] if adjoint[i] != none else b.number(0.0)
        local = _partials(b, names[i], value[i], [value[a] for a in args])
        for a, d in zip(args, local, strict=True):
            if not constant[a]:
                term, sign = _term(b, g, d)
                adjoint[a] = _accumulate_into(b, adjoint[a], term, sign)
    grads = {name: adjoint[i] if adjoint[i] != none else b.number(0.0)
             for name, i in tape.inputs.items()}
    # Outputs: written in place by the step that makes them when it can be, else copied.
    outputs = [value[tape.output], *(grads[name] for name in chosen)]
    pinned: dict[int, int] = {}  # register → output number
    fills: list[tuple[int, Any]] = []
    copies: list[tuple[int, int]] = []
    inputs_set = set(input_regs.values())
    for k, r in enumerate(outputs):
        if b.is_const(r):
            fills.append((k, b.const[r]))
        elif r not in pinned and r not in inputs_set and not b.steps[b.made_by[r]][0]:
            pinned[r] = k
        else:
            copies.append((k, r))
    column_regs = [b.emit(_copy, r) for _, r in copies]
    for (k, _), r in zip(copies, column_regs, strict=True):
        pinned[r] = k
    # Non-finite rows: a node's value (a variable's too: inf or nan given) shows in a consumer's
    # (see _covered) or is watched; an adjoint flows into its arguments' (inf·0 = nan) and so
    # into the variables', watched.
    covered = _covered(tape)
    watched = [*(input_regs[name] for name, i in tape.inputs.items() if not covered[i]),
               value[tape.output], *grads.values(),
               *(value[i] for i, _, _, _ in tape.program if not covered[i]),
               *(adjoint[i] for i, _, _, args in tape.program
                 if adjoint[i] != none and all(constant[a] for a in args))]
    kinks = [(names[i], value[i], tuple(value[a] for a in tape.args[i])) for i in tape.kink_nodes]
    return _allocate(b, input_regs, pinned, len(outputs), fills, watched, kinks)


def _allocate(b: _Builder, input_regs: dict[str, int], pinned: dict[int, int], n_outputs: int,
              fills: list[tuple[int, Any]], watched: list[int],
              kinks: list[tuple[str, int, tuple[int, ...]]]) -> _Plan:
    """Registers → slots: a buffer is reused once the last step reading it has run."""
    const = b.const
    end = len(b.steps)
    last = [-1] * len(const)
    for k, (_, _, ins, _) in enumerate(b.steps):
        for r in ins:
            last[r] = k
    for r in watched:
        last[r] = end
    for _, r, regs in kinks:
        for x in (r, *regs):
            last[x] = end
    for fresh, _, ins, out in reversed(b.steps):  # what a function returns may be a view of
        if fresh:  # (or be) an argument: those then live as long
            for r in ins:
                last[r] = max(last[r], last[out])
    # Slots: the variables' columns, the output columns, the constants, then the rest.
    n_inputs = len(input_regs)
    slots: list[Any] = [None] * (n_inputs + n_outputs)
    where = [-1] * len(const)
    for k, r in enumerate(input_regs.values()):
        where[r] = k
    for r, k in pinned.items():
        where[r] = n_inputs + k
    for r, content in enumerate(const):
        if content is not _ARRAY:
            where[r] = len(slots)
            slots.append(content)
    always = any(const[r] is not _ARRAY and not np.all(np.isfinite(const[r])) for r in watched)
    role = [0] * len(slots)  # 0: fixed, 1: a buffer, 2: a fresh result
    free: tuple[list[int], list[int], list[int]] = ([], [], [])
    steps: list[Step] = []
    for k, (fresh, fn, ins, out) in enumerate(b.steps):
        in_slots = tuple([where[r] for r in ins])
        for j, r in enumerate(ins):
            if last[r] == k and r not in ins[:j]:
                free[role[where[r]]].append(where[r])
        slot = where[out]
        if slot < 0:
            kind = 2 if fresh else 1
            if free[kind]:
                slot = free[kind].pop()
            else:
                slot = len(slots)
                slots.append(None)
                role.append(kind)
            where[out] = slot
        form = 3 if fresh else len(in_slots) if len(in_slots) in (1, 2) else 0
        steps.append((form, fn, in_slots[0], in_slots[-1], slot, in_slots))
        if last[out] < k:  # never read
            free[role[slot]].append(slot)
    return _Plan(
        steps=steps, slots=slots, buffers=[k for k, r in enumerate(role) if r == 1],
        inputs=list(range(n_inputs)), value=n_inputs,
        gradient=list(range(n_inputs + 1, n_inputs + n_outputs)), fills=fills,
        checks=sorted({where[r] for r in watched if const[r] is _ARRAY}), always=always,
        kinks=[(name, where[r], tuple(where[x] for x in regs)) for name, r, regs in kinks])


def evaluate(tape: Tape, inputs: Sequence[Array], rows: int, chosen: Sequence[str], *,
             block: int | None = None, threads: int | None = None,
             ) -> tuple[Array, dict[str, Array], list[int]]:
    """(value, gradient, suspect rows) over `rows` rows of `inputs` (variables order).

    Suspect rows (some node, inputs included, not finite, or a kinked op on its kink) are for
    the scalar path.
    `block` and `threads` override the sizes chosen from BLOCK_ROWS and ROWS_PER_THREAD.
    """
    p = cached_plan(tape, chosen)
    value = np.empty(rows)
    gradient = {name: np.empty(rows) for name in chosen}
    out_columns = [value, *gradient.values()]
    for k, constant in p.fills:
        out_columns[k].fill(constant)
    block, threads = _sizes(len(p.buffers), rows, block, threads)
    blocks = -(-rows // block)
    # Contiguous runs of whole blocks, one per thread.
    edges = [(blocks * t // threads) * block for t in range(threads)] + [rows]
    found: list[list[int]] = [[] for _ in range(threads)]
    jobs = [(edges[t], edges[t + 1], found[t]) for t in range(threads) if edges[t] < edges[t + 1]]
    if len(jobs) == 1:
        _work(p, inputs, out_columns, block, *jobs[0])
    elif jobs:
        _in_threads(p, inputs, out_columns, jobs, block)
    if p.always:
        return value, gradient, list(range(rows))
    return value, gradient, sorted({row for sink in found for row in sink})


def _sizes(buffers: int, rows: int, block: int | None, threads: int | None) -> tuple[int, int]:
    """(rows per block, threads): threads by ROWS_PER_THREAD, blocks within BUFFER_BYTES."""
    if threads is None:
        threads = min(_cores(), MAX_THREADS, max(1, rows // ROWS_PER_THREAD))
    if block is None:
        fits = BUFFER_BYTES // (8 * threads * max(1, buffers))
        block = min(BLOCK_ROWS, max(MIN_BLOCK_ROWS, fits))
    block = max(1, min(block, rows))
    return block, max(1, min(threads, -(-rows // block)))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _in_threads(p: _Plan, inputs: Sequence[Array], columns_out: list[Array],
                jobs: list[tuple[int, int, list[int]]], block: int) -> None:
    """One thread per job (NumPy's loops release the GIL); the first job runs here."""
    failures: list[BaseException] = []

    def run(start: int, stop: int, sink: list[int]) -> None:
        try:
            _work(p, inputs, columns_out, block, start, stop, sink)
        except BaseException as problem:  # noqa: BLE001 - re-raised in the caller's thread
            failures.append(problem)

    others = [threading.Thread(target=run, args=job, daemon=True) for job in jobs[1:]]
    for thread in others:
        thread.start()
    run(*jobs[0])
    for thread in others:
        thread.join()
    if failures:
        raise failures[0]


def _work(p: _Plan, inputs: Sequence[Array], columns_out: list[Array], block: int, start: int,
          stop: int, sink: list[int]) -> None:
    """Rows start..stop, block by block, with this thread's own buffers."""
    size = min(block, stop - start)
    memory = _take_memory(len(p.buffers) * size)
    try:
        _blocks(p, inputs, columns_out, block, start, stop, sink,
                [memory[k * size:(k + 1) * size] for k in range(len(p.buffers))])
    finally:
        _give_back(memory)


#: Buffer memory kept between calls (fresh pages cost a fault each), a few MB at most.
_SPARE: list[Array] = []
_SPARE_KEPT = 4
_SPARE_BYTES = 8 << 20


def _take_memory(floats: int) -> Array:
    """At least `floats` float64s of memory: a spare one, or fresh."""
    with _CACHE_LOCK:
        for k, memory in enumerate(_SPARE):
            if memory.shape[0] >= floats:
                return _SPARE.pop(k)
    return np.empty(max(floats, 1))


def _give_back(memory: Array) -> None:
    """Keep `memory` for the next call, unless big or enough are kept."""
    if memory.nbytes <= _SPARE_BYTES:
        with _CACHE_LOCK:
            if len(_SPARE) < _SPARE_KEPT:
                _SPARE.append(memory)


def _blocks(p: _Plan, inputs: Sequence[Array], columns_out: list[Array], block: int,
            start: int, stop: int, sink: list[int], own: list[Array]) -> None:
    """Run the plan over rows start..stop in `own` buffers; suspect rows go to `sink`."""
    size = min(block, stop - start)
    s = list(p.slots)
    steps, checks, kinks = p.steps, p.checks, p.kinks
    fill = [k for k, _ in p.fills]
    outs = [slot for k, slot in enumerate([p.value, *p.gradient]) if k not in fill]
    out_columns = [c for k, c in enumerate(columns_out) if k not in fill]
    for slot, buffer in zip(p.buffers, own, strict=True):
        s[slot] = buffer
    isfinite = math.isfinite
    with np.errstate(all="ignore"):
        for low in range(start, stop, block):
            high = min(low + block, stop)
            if high - low < size:  # the last, short block
                for slot, buffer in zip(p.buffers, own, strict=True):
                    s[slot] = buffer[:high - low]
            for slot, column in zip(p.inputs, inputs, strict=True):
                s[slot] = column[low:high]
            for slot, column in zip(outs, out_columns, strict=True):
                s[slot] = column[low:high]
            for form, fn, a, b, out, ins in steps:
                if form == 2:
                    fn(s[a], s[b], s[out])
                elif form == 1:
                    fn(s[a], s[out])
                elif form == 3:
                    s[out] = fn(*[s[k] for k in ins])
                else:
                    fn(*[s[k] for k in ins], out=s[out])
            total = 0.0
            for k in checks:
                total += s[k].sum()
            if not isfinite(total):
                bad = ~np.isfinite(s[checks[0]])
                for k in checks[1:]:
                    bad |= ~np.isfinite(s[k])
                sink.extend((np.flatnonzero(bad) + low).tolist())
            for name, k, args in kinks:
                on_kink = _KINKS[name](s[k], *[s[a] for a in args])
                if on_kink.any():
                    sink.extend((np.flatnonzero(on_kink) + low).tolist())
