"""Points from a CSV file, block by block in bounded memory (`grad EXPR --points FILE.csv`).

The first line that is not blank nor a `#` comment is the header: it names every variable of
the expression once, in any order. Columns are separated by `,`, or by a tab or `;` when the
header holds no comma (a name never holds either, so a header `x;y` is never one name). Every
later line that is not blank nor a comment is one row: its cells are numbers (`"1.5"` quoted
or not), read by np.loadtxt a block of lines at a time. A row that cannot be read (a cell that
is empty, not a number, or not finite; too few or too many cells) becomes a usage ExprError of
its own, and the rows around it go on. Whole-file problems (no header, a header naming an
unknown variable or missing one) are usage errors raised before the first block.

Rows are numbered from 1 in the order they appear, blank lines and comments not counted; an
error names the row's line in the file too. Below the CLI: raises and returns, prints nothing.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from exprdiff.errors import ExprError, names_text, usage
from exprdiff.vector.registers import Array
from exprdiff.vector.runtime import Batch

Record = dict[str, Any]

#: Characters of text read per block (then up to the end of its last line): about 37 000 rows
#: of three numbers. A run holds a few blocks' worth of memory, whatever the size of the file.
BLOCK_CHARS = 1 << 20
#: When a block does not read in one call, it is read again in pieces this long, and only a
#: piece that fails line by line, so that a few bad rows cost little.
PIECE_LINES = 512
#: The longest cell text quoted whole in a message.
SHOWN = 40
#: Delimiters besides the comma, tried on a header without one.
OTHER_DELIMITERS = ("\t", ";")


@dataclass(slots=True)
class Block:
    """A run of consecutive rows: their values, and why the ones that could not be read failed.

    `first` is the 1-based number of the first row, `rows` how many there are. `columns` maps
    each variable to its values at the rows that could be read (`good`, 0-based in the block;
    None when every row could), in order; `problems` maps a row's number to its error.
    """

    first: int
    rows: int
    columns: dict[str, Array]
    good: Array | None
    problems: dict[int, ExprError]

    def records(self, batch: Batch) -> Iterator[Record]:
        """Every row's record in order: `batch` is the sweep of `columns`, and a row that could
        not be read gets `{"row", "error"}` (no `at`: its point was not read)."""
        if self.good is None:
            return batch.records(numbers=range(self.first, self.first + self.rows))
        return self._merged(batch.records(numbers=(self.good + self.first).tolist()))

    def failures(self, batch: Batch) -> list[tuple[int, str]]:
        """(row number, message) of every row that failed, in order: `batch` as for records."""
        numbers = range(self.first, self.first + self.rows) if self.good is None else (
            (self.good + self.first).tolist())
        found = [(number, p.message) for number, p in self.problems.items()]
        found += [(numbers[row], p.message) for row, p in batch.errors.items()]
        return sorted(found)

    def _merged(self, swept: Iterator[Record]) -> Iterator[Record]:
        pending = next(swept, None)
        for number, problem in sorted(self.problems.items()):
            while pending is not None and pending["row"] < number:
                yield pending
                pending = next(swept, None)
            yield {"row": number, "error": problem.to_dict()}
        if pending is not None:
            yield pending
            yield from swept


class PointsFile:
    """A CSV of points opened on `handle`: the header is read and checked at once (usage
    errors name `name`), then iterating gives the rows a Block at a time."""

    def __init__(self, handle: TextIO, name: str, variables: Sequence[str]) -> None:
        self.handle = handle
        self.name = name
        self.variables = tuple(variables)
        self.line = 0  # lines consumed so far
        self.rows = 0  # rows met so far
        self.header, self.delimiter = self._read_header()
        self.order = [self.header.index(v) for v in self.variables]

    def _read_header(self) -> tuple[tuple[str, ...], str]:
        for text in self.handle:
            self.line += 1
            if not _skipped(text):  # (a byte-order mark is gone when opened as utf-8-sig)
                return _header(text.rstrip("\r\n").lstrip("\ufeff"), self.name, self.variables)
        raise usage(f"{self.name} is empty: its first line must name the variables",
                    self.variables)

    def __iter__(self) -> Iterator[Block]:
        while True:
            text = self.handle.read(BLOCK_CHARS)
            if not text:
                return
            if not text.endswith("\n"):
                text += self.handle.readline()
            yield self._block(text)

    def _block(self, text: str) -> Block:
        first, before = self.rows + 1, self.line
        self.line += text.count("\n") + (not text.endswith("\n"))
        values = self._read(text)
        # A quote left open joins lines into one row: then the lines are counted.
        if values is not None and '"' not in text and bool(np.isfinite(values).all()):
            self.rows += values.shape[0]
            return Block(first, values.shape[0], self._columns(values), None, {})
        numbered = [(before + k + 1, line) for k, line in enumerate(text.split("\n"))
                    if not _skipped(line)]
        data = [line for _, line in numbered]
        self.rows += len(data)
        if values is not None and values.shape[0] != len(data):
            values = None  # each line decides alone
        values, good, why = self._sort(data, values)
        if not why:
            return Block(first, len(data), self._columns(values), None, {})
        problems = {first + k: ExprError("usage", f"{problem} (line {numbered[k][0]})")
                    for k, problem in sorted(why.items())}
        return Block(first, len(data), self._columns(values), good, problems)

    def _read(self, text: str) -> Array | None:
        """The rows of `text` as a (rows, columns) array, or None when some row does not read.

        As np.loadtxt reads them: `#` starts a comment, a line empty or only a comment is
        skipped, and a line of spaces does not read (the rows around decide alone).
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            try:
                values = np.loadtxt(io.StringIO(text), delimiter=self.delimiter, quotechar='"',
                                    ndmin=2, dtype=np.float64)
            except ValueError:
                return None
        if values.shape[0] == 0:
            return _empty(self.header)
        return values if values.shape[1] == len(self.header) else None

    def _sort(self, data: list[str], values: Array | None) -> tuple[Array, Array, dict[int, str]]:
        """(values of the rows that read as finite numbers, their indices, index → why not).

        `values` is the whole block's when it read (some row is then not finite); else the
        block is read again in pieces, and a piece that does not read line by line.
        """
        if values is not None:
            return self._finite(data, values, np.arange(len(data)))
        tables: list[Array] = [_empty(self.header)]  # (a block of blank lines has no row)
        goods: list[Array] = [np.zeros(0, dtype=np.intp)]
        why: dict[int, str] = {}
        for start in range(0, len(data), PIECE_LINES):
            piece = data[start:start + PIECE_LINES]
            read = self._lines(piece) if len(piece) > 1 else None
            indices = np.arange(start, start + len(piece))
            if read is None:  # line by line
                rows = [self._lines([line]) for line in piece]
                for k, row in enumerate(rows):
                    if row is None:
                        why[start + k] = self._why_not(piece[k])
                kept = [k for k, row in enumerate(rows) if row is not None]
                read = np.concatenate([rows[k] for k in kept]) if kept else _empty(self.header)
                indices = indices[kept]
            table, good, bad = self._finite(data, read, indices)
            tables.append(table)
            goods.append(good)
            why.update(bad)
        return np.concatenate(tables), np.concatenate(goods), why

    def _lines(self, lines: list[str]) -> Array | None:
        """`lines` (none skipped) read as one row each, or None."""
        values = self._read("\n".join(lines))
        return values if values is not None and values.shape[0] == len(lines) else None

    def _finite(self, data: Sequence[str], values: Array,
                indices: Array) -> tuple[Array, Array, dict[int, str]]:
        """The rows of `values` (rows `indices` of `data`) whose numbers are all finite."""
        finite = np.isfinite(values).all(axis=1)
        if finite.all():
            return values, indices, {}
        why = {int(indices[k]): self._why_not(data[indices[k]]) for k in np.flatnonzero(~finite)}
        return values[finite], indices[finite], why

    def _why_not(self, text: str) -> str:
        """What is wrong with a row that is not finite numbers, naming the column."""
        body = text.split("#", 1)[0]  # as loadtxt: a comment ends the row
        cells = next(csv.reader([body], delimiter=self.delimiter, quotechar='"'))
        if len(cells) != len(self.header):
            return self._count(text, len(cells))
        for name, cell in zip(self.header, cells, strict=True):
            problem = _cell_problem(name, cell, self.delimiter)
            if problem is not None:
                return problem
        return "the row is not numbers separated by " + _spoken(self.delimiter)

    def _count(self, text: str, count: int) -> str:
        told = (f"the row has {count} value{'' if count == 1 else 's'}, the header names "
                f"{len(self.header)} ({', '.join(self.header)})")
        other = [d for d in ("\t", ";", ",") if d != self.delimiter and d in text]
        if other:
            told += (f"; columns are separated by {_spoken(self.delimiter)} as in the header, "
                     f"not {_spoken(other[0])}")
        return told

    def _columns(self, values: Array) -> dict[str, Array]:
        return {v: np.ascontiguousarray(values[:, k]) for v, k in zip(
            self.variables, self.order, strict=True)}


