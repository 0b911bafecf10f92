"""Helpers for the reliability tests: a hard time bound per call, the clean-outcome contract,
and the reader of tests/data/hostile.txt.

    from hostile import run_cli, assert_api_clean      # tests/ is on sys.path under pytest

The contract every input must keep (issue 8): exit status 0, 1 or 2; on failure stderr starts
with `error:`; never a traceback, never the CLI's "internal error" fallback; a reported value
or gradient is always finite; and every call ends within its time bound.
"""

from __future__ import annotations

import json
import math
import re
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

import exprdiff
from exprdiff.cli.commands import main

CORPUS = Path(__file__).resolve().parent / "data" / "hostile.txt"


class Hang(BaseException):
    """Raised by the time bound; a BaseException so no `except Exception` in exprdiff hides it."""


@contextmanager
def time_limit(seconds: float, what: object) -> Iterator[None]:
    """Fail with Hang if the block runs longer than `seconds` (SIGALRM: main thread, POSIX)."""

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s for {what!r:.300}")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _no_constants(word: str) -> float:
    raise AssertionError(f"non-finite number {word} in JSON output")


def check_finite_json(text: str) -> None:
    """Every "value" and "gradient" in JSON output is a finite number (NaN/Infinity refused)."""
    data = json.loads(text, parse_constant=_no_constants)
    for item in data if isinstance(data, list) else [data]:
        if "error" in item:
            continue
        assert math.isfinite(item["value"]), item
        assert all(math.isfinite(v) for v in item["gradient"].values()), item


def assert_clean(result: Result, args: Sequence[str], batch: bool = False) -> None:
    """The CLI contract of issue 8 for one invocation (in batch mode failures are records)."""
    shown = f"exprdiff {' '.join(map(repr, args))}"[:400]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{shown} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), f"{shown}: exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output, f"{shown}:\n{result.output}"
    assert "internal error" not in result.stderr, f"{shown}:\n{result.stderr}"
    if batch:
        for line in result.stdout.splitlines():
            record = json.loads(line, parse_constant=_no_constants)
            assert "error" in record or "value" in record, record
            if "error" in record:
                assert record["error"]["kind"] in exprdiff.ExprError.KINDS, record
    elif result.exit_code != 0:
        assert result.stderr.startswith("error:"), f"{shown}: exit {result.exit_code}, " \
            f"stderr {result.stderr[:300]!r}"
    elif "--format" in args and "json" in args and result.stdout.strip():
        check_finite_json(result.stdout)


def run_cli(args: Sequence[str], seconds: float = 10.0, stdin: str | None = None,
            batch: bool = False) -> Result:
    """Invoke `exprdiff ARGS` in-process within `seconds`, and assert the clean contract."""
    with time_limit(seconds, args):
        result = CliRunner().invoke(main, list(args), input=stdin)
    assert_clean(result, args, batch)
    return result


def assert_api_clean(text: str, point: dict[str, float] | None = None,
                     seconds: float = 10.0) -> exprdiff.Result | exprdiff.ExprError:
    """compile + grad through the API: a finite Result or an ExprError, nothing else."""
    with time_limit(seconds, text):
        try:
            compiled = exprdiff.compile(text)
            at = point if point is not None else {name: 0.5 for name in compiled.variables}
            result = compiled.grad(at)
        except exprdiff.ExprError as problem:
            assert problem.kind in exprdiff.ExprError.KINDS, problem.kind
            assert problem.render().startswith("error: "), problem.render()
            return problem
    assert math.isfinite(result.value), (text, result.value)
    assert all(math.isfinite(v) for v in result.gradient.values()), (text, result.gradient)
    return result


# ---- the corpus ---------------------------------------------------------------------------

_REPEAT = re.compile(r"\\\*(\d+)\{([^{}]*)\}")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[\\ntr])")
_SIMPLE = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def decode(line: str) -> str:
    r"""A corpus line → the text it stands for: `\*N{TEXT}` repeats TEXT N times, then `\xHH`,
    `\uHHHH`, `\UHHHHHHHH`, `\\`, `\n`, `\t`, `\r` are escapes (decoded here, never evaluated)."""
    expanded = _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), line)

    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        return _SIMPLE[code] if code in _SIMPLE else chr(int(code[1:], 16))

    return _ESCAPE.sub(one, expanded)


@dataclass(frozen=True)
class Case:
    """One corpus entry: an expression, or (`at: ...` lines) a point for a fixed expression."""

    number: int
    kind: str  # "expr" or "at"
    text: str

    def __str__(self) -> str:
        return f"hostile.txt:{self.number}"


def corpus() -> list[Case]:
    """Every case of tests/data/hostile.txt, in file order (comments and blank lines skipped)."""
    cases = []
    for number, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith("at: "):
            cases.append(Case(number, "at", decode(raw[4:])))
        else:
            cases.append(Case(number, "expr", decode(raw)))
    return cases
