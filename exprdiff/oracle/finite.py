"""Finite differences for the oracle: central ones with Richardson extrapolation, one-sided ones
at kinks, compared there with the one-sided derivatives the kink warnings report.

Steps are powers of two scaled to the variable (so x ± h is exact); a step that leaves the domain
or crosses a kink (a sign of an abs/relu argument, a max/min winner) is shrunk and retried.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exprdiff.errors import ExprError
from exprdiff.forward import KinkWarning, _all_finite
from exprdiff.modes.tangent import tangent
from exprdiff.tape import ONE, Tape

FD_RTOL = 1e-6  # finite differences vs the reference, relative to the partial's scale
EPS = 2.0**-52
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
#: An input's node, the operations (node, forward, first, second argument) that depend on it in
#: evaluation order, and the arguments of operations with more than two (Lean.many).
Cone = tuple[int, list[tuple[int, Any, int, int]], dict[int, tuple[int, ...]]]
#: Richardson's factors 4**j and 4**j - 1 (exact in doubles), column j = 1, 2, …
_FACTORS = tuple(4.0**j for j in range(1, 16))
_LESS = tuple(4.0**j - 1 for j in range(1, 16))


@dataclass(slots=True)
class Estimate:
    """A finite-difference estimate of one partial, with its rounding-noise allowance."""

    estimate: float | None = None
    noise: float = 0.0
    one_sided: dict[str, dict[str, float | None]] | None = None  # at a kink: left and right
    problems: list[str] = field(default_factory=list)
    note: str | None = None


def magnitudes(tape: Tape, values: Sequence[float]) -> list[float]:
    """The reverse sweep on |local partial|: Σ|chain-rule terms| per node, the scale against
    which a partial's rounding error (after cancellation) is measured."""
    size = [0.0] * len(tape)
    size[tape.output] = 1.0
    for i, _, rule, args in reversed(tape.program):
        m = size[i]
        if m == 0.0:
            continue
        try:
            local = rule(values[i], *[values[a] for a in args])  # type: ignore[operator]
        except _MATH_ERRORS:
            continue
        for a, d in zip(args, local, strict=True):
            if math.isfinite(d):
                size[a] += m * abs(d)
    return size


def signature(tape: Tape, values: Sequence[float]) -> tuple[object, ...]:
    """Which side of every kink the point is on: finite differences must not cross one."""
    sides: list[object] = []
    for i in tape.kink_nodes:
        op = tape.ops[i]
        args = tape.args[i]
        if op is not None and op.side is not None:  # the row says what its sides are
            sides.append(op.side(values[i], *[values[a] for a in args]))
        else:
            sides.append(tuple((values[a] > 0) - (values[a] < 0) for a in args))
    return tuple(sides)


def _step(x: float, bits: int) -> float:
    """A power of two about 2**-bits times the variable's scale (at least 1)."""
    return 2.0 ** (math.frexp(max(abs(x), 1.0))[1] - bits)


