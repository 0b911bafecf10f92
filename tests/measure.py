"""Run `python -m exprdiff ARGS` in a child process and measure it: its own CPU time and peak
memory (os.wait4's rusage of that very child, which a loaded machine does not inflate the way
it inflates wall time), its wall time, and what it printed.

    from measure import run_measured      # tests/ is on sys.path under pytest

The child's address space is capped (RLIMIT_AS) so a run that blows up ends in a MemoryError
instead of taking the machine with it, and a child past its wall-clock bound is killed.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    code: int  # exit status (-N: killed by signal N)
    cpu: float  # user + system seconds of the child
    wall: float
    rss_mb: float  # peak resident set size
    stdout: bytes
    stderr: str
    timed_out: bool

    def __str__(self) -> str:
        return (f"exit {self.code}, {self.cpu:.2f} s CPU, {self.wall:.2f} s wall, "
                f"{self.rss_mb:.0f} MB peak, {len(self.stdout):,} bytes out"
                + (" (killed: too slow)" if self.timed_out else "")
                + (f"; stderr: {self.stderr[-500:]}" if self.code not in (0, 1) else ""))


def run_measured(args: list[str], *, stdin: str | None = None, seconds: float = 120.0,
                 memory_gb: float = 2.0) -> Measured:
    """`python -m exprdiff ARGS` (stdin from `stdin`), killed after `seconds` of wall time."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("EXPRDIFF_DEBUG", None)
    limit = int(memory_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as inp:
        inp.write((stdin or "").encode())
        inp.seek(0)
        start = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "exprdiff", *args], stdin=inp,
                                 stdout=out, stderr=err, env=env, preexec_fn=cap)  # noqa: S603, PLW1509
        timed_out = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > seconds:
                os.kill(child.pid, signal.SIGKILL)
                timed_out = True
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Measured(child.returncode, usage.ru_utime + usage.ru_stime, wall,
                        usage.ru_maxrss / 1024, out.read(), err.read().decode(errors="replace"),
                        timed_out)
