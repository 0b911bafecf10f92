"""Batch processing (issue 5): line formats, per-line errors, writers, order, jobs, signals."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEEDS, point_text

from exprdiff.api import compile
from exprdiff.batch.evaluate import Evaluator, Settings
from exprdiff.batch.lines import read_point, split_line
from exprdiff.cli.commands import main
from exprdiff.errors import ExprError
from exprdiff.points import parse_assignments
from exprdiff.render import formats, jsonl

ROOT = Path(__file__).resolve().parent.parent


def evaluate(text: str, **settings) -> tuple[list[dict], bool] | None:
    return Evaluator(Settings(**settings)).line(7, text.encode())


def cli(*args: str, stdin: str | None = None, timeout: float = 60,
        **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exprdiff", "grad", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, **options)


# -- line formats -------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "expression", "points"), [
    ("x**2", "x**2", []),
    ("x**2 ; x=1", "x**2", [" x=1"]),
    ("x*y ; x=1, y=2 ; x=3, y=4", "x*y", [" x=1, y=2 ", " x=3, y=4"]),
    ("x ;  ; x=2 ;", "x", [" x=2 "]),
    ('{"expr": "x*y", "at": {"x": 1, "y": "pi/2"}}', "x*y", [{"x": 1.0, "y": 1.5707963267948966}]),
    ('{"expr": " x ", "at": [{"x": 1}, {"x": 2.5}]}', "x", [{"x": 1.0}, {"x": 2.5}]),
    ('{"expr": "pi"}', "pi", []),
])
def test_split_line_reads_every_form(line, expression, points):
    assert split_line(line) == (expression, points)


@pytest.mark.parametrize(("line", "kind", "fragment", "column"), [
    ('{"expr": "x", "at": {"x": 1}', "parse", "not valid JSON", 29),
    ('{"expression": "x"}', "usage", "unknown key 'expression'", None),
    ('{"expr": 3}', "usage", '"expr" as a string', None),
    ('{"expr": "x", "at": 3}', "usage", '"at" must be an object', None),
    ('{"expr": "x", "at": {"x": true}}', "usage", "must be a number", None),
    ('{"expr": "x", "at": {"x": 1e999}}', "usage", "finite number", None),
    ('{"expr": "x", "at": {"x": "y+1"}}', "usage", "not 'y+1'", None),
    ("; x=1", "parse", "no expression", 1),
])
def test_malformed_lines_are_errors_with_kind_and_column(line, kind, fragment, column):
    with pytest.raises(ExprError) as caught:
        split_line(line)
    assert caught.value.kind == kind
    assert fragment in caught.value.message
    assert caught.value.column == column


@pytest.mark.parametrize("text", [
    "x=1, y=2", " x = 1 ,y=-2.5e3 ", "x=pi/4", "x=atan2(1, 2), y=3", "x=1,", "x=1, x=2",
    "x=inf", "x=nan", "x", "=1", "x=1_0", "x=", "x=1e308, y=1e308", "x=0x10",
])
def test_read_point_fast_path_agrees_with_parse_assignments(text):
    """The fast path must give the same point, or the same error, as points.py."""
    try:
        expected: object = parse_assignments(text, ("x", "y"))
    except ExprError as problem:
        expected = problem.message
    try:
        got: object = read_point(text, ("x", "y"))
    except ExprError as problem:
        got = problem.message
    assert got == expected


# -- one line → records ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "point", "value", "gradient"), SEEDS)
def test_seed_lines_give_the_hand_worked_numbers(text, point, value, gradient):
    outcome = evaluate(f"{text} ; {point_text(point)}")
    assert outcome is not None
    (record,), failed = outcome
    assert not failed
    assert record["line"] == 7
    assert (record["value"], record["gradient"], record["at"]) == (value, gradient, point)


@pytest.mark.parametrize(("text", "point"), [
    ("x1**2 + 3*(x2*x3 - x1**2)", "x3=3, x1=1, x2=2"),
    ("sin(x)*exp(-t) + log(1 + x*x)", "x=0.3, t=-1.5"),
    ("atan(y/x) + tanh(x)**2 - sigmoid(x*y)", "x=1.5, y=-0.25"),  # atan2 may jump: not here
    ("7", ""),
    ("q - q + 2*q", "q=1e300"),
])
def test_fast_path_record_equals_the_result_json(text, point):
    """The batch's shortcut past Result must write exactly what Result.to_dict() says."""
    compiled = compile(text)
    assert not compiled.tape.kink_nodes
    at = parse_assignments(point, compiled.variables)
    expected = {"line": 7} | compiled.grad(at).to_dict()
    outcome = evaluate(f"{text} ; {point}" if point else text)
    assert outcome is not None
    assert outcome[0] == [expected]
    assert json.dumps(outcome[0][0]) == json.dumps(expected)


