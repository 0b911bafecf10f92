"""`exprdiff grad -` / `--file F`: batch options → exprdiff.batch → a record writer → exit code.

The library hands over each line's records in input order; here they go to the writer of
`--format` (the registry, render/formats.py), a progress bar is drawn when stderr is a
terminal, and the summary and the exit code are chosen.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from exprdiff.batch.evaluate import Encode, Settings
from exprdiff.batch.lines import known_size
from exprdiff.batch.run import Batch, Summary
from exprdiff.errors import ExitCode, ExprError, printable
from exprdiff.points import parse_assignments, split_assignments
from exprdiff.render.formats import Options, Writer, writer


def command(expr: str | None, files: Sequence[str], points: Sequence[str], wrt: str | None,
            output: str, *, precision: int | None, strict: bool, check: bool, jobs: int,
            console: Callable[[], Any], timeout: float = 5.0, dask: str | None = None,
            output_dir: str | None = None) -> int:
    """`exprdiff grad -` / `--file F`: run the batch, print the summary, return the exit code.

    The options are checked already (cli/modes.py): `expr` is `-` or None, `output` a batch's.
    `console` makes the rich console, called only by a writer that draws (the table): JSON
    Lines and CSV never load rich (a fifth of a small batch's start-up).
    With `dask` (an address, or local[:N]) the blocks run on a Dask cluster (cli/dask.py).
    """
    sources = (["-"] if expr == "-" else []) + list(files)
    settings = Settings(defaults=tuple(_default_point(text) for text in points),
                        wrt=tuple(split_assignments(wrt)) if wrt is not None else None,
                        strict=strict, check=check, check_timeout=timeout)
    # Lines typed at a terminal: each record is shown as its line arrives (not at the end), and
    # evaluated here, as workers would wait for a chunk of 256 lines.
    live = "-" in sources and _typed(sys.stdin)
    total = known_size(sources) if sys.stderr.isatty() else None
    options = Options("batch", console=console, precision=precision, live=live)
    if dask is not None:
        from exprdiff.cli import dask as cluster

        cluster.refuse_typed(live)
        with cluster.cluster(dask, output_dir) as engine:
            if output_dir is not None:
                return _report(cluster.write_parts(engine, sources, settings, output, output_dir))
            out = writer(output, sys.stdout, options)
            return _run(Batch(sources, settings, engine=engine, encode=_encode(out)), out,
                        total, cluster.blocks_text(engine))
    out = writer(output, sys.stdout, options)
    encode = _encode(out)
    return _run(Batch(sources, settings, jobs=1 if live else jobs, encode=encode), out, total)


def _encode(out: Writer) -> Encode | None:
    """A writer that encodes each record on its own (json, jsonl) has the batch (its --jobs or
    Dask workers) do it: then the records come as texts."""
    return getattr(out, "encode", None)


def _run(batch: Batch, out: Writer, total: int | None,
         blocks: Callable[[], str] | None = None) -> int:
    with batch:
        try:
            _write(batch, out, total, blocks)
        finally:
            out.finish()  # also after a second Ctrl-C: CSV and the table show what was done
    return _report(batch.summary)


def _write(batch: Batch, out: Writer, total: int | None,
           blocks: Callable[[], str] | None) -> None:
    write = out.write if batch.encode is None else out.write_text  # type: ignore[attr-defined]
    with _progress_bar(total, blocks) as advance:  # gone before the table or summary is printed
        for records in batch.lines():
            for record in records:
                write(record)
            out.flush()
            advance(batch.summary)


def _report(summary: Summary) -> int:
    sys.stdout.flush()  # records before the summary when both go to one terminal
    if summary.interrupted:
        sys.stderr.write(f"exprdiff: interrupted {printable(summary.where())}; {summary.text()}; "
                         "the output is complete up to there\n")
        return ExitCode.INTERRUPTED
    sys.stderr.write(summary.text() + "\n")
    return ExitCode.EVALUATION_FAILED if summary.failed else ExitCode.OK


def _typed(stream: Any) -> bool:
    """Whether `stream` is a terminal (someone typing), not a pipe or a file."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


def _default_point(text: str) -> dict[str, float]:
    try:
        return parse_assignments(text)
    except ExprError as problem:
        raise ExprError("usage", f"--at {text}: {problem.message}") from None


@contextmanager
def _progress_bar(total: int | None, blocks: Callable[[], str] | None = None,
                  ) -> Iterator[Callable[[Summary], None]]:
    """A rich bar on stderr over `total` input bytes (and `blocks()`, the blocks a cluster
    has done); a no-op without a total."""
    if not total:
        yield lambda summary: None
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

    columns = [BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[lines]:,} lines")]
    if blocks is not None:
        columns.append(TextColumn("{task.fields[blocks]}"))
    bar = Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("lines", total=total, lines=0, blocks="")
    shown = 0.0

    def advance(summary: Summary) -> None:
        nonlocal shown
        now = time.monotonic()
        if now - shown > 0.1:  # a refresh per record would cost more than the record
            shown = now
            bar.update(task, completed=summary.bytes_done, lines=summary.lines,
                       blocks=blocks() if blocks is not None else "")

    with bar:
        yield advance