def _empty(header: Sequence[str]) -> Array:
    return np.zeros((0, len(header)))


def _skipped(text: str) -> bool:
    """A blank line or a `#` comment: not a row."""
    stripped = text.lstrip()
    return not stripped or stripped[0] == "#"


def _spoken(delimiter: str) -> str:
    return {"\t": "tabs", ";": "';'", ",": "','"}.get(delimiter, repr(delimiter))


def _cut(text: str) -> str:
    """A cell's text for a message: stripped, and cut after SHOWN characters."""
    text = text.strip()
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def _cell_problem(name: str, cell: str, delimiter: str) -> str | None:
    """What is wrong with one cell's text, or None when it is a finite number."""
    text = cell.strip()
    if not text:
        return f"the value of {name} is empty"
    # np.loadtxt reads ASCII numbers only, without digit-group underscores
    value = _number(text) if text.isascii() and "_" not in text else None
    if value is None:
        problem = f"the value of {name} is not a number: '{_cut(cell)}'"
        if "\ufffd" in text:
            return problem + "; the line is not valid UTF-8"
        point = text.replace(",", ".")
        if delimiter != "," and text.count(",") == 1 and _number(point) is not None:
            return problem + f"; write {point}, with a decimal point"
        return problem
    if not math.isfinite(value):
        return f"the value of {name} must be a finite number, not {_cut(cell)}"
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _header(text: str, name: str, variables: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The header's column names and the delimiter; a usage error for any mistake in it."""
    delimiter = ","
    if "," not in text:
        delimiter = next((d for d in OTHER_DELIMITERS if d in text), ",")
    header = tuple(cell.strip() for cell in next(csv.reader([text], delimiter=delimiter,
                                                            quotechar='"')))
    for k, column in enumerate(header):
        if not column:
            raise usage(f"column {k + 1} of the header of {name} has no name: the header names "
                        "the variables, one per column", variables)
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise usage(f"the header of {name} names {_cut(column)} twice", variables)
        seen.add(column)
    _check_names(header, name, variables)
    return header, delimiter


def _check_names(header: Sequence[str], name: str, variables: Sequence[str]) -> None:
    """Every column a variable, every variable a column; typo hints as for `--at`."""
    from exprdiff.ops import CONSTANTS
    from exprdiff.points import _guess, _missing_hint

    known = set(variables)
    for column in header:
        if column in known:
            continue
        if column in CONSTANTS:
            raise usage(f"the header of {name} names {column}, a constant "
                        f"({CONSTANTS[column]!r}), not a variable: it cannot be given a value",
                        variables)
        problem = usage(f"unknown variable '{_cut(column)}' in the header of {name}"
                        f"{_guess(column, dict.fromkeys(header), variables)}", variables)
        if len(header) == 1 and any(c in column for c in " |"):
            problem.hint = (f"separate the columns with ',' (or tabs or ';'); {problem.hint}")
        raise problem
    present = set(header)
    missing = [v for v in variables if v not in present]
    if missing:
        problem = usage(f"the header of {name} has no column for {names_text(missing)}",
                        variables)
        slip = _missing_hint(missing)
        if slip is not None:
            problem.hint = f"{slip}; {problem.hint}"
        raise problem