def test_blank_and_comment_lines_give_nothing():
    for text in ("", "   ", "# x**2 ; x=1", "  # indented comment"):
        assert evaluate(text) is None


def test_each_point_of_a_line_is_a_record_and_a_bad_one_does_not_stop_the_others():
    outcome = evaluate("log(x) ; x=1 ; x=-1 ; x=e ; x=abc")
    assert outcome is not None
    found, failed = outcome
    assert failed
    assert [r.get("value") for r in found] == [0.0, None, 1.0, None]
    assert found[1]["error"]["kind"] == "domain" and found[1]["at"] == {"x": -1.0}
    assert found[1]["error"]["column"] == 1 and found[1]["error"]["node"] == "z1"
    assert found[3]["error"]["kind"] == "usage" and "at" not in found[3]
    assert "'abc'" in found[3]["error"]["message"]


@pytest.mark.parametrize(("line", "kind", "column"), [
    ("x1 + ) ; x1=1", "parse", 6),
    ("sni(x) ; x=1", "parse", 1),
    ("2x ; x=1", "parse", 2),
    ("x*y ; x=1", "usage", None),
    ("x ; x=1, z=2", "usage", None),
    ("1/(x - 2) ; x=2", "domain", 2),
    ("sqrt(x) ; x=0", "domain", 1),
    ("x**2", "usage", None),
])
def test_error_records_carry_kind_one_line_message_and_column(line, kind, column):
    outcome = evaluate(line)
    assert outcome is not None
    (record,), failed = outcome
    assert failed
    assert record["line"] == 7
    assert record["expression"] == line.partition(";")[0].strip()
    error = record["error"]
    assert (error["kind"], error["column"]) == (kind, column)
    assert "\n" not in error["message"] and "^" not in error["message"]
    assert error["message"]


def test_strict_turns_a_kink_into_an_error_and_otherwise_warns():
    (record,), failed = evaluate("abs(x) ; x=0")  # type: ignore[misc]
    assert not failed and record["warnings"][0]["op"] == "abs"
    (record,), failed = evaluate("abs(x) ; x=0", strict=True)  # type: ignore[misc]
    assert failed and record["error"]["kind"] == "kink"


def test_defaults_from_at_fill_lines_without_points_restricted_to_their_variables():
    settings = {"defaults": ({"x": 2.0, "y": 3.0}, {"x": -1.0, "y": 0.0})}
    found, failed = evaluate("x**2", **settings)  # type: ignore[misc]
    assert not failed
    assert [(r["at"], r["gradient"]) for r in found] == [({"x": 2.0}, {"x": 4.0}),
                                                         ({"x": -1.0}, {"x": -2.0})]
    found, failed = evaluate("x*z", **settings)  # type: ignore[misc]
    assert failed and [r["error"]["message"] for r in found] == ["no value given for z"] * 2
    (record,), _ = evaluate("x ; x=5", **settings)  # type: ignore[misc]
    assert record["at"] == {"x": 5.0}  # a line's own point wins


def test_wrt_is_applied_per_line():
    (record,), failed = evaluate("x*y ; x=2, y=3", wrt=("y",))  # type: ignore[misc]
    assert record["gradient"] == {"y": 2.0} and not failed
    (record,), failed = evaluate("x ; x=2", wrt=("y",))  # type: ignore[misc]
    assert failed and "--wrt names 'y'" in record["error"]["message"]


def test_a_line_that_is_not_utf8_is_an_error_record():
    outcome = Evaluator(Settings()).line(3, b"x + \xff ; x=1\n")
    assert outcome is not None
    (record,), failed = outcome
    assert failed and record["error"]["kind"] == "parse" and record["error"]["column"] == 5


