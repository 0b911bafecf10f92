"""Batches on a Dask cluster (issue 21): blocks of lines out, the same records back, in order.

    import dask.bag as db
    from exprdiff.batch.dask import records
    from exprdiff.batch.evaluate import Settings

    lines = db.read_text("s3://corpus/*.txt")          # or any bag of str / bytes lines
    records(lines, Settings()).to_textfiles(...)       # SPEC §4's records, numbered in order

Each block of lines is evaluated by batch/evaluate.py's Evaluator, as `--jobs` evaluates a chunk:
the records are the local batch's, byte for byte once written. Dask does the rest (scheduling,
moving data, re-running a block whose worker died); nothing here schedules. `Cluster` is what
`grad --file F --dask ADDRESS|local[:N]` runs on: it connects (or starts a LocalCluster whose
processes die with this one), feeds `Batch` the blocks' outcomes in input order with a bounded
number in flight, and closes what it started. Importing this module imports Dask: nothing else
in exprdiff does.
"""

from __future__ import annotations

import operator
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import dask.bag as db
from dask import delayed
from distributed import Client, KilledWorker, LocalCluster, WorkerPlugin

from exprdiff import children
from exprdiff.batch.evaluate import Block as Joined
from exprdiff.batch.evaluate import (
    Encode,
    Evaluator,
    Processed,
    Record,
    Settings,
    encoded,
    joined,
    start_oracle,
)
from exprdiff.batch.lines import Block, blocks, known_size, read_block
from exprdiff.batch.workers import lost
from exprdiff.errors import ExprError

CONNECT_SECONDS = 3.0  # a scheduler that does not answer within this is a usage error
LOCAL_WORKERS = 2
MIN_BLOCK, MAX_BLOCK = 64 << 10, 16 << 20  # bytes
BLOCKS_PER_THREAD = 8  # enough blocks that the last ones finish together
IN_FLIGHT = 2  # blocks submitted ahead per worker thread: memory stays flat

_local = threading.local()
_KILLED = ("every Dask worker that evaluated this line's block died (Dask gave up after "
           "distributed.scheduler.allowed-failures retries)")


# -- on the workers ---------------------------------------------------------------------------

def evaluator(settings: Settings, encode: Encode | None = None) -> Evaluator:
    """This worker thread's Evaluator for `settings` (and the kind of `encode`, which arrives
    unpickled anew with each block): its compiled graphs outlive one block."""
    current: Evaluator | None = getattr(_local, "evaluator", None)
    if (current is None or current.settings != settings
            or _local.encode is not type(encode)):
        current = _local.evaluator = Evaluator(settings, encode)
        _local.encode = type(encode)
        start_oracle(settings)
    return current


def evaluate_block(block: Block, settings: Settings) -> list[Processed]:
    """Every line of `block` as `--jobs` gives it: (file, line number, bytes, outcome)."""
    line = evaluator(settings).line
    return [(file, number, len(raw), line(number, raw, file))
            for file, number, raw in read_block(block)]


def packed_block(block: Block, settings: Settings, encode: Encode | None = None) -> bytes:
    """The block's outcomes as one pickle: Dask sends bytes as they are, where it would
    serialize a list of 10 000 tuples element by element (twice the CPU of the evaluation).
    Given the writer's `encode`, the records come as their texts, and (JSON Lines) as one text
    with the summary's counts, as --jobs workers send a chunk (evaluate.joined): the client
    then only writes them."""
    found: Joined | list[Processed]
    if encode is None:
        found = evaluate_block(block, settings)
    else:
        lines = list(read_block(block))
        if getattr(encode, "joins", False) and lines:
            found = joined(evaluator(settings, encode), lines, encode)
        else:
            line = evaluator(settings, encode).line
            found = [(file, number, len(raw), encoded(line(number, raw, file), encode))
                     for file, number, raw in lines]
    return pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)


def _block_records(block: Block, settings: Settings) -> list[Record]:
    return [r for *_, outcome in evaluate_block(block, settings) if outcome for r in outcome[0]]


def _part_records(lines: list[str | bytes], first: int, settings: Settings) -> list[Record]:
    line = evaluator(settings).line
    found: list[Record] = []
    for number, text in enumerate(lines, first):
        outcome = line(number, text.encode("utf-8") if isinstance(text, str) else text)
        if outcome is not None:
            found.extend(outcome[0])
    return found


