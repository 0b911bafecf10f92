"""The plan run block by block over the rows, in reused buffers, on a thread per core.

Each block of rows runs the plan's list of calls with every intermediate in a buffer allocated
once per thread (ufunc `out=`), so a node's array stays in cache between its forward and reverse
uses and large row counts cost no fresh pages.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence

import numpy as np

from exprdiff.tape import Tape
from exprdiff.vector.plan import Plan, cached_plan
from exprdiff.vector.registers import Array
from exprdiff.vector.rules import KINKS

#: Rows per block: big enough that the per-call overhead is small, small enough that a block's
#: live buffers stay in cache (on a 2-core EPYC, 16k and 32k rows did best, 4k-8k worse).
BLOCK_ROWS = 16_384
#: A second thread (and more, up to the cores available) only once each gets this many rows.
ROWS_PER_THREAD = 40_000
MAX_THREADS = 8
#: Every thread's buffers together stay under this (a huge tape gets shorter blocks).
BUFFER_BYTES = 256 << 20
MIN_BLOCK_ROWS = 1024


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
    block, threads = block_and_threads(len(p.buffers), rows, block, threads)
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


def block_and_threads(buffers: int, rows: int, block: int | None,
                      threads: int | None) -> tuple[int, int]:
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


def _in_threads(p: Plan, inputs: Sequence[Array], columns_out: list[Array],
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


def _work(p: Plan, inputs: Sequence[Array], columns_out: list[Array], block: int, start: int,
          stop: int, sink: list[int]) -> None:
    """Rows start..stop, block by block, with this thread's own buffers."""
    size = min(block, stop - start)
    memory = _take_memory(len(p.buffers) * size)
    try:
        _blocks(p, inputs, columns_out, block, start, stop, sink,
                [memory[k * size:(k + 1) * size] for k in range(len(p.buffers))])
    finally:
        _give_back(memory)


_CACHE_LOCK = threading.Lock()  # the spare buffer memory below
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


def _blocks(p: Plan, inputs: Sequence[Array], columns_out: list[Array], block: int,
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
                on_kink = KINKS[name](s[k], *[s[a] for a in args])
                if on_kink.any():
                    sink.extend((np.flatnonzero(on_kink) + low).tolist())
