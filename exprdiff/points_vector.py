"""Many points at once: the same tape swept over NumPy arrays, one array per node.

`--points FILE.csv` and `Compiled.grad_points(arrays)` come here; NumPy is imported only in this
module. Each node's value is an array over the rows; the reverse sweep carries one adjoint
array per node. The ops' NumPy forms below mirror ops.py's scalar rows (same formulas, same
conventions at kinks). A row whose sweep is not finite, or that sits on a kink, is handed to
the scalar path (`Compiled.grad`), so its error or warning is exactly the one `--at` reports.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from .errors import ExprError
from .forward import KinkWarning
from .graph import CONSTANT, Tape
from .points import usage

if TYPE_CHECKING:
    from .api import Compiled

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


def columns(arrays: Mapping[str, object], variables: Sequence[str]) -> tuple[list[Array], int]:
    """The arrays in `variables` order, as float64 of one common length; usage errors else."""
    from .points import validate

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
        bad = np.flatnonzero(~np.isfinite(column))
        if bad.size:
            raise usage(f"the value of {name} in row {int(bad[0]) + 1} must be a finite "
                        f"number, not {column[bad[0]]}", variables)
        out.append(column)
    return out, (length if length is not None else 1)


def sweep(tape: Tape, inputs: Sequence[Array], rows: int) -> tuple[list[Array], list[Array]]:
    """Forward and reverse over arrays: (values, adjoints), one array (or scalar) per node."""
    values: list[Array] = list(tape.constants)
    for i, column in zip(tape.inputs.values(), inputs, strict=True):
        values[i] = column
    ops = tape.ops
    with np.errstate(all="ignore"):
        for i, _, _, args in tape.program:
            values[i] = NUMPY_OPS[ops[i].name][0](*[values[a] for a in args])  # type: ignore[union-attr]
        adjoint: list[Array] = [None] * len(tape)
        owned = [False] * len(tape)  # adjoint[i] is an array of its own, safe to add into
        adjoint[tape.output] = np.ones(rows)
        constant = [kind == CONSTANT for kind in tape.kinds]
        for i, _, _, args in reversed(tape.program):
            g = adjoint[i]
            local = NUMPY_OPS[ops[i].name][1](values[i], *[values[a] for a in args])  # type: ignore[union-attr]
            for a, d in zip(args, local, strict=True):
                if not constant[a]:
                    _accumulate(adjoint, owned, a, g, d)
    return values, [0.0 if x is None else x for x in adjoint]


def _accumulate(adjoint: list[Array], owned: list[bool], a: int, g: Array, d: Array) -> None:
    """adjoint[a] += g·d, in place where adjoint[a] is its own array; ±1 partials multiply not."""
    sign = 1.0
    if type(d) is float and d in (1.0, -1.0):
        term, fresh, sign = g, False, d
    else:
        term, fresh = g * d, True
    current = adjoint[a]
    if current is None:
        if sign < 0:
            adjoint[a], owned[a] = np.negative(term), True
        else:
            adjoint[a], owned[a] = term, fresh
    elif owned[a]:
        (np.add if sign > 0 else np.subtract)(current, term, out=current)
    else:
        adjoint[a], owned[a] = (current + term if sign > 0 else current - term), True


def grad_points(compiled: Compiled, arrays: Mapping[str, object], *,
                wrt: Sequence[str] | None = None, strict: bool = False) -> Batch:
    """Value and gradient at every row of `arrays` (name → 1-D array-like, equal lengths)."""
    tape = compiled.tape
    names = compiled.variables
    inputs, rows = columns(arrays, names)
    chosen = compiled._wrt(wrt)
    values, adjoint = sweep(tape, inputs, rows)
    value = np.broadcast_to(np.asarray(values[tape.output], dtype=np.float64), (rows,)).copy()
    gradient = {name: np.broadcast_to(np.asarray(adjoint[tape.inputs[name]], dtype=np.float64),
                                      (rows,)).copy() for name in chosen}
    suspect = _suspect_rows(tape, values, adjoint, rows)
    batch = Batch(names, value, gradient)
    for row in np.flatnonzero(suspect).tolist():
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


def _suspect_rows(tape: Tape, values: list[Array], adjoint: list[Array], rows: int) -> Array:
    """Rows where some node is not finite or some kinked op sits on its kink.

    One running sum per row over every node's value and adjoint: inf or nan anywhere makes it
    non-finite (a finite sum that overflows only sends a good row to the scalar path).
    """
    total = np.zeros(rows)
    with np.errstate(all="ignore"):
        for i, kind in enumerate(tape.kinds):
            if kind != CONSTANT:
                np.add(total, values[i], out=total)
                np.add(total, adjoint[i], out=total)
    suspect = ~np.isfinite(total)
    for i in tape.kink_nodes:
        op = tape.ops[i]
        assert op is not None  # noqa: S101
        suspect |= _KINKS[op.name](values[i], *[values[a] for a in tape.args[i]])
    return suspect


def read_csv(path: str, variables: Sequence[str]) -> dict[str, Array]:
    """A CSV whose header names the variables (any order) → name → float64 column."""
    try:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as problem:
        raise usage(f"cannot read {path}: {problem.strerror}", variables) from None
    with handle:
        header = [name.strip() for name in handle.readline().strip().split(",")]
        if header == [""]:
            raise usage(f"{path} is empty: its first line must name the variables", variables)
        try:
            data = np.loadtxt(handle, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError as problem:
            raise usage(f"{path}: {problem}", variables) from None
    if data.size and data.shape[1] != len(header):
        raise usage(f"{path} has {data.shape[1]} columns but its header names {len(header)}",
                    variables)
    if len(set(header)) != len(header):
        raise usage(f"{path}'s header names a column twice", variables)
    return {name: data[:, k] if data.size else np.zeros(0) for k, name in enumerate(header)}


def write(stream: TextIO, batch: Batch, output: str) -> None:
    """CSV (row, value, df/dNAME…, warnings, error_kind, error) or JSON Lines, one per row."""
    if output in ("jsonl", "json"):
        from .render.records import dumps

        for start in range(0, len(batch), 4096):
            stop = min(start + 4096, len(batch))
            stream.write("".join(dumps(batch.record(r)) + "\n" for r in range(start, stop)))
        return
    import csv

    names = list(batch.gradient)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["row", "value", *(f"df/d{n}" for n in names), "warnings", "error_kind",
                     "error"])
    value = batch.value.tolist()
    grads = [batch.gradient[n].tolist() for n in names]
    for row in range(len(batch)):
        problem = batch.errors.get(row)
        if problem is not None:
            writer.writerow([row + 1, "", *([""] * len(names)), "", problem.kind,
                             problem.message])
            continue
        notes = " | ".join(w.message for w in batch.warnings.get(row, ()))
        writer.writerow([row + 1, repr(value[row]), *(repr(g[row]) for g in grads), notes,
                         "", ""])


def command(compiled: Compiled, path: str, wrt: Sequence[str] | None, output: str,
            strict: bool) -> int:
    """`exprdiff grad EXPR --points FILE`: the exit status (1 if any row failed)."""
    arrays = read_csv(path, compiled.variables)
    batch = grad_points(compiled, arrays, wrt=wrt, strict=strict)
    write(sys.stdout, batch, output)
    sys.stdout.flush()
    for row, problem in sorted(batch.errors.items())[:5]:
        sys.stderr.write(f"error: row {row + 1}: {problem.message}\n")
    if len(batch.errors) > 5:
        sys.stderr.write(f"error: … and {len(batch.errors) - 5} more rows failed\n")
    return 1 if batch.errors else 0
