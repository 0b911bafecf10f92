"""Evaluating batch lines: one input line → its records; a bad line never stops the batch.

Every (line, point) gives one record: the result's JSON object of SPEC §4 with `"line"`, or an
error record `{"line": N, "expression": ..., "error": {"kind", "message", "column"}}`. Compiled
graphs are cached by expression text, so one expression at many points is parsed once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exprdiff.api import Compiled, Result, compile, compile_with
from exprdiff.batch.lines import Line, json_line, read_point, split_line
from exprdiff.batch.swept import SHAPE, SWEEP, Lane, lane, shaped, swept, take
from exprdiff.errors import ExprError, usage
from exprdiff.forward import forward
from exprdiff.reverse import reverse
from exprdiff.syntax.shapes import Shapes
from exprdiff.tape import Tape

Record = dict[str, Any]
#: What one input line gave: its records (or their texts, see Encode) and whether any failed.
Outcome = tuple[list[Any], bool]
#: A record's text as the chosen writer writes it (a writer's `encode`): given one, a batch
#: hands over texts instead of records, and --jobs workers send text back, not records.
Encode = Callable[[Record], str]
#: An encode's `plain`: (line, file or None, expression, variables, (*point, value, *partials))
#: → the common record's text, or None where the record must be made and encoded.
Plain = Callable[[int, "str | None", str, "tuple[str, ...]", "tuple[float, ...]"], "str | None"]
#: (file label, line number, bytes read, outcome or None for a blank/comment line)
Processed = tuple[str | None, int, int, Outcome | None]


class Block:
    """A --jobs worker's chunk of lines as one text (given an Encode): every record's text
    joined, with what the summary counts. The main process then writes one text a chunk and
    counts once, where a tuple a line made it the bottleneck (batch/workers.py)."""

    __slots__ = ("text", "lines", "records", "failed", "last", "size")

    def __init__(self, text: str, lines: int, records: int, failed: int,
                 last: tuple[str | None, int], size: int) -> None:
        self.text = text
        self.lines = lines  # expression lines (blank and comment lines give no outcome)
        self.records = records
        self.failed = failed  # lines with a failed record
        self.last = last  # (file label, number) of the chunk's last line
        self.size = size  # bytes read

    def __reduce__(self) -> tuple[Any, ...]:
        return Block, (self.text, self.lines, self.records, self.failed, self.last, self.size)

#: A point's result waiting for --check: its record's index, the point as read, the result.
Pending = tuple[int, Mapping[str, Any], Result]

_CACHE_SIZE = 4096
@dataclass(frozen=True, slots=True)
class Settings:
    """The options every line is evaluated with (picklable, for the worker processes)."""

    defaults: tuple[dict[str, float], ...] = ()  # --at: the points of lines that give none
    wrt: tuple[str, ...] | None = None
    strict: bool = False
    check: bool = False
    check_timeout: float = 5.0
    #: --check simplifies SymPy's printed partials only when asked: simplify() costs 0.1 s a
    #: line and more (docs/oracle.md), ten times the rest of a check.
    simplify: bool = False


class Evaluator:
    """Evaluates lines; keeps compiled graphs by expression text (parse errors too).

    Given the writer's `encode`, and that it has a `plain` (JSON Lines: render/jsonl.Encode), a
    common record is written straight from its numbers, unmade: the outcome then holds its
    text, and `encoded` leaves a text as it is.
    """

    def __init__(self, settings: Settings, encode: Encode | None = None) -> None:
        self.settings = settings
        self._cache: dict[str, Compiled | ExprError] = {}
        self._plain: Plain | None = getattr(encode, "plain", None)
        self._shapes = Shapes()
        #: text before ';' → its expression's lane (batch/swept.py): repeated lines, lean
        self._lanes: dict[str, Lane] = {}
        #: a shape's one sweep function is generated: new texts of it may take a lane too
        self._shaped = False
        #: what a lane needs of the settings: the common record, written from its numbers
        self._lean = (self._plain is not None and not settings.check and settings.wrt is None)

    def compiled(self, text: str) -> Compiled | ExprError:
        """The graph of `text`, or why there is none (both remembered; never re-raised, so a
        cached error's traceback cannot grow)."""
        entry = self._cache.get(text)
        if entry is None:
            try:
                entry = self._compile(text)
            except ExprError as problem:
                problem.__traceback__ = None
                if problem.kind == "limit" and "--max-size" in (problem.hint or ""):
                    # (a batch refuses --max-size: say what does work)
                    problem.hint = ("a batch line keeps this limit: give the expression as "
                                    "EXPR with --max-size N, or use compile(text, "
                                    "limits=Limits(max_size=N)) in Python")
                entry = problem
            if len(self._cache) >= _CACHE_SIZE:
                del self._cache[next(iter(self._cache))]  # oldest first: cheap and good enough
            self._cache[text] = entry
        return entry

    def _compile(self, text: str) -> Compiled:
        """compile(text): with --check the tree too; otherwise from the parse of an earlier
        line of the same shape (numbers aside) when there is one (syntax/shapes.py)."""
        if self.settings.check:
            return compile(text, tree=True)
        return compile_with(text, self._parse)

    def _parse(self, text: str) -> Tape:
        tape, shared = self._shapes.parse_shared(text)
        if shared is not None:
            tape.memo[SHAPE] = shared
        return tape

    def line(self, number: int, raw: bytes, file: str | None = None) -> Outcome | None:
        """The records of input line `number` (None for a blank or comment line)."""
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as problem:
            head: Record = {"line": number} if file is None else {"file": file, "line": number}
            message = f"the line is not UTF-8 text (byte {problem.start + 1})"
            return [_error(head, raw.decode("utf-8", "replace").strip(),
                           ExprError("parse", message, column=problem.start + 1))], True
        if not text or text.startswith("#"):
            return None
        if self._lanes:
            before, _, rest = text.partition(";")
            found = self._lanes.get(before)
            if found is not None:
                made = take(found, rest, number, file, self._plain)  # type: ignore[arg-type]
                if made is not None:
                    return [made], False
        if self._shaped and "#" not in text and not text.startswith("{"):
            before, _, rest = text.partition(";")
            expression = before.strip()
            if expression not in self._cache:  # a new text (a known one has its own lane)
                found = shaped(self._shapes, expression)
                if found is not None:
                    made = take(found, rest, number, file, self._plain)  # type: ignore[arg-type]
                    if made is not None:
                        self._open_lane(before, found)  # should the text come again
                        return [made], False
        head = {"line": number} if file is None else {"file": file, "line": number}
        expression = text
        claims = None
        try:
            if text.startswith("{"):
                expression, points, claims = json_line(text)
            else:
                expression, points = split_line(text)
            compiled = self.compiled(expression)
        except ExprError as problem:
            return [_error(head, expression, problem)], True
        except Exception as problem:  # noqa: BLE001 - one line never stops the batch
            return [_error(head, expression, _internal(problem))], True
        if isinstance(compiled, ExprError):
            return [_error(head, expression, compiled)], True
        if claims is not None:
            return self._expect(head, expression, claims, points)
        # generated code made before this line: the text comes again (a line of new text,
        # say of a shape already swept, never opens a lane it would not use)
        ready = lane(compiled.tape, compiled.source)
        outcome = self._points(head, compiled, points)
        if (ready is not None and len(points) == 1 and type(outcome[0][0]) is str
                and "#" not in text and not text.startswith("{")):
            self._open_lane(text.partition(";")[0], ready)
        if not self._shaped and self._lean:
            shared = compiled.tape.memo.get(SHAPE)
            self._shaped = shared is not None and callable(shared.get(SWEEP))
        return outcome

    def _open_lane(self, before: str, found: Lane) -> None:
        """A line `before ; x=…` whose common record was written from its numbers by generated
        code: its next such lines take the expression's lane (swept.take)."""
        if len(self._lanes) >= _CACHE_SIZE:
            self._lanes.clear()
        self._lanes[before] = found

    def _expect(self, head: Record, expression: str, claims: str,
                points: Sequence[str | Mapping[str, Any]]) -> Outcome:
        """A JSON line's "expect": one record with every claim's verdict (`grad --expect`),
        at the line's points or at 20 seeded random points; it fails when a claim is wrong."""
        from exprdiff.expect import expect

        try:
            compiled = compile(expression, tree=True)  # SymPy's formula for a wrong claim
            chosen = [read_point(p, compiled.variables) if isinstance(p, str) else dict(p)
                      for p in points] or None
            found = expect(compiled, claims, chosen, timeout=self.settings.check_timeout)
        except ExprError as problem:
            return [_error(head, expression, problem)], True
        except Exception as problem:  # noqa: BLE001 - one line never stops the batch
            return [_error(head, expression, _internal(problem))], True
        return [head | {"expression": compiled.source, "expect": found.to_dict()}], not found.ok

    def _points(self, head: Record, compiled: Compiled,
                points: Sequence[str | Mapping[str, Any]]) -> Outcome:
        records: list[Record | str] = []
        try:
            chosen = self._point_list(compiled, points)
        except ExprError as problem:
            return [_error(head, compiled.source, problem)], True
        slip = _split_point(chosen, compiled.variables)
        unchecked: list[Pending] = []  # --check: a line's points in one SymPy job
        for point in chosen:
            at: Mapping[str, Any] | None = None
            record: Record | str
            try:
                at = read_point(point, compiled.variables) if isinstance(point, str) else point
                if self.settings.check:
                    result = compiled.grad(at, wrt=self.settings.wrt, strict=self.settings.strict)
                    unchecked.append((len(records), at, result))
                    record = head  # until _check writes the checked record
                else:
                    record = self._evaluate(head, compiled, at)
            except ExprError as problem:
                if slip is not None and problem.message.startswith("no value given"):
                    problem.hint = slip
                record = _error(head, compiled.source, problem, at)
            except Exception as problem:  # noqa: BLE001 - one line never stops the batch
                record = _error(head, compiled.source, _internal(problem), at)
            records.append(record)
        if unchecked:
            self._check(head, compiled, records, unchecked)
        failed = any(isinstance(r, dict) and ("error" in r or (
            "check" in r and not r["check"].get("ok"))) for r in records)
        return records, failed

    def _check(self, head: Record, compiled: Compiled, records: list[Record | str],
               unchecked: list[Pending]) -> None:
        """The oracle's verdicts on a line's results, into their records."""
        from exprdiff.oracle import check as oracle

        results = [result for _, _, result in unchecked]
        try:
            verdicts = oracle.check_points(results, compiled.tree,
                                           timeout=self.settings.check_timeout,
                                           simplify=self.settings.simplify)
        except ExprError as problem:
            for k, at, _ in unchecked:
                records[k] = _error(head, compiled.source, problem, at)
            return
        except Exception as problem:  # noqa: BLE001 - one line never stops the batch
            for k, at, _ in unchecked:
                records[k] = _error(head, compiled.source, _internal(problem), at)
            return
        for (k, _, result), verdict in zip(unchecked, verdicts, strict=True):
            records[k] = head | result.replace(check=verdict).to_dict()

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

    def _evaluate(self, head: Record, compiled: Compiled, at: Mapping[str, Any]) -> Record | str:
        tape = compiled.tape
        inputs = tape.inputs
        settings = self.settings
        if (not tape.kink_nodes and settings.wrt is None and tape.statements is None
                and len(at) == len(inputs) and all(name in at for name in inputs)):
            # The common case, without Result's bookkeeping: the same sweeps and the same
            # record as Result.to_dict() (tests/test_batch.py holds the two paths equal).
            # Every point reaching here holds finite floats (read_point, _json_point, --at).
            point = [at[name] for name in inputs]
            found = swept(tape, point)
            if found is None:  # the sweeps themselves: not yet generated, or Unsure here
                values = forward(tape, point)
                adjoints = reverse(tape, values)
                found = values[tape.output], [adjoints[i] for i in inputs.values()]
            value, gradient = found
            if self._plain is not None:
                text = self._plain(head["line"], head.get("file"), compiled.source,
                                   tuple(inputs), (*point, value, *gradient))
                if text is not None:
                    return text
            return head | {"expression": compiled.source, "at": {n: at[n] for n in inputs},
                           "value": value, "gradient": dict(zip(inputs, gradient, strict=True)),
                           "warnings": []}
        return head | compiled.grad(at, wrt=settings.wrt, strict=settings.strict).to_dict()


def evaluate_lines(lines: Iterable[Line], settings: Settings, encode: Encode | None = None,
                   ) -> Generator[Processed, None, None]:
    """Every line's outcome, one after the other, in this process."""
    evaluator = Evaluator(settings, encode)
    start_oracle(settings)
    line = evaluator.line
    for file, number, raw in lines:
        yield file, number, len(raw), encoded(line(number, raw, file), encode)


def joined(evaluator: Evaluator, chunk: Sequence[Line], encode: Encode) -> Block:
    """A chunk's records as one text, with the summary's counts (Block)."""
    texts: list[str] = []
    lines = failed = size = 0
    for file, number, raw in chunk:
        size += len(raw)
        outcome = encoded(evaluator.line(number, raw, file), encode)
        if outcome is not None:
            texts += outcome[0]
            lines += 1
            failed += outcome[1]
    return Block("".join(texts), lines, len(texts), failed, chunk[-1][:2], size)


def encoded(outcome: Outcome | None, encode: Encode | None) -> Outcome | None:
    """The outcome with its records as `encode` writes them (as it is without `encode`)."""
    if outcome is None or encode is None:
        return outcome
    records, failed = outcome
    if len(records) == 1 and type(records[0]) is str:  # a common record, written already
        return outcome
    return [record if type(record) is str else encode(record) for record in records], failed


def start_oracle(settings: Settings) -> None:
    """With --check: start this process's SymPy process now, to import SymPy while the first
    lines are read and swept."""
    if settings.check:
        from exprdiff.oracle.child import shared

        shared().start()


def _split_point(points: Sequence[str | Mapping[str, Any]],
                 variables: Sequence[str]) -> str | None:
    """`x*y ; x=1; y=2`: points that each give part of the variables and together all of
    them were meant as one point; the hint says how to write it."""
    if len(points) < 2 or not all(isinstance(p, str) for p in points):
        return None
    names = [{part.partition("=")[0].strip() for part in str(p).split(",")} for p in points]
    wanted = set(variables)
    if any(n >= wanted for n in names) or set().union(*names) != wanted:
        return None
    joined = ", ".join(str(p).strip() for p in points)
    return (f"';' separates points and ',' the values of one point: did you mean "
            f"'; {joined}'?")


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

