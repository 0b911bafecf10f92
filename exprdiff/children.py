"""Child processes that die with exprdiff, whatever signal it gets (SPEC §8).

A process killed with SIGKILL runs no cleanup, so a child must not count on its parent to stop
it. In the parent, before the fork: `parent = prepare()`. In the child, first thing:
`die_with_parent(parent)` and `detach_standard_streams()`. For a program we exec (Graphviz),
`before_exec()` does the same between fork and exec.

On Linux the kernel sends the child SIGKILL when the thread that forked it ends
(prctl(PR_SET_PDEATHSIG)); if the parent died before the child asked, the child finds another
parent already and exits. Elsewhere a thread in the child polls its parent's pid. The child's
stdin, stdout and stderr go to /dev/null, so whoever reads exprdiff's output sees end-of-file
when exprdiff itself ends, not when its last child does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
SIGKILL = 9  # signal.SIGKILL, which Windows does not define
POLL_SECONDS = 0.25  # how often a child without prctl looks for its parent
ORPHANED = 128 + SIGKILL  # a child that finds its parent gone exits as if killed

_prctl: Any = None  # libc's prctl, looked up in the parent: no dlopen between fork and exec
_looked_up = False


def prepare() -> int:
    """This process's pid, for its children to watch; call it before forking or spawning."""
    _lookup_prctl()
    return os.getpid()


def die_with_parent(parent: int) -> None:
    """In a child: end with `parent` (the pid from `prepare()`), and now if it is already gone."""
    _lookup_prctl()  # a no-op after a fork; a spawned child looks it up itself
    if not _set_death_signal():
        import threading

        threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # it died before the death signal was set: nobody will send it
        os._exit(ORPHANED)


def detach_standard_streams() -> None:
    """In a child: stdin, stdout and stderr on /dev/null, so it holds none of the caller's
    terminal or pipes (and a buffer copied at the fork is never written twice)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    if null > 2:
        os.close(null)


@contextmanager
def streams_hidden() -> Iterator[None]:
    """While it lasts, this process's stdin, stdout and stderr are /dev/null: children started
    by code we do not control (Dask's LocalCluster, multiprocessing's resource tracker) inherit
    that, not the caller's terminal or pipes. Start no thread that prints meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in (0, 1, 2)]  # not inheritable: no child gets these
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        yield
    finally:
        for fd, copy in zip((0, 1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)


def before_exec() -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess` that makes the program die with this process (Linux);
    None elsewhere. It only calls prctl and getppid, both looked up beforehand."""
    parent = prepare()
    if _prctl is None:
        return None

    def in_child() -> None:
        _set_death_signal()
        if os.getppid() != parent:
            os._exit(ORPHANED)

    return in_child


def _lookup_prctl() -> None:
    global _prctl, _looked_up
    if _looked_up:
        return
    _looked_up = True
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                          ctypes.c_ulong]
        prctl.restype = ctypes.c_int
    except (ImportError, OSError, AttributeError):
        return
    _prctl = prctl


def _set_death_signal() -> bool:
    if _prctl is None:
        return False
    return bool(_prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0)


def _watch(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(ORPHANED)
