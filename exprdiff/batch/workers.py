"""Worker processes for `grad --jobs N`: chunks of lines out, records back, in input order.

Given the writer's `encode`, a worker sends back each record's text rather than the record: the
main process then only writes texts in order (decoding records and encoding them again there
made it the bottleneck: --jobs 2 ran 1.1× --jobs 1).

Chunk k goes to worker k mod N and its records are read back from that worker in turn, so the
output is the serial output byte for byte. Each worker has a sender thread, so the main process
never blocks on a full pipe, and at most two chunks in flight, so memory stays flat however
long the input. The processes are ours (not a multiprocessing.Pool, whose terminate() can hang
on idle workers): stopping them is a plain terminate, kill and join. A worker holds no pipe end
but its own and dies with the main process, however that ends (exprdiff/children.py).
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from collections import deque
from collections.abc import Generator, Iterator
from itertools import chain, islice
from typing import Any

from exprdiff import children
from exprdiff.batch.evaluate import (
    Block,
    Encode,
    Evaluator,
    Processed,
    Settings,
    encoded,
    error_record,
    evaluate_lines,
    joined,
    start_oracle,
)
from exprdiff.batch.lines import Chunk, Line

CHUNK_LINES = 256
IN_FLIGHT = 2  # chunks per worker


class Workers:
    """N worker processes, each with a pipe and a sender thread."""

    def __init__(self, settings: Settings, count: int, encode: Encode | None = None) -> None:
        import sys

        self.encode = encode

        sys.stdout.flush()  # a forked child flushes its copy of the buffer when it exits
        methods = multiprocessing.get_all_start_methods()
        context: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        forked = context.get_start_method() == "fork"
        parent = children.prepare()
        self.connections: list[Any] = []
        self.processes: list[Any] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            # A forked worker closes the main process's ends of every pipe, its own and the
            # earlier workers': else none sees end-of-file when the main process dies.
            others = [*self.connections, mine] if forked else []
            # With --check a worker starts a SymPy process of its own: not a daemon then.
            process = context.Process(target=serve, args=(theirs, settings, parent, others, encode),
                                      daemon=not settings.check)
            process.start()
            theirs.close()
            self.connections.append(mine)
            self.processes.append(process)
        self.outboxes: list[queue.SimpleQueue[Chunk | None]] = []
        for connection in self.connections:  # threads only after every fork
            outbox: queue.SimpleQueue[Chunk | None] = queue.SimpleQueue()
            threading.Thread(target=_send_all, args=(connection, outbox), daemon=True).start()
            self.outboxes.append(outbox)

    def __len__(self) -> int:
        return len(self.processes)

    def send(self, index: int, chunk: Chunk) -> None:
        self.outboxes[index % len(self)].put(chunk)

    def receive(self, index: int) -> list[Processed] | Block:
        outcomes: list[Processed] | Block = self.connections[index % len(self)].recv()
        return outcomes

    def stop(self) -> None:
        for outbox in self.outboxes:
            outbox.put(None)
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: a worker on --check kills its oracle child
        for process in self.processes:
            process.join(2.0)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self.connections:
            connection.close()


def _send_all(connection: Any, outbox: queue.SimpleQueue[Chunk | None]) -> None:
    while (chunk := outbox.get()) is not None:
        try:
            connection.send(chunk)
        except (OSError, ValueError):  # the worker is gone; the reader will say so
            return


def serve(connection: Any, settings: Settings, parent: int, others: list[Any],
          encode: Encode | None = None) -> None:
    """A worker's life: evaluate chunks until the pipe closes, or die with `parent`."""
    children.die_with_parent(parent)
    children.detach_standard_streams()
    for other in others:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, _exit)
    evaluator = Evaluator(settings, encode)
    start_oracle(settings)  # one SymPy process per worker, for all its lines
    try:
        while True:
            try:
                chunk = connection.recv()
            except (EOFError, OSError):
                return
            if getattr(encode, "joins", False):
                connection.send(joined(evaluator, chunk, encode))  # type: ignore[arg-type]
            else:
                connection.send([(file, number, len(raw),
                                  encoded(evaluator.line(number, raw, file), encode))
                                 for file, number, raw in chunk])
    finally:
        if settings.check:
            from exprdiff.oracle.child import shared

            shared().close()


def _exit(signum: int, frame: Any) -> None:
    raise SystemExit(143)  # through Python, so serve's `finally` kills its SymPy process


def parallel(workers: Workers, lines: Iterator[Line],
             settings: Settings, stopping: Any) -> Generator[Processed | Block, None, None]:
    """Every line's outcome (or a chunk's Block), in input order; `stopping()` true means:
    submit no more."""
    pending: deque[tuple[int, Chunk]] = deque()
    submitted = 0

    def submit() -> None:
        nonlocal submitted
        chunk = list(islice(lines, CHUNK_LINES))
        if chunk and not stopping():
            workers.send(submitted, chunk)
            pending.append((submitted, chunk))
            submitted += 1

    for _ in range(IN_FLIGHT * len(workers)):
        submit()
    while pending:
        index, chunk = pending.popleft()
        try:
            outcomes = workers.receive(index)
        except (EOFError, OSError):
            # A worker died (killed, out of memory): its chunk's lines become error records,
            # and the rest runs here, one line at a time, as with --jobs 1.
            yield from lost(chunk, workers.processes[index % len(workers)].exitcode,
                            encode=workers.encode)
            rest = chain((line for _, c in pending for line in c), lines)
            yield from evaluate_lines(rest, settings, workers.encode)
            return
        if isinstance(outcomes, Block):  # a chunk's texts as one: batch/run.py counts it
            yield outcomes
        else:
            yield from outcomes
        submit()


def lost(chunk: Chunk, code: int | None, why: str | None = None,
         encode: Encode | None = None) -> Iterator[Processed]:
    """Error records for the lines of a chunk whose worker died (exit `code`, or `why`)."""
    for file, number, raw in chunk:
        text = raw.decode("utf-8", "replace").strip()
        if not text or text.startswith("#"):
            yield file, number, len(raw), None
            continue
        head = {"line": number} if file is None else {"file": file, "line": number}
        message = why or f"the worker process evaluating this line stopped (exit code {code})"
        yield file, number, len(raw), encoded(([error_record(head, text, "internal", message)],
                                               True), encode)
