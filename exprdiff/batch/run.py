"""Batch: lines of expressions (and points) → records, in input order; a bad line never stops it.

Reading lines is batch/lines.py, evaluating one line batch/evaluate.py, worker processes
batch/workers.py; this module drives them: serially or in parallel, in order, through SIGINT.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from exprdiff.batch.evaluate import Record, Settings, evaluate_lines
from exprdiff.batch.lines import Line, known_size, read_lines


@dataclass(slots=True)
class Summary:
    """How far a run got: expression lines, records written, failed lines, the last line done."""

    lines: int = 0
    records: int = 0
    failed: int = 0
    last: tuple[str | None, int] | None = None
    interrupted: bool = False

    def text(self) -> str:
        extra = f" ({self.records} results)" if self.records != self.lines else ""
        return (f"processed {self.lines} lines{extra}: {self.lines - self.failed} ok, "
                f"{self.failed} failed")

    def where(self) -> str:
        if self.last is None:
            return "before the first line"
        file, number = self.last
        return f"after line {number}" + (f" of {file}" if file else "")


class Writer(Protocol):
    """What a record renderer offers the runner (render/records.py has them)."""

    def write(self, record: Record) -> None: ...

    def flush(self) -> None: ...

    def finish(self) -> None: ...


def run(sources: Sequence[str], settings: Settings, writer: Writer, *, jobs: int = 1,
        progress: bool = False) -> Summary:
    """Evaluate every line of `sources` and hand the records to `writer`, in input order.

    SIGINT stops at the next record boundary (`summary.interrupted`); everything written is
    whole. `progress` shows a bar on stderr when the inputs' total size is known.
    """
    summary = Summary()
    jobs = jobs or os.cpu_count() or 1
    lines = read_lines(sources, label=len(sources) > 1)
    workers = None
    try:
        if jobs > 1:  # started before any progress thread: forking with threads about is unsafe
            from exprdiff.batch.workers import Workers

            workers = Workers(settings, jobs)
        _drive(sources, settings, writer, lines, workers, summary, progress)
    finally:
        if workers is not None:
            workers.stop()
    return summary


def _drive(sources: Sequence[str], settings: Settings, writer: Writer,
           lines: Iterator[Line], workers: Any, summary: Summary,
           progress: bool) -> None:
    total = known_size(sources) if progress else None
    with _Interrupts() as interrupts:
        if workers is None:
            outcomes = evaluate_lines(lines, settings)
        else:
            from exprdiff.batch.workers import parallel

            outcomes = parallel(workers, lines, settings, lambda: interrupts.pending)
        try:
            with _progress_bar(total) as advance:  # gone before the table or summary is printed
                for file, number, size, outcome in outcomes:
                    interrupts.busy = True  # a SIGINT now waits until these records are out
                    if outcome is not None:
                        records, failed = outcome
                        for record in records:
                            writer.write(record)
                        writer.flush()
                        summary.lines += 1
                        summary.records += len(records)
                        summary.failed += failed
                    summary.last = (file, number)
                    advance(size)
                    interrupts.busy = False
                    if interrupts.pending:
                        summary.interrupted = True
                        break
        except KeyboardInterrupt:  # raised only between records (reading, evaluating, waiting)
            summary.interrupted = True
        finally:
            interrupts.busy = True
            outcomes.close()
        writer.finish()


class _Interrupts:
    """SIGINT between records stops at once (KeyboardInterrupt); while records are being
    written it is held until they are out (`pending`); a second SIGINT never waits."""

    def __init__(self) -> None:
        self.pending = False
        self.busy = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.busy and not self.pending:
            self.pending = True
            return
        self.pending = True
        raise KeyboardInterrupt

    def __enter__(self) -> _Interrupts:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@contextmanager
def _progress_bar(total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich bar on stderr over `total` input bytes; a no-op without a total."""
    if not total:
        yield lambda size: None
        return
    import time

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[lines]:,} lines"),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("lines", total=total, lines=0)
    state = {"done": 0, "lines": 0, "shown": 0.0}

    def advance(size: int) -> None:
        state["done"] += size
        state["lines"] += 1
        now = time.monotonic()
        if now - state["shown"] > 0.1:  # a refresh per record would cost more than the record
            state["shown"] = now
            bar.update(task, completed=state["done"], lines=state["lines"])

    with bar:
        yield advance

