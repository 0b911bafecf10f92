"""Many points at once: value and gradient at every row of NumPy columns.

`Compiled.grad_points(arrays)` comes here, and `--points FILE.csv` by way of exprdiff.cli.points.
The blocked sweep (exprdiff.vector.blocks) computes every row; a row whose sweep is not finite,
or that sits on a kink, is handed to the scalar path the caller passes (`Compiled.grad`), so its
error or warning is exactly the one `--at` reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from exprdiff.errors import ExprError, usage
from exprdiff.forward import KinkWarning
from exprdiff.result import Result
from exprdiff.tape import Tape
from exprdiff.vector.blocks import evaluate
from exprdiff.vector.registers import Array


@dataclass(slots=True)
class Batch:
    """Value and gradient at every row; rows that failed or met a kink are listed by index.

    `inputs` holds the rows' points (variable → values), as the records' `at`.
    """

    variables: tuple[str, ...]
    value: Array
    gradient: dict[str, Array]
    warnings: dict[int, tuple[KinkWarning, ...]] = field(default_factory=dict)
    errors: dict[int, ExprError] = field(default_factory=dict)
    inputs: dict[str, Array] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.value.shape[0])

    def record(self, row: int) -> dict[str, Any]:
        """Row `row` as a JSON-ready object: row (1-based), the point (`at`), value and
        gradient, or its error."""
        data: dict[str, Any] = {"row": row + 1}
        if self.inputs:
            data["at"] = {name: float(column[row]) for name, column in self.inputs.items()}
        problem = self.errors.get(row)
        if problem is not None:
            data["error"] = problem.to_dict()
            return data
        data["value"] = float(self.value[row])
        data["gradient"] = {name: float(g[row]) for name, g in self.gradient.items()}
        data["warnings"] = [w.to_dict() for w in self.warnings.get(row, ())]
        return data

    def records(self, chunk: int = 4096, *,
                numbers: Sequence[int] | None = None) -> Iterator[dict[str, Any]]:
        """Every row's `record(row)`, in order, read off the arrays `chunk` rows at a time (one
        record at a time is held, never all of them). `numbers` replaces the rows' numbers
        (`row`): a block of a file gives its own."""
        names = tuple(self.gradient)
        point = tuple(self.inputs)
        special = self.errors.keys() | self.warnings.keys()  # rows made by record(row)
        for start in range(0, len(self), chunk):
            stop = min(start + chunk, len(self))
            rows = range(start, stop)
            told = numbers[start:stop] if numbers is not None else range(start + 1, stop + 1)
            values = self.value[start:stop].tolist()
            gradients = _dicts(names, [self.gradient[name][start:stop] for name in names], rows)
            if not point:
                for row, number, value, gradient in zip(rows, told, values, gradients,
                                                        strict=True):
                    yield (self._numbered(row, number) if row in special else
                           {"row": number, "value": value, "gradient": gradient,
                            "warnings": []})
                continue
            ats = _dicts(point, [self.inputs[name][start:stop] for name in point], rows)
            for row, number, at, value, gradient in zip(rows, told, ats, values, gradients,
                                                        strict=True):
                yield (self._numbered(row, number) if row in special else
                       {"row": number, "at": at, "value": value, "gradient": gradient,
                        "warnings": []})

    def _numbered(self, row: int, number: int) -> dict[str, Any]:
        record = self.record(row)
        record["row"] = number
        return record


def _dicts(names: tuple[str, ...], columns: list[Array], rows: range) -> Iterator[dict[str, Any]]:
    """One {name: value} per row of `columns` (each a slice of `rows`), built in C loops."""
    if not names:
        return ({} for _ in rows)
    return map(dict, map(zip, repeat(names), zip(*[c.tolist() for c in columns], strict=True)))


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


def grad_points(tape: Tape, variables: Sequence[str], arrays: Mapping[str, object], *,
                chosen: Sequence[str], scalar: Callable[[dict[str, float]], Result]) -> Batch:
    """Value and gradient at every row of `arrays` (name → 1-D array-like, equal lengths).

    `variables` are the tape's, in its order; `chosen` the partials to report (already checked
    against them). `scalar` evaluates one suspect row (point → Result, with the same `chosen`):
    its errors and warnings are the row's, and a usage error from it stops the whole batch.
    """
    names = tuple(variables)
    inputs, rows = columns(arrays, names, finite=False)
    value, gradient, suspect = evaluate(tape, inputs, rows, chosen)
    if suspect:  # every row with an inf or nan among its inputs is one (evaluate)
        for name, column in zip(names, inputs, strict=True):
            _refuse_non_finite(column, name, names, np.array(suspect, dtype=np.intp))
    batch = Batch(names, value, gradient, inputs=dict(zip(names, inputs, strict=True)))
    for row in suspect:
        point = {name: float(column[row]) for name, column in zip(names, inputs, strict=True)}
        try:
            result = scalar(point)
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