class DieWithUs(WorkerPlugin):
    """In each worker of our LocalCluster (restarted ones too): end with exprdiff, and hold
    none of its standard streams (exprdiff/children.py)."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def setup(self, worker: Any) -> None:
        if os.getppid() == self.parent:  # a worker process, not a thread of this one
            children.die_with_parent(self.parent)
            children.detach_standard_streams()
            try:  # Ctrl-C at a terminal reaches the whole process group: exprdiff decides
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            except ValueError:  # not the worker's main thread: Dask's own handling stays
                pass


# -- the library's bags -------------------------------------------------------------------------

def records(lines: db.Bag, settings: Settings) -> db.Bag:
    """A bag of lines (str or bytes, as `db.read_text` gives) → a bag of their records, lines
    numbered from 1 across the whole bag, in the bag's order."""
    parts = [delayed(list)(part) for part in lines.to_delayed()]
    found, first = [], delayed(1)
    for part in parts:
        found.append(delayed(_part_records)(part, first, settings))
        first = delayed(operator.add)(first, delayed(len)(part))
    return db.from_delayed(found)


def file_records(paths: Sequence[str], settings: Settings, *,
                 block_bytes: int = 1 << 20) -> db.Bag:
    """The records of every line of `paths` (each block read by the worker that evaluates it,
    so the files must be at the same path there), as `grad --file … --format jsonl` writes
    them; with several files each record carries `"file"`."""
    cut = blocks(list(paths), label=len(paths) > 1, size=block_bytes)
    return db.from_delayed([delayed(_block_records)(block, settings) for block in cut])


# -- the CLI's cluster ---------------------------------------------------------------------------

def parse_address(text: str) -> tuple[str | None, int]:
    """`local` / `local:N` → (None, N); a scheduler's address → (it, 0)."""
    if text != "local" and not text.startswith("local:"):
        return text, 0
    count = text.partition(":")[2] or str(LOCAL_WORKERS)
    if not count.isdigit() or not 1 <= int(count) <= 512:
        raise ExprError("usage", f"--dask {text}: write local or local:N, N worker processes "
                                 "from 1 to 512")
    return None, int(count)


