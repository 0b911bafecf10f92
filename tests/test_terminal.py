"""exprdiff in a real terminal: a pseudo-terminal of a set width, no COLUMNS (issue "What a new
user trips over", items 1, 5 and 10). The width is the terminal's own (TIOCSWINSZ), read by rich
and by exprdiff as a user's terminal would be.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BROKEN = str(ROOT / "samples" / "batch_broken.txt")
_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # bold and colours (NO_COLOR keeps bold): not content


class Terminal:
    """`python -m exprdiff ARGS` with stdin, stdout and stderr on a pseudo-terminal `columns`
    wide; `output` is what the terminal received, styles removed, newlines as "\\n".

    With `stderr=False` stderr is a pipe instead (no progress bar drawn over the table)."""

    def __init__(self, args: list[str], columns: int, stderr: bool = True) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm", NO_COLOR="1")
        env.pop("EXPRDIFF_DEBUG", None)
        self.process = subprocess.Popen([sys.executable, "-m", "exprdiff", *args], cwd=ROOT,
                                        env=env, stdin=slave, stdout=slave,
                                        stderr=slave if stderr else subprocess.DEVNULL,
                                        start_new_session=True)
        os.close(slave)
        self.received = b""

    @property
    def output(self) -> str:
        text = self.received.decode("utf-8", "replace").replace("\r\n", "\n")
        return _STYLE.sub("", text)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def read_until(self, done, timeout: float = 30.0) -> bool:
        """Read until `done(output)` holds or the program ends; whether it held."""
        deadline = time.monotonic() + timeout
        while not done(self.output) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:  # EIO: the program ended and closed the terminal
                    break
                if not chunk:
                    break
                self.received += chunk
        return done(self.output)

    def finish(self, timeout: float = 60.0) -> int:
        self.read_until(lambda _: False, timeout=0)  # nothing pending is lost
        end = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < end:
            self.read_until(lambda _: False, timeout=0.2)
        self.read_until(lambda _: False, timeout=0.5)
        code = self.process.wait(timeout=5)
        os.close(self.master)
        return code


def in_terminal(args: list[str], columns: int, stderr: bool = True) -> tuple[int, str]:
    terminal = Terminal(args, columns, stderr)
    code = terminal.finish()
    return code, terminal.output


# -- item 1: the batch table keeps every column --------------------------------------------------

#: batch_broken.txt's good lines and every number they must show (value, point, gradient).
SHOWN = {"x**2 + 1": ("10", "x=3", "6"),
         "abs(x)": ("0", "x=0", "0"),
         "sin(x)*exp(-t)": ("0.176370799225", "x=0.5", "t=1", "0.32284458245",
                            "-0.176370799225")}


def shown(number: str, output: str) -> bool:
    """`number` (its first 12 characters, then any more digits) stands whole in `output`."""
    pattern = rf"(?:^|[\s(]){re.escape(number[:12])}\d*(?=,|\s|$)"
    return re.search(pattern, output, re.MULTILINE) is not None


@pytest.mark.parametrize("columns", [60, 80, 90, 120])
def test_the_batch_table_never_loses_a_column(columns):
    code, output = in_terminal(["grad", "--file", BROKEN], columns, stderr=False)
    assert code == 1, output  # the sample has broken lines
    lines = output.splitlines()
    assert all(len(line) <= columns for line in lines), "\n".join(
        line for line in lines if len(line) > columns)
    for expression, numbers in SHOWN.items():
        assert expression in output, output
        for number in numbers:  # each in full (any precision), never cut to "0…" or "x…"
            assert shown(number, output), (number, output)
    for kind in ("parse error", "usage error", "domain error"):
        assert kind in output


def test_at_80_columns_the_seeds_are_a_table_with_every_partial():
    seeds = str(ROOT / "samples" / "batch_seeds.txt")
    code, output = in_terminal(["grad", "--file", seeds], 80, stderr=False)
    assert code == 0, output
    assert output.splitlines()[0].split() == ["line", "expression", "at", "value", "gradient",
                                              "note"]
    for partial in ("x1: -4,", "x2: 9,", "x3: 6", "y: 1,", "w: -1,", "x: -2,", "b: -1"):
        assert partial in output, output


# -- item 5: warnings wrap at word boundaries in a terminal, never in a pipe ---------------------

KINK = ["grad", "max(w*x + b, 0) + abs(y)", "--at", "w=1,x=1,b=-1,y=0"]


def test_warnings_wrap_at_word_boundaries_in_a_terminal():
    code, output = in_terminal(KINK, 50)
    assert code == 0, output
    start = next(k for k, line in enumerate(output.splitlines()) if line.startswith("warning:"))
    lines = output.splitlines()[start:]
    assert len(lines) > 2 and all(len(line) <= 50 for line in lines), output
    piped = subprocess.run([sys.executable, "-m", "exprdiff", *KINK], cwd=ROOT,
                           capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "50", "NO_COLOR": "1"})
    warnings = [line for line in piped.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and max(map(len, warnings)) > 50  # one line each in a pipe
    # the same words, cut only between two of them
    assert " ".join(" ".join(lines).split()) == " ".join(" ".join(warnings).split())


def test_batch_notes_wrap_in_a_terminal_and_stay_one_line_in_a_pipe():
    seeds = str(ROOT / "samples" / "batch_seeds.txt")
    _, output = in_terminal(["grad", "--file", seeds], 80, stderr=False)
    note = output[output.index("line 14: warning"):].splitlines()
    assert len(note) > 1 and all(len(line) <= 80 for line in note[:-1])
    piped = subprocess.run([sys.executable, "-m", "exprdiff", "grad", "--file", seeds], cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    notes = [line for line in piped.stdout.splitlines() if line.startswith("line 14:")]
    assert len(notes) == 1 and notes[0].endswith("using 0.5")


# -- item 10: lines typed at `exprdiff grad -` are answered as they arrive ------------------------

def test_each_typed_line_is_answered_before_the_input_ends():
    terminal = Terminal(["grad", "-"], 80)
    try:
        terminal.type("x*y ; x=2, y=3\n")
        assert terminal.read_until(lambda out: "∂f/∂y" in out), terminal.output
        assert "f      6" in terminal.output and "∂f/∂x  3" in terminal.output
        terminal.type("log(x) ; x=-1\n")
        assert terminal.read_until(lambda out: "domain error" in out), terminal.output
        assert "processed" not in terminal.output  # the input has not ended yet
        terminal.type("\x04")  # Ctrl-D: end of input
        code = terminal.finish()
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
    assert code == 1
    assert "processed 2 lines: 1 ok, 1 failed" in terminal.output


def test_warnings_on_stderr_wrap_in_a_terminal_and_stay_one_line_in_a_pipe():
    args = ["graph", "max(w*x + b, 0) + abs(y)", "--at", "w=1,x=1,b=-1,y=0"]
    code, output = in_terminal(args, 50)
    assert code == 0, output
    lines = output.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("warning:"))
    assert len(lines) - start > 2 and all(len(line) <= 50 for line in lines[start:]), output
    piped = subprocess.run([sys.executable, "-m", "exprdiff", *args], cwd=ROOT,
                           capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "50", "NO_COLOR": "1"})
    warnings = piped.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning:") for w in warnings)
    assert " ".join(" ".join(lines[start:]).split()) == " ".join(" ".join(warnings).split())
