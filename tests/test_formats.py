"""render/formats.py: the one registry of output formats, and what every caller gets from it."""

from __future__ import annotations

import io
import json

import click
import pytest

from exprdiff.cli.commands import grad, main
from exprdiff.render import formats
from exprdiff.render.formats import FORMATS, Options

#: Records of each source (SPEC §4): a result, an error, a warning; a batch's carry "line", a
#: point set's "row" and neither expression nor point.
RECORDS = {
    "batch": [
        {"line": 1, "expression": "x*y", "at": {"x": 1.0, "y": 0.1}, "value": 0.1,
         "gradient": {"x": 0.1, "y": 1.0}, "warnings": []},
        {"line": 2, "expression": "log(z)", "at": {"z": -1.0},
         "error": {"kind": "domain", "message": "log is undefined, where z = -1", "column": 1}},
        {"line": 3, "expression": "abs(x)", "at": {"x": 0.0}, "value": 0.0,
         "gradient": {"x": 0.0}, "warnings": [{"message": "abs has a corner at 0"}]},
    ],
    "single": [
        {"expression": "x*abs(y)", "at": {"x": 1.0, "y": 0.1}, "value": 0.1,
         "gradient": {"x": 0.1, "y": 1.0}, "warnings": []},
        {"expression": "x*abs(y)", "at": {"x": 1.0, "y": 0.0}, "value": 0.0,
         "gradient": {"x": 0.0, "y": 1.0}, "warnings": [{"message": "abs has a corner at 0"}]},
    ],
    "points": [
        {"row": 1, "value": 0.1, "gradient": {"x": 0.1, "y": 1.0}, "warnings": []},
        {"row": 2, "error": {"kind": "domain", "message": "log is undefined", "column": 1}},
        {"row": 3, "value": 0.0, "gradient": {"x": 0.0, "y": 2.5},
         "warnings": [{"message": "abs has a corner at 0"}]},
    ],
}


def grad_choices() -> list[str]:
    option = next(p for p in grad.params if p.name == "output")
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_the_registry_lists_every_format_grad_offers():
    assert set(FORMATS) == set(grad_choices())
    assert all(name == entry.name for name, entry in FORMATS.items())


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("source", formats.SOURCES)
def test_every_writer_is_found_and_takes_records_from_each_source_it_names(name, source):
    from rich.console import Console

    entry = FORMATS[name]
    if entry.writer is None or source not in entry.sources:
        with pytest.raises(ValueError, match=f"format {name} takes no records"):
            formats.writer(name, io.StringIO(), Options(source))
        return
    out = io.StringIO()
    console = Console(file=out, width=120, no_color=True)
    writer = formats.writer(name, out, Options(source, names=("x", "y"), console=lambda: console))
    for record in RECORDS[source]:
        writer.write(record)
        writer.flush()
    writer.finish()
    text = out.getvalue()
    assert "0.1" in text and "abs has a corner at 0" in text, (name, source, text)


def test_an_unknown_format_or_source_is_refused():
    with pytest.raises(KeyError):
        formats.writer("yaml", io.StringIO(), Options("batch"))
    with pytest.raises(ValueError, match="unknown source"):
        Options("stdin")


@pytest.mark.parametrize("name", grad_choices())
def test_a_batch_takes_exactly_the_registry_s_batch_formats(runner, name):
    result = runner.invoke(main, ["grad", "-", "--format", name], input="x ; x=1\n")
    if name in formats.names("batch"):
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2 and "not available for a batch" in result.stderr
        assert ", ".join(formats.names("batch")[:-1]) in result.stderr


@pytest.mark.parametrize("extra", [[], ["--steps"], ["--path", "x"], ["--steps", "--path", "y"]])
def test_json_lines_hold_the_json_documents_objects_failed_points_too(runner, extra):
    """One record per point, whatever the format: with --steps a failed point's record carries
    the forward table up to the failing node in JSON Lines as in JSON."""
    args = ["grad", "log(x) + x*y", "--at", "x=1,y=2", "--at", "x=-1,y=1", "--at", "x=2,y=0",
            *extra]
    document = runner.invoke(main, [*args, "--format", "json"])
    lines = runner.invoke(main, [*args, "--format", "jsonl"])
    assert document.exit_code == lines.exit_code == 1
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert records == json.loads(document.stdout)
    assert "error" in records[1]
    if "--steps" in extra:
        assert records[1]["steps"]["forward"][-1]["node"] == "z1"  # log(x), where it failed


#: (expression, its points as a batch line writes them, --wrt): plain, a kink, failures, a
#: constant, chosen partials.
SAME_RECORD_CASES = [
    ("x1**2 + 3*(x2*x3 - x1**2)", ["x1=1, x2=2, x3=3"], None),
    ("abs(x) + sqrt(y)", ["x=0, y=4", "x=1, y=-1", "x=-2, y=0"], None),
    ("log(x) * y", ["x=-1, y=2", "x=2, y=3"], None),
    ("2*pi", [], None),
    ("x1**2 + 3*(x2*x3 - x1**2)", ["x1=1, x2=2, x3=3", "x1=0, x2=1, x3=-1"], "x3,x1"),
    ("abs(x) * y", ["x=0, y=2", "x=1, y=1"], "y"),
]


