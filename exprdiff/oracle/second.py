"""The oracle for second order (`hessian --check`): SymPy's symbolic second derivatives,
evaluated at 30 digits in the oracle's process (child.py), and central differences of the
reverse-mode gradient, computed here meanwhile. Every entry of the Hessian (or of H·v) gets a
verdict from both.

SymPy's expression is built from the parse's own tree, as for `grad --check` (symbolic.py):
never from text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from exprdiff import ast
from exprdiff.errors import ExprError
from exprdiff.frozen import Value, _set
from exprdiff.oracle.child import Oracle, shared
from exprdiff.oracle.symbolic import (
    Message,
    Program,
    _subs,
    derivative,
    evaluate,
    program,
    to_sympy,
)

RTOL = 1e-9  # exprdiff vs SymPy, relative to the entry's scale
FD_RTOL = 1e-5  # central differences of the gradient vs the reference
#: Below this share of the largest entry (or 1), "relative" turns absolute: a 0 in exact
#: arithmetic comes out as a rounding residue.
ZERO_SCALE = 1e-6

Gradient = Callable[[Sequence[float]], Sequence[float]]


def hessian_job(source: Program, names: Sequence[str],
                point: Mapping[str, float]) -> Iterator[Message]:
    """("entry", r, c, value, note) for every r ≤ c: ∂²f/∂names[r]∂names[c] at `point`, each
    second derivative the derivative of the first. Runs in the oracle's process."""
    import sympy as sp

    expr, symbols = to_sympy(source)
    subs = _subs(sp, symbols, point)
    zero = sp.Integer(0)
    for r, name in enumerate(names):
        symbol = symbols.get(name)
        first = zero if symbol is None else derivative(sp, expr, symbol)
        for c in range(r, len(names)):
            other = symbols.get(names[c])
            second = zero if other is None or first == zero else derivative(sp, first, other)
            yield ("entry", r, c, *evaluate(sp, second, subs))


class EntryCheck(Value):
    """One number (a Hessian entry, or a component of H·v) against SymPy and differences."""

    __slots__ = ("entry", "exprdiff", "sympy", "finite_difference", "relative_error", "ok",
                 "note")
    entry: str
    exprdiff: float
    sympy: float | None
    finite_difference: float | None
    relative_error: float | None
    ok: bool
    note: str | None

    def __init__(self, entry: str, exprdiff: float, sympy: float | None,
                 finite_difference: float | None, relative_error: float | None, ok: bool,
                 note: str | None) -> None:
        _set(self, "entry", entry)
        _set(self, "exprdiff", exprdiff)
        _set(self, "sympy", sympy)
        _set(self, "finite_difference", finite_difference)
        _set(self, "relative_error", relative_error)
        _set(self, "ok", ok)
        _set(self, "note", note)

    def to_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "exprdiff": self.exprdiff, "sympy": self.sympy,
                "finite_difference": self.finite_difference,
                "relative_error": self.relative_error, "ok": self.ok, "note": self.note}


class SecondCheck(Value):
    """The verdict on a Hessian or a Hessian-vector product: every entry's check."""

    __slots__ = ("entries", "gave_up")
    entries: tuple[EntryCheck, ...]
    gave_up: str | None

    def __init__(self, entries: tuple[EntryCheck, ...], gave_up: str | None) -> None:
        _set(self, "entries", entries)
        _set(self, "gave_up", gave_up)

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        errors = [e.relative_error for e in self.entries if e.relative_error is not None]
        return {"ok": self.ok, "max_relative_error": max(errors) if errors else None,
                "gave_up": self.gave_up,
                "tolerance": {"sympy": RTOL, "finite_difference": FD_RTOL},
                "entries": [e.to_dict() for e in self.entries]}


def differences(gradient: Gradient, point: Sequence[float],
                direction: Sequence[float]) -> list[float] | None:
    """(∇f(x + h·d) − ∇f(x − h·d)) / 2h: H·d by central differences of the gradient (None
    when a step leaves the domain)."""
    size = max(1.0, *(abs(x) for x, d in zip(point, direction, strict=True) if d))
    length = math.sqrt(sum(d * d for d in direction)) or 1.0
    h = 2.0 ** -13 * size / length  # truncation ~ h², rounding ~ ε/h: both near 1e-9
    try:
        above = gradient([x + h * d for x, d in zip(point, direction, strict=True)])
        below = gradient([x - h * d for x, d in zip(point, direction, strict=True)])
    except ExprError:
        return None  # a shorter step near the domain's edge is too rough to judge by (tried)
    return [(a - b) / (2 * h) for a, b in zip(above, below, strict=True)]