def test_compiled_graphs_are_reused_and_parse_errors_remembered(monkeypatch):
    calls: list[str] = []
    original = Evaluator._compile  # compile(), or shape reuse (test_shapes.py)

    def counting(self: Evaluator, text: str):
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(Evaluator, "_compile", counting)
    evaluator = Evaluator(Settings())
    for k in range(50):
        evaluator.line(k + 1, f"x**2 + y ; x={k}, y=1".encode())
        evaluator.line(k + 1, b"x + ) ; x=1")
    assert calls == ["x**2 + y", "x + )"]
    assert evaluator.compiled("x**2 + y") is evaluator.compiled("x**2 + y")


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr("exprdiff.batch.evaluate._CACHE_SIZE", 3)
    evaluator = Evaluator(Settings())
    for k in range(10):
        evaluator.compiled(f"x + {k}")
    assert len(evaluator._cache) == 3
    assert list(evaluator._cache) == ["x + 7", "x + 8", "x + 9"]


def test_an_unexpected_exception_is_isolated_to_its_line(monkeypatch):
    original = Evaluator._compile

    def broken(self: Evaluator, text: str):
        if "boom" in text:
            raise RuntimeError("kaput")
        return original(self, text)

    monkeypatch.setattr(Evaluator, "_compile", broken)
    monkeypatch.delenv("EXPRDIFF_DEBUG", raising=False)
    evaluator = Evaluator(Settings())
    (record,), failed = evaluator.line(1, b"boom + x ; x=1")  # type: ignore[misc]
    assert failed and record["error"]["kind"] == "internal"
    assert "kaput" in record["error"]["message"]
    (record,), failed = evaluator.line(2, b"x ; x=1")  # type: ignore[misc]
    assert not failed and record["value"] == 1.0


def test_a_failed_check_fails_the_line(monkeypatch):
    """--check's wiring: the oracle's verdict lands in the record and decides the line."""
    from exprdiff.oracle import check as oracle  # a broken oracle fails here, never skips

    class Verdict:
        def __init__(self, ok: bool) -> None:
            self.ok = ok

        def to_dict(self) -> dict:
            return {"ok": self.ok, "failures": [] if self.ok else ["x"]}

    seen: list[float] = []
    calls: list[int] = []

    def fake_check(results, tree, *, timeout: float, simplify: bool):
        seen.extend(timeout for _ in results)
        calls.append(len(results))
        return [Verdict(result.at["x"] > 0) for result in results]

    monkeypatch.setattr(oracle, "check_points", fake_check)
    found, failed = evaluate("x**2 ; x=1 ; x=-1", check=True)  # type: ignore[misc]
    assert [r["check"]["ok"] for r in found] == [True, False]
    assert failed and seen == [5.0, 5.0]
    assert calls == [2]  # a line's points go to the oracle together
    found, failed = evaluate("x**2 ; x=1", check=True)  # type: ignore[misc]
    assert not failed


# -- writers ---------------------------------------------------------------------------------------

SAMPLE_RECORDS = [
    {"line": 1, "expression": "x*y", "at": {"x": 1.0, "y": 0.1}, "value": 0.1,
     "gradient": {"x": 0.1, "y": 1.0}, "warnings": []},
    {"line": 2, "expression": "log(z)", "at": {"z": -1.0},
     "error": {"kind": "domain", "message": "log is undefined, where z = -1", "column": 1}},
    {"line": 3, "expression": "abs(x)", "at": {"x": 0.0}, "value": 0.0, "gradient": {"x": 0.0},
     "warnings": [{"message": "abs has a corner at 0"}]},
    {"line": 4, "expression": "x +", "error": {"kind": "parse", "message": "bad", "column": 3}},
]


