"""Batch: lines of expressions (and points) → records, in input order; a bad line never stops it.

A line is `EXPR`, `EXPR ; x=1, y=2`, `EXPR ; x=1 ; x=2` or a JSON object
`{"expr": "...", "at": {...}}`; blank lines and `#` comments are skipped. Every (line, point)
gives one record: the result's JSON object of SPEC §4 with `"line"`, or an error record
`{"line": N, "expression": ..., "error": {"kind", "message", "column"}}`. Compiled graphs are
cached by expression text, so one expression at many points is parsed once.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from exprdiff.api import Compiled, compile
from exprdiff.errors import ExprError, usage
from exprdiff.forward import forward
from exprdiff.points import parse_assignments
from exprdiff.reverse import reverse

Record = dict[str, Any]
#: What one input line gave: its records and whether any of them failed.
Outcome = tuple[list[Record], bool]
#: (file label, line number, bytes read, outcome or None for a blank/comment line)
Processed = tuple[str | None, int, int, Outcome | None]

_CACHE_SIZE = 4096
_JSON_KEYS = ("expr", "at")


@dataclass(frozen=True, slots=True)
class Settings:
    """The options every line is evaluated with (picklable, for the worker processes)."""

    defaults: tuple[dict[str, float], ...] = ()  # --at: the points of lines that give none
    wrt: tuple[str, ...] | None = None
    strict: bool = False
    check: bool = False
    check_timeout: float = 5.0


class Evaluator:
    """Evaluates lines; keeps compiled graphs by expression text (parse errors too)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[str, Compiled | ExprError] = {}

    def compiled(self, text: str) -> Compiled | ExprError:
        """The graph of `text`, or why there is none (both remembered; never re-raised, so a
        cached error's traceback cannot grow)."""
        entry = self._cache.get(text)
        if entry is None:
            try:
                entry = compile(text)
            except ExprError as problem:
                problem.__traceback__ = None
                entry = problem
            if len(self._cache) >= _CACHE_SIZE:
                del self._cache[next(iter(self._cache))]  # oldest first: cheap and good enough
            self._cache[text] = entry
        return entry

    def line(self, number: int, raw: bytes, file: str | None = None) -> Outcome | None:
        """The records of input line `number` (None for a blank or comment line)."""
        head: Record = {"line": number} if file is None else {"file": file, "line": number}
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as problem:
            message = f"the line is not UTF-8 text (byte {problem.start + 1})"
            return [_error(head, raw.decode("utf-8", "replace").strip(),
                           ExprError("parse", message, column=problem.start + 1))], True
        if not text or text.startswith("#"):
            return None
        expression = text
        try:
            expression, points = split_line(text)
            compiled = self.compiled(expression)
        except ExprError as problem:
            return [_error(head, expression, problem)], True
        except Exception as problem:  # noqa: BLE001 - one line never stops the batch
            return [_error(head, expression, _internal(problem))], True
        if isinstance(compiled, ExprError):
            return [_error(head, expression, compiled)], True
        return self._points(head, compiled, points)

    def _points(self, head: Record, compiled: Compiled,
                points: Sequence[str | Mapping[str, Any]]) -> Outcome:
        records: list[Record] = []
        failed = False
        try:
            chosen = self._point_list(compiled, points)
        except ExprError as problem:
            return [_error(head, compiled.source, problem)], True
        for point in chosen:
            at: Mapping[str, Any] | None = None
            try:
                at = read_point(point, compiled.variables) if isinstance(point, str) else point
                record = self._evaluate(head, compiled, at)
            except ExprError as problem:
                record = _error(head, compiled.source, problem, at)
            except Exception as problem:  # noqa: BLE001 - one line never stops the batch
                record = _error(head, compiled.source, _internal(problem), at)
            failed = failed or "error" in record or ("check" in record
                                                     and not record["check"].get("ok"))
            records.append(record)
        return records, failed

    def _point_list(self, compiled: Compiled,
                    points: Sequence[str | Mapping[str, Any]],
                    ) -> Sequence[str | Mapping[str, Any]]:
        if points:
            return points
        names = compiled.variables
        if self.settings.defaults:
            return [{n: v for n, v in d.items() if n in names} for d in self.settings.defaults]
        if not names:
            return [{}]
        example = ", ".join(f"{n}=1" for n in names[:4])
        raise usage(f"no point given: write '{compiled.source} ; {example}' or pass --at", names)

    def _evaluate(self, head: Record, compiled: Compiled, at: Mapping[str, Any]) -> Record:
        tape = compiled.tape
        inputs = tape.inputs
        settings = self.settings
        if (not tape.kink_nodes and settings.wrt is None and not settings.check
                and len(at) == len(inputs) and all(name in at for name in inputs)):
            # The common case, without Result's bookkeeping: the same sweeps and the same
            # record as Result.to_dict() (tests/test_batch.py holds the two paths equal).
            # Every point reaching here holds finite floats (read_point, _json_point, --at).
            point = [at[name] for name in inputs]
            values = forward(tape, point)
            adjoints = reverse(tape, values)
            return head | {"expression": compiled.source, "at": {n: at[n] for n in inputs},
                           "value": values[tape.output],
                           "gradient": {name: adjoints[i] for name, i in inputs.items()},
                           "warnings": []}
        result = compiled.grad(at, wrt=settings.wrt, strict=settings.strict)
        if settings.check:
            result = result.checked(timeout=settings.check_timeout)
        return head | result.to_dict()