def check_second(tree: ast.Tree, names: Sequence[str], at: Mapping[str, float],
                 gradient: Gradient, hessian: Sequence[Sequence[float]] | None = None,
                 hvp: tuple[Sequence[float], Sequence[float]] | None = None, *,
                 kinked: bool = False, timeout: float = 5.0,
                 oracle: Oracle | None = None) -> SecondCheck:
    """Check a Hessian (rows and columns `names`) or an H·v (`hvp`: direction and product,
    both over `names`) against SymPy and central differences of `gradient` (a function of a
    point in `at`'s order returning the partials for `names`). At a kink (`kinked`)
    differences say nothing and are not asked."""
    point = list(at.values())
    columns: list[list[float] | None] = []
    directions: list[list[float]] = []
    if hvp is not None:
        directions.append(list(hvp[0]))
    else:
        directions = [[1.0 if n == m else 0.0 for n in names] for m in names]

    def meanwhile() -> Iterator[None]:
        for d in directions:
            along = dict.fromkeys(at, 0.0) | dict(zip(names, d, strict=True))
            columns.append(None if kinked else differences(gradient, point, list(along.values())))
            yield None

    messages, gave_up = (oracle or shared()).ask(
        hessian_job, (program(tree), list(names), dict(at)), timeout, meanwhile=meanwhile())
    symbolic: dict[tuple[int, int], tuple[float | None, str | None]] = {}
    for message in messages:
        if message[0] == "entry":
            symbolic[message[1], message[2]] = symbolic[message[2], message[1]] = message[3:5]
    n = len(names)
    if hvp is None:
        assert hessian is not None  # noqa: S101 - one of the two is given
        ours = [hessian[r][c] for r in range(n) for c in range(n)]
        labels = [f"∂²f/∂{names[r]}∂{names[c]}" for r in range(n) for c in range(n)]
        sympy = [symbolic.get((r, c), (None, gave_up)) for r in range(n) for c in range(n)]
        fd = [None if columns[c] is None else columns[c][r]  # type: ignore[index]
              for r in range(n) for c in range(n)]
    else:
        ours = list(hvp[1])
        labels = [f"(H·v)_{name}" for name in names]
        sympy = [_dotted(symbolic, r, directions[0], gave_up) for r in range(n)]
        fd = [None if columns[0] is None else columns[0][r] for r in range(n)]
    largest = max([1.0] + [abs(v) for v in ours if math.isfinite(v)])
    entries = tuple(_judge(label, value, s, f, largest, kinked)
                    for label, value, s, f in zip(labels, ours, sympy, fd, strict=True))
    return SecondCheck(entries, gave_up)


def _dotted(symbolic: Mapping[tuple[int, int], tuple[float | None, str | None]], r: int,
            direction: Sequence[float], gave_up: str | None) -> tuple[float | None, str | None]:
    """Row r of SymPy's Hessian times the direction."""
    total = 0.0
    for c, d in enumerate(direction):
        if not d:
            continue
        value, note = symbolic.get((r, c), (None, gave_up))
        if value is None:
            return None, note
        total += value * d
    return total, None


def _judge(label: str, ours: float, symbolic: tuple[float | None, str | None],
           fd: float | None, largest: float, kinked: bool) -> EntryCheck:
    sympy, note = symbolic
    scale = max(abs(ours), ZERO_SCALE * largest)
    error = None if sympy is None else abs(ours - sympy) / max(scale, abs(sympy))
    notes = []
    ok = True
    if error is not None and error > RTOL:
        ok = False
        notes.append(f"SymPy gives {sympy!r}")
    elif sympy is None:
        notes.append(f"no SymPy value: {note}" if note else "no SymPy value")
    if fd is not None and abs(fd - ours) > FD_RTOL * max(abs(ours), abs(fd), 1e-3 * largest):
        ok = False
        notes.append(f"finite differences give {fd!r}")
    elif fd is None:
        notes.append("at a kink: no finite differences" if kinked
                     else "no finite differences: a step leaves the domain")
    if sympy is None and fd is None and not kinked:
        ok = False  # nothing confirms it
    return EntryCheck(label, ours, sympy, fd, error, ok, "; ".join(notes) or None)
