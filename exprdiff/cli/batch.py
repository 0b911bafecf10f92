"""`exprdiff grad -` / `--file F`: batch options -> exprdiff.batch -> record writer -> exit code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exprdiff.batch.evaluate import Settings
from exprdiff.batch.run import run
from exprdiff.errors import ExprError
from exprdiff.points import parse_assignments


def command(expr: str | None, files: Sequence[str], points: Sequence[str], wrt: str | None,
            output: str, *, precision: int | None, strict: bool, check: bool, jobs: int,
            console: Any, timeout: float = 5.0) -> int:
    """`exprdiff grad -` / `--file F`: run the batch, print the summary, return the exit code."""
    import sys

    from exprdiff.errors import ExitCode
    from exprdiff.points import split_assignments
    from exprdiff.render.records import writer

    if output not in ("table", "json", "jsonl", "csv"):
        raise ExprError("usage", f"--format {output} is not available for a batch",
                        hint="use jsonl, csv, json or table")
    if expr not in (None, "-"):
        raise ExprError("usage", "give EXPR or --file, not both",
                        hint="put the expression in the file, or use '-' to read stdin as well")
    sources = (["-"] if expr == "-" else []) + list(files)
    settings = Settings(defaults=tuple(_default_point(text) for text in points),
                        wrt=tuple(split_assignments(wrt)) if wrt is not None else None,
                        strict=strict, check=check, check_timeout=timeout)
    out = writer(output, sys.stdout, console, precision)
    summary = run(sources, settings, out, jobs=jobs, progress=sys.stderr.isatty())
    sys.stdout.flush()  # records before the summary when both go to one terminal
    if summary.interrupted:
        sys.stderr.write(f"exprdiff: interrupted {summary.where()}; {summary.text()}; "
                         "the output is complete up to there\n")
        return ExitCode.INTERRUPTED
    sys.stderr.write(summary.text() + "\n")
    return ExitCode.EVALUATION_FAILED if summary.failed else ExitCode.OK


def _default_point(text: str) -> dict[str, float]:
    try:
        return parse_assignments(text)
    except ExprError as problem:
        raise ExprError("usage", f"--at {text}: {problem.message}") from None