def test_csv_header_is_the_union_of_variables_with_an_error_column():
    out = io.StringIO()
    writer = formats.writer("csv", out, formats.Options("batch"))
    for record in SAMPLE_RECORDS:
        writer.write(record)
    writer.finish()
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    header = out.getvalue().splitlines()[0].split(",")
    assert header == ["line", "expression", "value", "x", "y", "z", "df/dx", "df/dy",
                      "warnings", "error_kind", "error_column", "error"]
    assert [r["line"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[0]["y"] == "0.1" and rows[0]["df/dx"] == "0.1" and rows[0]["error"] == ""
    assert rows[1]["z"] == "-1.0" and rows[1]["value"] == ""
    assert (rows[1]["error_kind"], rows[1]["error_column"]) == ("domain", "1")
    assert rows[2]["warnings"] == "abs has a corner at 0"
    assert float(rows[0]["value"]) == 0.1  # round-trips


def test_json_array_is_valid_when_empty_and_when_full():
    for items in ([], SAMPLE_RECORDS):
        out = io.StringIO()
        writer = formats.writer("json", out, formats.Options("batch"))
        for record in items:
            writer.write(record)
        writer.finish()
        assert json.loads(out.getvalue()) == items


def test_table_shows_every_record_and_the_full_notes():
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, no_color=True)
    options = formats.Options("batch", console=lambda: console)
    writer = formats.writer("table", io.StringIO(), options)
    for record in SAMPLE_RECORDS:
        writer.write(record)
    writer.finish()
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "domain error" in text and "parse error" in text
    assert "line 2: domain error: log is undefined, where z = -1" in text
    assert "line 3: warning: abs has a corner at 0" in text


# -- the command, in process -----------------------------------------------------------------------

def test_grad_dash_reads_stdin_and_prints_a_summary(runner):
    text = "x**2 ; x=3\n# note\nlog(x) ; x=-1\n\nx*y ; x=1, y=2 ; x=2, y=2\n"
    result = runner.invoke(main, ["grad", "-", "--format", "jsonl"], input=text)
    assert result.exit_code == 1
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in found] == [1, 3, 5, 5]
    assert [("error" in r) for r in found] == [False, True, False, False]
    assert result.stderr.strip() == "processed 3 lines (4 results): 2 ok, 1 failed"