class Study:
    """Finite differences of one tape around one point, for the variables asked."""

    def __init__(self, tape: Tape, values: Sequence[float], point: Sequence[float],
                 warnings: Sequence[KinkWarning] = ()) -> None:
        self.tape = tape
        self.values = values
        self.point = list(point)
        self.warnings = tuple(warnings)
        self.results: dict[str, Estimate] = {}
        self._sizes: list[float] | None = None
        self._cones: dict[int, Cone] = {}
        self._point_values: list[float] | None = None
        self._input_nodes = list(tape.inputs.values())
        labels = {tape.labels[i]: i for i in tape.kink_nodes}
        self._kink_at = {labels[w.node]: w for w in self.warnings if w.node in labels}
        self._base = signature(tape, values)

    def magnitude(self, name: str) -> float:
        if self._sizes is None:
            self._sizes = magnitudes(self.tape, self.values)
        return self._sizes[self.tape.inputs[name]]

    def run(self, names: Sequence[str], deadline: float) -> None:
        """Estimate each partial, stopping (with a note) at the deadline."""
        for name in names:
            if time.monotonic() > deadline:
                self.results[name] = Estimate(note="finite differences not computed: time limit")
                continue
            self.results[name] = self._study(name)

    def _f(self, k: int, x: float) -> tuple[float, tuple[object, ...]]:
        """f and the kink signature with input k moved to x. Only the operations that depend on
        input k run again: the same operations on the same values as a whole forward sweep."""
        node, cone, many = self._cones.get(k) or self._cone(k)
        values = self._point_values[:]  # type: ignore[index]
        values[node] = x
        try:
            for i, f, a, b in cone:
                if b >= 0:
                    values[i] = f(values[a], values[b])
                elif b == ONE:
                    values[i] = f(values[a])
                else:
                    values[i] = f(*[values[j] for j in many[i]])
        except _MATH_ERRORS:
            raise ExprError("domain", "no value at this step") from None
        if not _all_finite(values):  # forward()'s own test: one C-level pass, then a scan
            raise ExprError("domain", "no finite value at this step")
        tape = self.tape
        return values[tape.output], signature(tape, values) if tape.kink_nodes else ()

    def _cone(self, k: int) -> Cone:
        """Input k's node and the operations that depend on it, in evaluation order: found once
        per tape (Tape.memo), for every point checked."""
        tape = self.tape
        if self._point_values is None:
            self._point_values = list(self.values)  # the forward sweep's, at this point
        node = self._input_nodes[k]
        cone: Cone | None = tape.memo.get(("finite differences", node))
        if cone is None:
            lean = tape.lean()
            moved = {node}
            operations: list[tuple[int, Any, int, int]] = []
            for i, f, a, b in zip(lean.nodes, lean.forwards, lean.firsts, lean.seconds,
                                  strict=True):
                args = (a,) if b == ONE else (a, b) if b >= 0 else lean.many[i]
                if not moved.isdisjoint(args):
                    moved.add(i)
                    operations.append((i, f, a, b))
            cone = tape.memo[("finite differences", node)] = (node, operations, lean.many)
        self._cones[k] = cone
        return cone

    def _study(self, name: str) -> Estimate:
        k = list(self.tape.inputs).index(name)
        if self._kink_at:
            node = self.tape.inputs[name]
            right = self._directional(node, 1.0)
            backwards = self._directional(node, -1.0)
            left = None if backwards is None else 0.0 - backwards
            if left is None or right is None or abs(left - right) > 1e-12 * max(
                    abs(left), abs(right)):
                return self._one_sided(name, k, left, right)
        return self._central(k)

    def _central(self, k: int) -> Estimate:
        """Ridders' method: central differences at steps h, h/2, … h/2**14 extrapolated in a
        Richardson table; the entry with the smallest error estimate wins (no early stop: a
        fast oscillation makes the wide steps' entries agree by accident)."""
        x = self.point[k]
        h = _step(x, 6)
        for _ in range(8):  # the widest step must stay in the domain and off every kink
            try:
                samples = [self._f(k, x - h), self._f(k, x + h)]
            except ExprError:
                samples = []
            if samples and all(sig == self._base for _, sig in samples):
                break
            h /= 16
        else:
            return Estimate(note="finite differences unavailable: the function is not defined "
                                 "or not smooth on both sides of this point")
        (fm, _), (fp, _) = samples
        largest = max(abs(fm), abs(fp))
        best, error = (fp - fm) / (2 * h), math.inf
        previous = [best]
        for _ in range(1, 15):
            h /= 2
            try:
                (fm, sm), (fp, sp) = self._f(k, x - h), self._f(k, x + h)
            except ExprError:
                break
            if sm != self._base or sp != self._base:
                break
            largest = max(largest, abs(fm), abs(fp))
            entry = (fp - fm) / (2 * h)
            row = [entry]
            for before, factor, less in zip(previous, _FACTORS, _LESS, strict=False):
                left = entry  # row[j - 1]; `before` is previous[j - 1]
                entry = (left * factor - before) / less
                near = abs(entry - left)
                far = abs(entry - before)
                estimate = far if far > near else near  # max(near, far), NaN as max() has it
                if estimate <= error:
                    best = entry
                    error = estimate
                row.append(entry)
            previous = row
        return Estimate(best, noise=error + 64 * EPS * largest / h)

    def _one_sided(self, name: str, k: int, left: float | None, right: float | None) -> Estimate:
        """At a kink: one-sided differences against the warnings' one-sided derivatives."""
        x = self.point[k]
        f0 = self.values[self.tape.output]
        scale = max(self.magnitude(name), abs(left or 0.0), abs(right or 0.0), 1e-300)
        sides: dict[str, dict[str, float | None]] = {}
        problems: list[str] = []
        for side, sign, predicted in (("left", -1.0, left), ("right", 1.0, right)):
            estimate, noise = self._difference(k, x, sign, f0)
            sides[side] = {"predicted": predicted, "finite_difference": estimate}
            if predicted is None or estimate is None:
                continue
            if abs(estimate - predicted) > FD_RTOL * scale + noise:
                problems.append(f"the {side} derivative is {predicted!r} by the kink's "
                                f"one-sided rules but {estimate!r} by finite differences")
        note = "at a kink: one-sided derivatives compared"
        if left is None or right is None:
            note = ("not continuous here (a jump): finite differences across it say nothing "
                    "about the derivative, so they are not compared")
        return Estimate(one_sided=sides, problems=problems, note=note)

    def _difference(self, k: int, x: float, sign: float, f0: float) -> tuple[float | None, float]:
        h = _step(x, 14)
        for _ in range(4):
            try:
                (f1, s1), (f2, s2) = self._f(k, x + sign * h), self._f(k, x + sign * h / 2)
            except ExprError:
                h /= 16
                continue
            if s1 != s2:
                h /= 16
                continue
            wide = (f1 - f0) / (sign * h)
            narrow = (f2 - f0) / (sign * h / 2)
            return 2 * narrow - wide, 16 * EPS * max(abs(f0), abs(f1), abs(f2)) / h
        return None, 0.0

    def _directional(self, node: int, direction: float) -> float | None:
        """Forward-mode derivative along ±x (modes.tangent), taking each kink's one-sided slope
        on the side the argument moves to (a max/min tie follows the fastest/slowest tied
        argument); None across a jump."""
        tape = self.tape
        seed = [direction if i == node else 0.0 for i in tape.inputs.values()]
        dots = tangent(tape, self.values, seed, self._kink_at)
        return None if dots is None else dots[tape.output]
