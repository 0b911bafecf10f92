"""Timing helpers of the harness: medians of repeated calls, and tools taking turns."""

from __future__ import annotations

import contextlib
import random
import resource
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

Timing = tuple[float, int]  # (median seconds, repetitions)

#: --smoke: the smallest sizes and one call per measurement (the test suite runs the harness so).
SMOKE = False


def timeit(f: Callable[[], Any], *, min_total: float = 0.5, max_reps: int = 200,
           warm: bool = True, min_reps: int = 3) -> Timing:
    """Median of repeated calls: at least `min_reps`, more until about `min_total` seconds."""
    if SMOKE:
        min_reps, max_reps = 1, 1
    if warm:
        f()
    times: list[float] = []
    spent = 0.0
    while len(times) < max_reps and (len(times) < min_reps or spent < min_total):
        start = time.perf_counter()
        f()
        took = time.perf_counter() - start
        times.append(took)
        spent += took
        if took > 5.0 and len(times) >= 1:
            break  # one run of a slow peer is all the budget allows
    return statistics.median(times), len(times)


def round_robin(runs: dict[str, Callable[[], Any]], *, min_total: float = 0.5,
                max_reps: int = 200, turn: float = 0.0, min_rounds: int = 5) -> dict[str, float]:
    """Median seconds per call of each tool, the tools taking turns in a shuffled order.

    A turn is one timed call; with `turn` > 0 it is an untimed call (caches warm again after
    the other tools ran) and then timed calls for about `turn` seconds. At least 5 rounds (at
    most `max_reps`), more until every tool has spent `min_total` seconds (or one 30 s).
    """
    if SMOKE:
        max_reps, turn = 1, 0.0
    names = list(runs)
    per_turn = dict.fromkeys(names, 1)
    if turn > 0:
        for name in names:  # a first estimate of a call's time sets the calls per turn
            runs[name]()
            start = time.perf_counter()
            runs[name]()
            took = max(time.perf_counter() - start, 1e-6)
            per_turn[name] = max(1, min(100, int(turn / took)))
    times: dict[str, list[float]] = {name: [] for name in names}
    spent = dict.fromkeys(names, 0.0)
    order = random.Random(7)  # who follows whom changes too (a peer's idle threads may spin)
    rounds = 0
    while rounds < max_reps and (rounds < min(min_rounds, max_reps)
                                 or min(spent.values()) < min_total):
        order.shuffle(names)
        for name in names:
            if turn > 0:
                runs[name]()
            for _ in range(per_turn[name]):
                start = time.perf_counter()
                runs[name]()
                took = time.perf_counter() - start
                times[name].append(took)
                spent[name] += took
        rounds += 1
        if max(spent.values()) > 30:
            break
    return {name: statistics.median(t) for name, t in times.items()}


class OverBudget(Exception):
    """A peer ran past its time budget (deadline)."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt a pure-Python peer (SymPy, tracing) that runs past `seconds` (SIGALRM)."""
    def stop(signum: int, frame: Any) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, stop)
    # Again every second: an alarm landing in a gc callback (JAX has one) is swallowed there.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def children_cpu() -> float:
    """User + system CPU seconds of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
