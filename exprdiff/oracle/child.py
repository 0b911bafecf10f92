"""Bounded execution: SymPy's work in a forked child process with a time limit and a memory cap.

SymPy cannot be interrupted in a thread, so its work runs in a child process that is killed when
it overruns. One child, an `Oracle`, serves many jobs: it imports SymPy once, then runs each job
sent over its pipe and streams the job's messages back. A job that overruns its limit gets the
child killed; the next job starts a new one. The caller does its own work meanwhile (finite
differences). The child dies with its parent whatever signal ends that, and holds none of its
standard streams or pipes (exprdiff/children.py).

    with Oracle() as oracle:       # or shared(): this process's oracle, kept until it exits
        messages, gave_up = oracle.ask(partials_job, (program, ["x"], {"x": 1.0}, True), 5.0)

The time limit counts SymPy's work, not its start (importing SymPy), which START_LIMIT bounds
apart: a job's verdict must not depend on whether its process was new. A job may yield
("clock",) to start the limit again for its next step (symbolic.points_job: each point). The
first process imports SymPy itself, while its parent gets on with its own work; before a
restart the parent imports SymPy (plainly, once), so that every later start is a fork.
"""

from __future__ import annotations

import _thread
import os
import signal
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from exprdiff import children
from exprdiff.oracle.symbolic import Message, clip
from exprdiff.oracle.symbolic import prepare as prepare_sympy

MEMORY_LIMIT = 3 << 30  # bytes of address space for the SymPy child process
START_LIMIT = 60.0  # seconds a loaded machine may take to fork the child and import SymPy

Job = Callable[..., Iterator[Message]]

_HEADER = struct.Struct(">Q")
_END = object()


class Oracle:
    """A persistent, bounded SymPy process: started on first use (or by `start()`), killed at
    an overrun and started again on the next job, ended by `close()`."""

    def __init__(self, prepare: Callable[[], Callable[[], None]] | None = None) -> None:
        self._prepare = prepare if prepare is not None else prepare_sympy
        self.owner = os.getpid()
        self.pid: int | None = None
        self.starts = 0  # how many processes this oracle has started (tests read it)
        self._inbox = self._outbox = -1  # our ends: jobs out, messages in
        self._buffer = bytearray()
        self._ready = False
        self._lock = _thread.allocate_lock()  # one job at a time, whichever thread asks

    def __enter__(self) -> Oracle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> Oracle:
        """Fork the child now (if it is not running), so that it imports SymPy while the
        caller does its own work."""
        if self.owner != os.getpid():  # inherited through a fork: that child is not ours
            self._forget()
        if self._running():
            return self
        if self.starts:  # a restart (after a hang): SymPy imported here once, then each is a fork
            import sympy  # noqa: F401
        job_read, job_write = os.pipe()
        message_read, message_write = os.pipe()
        parent = children.prepare()
        pid = os.fork()
        if pid == 0:  # the child: it never returns into the caller's code
            status = 0
            try:
                os.close(job_write)
                os.close(message_read)
                _serve(job_read, message_write, parent, self._prepare)
            except BaseException:  # noqa: BLE001 - never unwind into the parent's stack
                status = 1
            finally:
                os._exit(status)
        os.close(job_read)
        os.close(message_write)
        self.pid, self._inbox, self._outbox = pid, message_read, job_write
        self._buffer.clear()
        self._ready = False
        self.starts += 1
        return self

    def ask(self, job: Job, args: tuple[Any, ...], timeout: float,
            meanwhile: Iterable[object] = ()) -> tuple[list[Message], str | None]:
        """`job(*args)`'s messages, run in the child, and why it did not finish (None if it
        did). Each unit of `meanwhile` runs here while the child works; every one runs."""
        work = iter(meanwhile)
        with self._lock:
            try:
                outcome = self._ask(job, args, timeout, work)
            except BaseException:
                self.close()  # a job left running would answer the next one
                raise
        for _ in work:  # the job ended first: the caller's own work still runs to its end
            pass
        return outcome

    def close(self) -> None:
        """Kill the child (between jobs it holds nothing worth waiting for) and reap it."""
        if self.owner != os.getpid():
            self._forget()
        elif self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    # -- the parent's side ------------------------------------------------------------------

    def _ask(self, job: Job, args: tuple[Any, ...], timeout: float,
             work: Iterator[object]) -> tuple[list[Message], str | None]:
        self.start()
        messages: list[Message] = []
        working = True
        sent = False
        deadline = time.monotonic() + START_LIMIT
        while True:
            if self._ready and not sent:
                if not self._send((job, args)):
                    return messages, self._stopped()
                sent = True
                deadline = time.monotonic() + timeout
            for message in self._take():
                tag = message[0]
                if tag == "ready":
                    self._ready = True
                elif tag == "done":
                    return messages, None
                elif tag == "error":
                    if message[2]:  # the child ends itself after this one
                        self.close()
                    return messages, message[1]
                elif tag == "clock":
                    deadline = time.monotonic() + timeout
                else:
                    messages.append(message)
                    if tag == "values":  # a point done: the next one has the whole limit
                        deadline = time.monotonic() + timeout
            if self._ready and not sent:
                continue
            if working:
                working = next(work, _END) is not _END
                if not self._readable(0):
                    continue
            else:
                remaining = deadline - time.monotonic()
                if not self._readable(max(remaining, 0.0)):
                    self.close()
                    if not sent:
                        return messages, f"SymPy did not start within {START_LIMIT:g} s"
                    return messages, (f"SymPy did not finish within the time limit "
                                      f"({timeout:g} s)")
            if not self._receive():
                return messages, self._stopped()

    def _send(self, request: object) -> bool:
        try:
            _write(self._outbox, request)
        except OSError:
            return False
        return True

    def _readable(self, wait: float) -> bool:
        """Whether the child has written (or ended) within `wait` seconds."""
        import math
        import select

        poller = select.poll()  # not select(): a process may hold more than 1024 files
        poller.register(self._inbox, select.POLLIN)
        return bool(poller.poll(math.ceil(wait * 1000)))

    def _receive(self) -> bool:
        """Read what the child has written; False at end-of-file (it is gone)."""
        try:
            chunk = os.read(self._inbox, 1 << 16)
        except OSError:
            chunk = b""
        self._buffer += chunk
        return bool(chunk)

    def _take(self) -> list[Message]:
        """The complete messages in the buffer, taken out of it."""
        import pickle

        buffer, start, found = self._buffer, 0, []
        while len(buffer) - start >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, start)
            end = start + _HEADER.size + size
            if len(buffer) < end:
                break
            found.append(pickle.loads(buffer[start + _HEADER.size:end]))  # noqa: S301 - ours
            start = end
        del buffer[:start]
        return found

    def _stopped(self) -> str:
        code = self._reap()
        return f"the SymPy process stopped unexpectedly (exit code {code})"

    def _running(self) -> bool:
        """Whether the child is alive; a child that ended is reaped (its pipes closed)."""
        if self.pid is None:
            return False
        try:
            ended, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            ended = self.pid
        if ended:
            self.pid = None
            self._reap()
        return not ended

    def _forget(self) -> None:
        """In a forked process: drop the parent's child (its pipe ends are not ours either)."""
        self.pid = None
        self._reap()
        self.owner = os.getpid()

    def _reap(self) -> int | None:
        """Wait for the child (killed or ending) and close our pipe ends; its exit code."""
        code = None
        if self.pid is not None:
            try:
                _, status = os.waitpid(self.pid, 0)
                code = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                pass
        for fd in (self._inbox, self._outbox):
            if fd >= 0:
                os.close(fd)
        self.pid, self._inbox, self._outbox = None, -1, -1
        self._ready = False
        return code