def read_point(text: str, variables: Sequence[str]) -> dict[str, float]:
    """`x=1, y=2.5` → {"x": 1.0, "y": 2.5}: a fast path for plain numbers; anything else
    (constants like `pi/4`, mistakes) goes to points.parse_assignments, with its messages."""
    point: dict[str, float] = {}
    parts = text.split(",")
    try:
        for part in parts:
            name, _, value = part.partition("=")
            point[name.strip()] = float(value)
    except ValueError:
        return parse_assignments(text, variables)
    if len(point) == len(parts) and "" not in point and _finite(point.values()):
        return point
    return parse_assignments(text, variables)


def _finite(values: Any) -> bool:
    total = sum(values)
    return total - total == 0.0 or all(math.isfinite(v) for v in values)


def split_line(text: str) -> tuple[str, list[str | Mapping[str, Any]]]:
    """`EXPR ; x=1 ; x=2` → (EXPR, ["x=1", "x=2"]); a JSON object line → (expr, its points)."""
    if text.startswith("{"):
        return _json_line(text)
    expression, _, rest = text.partition(";")
    expression = expression.strip()
    if not expression:
        raise ExprError("parse", "the line has points but no expression before ';'", column=1)
    points: list[str | Mapping[str, Any]] = [p for p in rest.split(";") if p.strip()]
    return expression, points


def _json_line(text: str) -> tuple[str, list[str | Mapping[str, Any]]]:
    try:
        data = json.loads(text)
    except ValueError as problem:
        column = getattr(problem, "colno", None)
        reason = getattr(problem, "msg", str(problem))
        raise ExprError("parse", f"the line starts with '{{' but is not valid JSON: {reason}",
                        column=column) from None
    example = '{"expr": "x**2", "at": {"x": 1}}'
    if not isinstance(data, dict):
        raise ExprError("usage", f"a JSON line must be an object like {example}")
    unknown = [key for key in data if key not in _JSON_KEYS]
    if unknown:
        raise ExprError("usage", f"unknown key '{unknown[0]}' in the JSON line "
                        f'(it may hold "expr" and "at": {example})')
    if not isinstance(data.get("expr"), str):
        raise ExprError("usage", f'a JSON line needs "expr" as a string: {example}')
    at = data.get("at")
    points = at if isinstance(at, list) else [] if at is None else [at]
    for point in points:
        if not isinstance(point, dict):
            raise ExprError("usage", '"at" must be an object like {"x": 1} or a list of them')
    return data["expr"].strip(), [_json_point(p) for p in points]


def _json_point(point: dict[str, Any]) -> Mapping[str, Any]:
    """Numbers stay numbers; a string value may be a constant expression (`"pi/4"`)."""
    values: dict[str, Any] = {}
    for name, value in point.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ExprError("usage", f"the value of {name} must be a number, not {value!r}")
        if isinstance(value, str):
            values[name] = parse_assignments(f"{name}={value}")[name]
        elif math.isfinite(value):
            values[name] = float(value)
        else:  # JSON's 1e999 reads as inf
            raise ExprError("usage", f"the value of {name} must be a finite number, not {value}")
    return values


def _error(head: Record, expression: str, problem: ExprError,
           at: Mapping[str, Any] | None = None) -> Record:
    """`at` is there when the point was read (a bad point's own text is in the message)."""
    record = head | {"expression": expression}
    if at is not None:
        record["at"] = dict(at)
    record["error"] = problem.to_dict()
    return record


def error_record(head: Record, expression: str, kind: str, message: str) -> Record:
    """An error record made up outside ExprError (a lost worker, say)."""
    return _error(head, expression, ExprError(kind, message))


def _internal(problem: Exception) -> ExprError:
    if os.environ.get("EXPRDIFF_DEBUG"):
        raise problem
    return ExprError("internal", f"internal error ({type(problem).__name__}: {problem}); "
                     "this is a bug in exprdiff: please report the line")


# -- reading ------------------------------------------------------------------------------------

Chunk = list[tuple[str | None, int, bytes]]


def read_lines(sources: Sequence[str], *, label: bool) -> Iterator[tuple[str | None, int, bytes]]:
    """(file label or None, 1-based line number, raw bytes) for every line of every source."""
    import sys

    for source in sources:
        name = ("<stdin>" if source == "-" else source) if label else None
        if source == "-":
            yield from _numbered(name, sys.stdin.buffer)
        else:
            with open(source, "rb") as stream:
                yield from _numbered(name, stream)


