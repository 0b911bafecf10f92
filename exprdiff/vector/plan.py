"""The tape's forward and reverse sweeps lowered once to a straight list of NumPy calls.

`plan` builds the calls over registers (exprdiff.vector.registers) with each op's NumPy form
(exprdiff.vector.rules), then gives every register a slot: a slot's buffer is reused once its
last reader has run. Each call is the very ufunc the plain whole-array sweep makes (the reference
in tests/test_vectorised_blocked.py), on the same operands in the same order: the results are
bitwise equal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from exprdiff.tape import CONSTANT, Tape
from exprdiff.vector.registers import ARRAY, Array, Builder
from exprdiff.vector.rules import covered_nodes, emit_forward, emit_partials

#: (form, function, first in, second in, out, all ins): form 1 and 2 are ufuncs of one and
#: two arguments writing `out`, form 0 any other writing `out`, form 3 returns a fresh value.
Step = tuple[int, Callable[..., Any], int, int, int, tuple[int, ...]]


def _copy(src: Array, out: Array) -> None:
    np.copyto(out, src)


def _term(b: Builder, g: int, d: int) -> tuple[int, float]:
    """(register, sign) of g·d: ±1 partials and a unit adjoint multiply not (bitwise the same)."""
    dv = b.const[d]
    if type(dv) is float and dv in (1.0, -1.0):
        return g, dv
    gv = b.const[g]
    if type(gv) is float and gv == 1.0:
        return d, 1.0
    return b.emit(np.multiply, g, d), 1.0


def _accumulate_into(b: Builder, current: int, term: int, sign: float) -> int:
    """The adjoint after adding ±term to `current` (-1: the first contribution)."""
    if current < 0:
        return term if sign > 0 else b.emit(np.negative, term)
    return b.emit(np.add if sign > 0 else np.subtract, current, term)


@dataclass(slots=True)
class Plan:
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


def cached_plan(tape: Tape, chosen: Sequence[str]) -> Plan:
    """`plan(tape, chosen)`, made once per tape and choice of partials (kept on the tape)."""
    key = ("numpy plan", tuple(chosen))
    found: Plan | None = tape.memo.get(key)
    if found is None:
        found = tape.memo[key] = plan(tape, chosen)
    return found


def plan(tape: Tape, chosen: Sequence[str]) -> Plan:
    """Lower the tape's forward and reverse sweeps to slot code (see `Plan`)."""
    b = Builder()
    value: list[int] = [-1] * len(tape)
    for i, kind in enumerate(tape.kinds):
        if kind == CONSTANT:
            value[i] = b.register(tape.constants[i])
    input_regs = {name: b.register() for name in tape.inputs}
    for name, i in tape.inputs.items():
        value[i] = input_regs[name]
    names = [op.name if op is not None else "" for op in tape.ops]
    for i, _, _, args in tape.program:
        value[i] = emit_forward(b, names[i], [value[a] for a in args])
    none = -1  # no adjoint yet: nothing flows into the node (0)
    adjoint = [none] * len(tape)
    adjoint[tape.output] = b.number(1.0)
    constant = [kind == CONSTANT for kind in tape.kinds]
    for i, _, _, args in reversed(tape.program):
        g = adjoint[i] if adjoint[i] != none else b.number(0.0)
        local = emit_partials(b, names[i], value[i], [value[a] for a in args])
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
    # (see covered_nodes) or is watched; an adjoint flows into its arguments' (inf·0 = nan) and so
    # into the variables', watched.
    covered = covered_nodes(tape)
    watched = [*(input_regs[name] for name, i in tape.inputs.items() if not covered[i]),
               value[tape.output], *grads.values(),
               *(value[i] for i, _, _, _ in tape.program if not covered[i]),
               *(adjoint[i] for i, _, _, args in tape.program
                 if adjoint[i] != none and all(constant[a] for a in args))]
    kinks = [(names[i], value[i], tuple(value[a] for a in tape.args[i])) for i in tape.kink_nodes]
    return _allocate(b, input_regs, pinned, len(outputs), fills, watched, kinks)


def _allocate(b: Builder, input_regs: dict[str, int], pinned: dict[int, int], n_outputs: int,
              fills: list[tuple[int, Any]], watched: list[int],
              kinks: list[tuple[str, int, tuple[int, ...]]]) -> Plan:
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
        if content is not ARRAY:
            where[r] = len(slots)
            slots.append(content)
    always = any(const[r] is not ARRAY and not np.all(np.isfinite(const[r])) for r in watched)
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
    return Plan(
        steps=steps, slots=slots, buffers=[k for k, r in enumerate(role) if r == 1],
        inputs=list(range(n_inputs)), value=n_inputs,
        gradient=list(range(n_inputs + 1, n_inputs + n_outputs)), fills=fills,
        checks=sorted({where[r] for r in watched if const[r] is ARRAY}), always=always,
        kinks=[(name, where[r], tuple(where[x] for x in regs)) for name, r, regs in kinks])
