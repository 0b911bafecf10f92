"""The training-set loss of seed 001, ℒ(w) = (1/ℓ) Σᵢ L(f(xᵢ, w), yᵢ), and its gradient with
respect to the weights: one sweep of the many-points engine over every row (runtime.py), then
the mean (or the sum) of the rows' values and partials. No Python loop per row evaluates.

The rows give some inputs (the CSV's header names them: x1, x2, y); the weights are one point
(`--at`), the same at every row. A row that fails (a domain error) is left out of the mean and
named by its number.

    >>> import numpy as np
    >>> from exprdiff import compile
    >>> loss = reduce_rows(compile("L = (w*x - y)**2"), {"x": np.array([1.0, 2.0]),
    ...                    "y": np.array([1.0, 0.0])}, {"w": 1.0})
    >>> loss.value, loss.gradient
    (2.0, {'w': 4.0})
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exprdiff.errors import ExprError, usage

#: Failed rows named one by one in the result (all are counted).
NAMED_FAILURES = 20


@dataclass(frozen=True, slots=True)
class Reduced:
    """The rows' mean (or sum) of the output and of its partials; `failed` the rows left out
    as (1-based row number, why), the first NAMED_FAILURES of `failures` in all."""

    value: float
    gradient: dict[str, float]
    rows: int  # rows that count
    reduce: str
    failed: list[tuple[int, str]] = field(default_factory=list)
    failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"reduce": self.reduce, "rows": self.rows, "value": self.value,
                "gradient": dict(self.gradient), "failed_rows": self.failures,
                "failed": [{"row": row, "error": why} for row, why in self.failed]}


def reduce_rows(compiled: Any, rows: Mapping[str, Any], at: Mapping[str, float], *,
                wrt: Sequence[str] | None = None, reduce: str = "mean") -> Reduced:
    """Mean (`reduce="sum"`: sum) over the rows of the output and of its partials with respect
    to `wrt` (default: the `at` variables, the weights). `compiled` is an api.Compiled."""
    variables = compiled.variables
    columns = {name: np.asarray(rows[name], dtype=np.float64) for name in rows}
    count = len(next(iter(columns.values()))) if columns else 0
    if count == 0:
        raise usage("the data has no rows", variables)
    both = set(columns) & set(at)
    if both:
        raise usage(f"{sorted(both)[0]} is both a column of the data and in --at: give it once",
                    variables)
    arrays = {**columns, **{name: np.full(count, float(v)) for name, v in at.items()}}
    chosen = list(wrt) if wrt is not None else [n for n in variables if n in at]
    batch = compiled.grad_points(arrays, wrt=chosen)
    keep = np.ones(count, dtype=bool)
    for row in batch.errors:
        keep[row] = False
    used = int(keep.sum())
    if used == 0:
        first = min(batch.errors)
        raise ExprError("domain", f"every row failed; row {first + 1}: "
                        f"{batch.errors[first].message}")
    scale = 1.0 / used if reduce == "mean" else 1.0
    value = float(np.sum(batch.value[keep]) * scale)
    gradient = {name: float(np.sum(g[keep]) * scale) for name, g in batch.gradient.items()}
    failed = [(row + 1, batch.errors[row].message) for row in sorted(batch.errors)]
    return Reduced(value, gradient, used, reduce, failed[:NAMED_FAILURES], len(failed))


def read_rows(text: str, name: str, variables: Sequence[str]) -> dict[str, Any]:
    """A CSV's columns by its header (names of inputs): numbers only, a bad cell is a usage
    error naming its row and column. Parsed by NumPy in one call; a row is looked at alone only
    to word a mistake."""
    lines = text.splitlines()
    if not lines:
        raise usage(f"{name} is empty: it needs a header naming inputs, e.g. x1,x2,y", variables)
    header = [cell.strip() for cell in next(csv.reader([lines[0]]))]
    for column in header:
        if column not in variables:
            raise usage(f"the header of {name} names '{column}', which is not an input of "
                        "the program", variables)
    body = "\n".join(line for line in lines[1:] if line.strip())
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError:
        raise _bad_row(lines, header, name, variables) from None
    if data.size and data.shape[1] != len(header):
        raise _bad_row(lines, header, name, variables)
    if data.size and not np.all(np.isfinite(data)):
        row = int(np.argwhere(~np.isfinite(data))[0][0])
        raise usage(f"row {row + 1} of {name} holds a value that is not finite", variables)
    return {column: data[:, k] if data.size else np.zeros(0)
            for k, column in enumerate(header)}


def _bad_row(lines: list[str], header: list[str], name: str,
             variables: Sequence[str]) -> ExprError:
    number = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        number += 1
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != len(header):
            return usage(f"row {number} of {name} has {len(cells)} cells, the header "
                         f"{len(header)}", variables)
        for column, cell in zip(header, cells, strict=True):
            try:
                float(cell)
            except ValueError:
                return usage(f"row {number} of {name}: the value of {column} is not a number: "
                             f"'{cell[:30]}'", variables)
    return usage(f"{name} cannot be read as numbers", variables)