def _numbered(name: str | None, stream: Any) -> Iterator[tuple[str | None, int, bytes]]:
    for number, raw in enumerate(stream, 1):
        yield name, number, raw


def known_size(sources: Sequence[str]) -> int | None:
    """Total bytes when every source is a regular file (stdin redirected from one counts)."""
    import stat
    import sys

    total = 0
    for source in sources:
        try:
            info = os.fstat(sys.stdin.fileno()) if source == "-" else os.stat(source)
        except (OSError, ValueError, AttributeError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        total += info.st_size
    return total


# -- running ------------------------------------------------------------------------------------



@dataclass(slots=True)
class Summary:
    """How far a run got: expression lines, records written, failed lines, the last line done."""

    lines: int = 0
    records: int = 0
    failed: int = 0
    last: tuple[str | None, int] | None = None
    interrupted: bool = False

    def text(self) -> str:
        extra = f" ({self.records} results)" if self.records != self.lines else ""
        return (f"processed {self.lines} lines{extra}: {self.lines - self.failed} ok, "
                f"{self.failed} failed")

    def where(self) -> str:
        if self.last is None:
            return "before the first line"
        file, number = self.last
        return f"after line {number}" + (f" of {file}" if file else "")


class Writer(Protocol):
    """What a record renderer offers the runner (render/records.py has them)."""

    def write(self, record: Record) -> None: ...

    def flush(self) -> None: ...

    def finish(self) -> None: ...


def run(sources: Sequence[str], settings: Settings, writer: Writer, *, jobs: int = 1,
        progress: bool = False) -> Summary:
    """Evaluate every line of `sources` and hand the records to `writer`, in input order.

    SIGINT stops at the next record boundary (`summary.interrupted`); everything written is
    whole. `progress` shows a bar on stderr when the inputs' total size is known.
    """
    summary = Summary()
    jobs = jobs or os.cpu_count() or 1
    lines = read_lines(sources, label=len(sources) > 1)
    workers = None
    try:
        if jobs > 1:  # started before any progress thread: forking with threads about is unsafe
            from exprdiff.batch.workers import Workers

            workers = Workers(settings, jobs)
        _drive(sources, settings, writer, lines, workers, summary, progress)
    finally:
        if workers is not None:
            workers.stop()
    return summary


def _drive(sources: Sequence[str], settings: Settings, writer: Writer,
           lines: Iterator[tuple[str | None, int, bytes]], workers: Any, summary: Summary,
           progress: bool) -> None:
    total = known_size(sources) if progress else None
    with _Interrupts() as interrupts:
        if workers is None:
            outcomes = _serial(lines, settings)
        else:
            from exprdiff.batch.workers import parallel

            outcomes = parallel(workers, lines, settings, lambda: interrupts.pending)
        try:
            with _progress_bar(total) as advance:  # gone before the table or summary is printed
                for file, number, size, outcome in outcomes:
                    interrupts.busy = True  # a SIGINT now waits until these records are out
                    if outcome is not None:
                        records, failed = outcome
                        for record in records:
                            writer.write(record)
                        writer.flush()
                        summary.lines += 1
                        summary.records += len(records)
                        summary.failed += failed
                    summary.last = (file, number)
                    advance(size)
                    interrupts.busy = False
                    if interrupts.pending:
                        summary.interrupted = True
                        break
        except KeyboardInterrupt:  # raised only between records (reading, evaluating, waiting)
            summary.interrupted = True
        finally:
            interrupts.busy = True
            outcomes.close()
        writer.finish()


def _serial(lines: Iterator[tuple[str | None, int, bytes]], settings: Settings,
            ) -> Generator[Processed, None, None]:
    evaluator = Evaluator(settings)
    for file, number, raw in lines:
        yield file, number, len(raw), evaluator.line(number, raw, file)


class _Interrupts:
    """SIGINT between records stops at once (KeyboardInterrupt); while records are being
    written it is held until they are out (`pending`); a second SIGINT never waits."""

    def __init__(self) -> None:
        self.pending = False
        self.busy = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.busy and not self.pending:
            self.pending = True
            return
        self.pending = True
        raise KeyboardInterrupt

    def __enter__(self) -> _Interrupts:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@contextmanager
def _progress_bar(total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich bar on stderr over `total` input bytes; a no-op without a total."""
    if not total:
        yield lambda size: None
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

    bar = Progress(BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[lines]:,} lines"),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("lines", total=total, lines=0)
    state = {"done": 0, "lines": 0, "shown": 0.0}

    def advance(size: int) -> None:
        state["done"] += size
        state["lines"] += 1
        now = time.monotonic()
        if now - state["shown"] > 0.1:  # a refresh per record would cost more than the record
            state["shown"] = now
            bar.update(task, completed=state["done"], lines=state["lines"])

    with bar:
        yield advance


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