def test_several_files_label_their_records(runner, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("x ; x=1\n")
    second.write_text("\ny ; y=2\n")
    result = runner.invoke(main, ["grad", "--file", str(first), "--file", str(second),
                                  "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["file"], r["line"]) for r in found] == [(str(first), 1), (str(second), 2)]


@pytest.mark.parametrize("output", ["jsonl", "csv", "json", "table"])
def test_every_format_writes_every_record(runner, output):
    text = "x**2 ; x=3\nsni(x) ; x=1\nx*y ; x=1, y=2\n"
    result = runner.invoke(main, ["--no-color", "grad", "-", "--format", output], input=text)
    assert result.exit_code == 1
    out = result.stdout
    if output == "jsonl":
        assert len(out.splitlines()) == 3
    elif output == "json":
        assert [r["line"] for r in json.loads(out)] == [1, 2, 3]
    elif output == "csv":
        assert [r["error_kind"] for r in csv.DictReader(io.StringIO(out))] == ["", "parse", ""]
    else:
        assert "parse error" in out and "line 2: parse error: unknown function 'sni'" in out


def test_a_batch_rejects_formats_it_cannot_stream_and_a_bad_default_point(runner):
    result = runner.invoke(main, ["grad", "-", "--format", "latex"], input="x ; x=1\n")
    assert result.exit_code == 2 and "not available for a batch" in result.stderr
    result = runner.invoke(main, ["grad", "-", "--at", "x=oops"], input="x\n")
    assert result.exit_code == 2 and "--at x=oops" in result.stderr


def test_grad_without_expr_or_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["grad"])
    assert result.exit_code == 2 and "missing EXPR" in result.stderr
    path = tmp_path / "f.txt"
    path.write_text("x ; x=1\n")
    result = runner.invoke(main, ["grad", "x**2", "--file", str(path)])
    assert result.exit_code == 2 and "not both" in result.stderr


def test_one_expression_can_be_written_as_jsonl_and_csv_too(runner):
    args = ["grad", "x*y", "--at", "x=1,y=2", "--at", "x=3,y=4"]
    result = runner.invoke(main, [*args, "--format", "jsonl"])
    assert result.exit_code == 0
    assert [json.loads(line)["gradient"] for line in result.stdout.splitlines()] == [
        {"x": 2.0, "y": 1.0}, {"x": 4.0, "y": 3.0}]
    result = runner.invoke(main, [*args, "--format", "csv"])
    assert [r["df/dy"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["1.0", "3.0"]


def test_sample_files_run_as_documented(runner):
    for name, code in (("batch_seeds.txt", 0), ("batch_formulas.txt", 0),
                       ("batch_broken.txt", 1)):
        result = runner.invoke(main, ["grad", "--file", str(ROOT / "samples" / name),
                                      "--format", "jsonl"])
        assert result.exit_code == code, (name, result.output)
        found = [json.loads(line) for line in result.stdout.splitlines()]
        if name == "batch_broken.txt":
            # one mistake per commented block: every record but the first, the last and the kink
            bad = [r["line"] for r in found if "error" in r]
            assert len(bad) == len(found) - 3
        else:
            assert all("error" not in r for r in found)


# -- acceptance: a real 10 000-line file, order, errors, jobs --------------------------------------

BROKEN = [("x1 + ) ; x1=1", "parse"), ("sni(x) ; x=1", "parse"), ("log(x) ; x=-1", "domain"),
          ("x*y ; x=1", "usage"), ('{"expr": "x", "at": {"x": 1}', "parse"),
          ("1/(x - 1) ; x=1", "domain"), ("x ; x=1, zz=2", "usage")]


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory) -> tuple[Path, dict[int, str]]:
    """10 000 lines, 1 000 of them broken at random places; the broken lines and their kinds."""
    rng = random.Random(10_000)  # noqa: S311 - test data, not secrets
    broken = dict.fromkeys(sorted(rng.sample(range(1, 10_001), 1_000)), "")
    lines = []
    for number in range(1, 10_001):
        if number in broken:
            text, kind = BROKEN[number % len(BROKEN)]
            broken[number] = kind
        else:
            text = f"x1**2 + {number % 31}*(x2*x3 - x1**2) ; x1={number}, x2=2, x3=-1"
        lines.append(text)
    path = tmp_path_factory.mktemp("batch") / "big.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, broken


def test_ten_thousand_lines_give_ten_thousand_records_in_order(big_batch):
    path, broken = big_batch
    done = cli("--file", str(path), "--format", "jsonl")
    assert done.returncode == 1, done.stderr
    found = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(found) == 10_000
    assert [r["line"] for r in found] == list(range(1, 10_001))
    failed = {r["line"]: r["error"]["kind"] for r in found if "error" in r}
    assert failed == broken
    ok = [r for r in found if "error" not in r]
    assert all(r["gradient"]["x1"] == 2 * r["at"]["x1"] * (1 - r["line"] % 31) for r in ok)
    assert done.stderr.strip() == "processed 10000 lines: 9000 ok, 1000 failed"


@pytest.mark.parametrize("jobs", ["2", "0"])
def test_jobs_output_is_byte_identical_to_one_job(big_batch, jobs):
    path, _ = big_batch
    one = cli("--file", str(path), "--format", "jsonl")
    many = cli("--file", str(path), "--format", "jsonl", "--jobs", jobs)
    assert many.returncode == one.returncode == 1
    assert many.stdout == one.stdout
    assert many.stderr == one.stderr


@pytest.mark.parametrize("output", ["json", "csv"])
def test_jobs_output_is_byte_identical_in_every_streamed_format(big_batch, output):
    """json's records come back from the workers as text (its encode), csv's as records."""
    path, _ = big_batch
    one = cli("--file", str(path), "--format", output)
    many = cli("--file", str(path), "--format", output, "--jobs", "2")
    assert many.stdout == one.stdout and many.stderr == one.stderr


def test_jobs_chunks_of_blank_comment_and_many_point_lines_from_two_files(tmp_path):
    """A worker sends a chunk's JSON Lines as one text with its counts (batch.evaluate.Block):
    blank and comment lines, lines of several points, errors and file labels come out as one
    job writes them, and the summary counts the same, over chunks of 256 lines."""
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    paths = []
    for name in ("a.txt", "b c.txt"):
        lines = []
        for number in range(700):
            roll = rng.random()
            if roll < 0.1:
                lines.append("" if roll < 0.05 else "# a comment")
            elif roll < 0.2:
                lines.append(BROKEN[number % len(BROKEN)][0])
            else:
                points = " ; ".join(f"x={rng.uniform(-3, 3):.4g}, y={number}"
                                    for _ in range(1 + number % 3))
                lines.append(f"x*y + sin({number % 7}*x) ; {points}")
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path))
    from exprdiff.batch.run import WORKERS_FROM

    assert sum(Path(path).stat().st_size for path in paths) > WORKERS_FROM  # workers do it
    args = ["--file", paths[0], "--file", paths[1], "--format", "jsonl"]
    one = cli(*args)
    many = cli(*args, "--jobs", "2")
    assert many.returncode == one.returncode == 1
    assert many.stdout == one.stdout and many.stderr == one.stderr
    assert one.stdout.count("\n") > 1400 and '"file": ' in one.stdout


def test_check_runs_per_line_in_worker_processes_too(tmp_path):
    path = tmp_path / "check.txt"
    path.write_text("x1**2 + 3*(x2*x3 - x1**2) ; x1=1, x2=2, x3=3\nsin(x)*x ; x=0.5\n"
                    "log(x) ; x=-1\n")
    from exprdiff.batch.run import Batch

    for jobs in (1, 2):
        out = io.StringIO()
        writer = formats.writer("jsonl", out, formats.Options("batch"))
        with Batch([str(path)], Settings(check=True), jobs=jobs) as run:
            for record in run:
                writer.write(record)
        writer.finish()
        found = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [r.get("check", {}).get("ok") for r in found] == [True, True, None], jobs
        assert run.summary.failed == 1



def test_a_small_input_is_evaluated_here_whatever_jobs_says(tmp_path):
    """Input files of at most WORKERS_FROM bytes start no worker process (they would cost more
    than they save), bar --check; larger ones do. The records are the same either way."""
    from exprdiff.batch.run import WORKERS_FROM, Batch
    from exprdiff.batch.workers import CHUNK_LINES

    line = "x*y + sin(x) ; x=0.5, y=2\n"
    small = tmp_path / "small.txt"
    small.write_text(line * (WORKERS_FROM // len(line)))
    large = tmp_path / "large.txt"
    large.write_text(line * (WORKERS_FROM // len(line) + 1))
    assert small.stat().st_size <= WORKERS_FROM < large.stat().st_size
    assert WORKERS_FROM // len(line) > CHUNK_LINES  # more than one chunk: workers could split it
    for path, workers in ((small, False), (large, True)):
        with Batch([str(path)], Settings(), jobs=2) as run:
            assert (run._workers is not None) == workers, path.name
            records = list(run)
        with Batch([str(path)], Settings(), jobs=1) as alone:
            assert alone._workers is None
            assert list(alone) == records
        assert len(records) == path.stat().st_size // len(line)
    with Batch([str(small)], Settings(check=True), jobs=2) as run:  # slow lines: workers pay
        assert run._workers is not None


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_library_gives_the_records_the_cli_writes(big_batch, jobs):
    """batch.run.Batch: the records as dicts, in input order, and the summary at the end."""
    from exprdiff.batch.run import Batch

    path, broken = big_batch
    with Batch([str(path)], Settings(), jobs=jobs) as run:
        found = list(run)
    assert [r["line"] for r in found] == list(range(1, 10_001))
    assert {r["line"] for r in found if "error" in r} == set(broken)
    summary = run.summary
    assert (summary.lines, summary.records, summary.failed) == (10_000, 10_000, 1_000)
    assert summary.last == (None, 10_000) and not summary.interrupted
    assert summary.bytes_done == path.stat().st_size
    assert summary.text() == "processed 10000 lines: 9000 ok, 1000 failed"
    done = cli("--file", str(path), "--format", "jsonl")
    assert done.stdout == "".join(jsonl.dumps(r) + "\n" for r in found)


def test_a_batch_gives_records_only_inside_its_with_block(tmp_path):
    from exprdiff.batch.run import Batch

    path = tmp_path / "one.txt"
    path.write_text("x ; x=1\n")
    with pytest.raises(RuntimeError, match="with"):
        list(Batch([str(path)], Settings()))


def test_the_batch_library_prints_nothing():
    """No renderer, CLI, click or rich below the CLI: exprdiff/cli/batch.py does the writing."""
    import ast

    for path in sorted((ROOT / "exprdiff" / "batch").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""])
                bad = [n for n in names if n.split(".")[0] in ("click", "rich")
                       or n.startswith(("exprdiff.render", "exprdiff.cli"))]
                assert not bad, (path.name, bad)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "print", path.name


# -- signals and pipes, with real processes --------------------------------------------------------

@pytest.fixture(scope="module")
def long_batch(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.txt"
    path.write_text("".join(f"x*y + {k} ; x={k}, y=2\n" for k in range(300_000)))
    return path


def _start(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "exprdiff", "grad", *args], cwd=ROOT,
                            **options)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigint_stops_cleanly_with_valid_jsonl_and_says_how_far(long_batch, tmp_path, jobs):
    out_path = tmp_path / "out.jsonl"
    with open(out_path, "wb") as out:
        process = _start("--file", str(long_batch), "--format", "jsonl", "--jobs", jobs,
                         stdout=out, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while out_path.stat().st_size < 20_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    lines = out_path.read_text().splitlines()
    found = [json.loads(line) for line in lines]  # every line whole
    assert 0 < len(found) < 300_000
    assert [r["line"] for r in found] == list(range(1, len(found) + 1))
    message = err.decode()
    assert f"interrupted after line {len(found)}; processed {len(found)} lines" in message
    assert "Traceback" not in message


def test_sigint_while_waiting_for_input_stops_at_once():
    """Records stream out as lines come in; Ctrl-C while stdin is idle does not hang."""
    process = _start("-", "--format", "jsonl", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"x**2 ; x=3\nsin(x) ; x=0\n")
    process.stdin.flush()
    first = [json.loads(process.stdout.readline()) for _ in range(2)]
    assert [r["gradient"]["x"] for r in first] == [6.0, 1.0]
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130
    assert "interrupted after line 2; processed 2 lines: 2 ok, 0 failed" in err.decode()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_stdout_pipe_ends_quietly(long_batch, jobs):
    process = _start("--file", str(long_batch), "--format", "jsonl", "--jobs", jobs,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    json.loads(process.stdout.readline())
    process.stdout.close()  # like `| head -1`
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert err == b""


def test_a_dead_worker_costs_its_chunk_only(tmp_path):
    """A worker killed mid-run: its lines become error records, the rest still come, in order."""
    from exprdiff.batch.workers import CHUNK_LINES, Workers, parallel

    settings = Settings()
    workers = Workers(settings, 2)
    try:
        workers.processes[1].kill()
        workers.processes[1].join()
        lines = ((None, k, f"x*{k} ; x=2\n".encode()) for k in range(1, 4 * CHUNK_LINES + 1))
        found = list(parallel(workers, lines, settings, lambda: False))
    finally:
        workers.stop()
    assert [number for _, number, _, _ in found] == list(range(1, 4 * CHUNK_LINES + 1))
    lost = [number for _, number, _, outcome in found if outcome and outcome[1]]
    assert lost == list(range(CHUNK_LINES + 1, 2 * CHUNK_LINES + 1))
    records = [outcome[0][0] for _, _, _, outcome in found if outcome]
    assert records[CHUNK_LINES]["error"]["kind"] == "internal"
    assert records[-1]["gradient"] == {"x": 4.0 * CHUNK_LINES}


def test_progress_bar_only_on_a_terminal(tmp_path):
    pty = pytest.importorskip("pty", reason="needs a pseudo-terminal (POSIX)")
    path = tmp_path / "some.txt"
    path.write_text("".join(f"x*{k} ; x=1\n" for k in range(20_000)))
    piped = cli("--file", str(path), "--format", "jsonl")
    assert piped.stderr == "processed 20000 lines: 20000 ok, 0 failed\n"
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    process = _start("--file", str(path), "--format", "jsonl", stdout=subprocess.DEVNULL,
                     stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0
    os.close(master)
    assert "━".encode() in seen and b"lines" in seen
    assert seen.rstrip().endswith(b"processed 20000 lines: 20000 ok, 0 failed")