_shared: Oracle | None = None


def shared() -> Oracle:
    """This process's oracle: one SymPy process for every check it makes, started on first use
    and killed when the process exits (or dies: children.py)."""
    global _shared
    if _shared is None or _shared.owner != os.getpid():
        import atexit

        _shared = Oracle()
        atexit.register(_shared.close)
    return _shared


def run_bounded(
    job: Job, args: tuple[Any, ...], timeout: float,
    meanwhile: Callable[[float], None] | None = None,
) -> tuple[list[Message], str | None]:
    """Run `job(*args)` in this process's oracle; its messages and, if it did not finish, the
    reason. `meanwhile(deadline)` runs here while the child works."""
    work = () if meanwhile is None else (meanwhile(time.monotonic() + timeout) for _ in (0,))
    return shared().ask(job, args, timeout, work)


# -- the child's side ---------------------------------------------------------------------------


def _serve(jobs: int, messages: int, parent: int,
           prepare: Callable[[], Callable[[], None]]) -> None:
    """The child's life: prepare (import SymPy), say so, then run jobs until the pipe closes,
    each after what `prepare` returned (SymPy's cache cleared: every job starts alike)."""
    children.die_with_parent(parent)  # else it runs on at full speed after a SIGKILL to exprdiff
    children.detach_standard_streams()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _limit_memory()
    try:
        reset = prepare()
    except Exception as problem:  # noqa: BLE001 - no SymPy: every job's answer is why
        _write(messages, ("error", f"SymPy is not available: {clip(str(problem))}", True))
        return
    _write(messages, ("ready",))
    while (request := _read(jobs)) is not None:
        job, args = request
        reset()
        if _run(job, args, messages):
            return


def _run(job: Job, args: tuple[Any, ...], messages: int) -> bool:
    """Run one job, streaming its messages; True when this process must end after it."""
    try:
        for message in job(*args):
            _write(messages, message)
        _write(messages, ("done",))
    except RecursionError:
        _write(messages, ("error", "the expression is nested too deeply for SymPy", False))
    except MemoryError:
        _write(messages, ("error", f"SymPy ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)",
                          True))
        return True
    except Exception as problem:  # SymPy's own failures become the oracle's reason to give up
        _write(messages, ("error", f"SymPy failed: {type(problem).__name__}: "
                                   f"{clip(str(problem))}", False))
    return False


def _write(fd: int, message: object) -> None:
    import pickle  # here: the caller forks before it loads what the pipe needs

    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read(fd: int) -> Any:
    """The next message on `fd`, or None at end-of-file."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(header)[0])
    import pickle

    return None if body is None else pickle.loads(body)  # noqa: S301 - our parent's


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, min(size - len(data), 1 << 20))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass
