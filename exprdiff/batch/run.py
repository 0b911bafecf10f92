"""Batch: lines of expressions (and points) → records, in input order; a bad line never stops it.

    with Batch(["exprs.txt"], Settings(), jobs=2) as batch:
        for record in batch:
            ...                     # a dict: SPEC §4's result object with "line", or an error
    batch.summary.failed

Reading lines is batch/lines.py, evaluating one line batch/evaluate.py, worker processes
batch/workers.py; this module drives them, serially or in parallel, in input order, and stops
cleanly on SIGINT. It prints nothing: what to do with the records is the caller's business.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from exprdiff.batch.evaluate import (
    Block,
    Encode,
    Processed,
    Record,
    Settings,
    evaluate_lines,
)
from exprdiff.batch.lines import known_size, read_lines

#: Input of at most this many bytes (every source a regular file) is evaluated in the main
#: process whatever `jobs` says: a few hundred seed-sized lines, which starting the workers
#: (~30 ms: importing multiprocessing, forking, each worker meeting every expression afresh)
#: costs more than they could save. Not with --check, whose lines are slow.
WORKERS_FROM = 16 << 10


def _count(n: int, noun: str) -> str:
    """`1 line`, `2 lines`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(slots=True)
class Summary:
    """How far a run got: expression lines, records, failed lines, the last line done, and the
    input bytes done (for a progress bar)."""

    lines: int = 0
    records: int = 0
    failed: int = 0
    last: tuple[str | None, int] | None = None
    interrupted: bool = False
    bytes_done: int = 0

    def text(self) -> str:
        extra = f" ({_count(self.records, 'result')})" if self.records != self.lines else ""
        return (f"processed {_count(self.lines, 'line')}{extra}: {self.lines - self.failed} ok, "
                f"{self.failed} failed")

    def where(self) -> str:
        if self.last is None:
            return "before the first line"
        file, number = self.last
        return f"after line {number}" + (f" of {file}" if file else "")


class Batch:
    """Every line of `sources` ("-" is stdin) evaluated with `settings`, its records in input
    order, the same for any `jobs` (0: one per CPU; input files of at most WORKERS_FROM bytes
    are evaluated in this process). Use it in a `with` block, which starts and stops the worker
    processes and holds SIGINT.

    SIGINT while the batch reads, evaluates or waits ends the records at once; while the caller
    holds a line's records it ends them when the caller asks for more, so whatever the caller
    wrote is whole. `summary.interrupted` says so. A line counts in `summary` once the caller
    asks for the next one.
    """

    def __init__(self, sources: Sequence[str], settings: Settings, *, jobs: int = 1,
                 engine: Any = None, encode: Encode | None = None) -> None:
        self.sources = list(sources)
        self.encode = encode  # given: each line's records come as their texts (evaluate.Encode)
        self.settings = settings
        self.jobs = jobs or os.cpu_count() or 1
        self.engine = engine  # e.g. batch/dask.py's Cluster: its `outcomes` replace the workers
        self.summary = Summary()
        self._interrupts = _Interrupts()
        self._workers: Any = None
        self._lines: Generator[list[Record], None, None] | None = None

    def __enter__(self) -> Batch:
        lines = read_lines(self.sources, label=len(self.sources) > 1)
        outcomes: Generator[Processed | Block, None, None]
        if self.engine is not None:
            outcomes = self.engine.outcomes(self.sources, self.settings,
                                            lambda: self._interrupts.pending, self.encode)
        elif self.jobs > 1 and _workers_pay(self.sources, self.settings):
            # before the caller starts any thread: forking with threads is unsafe
            from exprdiff.batch.workers import Workers, parallel

            self._workers = Workers(self.settings, self.jobs, self.encode)
            outcomes = parallel(self._workers, lines, self.settings,
                                lambda: self._interrupts.pending)
        else:
            outcomes = evaluate_lines(lines, self.settings, self.encode)
        self._interrupts.start()
        self._lines = self._each_line(outcomes)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> bool:
        try:
            if self._lines is not None:
                self._lines.close()
            self._interrupts.stop()
        finally:
            if self._workers is not None:
                self._workers.stop()
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self.summary.interrupted = True  # a second SIGINT, in the caller's code
            return True
        return False

    def __iter__(self) -> Iterator[Record]:
        for records in self.lines():
            yield from records

    def lines(self) -> Iterator[list[Record]]:
        """The records of each expression line (blank and comment lines give none), in order;
        their texts instead when the batch was given `encode` (and, from --jobs workers, a
        chunk of lines' texts joined as one, when the encode `joins`: JSON Lines)."""
        if self._lines is None:
            raise RuntimeError("a Batch gives records inside its `with` block")
        return self._lines

    def _each_line(self, outcomes: Generator[Processed | Block, None, None],
                   ) -> Generator[list[Record], None, None]:
        summary, interrupts = self.summary, self._interrupts
        try:
            while not interrupts.pending:
                interrupts.busy = False  # a SIGINT now stops at once
                processed = next(outcomes, None)
                interrupts.busy = True  # one now waits until the caller is done with these
                if processed is None:
                    return
                if isinstance(processed, Block):  # a worker's chunk, as one text (with encode)
                    if processed.text:
                        yield [processed.text]  # type: ignore[list-item]  # texts: encode
                    summary.lines += processed.lines
                    summary.records += processed.records
                    summary.failed += processed.failed
                    summary.last = processed.last
                    summary.bytes_done += processed.size
                    continue
                file, number, size, outcome = processed
                if outcome is not None:
                    records, failed = outcome
                    yield records
                    summary.lines += 1
                    summary.records += len(records)
                    summary.failed += failed
                summary.last = (file, number)
                summary.bytes_done += size
            summary.interrupted = True
        except KeyboardInterrupt:  # raised only while reading, evaluating or waiting
            summary.interrupted = True
        finally:
            interrupts.busy = True
            outcomes.close()


def _workers_pay(sources: Sequence[str], settings: Settings) -> bool:
    """Whether worker processes can pay for their start (see WORKERS_FROM)."""
    if settings.check:
        return True
    size = known_size(sources)
    return size is None or size > WORKERS_FROM


class _Interrupts:
    """SIGINT while not `busy` raises KeyboardInterrupt; while `busy` it is held (`pending`);
    a second SIGINT never waits."""

    def __init__(self) -> None:
        self.pending = False
        self.busy = True
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.busy and not self.pending:
            self.pending = True
            return
        self.pending = True
        raise KeyboardInterrupt

    def start(self) -> None:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def stop(self) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