@pytest.mark.parametrize(("text", "points", "wrt"), SAME_RECORD_CASES)
def test_a_single_result_is_the_batch_record_without_its_line(runner, text, points, wrt):
    """`grad EXPR --at P --format jsonl` writes the record `grad -` writes for `EXPR ; P`."""
    options = ["--format", "jsonl"] + (["--wrt", wrt] if wrt else [])
    at = [arg for point in points for arg in ("--at", point.replace(" ", ""))]
    single = runner.invoke(main, ["grad", text, *at, *options])
    batch = runner.invoke(main, ["grad", "-", *options],
                          input=" ; ".join([text, *points]) + "\n")
    assert single.exit_code == batch.exit_code, (single.output, batch.output)
    singles = [json.loads(line) for line in single.stdout.splitlines()]
    records = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [r.pop("line") for r in records] == [1] * len(records)
    assert singles == records
    assert len(singles) == max(len(points), 1)


# -- one CSV writer: streamed for a point set, collected for a batch -------------------------------

POINT_SET = "x2,x1\n2,1\n3,-1\n0,4\n"
POINT_EXPR = "sqrt(x1) * abs(x2)"


def test_csv_streams_rows_when_its_columns_are_known_and_collects_them_otherwise():
    out = io.StringIO()
    writer = formats.writer("csv", out, Options("points", names=("x", "y")))
    writer.write(RECORDS["points"][0])
    assert out.getvalue() == "row,value,df/dx,df/dy,warnings,error_kind,error\n1,0.1,0.1,1.0,,,\n"
    writer.write(RECORDS["points"][1])
    assert out.getvalue().endswith("\n2,,,,,domain,log is undefined\n")
    assert writer.records == []  # nothing held
    batch = io.StringIO()
    writer = formats.writer("csv", batch, Options("batch"))
    writer.write(RECORDS["batch"][0])
    writer.flush()
    assert batch.getvalue() == ""  # the header waits for the union of the variables
    writer.finish()
    assert batch.getvalue().startswith("line,expression,value,x,y,df/dx,df/dy,warnings,")


def test_a_point_set_and_a_batch_are_written_by_the_same_csv_writer(runner, tmp_path, monkeypatch):
    from exprdiff.render import csv as csv_format

    used: list[tuple[type, str]] = []
    original = csv_format.Csv.__init__

    def spy(self, stream, options):
        used.append((type(self), options.source))
        original(self, stream, options)

    monkeypatch.setattr(csv_format.Csv, "__init__", spy)
    data = tmp_path / "points.csv"
    data.write_text(POINT_SET)
    points = runner.invoke(main, ["grad", POINT_EXPR, "--points", str(data), "--format", "csv"])
    batch = runner.invoke(main, ["grad", "-", "--format", "csv"],
                          input=f"{POINT_EXPR} ; x1=1, x2=2 ; x1=-1, x2=3\n")
    single = runner.invoke(main, ["grad", POINT_EXPR, "--at", "x1=1,x2=2", "--format", "csv"])
    assert (points.exit_code, batch.exit_code, single.exit_code) == (1, 1, 0)
    assert used == [(csv_format.Csv, "points"), (csv_format.Csv, "batch"),
                    (csv_format.Csv, "single")]
    assert points.stdout.splitlines()[:3] == [
        "row,value,x1,x2,df/dx1,df/dx2,warnings,error_kind,error", "1,2.0,1.0,2.0,1.0,1.0,,,",
        "2,,-1.0,3.0,,,,domain,\"sqrt is undefined at node z1 = sqrt(x1), where x1 = -1 (the "
        "argument must be ≥ 0)\""]
    assert batch.stdout.splitlines()[1] == (
        "1,sqrt(x1) * abs(x2),2.0,1.0,2.0,1.0,1.0,,,,")


@pytest.mark.parametrize("name", grad_choices())
def test_a_point_set_is_written_by_the_registry_s_points_formats(runner, tmp_path, name):
    """--points writes the registry's points formats (CSV, or JSON Lines with --format jsonl);
    any other --format given is a usage error naming it (cli/modes.py)."""
    data = tmp_path / "points.csv"
    data.write_text(POINT_SET)
    result = runner.invoke(main, ["grad", POINT_EXPR, "--points", str(data), "--format", name])
    assert formats.names("points") == ("jsonl", "csv")
    if name not in formats.names("points"):
        assert result.exit_code == 2 and f"--format {name}" in result.stderr
        return
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    if name == "jsonl":
        records = [json.loads(line) for line in lines]
        assert [r["row"] for r in records] == [1, 2, 3]
        assert records[2]["warnings"][0]["message"].startswith("not differentiable")
    else:
        assert lines[0] == "row,value,x1,x2,df/dx1,df/dx2,warnings,error_kind,error"
        assert len(lines) == 4


def test_a_point_set_without_format_is_csv(runner, tmp_path):
    data = tmp_path / "points.csv"
    data.write_text(POINT_SET)
    result = runner.invoke(main, ["grad", POINT_EXPR, "--points", str(data)])
    assert result.stdout.splitlines()[0] == (
        "row,value,x1,x2,df/dx1,df/dx2,warnings,error_kind,error")


@pytest.mark.parametrize("name", grad_choices())
def test_steps_print_in_exactly_the_registry_s_step_formats(runner, name):
    args = ["--no-color", "grad", "x*y + log(x)", "--at", "x=1,y=2", "--format", name]
    plain = runner.invoke(main, args)
    for extra in (["--steps"], ["--path", "x"]):
        result = runner.invoke(main, [*args, *extra])
        if FORMATS[name].steps:
            assert result.exit_code == 0, result.output
            assert result.stdout.startswith(plain.stdout[:20])
            if name == "html":  # the page always holds the tables and every variable's paths
                assert result.stdout == plain.stdout
                continue
            assert len(result.stdout) > len(plain.stdout) + 100  # the tables or the paths
        else:
            assert result.exit_code == 2 and "--steps and --path need" in result.stderr