class Cluster:
    """A Dask client for one batch: on the scheduler at `address`, or on a LocalCluster of
    `local:N` worker processes started here (and stopped, with every process it started, when
    the `with` block ends). `done` counts blocks finished, `total` is set once all are cut."""

    def __init__(self, address: str, timeout: float = CONNECT_SECONDS) -> None:
        self.address = address
        self.timeout = timeout
        self.client: Any = None
        self.local: Any = None
        self.done = 0
        self.submitted = 0
        self.total: int | None = None

    def __enter__(self) -> Cluster:
        import logging

        scheduler, count = parse_address(self.address)
        # We word what goes wrong; Dask's config gives some loggers levels of their own
        # ("distributed.client" warns as it re-gathers a killed worker's blocks).
        for name in ["distributed", *logging.root.manager.loggerDict]:
            if name.split(".")[0] == "distributed":
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            if scheduler is None:
                self.local = _start_local(count)
                self.client = Client(self.local, timeout=self.timeout)
                self.client.register_plugin(DieWithUs(os.getpid()))
            else:
                self.client = Client(scheduler, timeout=self.timeout)
        except (OSError, TimeoutError, RuntimeError) as problem:
            self.__exit__(None)
            what = ("could not start its worker processes" if scheduler is None
                    else "cannot reach a Dask scheduler there")
            raise ExprError("usage", f"--dask {self.address}: {what} "
                                     f"({_reason(problem)})") from None
        except Exception as problem:  # noqa: BLE001 - a bad address, or another server there
            self.__exit__(None)
            raise ExprError("usage", f"--dask {self.address}: no Dask scheduler answered there "
                                     f"({type(problem).__name__}: {_reason(problem)})") from None
        return self

    def __exit__(self, *exc: object) -> None:
        client, local, self.client, self.local = self.client, self.local, None, None
        try:
            if client is not None:
                client.close(timeout=self.timeout)
            if local is not None:
                local.close(timeout=self.timeout)
        except Exception:  # noqa: BLE001, S110 - closing after Ctrl-C may be cut short:
            pass  # whatever it left running is ended below
        finally:
            if local is not None:
                _end_children()

    def threads(self) -> int:
        info = self.client.scheduler_info()
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def block_size(self, total: int | None) -> int:
        if total is None:
            return 1 << 20
        return max(MIN_BLOCK, min(MAX_BLOCK, total // (self.threads() * BLOCKS_PER_THREAD)))

    def outcomes(self, sources: Sequence[str], settings: Settings, stopping: Callable[[], bool],
                 encode: Encode | None = None) -> Generator[Processed | Joined, None, None]:
        """Every line's outcome, in input order, as Batch takes them from `--jobs` workers
        (given `encode`, as its texts: see packed_block)."""
        for block, result in self.run(sources, settings, stopping, packed_block, encode):
            if isinstance(result, KilledWorker):  # it killed every worker it ran on
                yield from lost(list(read_block(block)), None, _KILLED, encode)
                continue
            found = pickle.loads(result)  # noqa: S301 - our own workers' pickle, as Dask's own
            if isinstance(found, Joined):
                yield found
            else:
                yield from found

    def run(self, sources: Sequence[str], settings: Settings, stopping: Callable[[], bool],
            task: Callable[..., Any], *extra: Any) -> Iterator[tuple[Block, Any]]:
        """(block, task(block, settings, *extra)) for every block, in order; a block that
        killed its workers gives the KilledWorker instead of a result."""
        size = self.block_size(known_size(sources))
        cut = enumerate(blocks(sources, label=len(sources) > 1, size=size))
        pending: deque[tuple[Block, Any]] = deque()
        ahead = IN_FLIGHT * self.threads()

        def submit() -> None:
            for index, block in cut:
                if stopping():
                    return
                future = self.client.submit(task, block, settings, *extra, pure=False,
                                            key=f"exprdiff-block-{index}-{os.urandom(6).hex()}")
                future.add_done_callback(self._finished)
                pending.append((block, future))
                self.submitted = index + 1
                return
            self.total = self.submitted

        try:
            for _ in range(ahead):
                submit()
            while pending:
                block, future = pending[0]
                result = self._result(block, future)
                pending.popleft()
                submit()
                yield block, result
        finally:
            for _, future in pending:
                future.cancel()

    def _finished(self, future: Any) -> None:
        self.done += 1

    def _result(self, block: Block, future: Any) -> Any:
        try:
            return future.result()
        except KilledWorker as problem:
            return problem
        except OSError as problem:
            where = block.label or block.path or "the input"
            raise ExprError("usage", f"--dask {self.address}: a worker cannot read {where} "
                                     f"({_reason(problem)}); the workers read each --file at "
                                     "the same path: put the files where every worker sees "
                                     "them") from None
        except (KeyboardInterrupt, ExprError):
            raise
        except Exception as problem:  # noqa: BLE001 - a lost scheduler, exprdiff missing there
            raise ExprError("usage", f"--dask {self.address}: the cluster failed a block "
                                     f"({_reason(problem)}); every worker needs exprdiff "
                                     "installed, the same version as here") from None


def _start_local(count: int) -> Any:
    """A LocalCluster of `count` single-threaded worker processes, no dashboard; they start
    with their standard streams on /dev/null (as does multiprocessing's resource tracker),
    so whoever reads exprdiff's output sees its end when exprdiff ends."""
    import logging

    import dask

    # Dask's statistical profiler samples each worker's stack every 10 ms: 10-15 % of the CPU
    # of a batch, for a dashboard nobody sees here. Set for this process (ours), so a worker
    # the nanny starts again after a crash gets it too.
    dask.config.set({"distributed.worker.profile.enabled": False})
    with children.streams_hidden():
        return LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.CRITICAL)


def _end_children() -> None:
    """Kill what the LocalCluster's close left behind: its worker processes are ours."""
    import multiprocessing

    for process in multiprocessing.active_children():
        process.kill()
        process.join(1.0)


def _reason(problem: BaseException) -> str:
    text = str(problem).strip() or type(problem).__name__
    return text.splitlines()[0]
