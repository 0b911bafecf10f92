"""Bounded execution: SymPy's work in a forked child process with a time limit and a memory cap.

SymPy cannot be interrupted in a thread, so bounded work runs in a forked child process that is
killed at the deadline; the caller's own result stands either way. The parent does its own work
meanwhile (finite differences). The child dies with the parent whatever signal ends it, and holds
none of its standard streams (exprdiff/children.py).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from typing import Any

from exprdiff import children

MEMORY_LIMIT = 3 << 30  # bytes of address space for the SymPy child process

Message = tuple[Any, ...]


def clip(text: str, width: int = 80) -> str:
    """`text`, cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def run_bounded(
    job: Callable[..., Iterator[Message]], args: tuple[Any, ...], timeout: float,
    meanwhile: Callable[[float], None] | None = None,
) -> tuple[list[Message], str | None]:
    """Run `job(*args)` in a forked child; its messages and, if it did not finish, the reason.

    `meanwhile(deadline)` runs in the parent while the child works (finite differences). The
    limit counts from the call: importing SymPy (once per process) is inside it."""
    deadline = time.monotonic() + timeout
    import sympy  # noqa: F401 - imported once in the parent, inherited by every forked child

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, daemon=True,
                              args=(sender, receiver, children.prepare(), job, args))
    process.start()
    sender.close()
    messages: list[Message] = []
    reason: str | None = None
    try:
        if meanwhile is not None:
            meanwhile(deadline)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiver.poll(remaining):
                reason = f"SymPy did not finish within the time limit ({timeout:g} s)"
                break
            try:
                message = receiver.recv()
            except EOFError:
                process.join(0.5)
                reason = f"the SymPy process stopped unexpectedly (exit code {process.exitcode})"
                break
            if message[0] == "done":
                break
            if message[0] == "error":
                reason = message[1]
                break
            messages.append(message)
    finally:
        if process.is_alive():
            process.kill()
        process.join(2.0)
        receiver.close()
    return messages, reason


def _child(sender: Any, receiver: Any, parent: int, job: Callable[..., Iterator[Message]],
           args: tuple[Any, ...]) -> None:
    children.die_with_parent(parent)  # else it runs on at full speed after a SIGKILL to exprdiff
    children.detach_standard_streams()
    receiver.close()
    try:
        _limit_memory()
        for message in job(*args):
            sender.send(message)
        sender.send(("done",))
    except RecursionError:
        sender.send(("error", "the expression is nested too deeply for SymPy"))
    except MemoryError:
        sender.send(("error", f"SymPy ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)"))
    except Exception as problem:  # SymPy's own failures become the oracle's reason to give up
        sender.send(("error", f"SymPy failed: {type(problem).__name__}: {clip(str(problem))}"))
    finally:
        sender.close()


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass

