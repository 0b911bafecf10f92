"""`grad EXPR --points FILE.csv`: what the reader makes of every kind of file, row by row.

A bad row is an error record (1-based row, the column's name, the file's line) and the run goes
on (exit 1 at the end); the header is checked before any output (exit 2); `;` and tab
delimited files are read from their header; the output repeats each row's point; the file is
read in blocks, so the output does not depend on the block size and memory does not grow with
the file (exprdiff/vector/csvin.py, exprdiff/cli/points.py).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from exprdiff.cli.commands import main

np = pytest.importorskip("numpy", reason="--points needs numpy")

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, content: str | bytes, *args: str, expr: str = "x*y") -> Result:
    data = tmp_path / "points.csv"
    if isinstance(content, str):
        content = content.encode("utf-8")
    data.write_bytes(content)
    return CliRunner().invoke(main, ["grad", expr, "--points", str(data), *args])


def jsonl(tmp_path: Path, content: str | bytes, *args: str, expr: str = "x*y") -> list[dict]:
    result = run(tmp_path, content, "--format", "jsonl", *args, expr=expr)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_bad_cell_is_its_row_s_error_record_and_the_run_goes_on(tmp_path):
    """Issue 15 #7: one bad cell aborted the run (exit 2) with NumPy's 0-based `at row 1,
    column 2` for data row 2. Now: an error record with the 1-based row, the column's name and
    the line, the other rows computed, exit 1."""
    result = run(tmp_path, "x,y\n1,2\n3,abc\n5,6\n")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "row,value,x,y,df/dx,df/dy,warnings,error_kind,error",
        "1,2.0,1.0,2.0,2.0,1.0,,,",
        "2,,,,,,,usage,the value of y is not a number: 'abc' (line 3)",
        "3,30.0,5.0,6.0,6.0,5.0,,,",
    ]
    assert result.stderr == "error: row 2: the value of y is not a number: 'abc' (line 3)\n"


def test_jsonl_records_carry_row_and_point_as_batch_records_do(tmp_path):
    records = jsonl(tmp_path, "y,x\n2,1\nnope,3\n1,0\n", expr="x*y + log(x)")
    assert records[0] == {"row": 1, "at": {"x": 1.0, "y": 2.0}, "value": 2.0,
                          "gradient": {"x": 3.0, "y": 1.0}, "warnings": []}
    assert records[1] == {"row": 2, "error": {  # the point could not be read: no "at"
        "kind": "usage", "message": "the value of y is not a number: 'nope' (line 3)",
        "column": None}}
    assert records[2]["row"] == 3 and records[2]["at"] == {"x": 0.0, "y": 1.0}
    assert records[2]["error"]["kind"] == "domain"  # log(0): the point was read


def test_rows_are_numbered_without_blank_lines_and_comments_lines_count_them(tmp_path):
    content = "# points\n\nx,y\n1,2\n\n   \n# a comment\n3,4 # inline\n\t\n5,x\n7,8"
    records = jsonl(tmp_path, content)
    assert [r["row"] for r in records] == [1, 2, 3, 4]
    assert records[1]["at"] == {"x": 3.0, "y": 4.0}
    assert records[2]["error"]["message"] == "the value of y is not a number: 'x' (line 10)"
    assert records[3]["value"] == 56.0  # the last line has no newline


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_semicolon_or_tab_header_sets_the_delimiter(tmp_path, delimiter):
    """`x;y` is never one variable named "x;y": a header without a comma that holds a tab or a
    `;` is split on it, and so are the rows."""
    comma = jsonl(tmp_path, "x,y\n1,2\n-0.5,4\n")
    other = jsonl(tmp_path, "x,y\n1,2\n-0.5,4\n".replace(",", delimiter))
    assert other == comma and len(comma) == 2


def test_decimal_commas_and_mixed_delimiters_are_explained(tmp_path):
    records = jsonl(tmp_path, "x;y\n1,5;2\n")
    assert records[0]["error"]["message"] == (
        "the value of x is not a number: '1,5'; write 1.5, with a decimal point (line 2)")
    records = jsonl(tmp_path, "x,y\n1;2\n3,4\n")
    assert records[0]["error"]["message"] == (
        "the row has 1 value, the header names 2 (x, y); columns are separated by ',' as in "
        "the header, not ';' (line 2)")
    assert records[1]["value"] == 12.0


def test_a_header_separated_by_spaces_is_refused_with_the_way_out(tmp_path):
    result = run(tmp_path, "x y\n1 2\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert "unknown variable 'x y' in the header of" in result.stderr
    assert "separate the columns with ','" in result.stderr


def test_quoted_cells_and_names(tmp_path):
    records = jsonl(tmp_path, '"x","y"\n"1.5",2\n" 3 ","4"\n"1,5",2\n')
    assert [r.get("at") for r in records[:2]] == [{"x": 1.5, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    assert records[2]["error"]["message"] == "the value of x is not a number: '1,5' (line 4)"


def test_a_byte_order_mark_and_windows_line_ends_are_read(tmp_path):
    records = jsonl(tmp_path, "\ufeffx,y\r\n1,2\r\n3,4\r\n".encode())
    assert [r["value"] for r in records] == [2.0, 12.0]


def test_bytes_that_are_not_utf8_fail_their_row_only(tmp_path):
    records = jsonl(tmp_path, b"x,y\n1,2\n\xff\xfe,3\n4,5\n")
    assert records[1]["row"] == 2 and records[1]["error"]["message"] == (
        "the value of x is not a number: '\ufffd\ufffd'; the line is not valid UTF-8 (line 3)")
    assert [records[0]["value"], records[2]["value"]] == [2.0, 20.0]


@pytest.mark.parametrize(("row", "message"), [
    ("1,", "the value of y is empty"),
    (",,", "the row has 3 values, the header names 2 (x, y)"),
    ("1", "the row has 1 value, the header names 2 (x, y)"),
    ("1,2,3", "the row has 3 values, the header names 2 (x, y)"),
    ("inf,1", "the value of x must be a finite number, not inf"),
    ("1,nan", "the value of y must be a finite number, not nan"),
    ("1e999,1", "the value of x must be a finite number, not 1e999"),
    ("1_000,1", "the value of x is not a number: '1_000'"),
    ("0x10,1", "the value of x is not a number: '0x10'"),
    ("\u0661,1", "the value of x is not a number: '\u0661'"),
    ("pi,1", "the value of x is not a number: 'pi'"),
    ("1,2x", "the value of y is not a number: '2x'"),
    ("1," + "9" * 80 + "z", "the value of y is not a number: '" + "9" * 39 + "…'"),
])
def test_every_kind_of_bad_row(tmp_path, row, message):
    records = jsonl(tmp_path, f"x,y\n3,4\n{row}\n5,6\n")
    assert [r["row"] for r in records] == [1, 2, 3]
    assert records[1] == {"row": 2, "error": {"kind": "usage", "message": f"{message} (line 3)",
                                              "column": None}}
    assert [records[0]["value"], records[2]["value"]] == [12.0, 30.0]


@pytest.mark.parametrize(("content", "message"), [
    ("", "points.csv is empty: its first line must name the variables"),
    ("\n# only a comment\n", "points.csv is empty"),
    ("x,Y\n1,2\n", "unknown variable 'Y' in the header of"),
    ("x,yy\n1,2\n", "did you mean 'y'?"),
    ("x\n1\n", "has no column for y"),
    ("x,y,pi\n1,2,3\n", "names pi, a constant (3.141592653589793), not a variable"),
    ("x,y,x\n1,2,3\n", "names x twice"),
    ("x,,y\n1,2,3\n", "column 2 of the header of"),
    ("x,y,\n1,2,\n", "column 3 of the header of"),
])
def test_header_problems_stop_before_any_output(tmp_path, content, message):
    result = run(tmp_path, content)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert message in result.stderr and "the expression's variables: x, y" in result.stderr


def test_case_slip_in_the_header_gets_the_case_hint(tmp_path):
    result = run(tmp_path, "X,y\n1,2\n")
    assert "did you mean 'x'? names are case-sensitive" in result.stderr


def test_standard_input(tmp_path):
    result = CliRunner().invoke(main, ["grad", "x*y", "--points", "-", "--format", "jsonl"],
                                input="\ufeffx,y\n1,2\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gradient"] == {"x": 2.0, "y": 1.0}


def test_a_file_of_only_a_header_writes_the_header(tmp_path):
    result = run(tmp_path, "x,y\n")
    assert result.exit_code == 0 and result.stdout == (
        "row,value,x,y,df/dx,df/dy,warnings,error_kind,error\n")


def test_the_csv_repeats_each_row_s_point_after_value_in_the_expression_s_order(tmp_path):
    """As batch CSV: line, expression, value, the point, the partials; here row instead of
    line and expression. The point's numbers round-trip (1 is written 1.0)."""
    result = run(tmp_path, "y,x\n2,1\n0.1,1e-300\n", "--wrt", "y")
    assert result.stdout.splitlines() == [
        "row,value,x,y,df/dy,warnings,error_kind,error",
        "1,2.0,1.0,2.0,1.0,,,",
        "2,1e-301,1e-300,0.1,1e-300,,,",
    ]


def test_more_than_five_failures_are_counted_on_stderr(tmp_path):
    result = run(tmp_path, "x,y\n" + "1,a\n" * 7 + "1,2\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "error: … and 2 more rows failed"
    assert len(result.stdout.splitlines()) == 9


#: Lines a CSV of points may hold, good and bad, for the block-size test below.
_LINES = ["1,2", " 3 , -4.5 ", '"5",6', "1e-3,7E2", "+1,.5", "", "   ", "# note", "8,9 # note",
          "1,", "a,b", "inf,1", "1;2", "1,2,3", '"1,2",3', '"7', '",8', "\u00a01,2", "1_0,2",
          "nan,nan", "\t", "-0.0,0"]


@pytest.mark.parametrize("bad", [1.0, 0.01])
def test_the_output_is_the_same_whatever_the_block_size(tmp_path, monkeypatch, bad):
    """A row is what np.loadtxt reads from its own line, whichever block it falls in: blocks
    of one line each, pieces of one line, and the whole file at once agree (`bad`: the share
    of lines drawn from every kind, the others being plain rows)."""
    from exprdiff.vector import csvin

    rng = random.Random(15)  # noqa: S311 - test data, not secrets
    content = "x,y\n" + "\n".join(
        rng.choice(_LINES) if rng.random() < bad else f"{rng.uniform(0, 9):.4f},{k}"
        for k in range(3000)) + "\n"
    whole = jsonl(tmp_path, content, expr="x*y + sqrt(x)")
    assert len(whole) > 2000 and any("error" in r for r in whole)
    assert [r["row"] for r in whole] == list(range(1, len(whole) + 1))
    for chars, piece in ((1, 512), (200, 1), (5000, 7)):
        monkeypatch.setattr(csvin, "BLOCK_CHARS", chars)
        monkeypatch.setattr(csvin, "PIECE_LINES", piece)
        assert jsonl(tmp_path, content, expr="x*y + sqrt(x)") == whole, (chars, piece)


def _peak_rss_mb(tmp_path: Path, rows: int) -> float:
    """Peak RSS (MB) of `exprdiff grad --points` on `rows` generated rows, output discarded."""
    data = tmp_path / f"points_{rows}.csv"
    values = np.random.default_rng(rows).uniform(-3, 3, size=(rows, 3)).round(6)
    np.savetxt(data, values, delimiter=",", header="x,y,z", comments="", fmt="%.6g")
    code = textwrap.dedent(f"""
        import resource, subprocess, sys
        subprocess.run([sys.executable, "-m", "exprdiff", "grad", "x*y + sin(z)",
                        "--points", {str(data)!r}, "--wrt", "x", "--format", "jsonl"],
                       stdout=subprocess.DEVNULL, check=False)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, timeout=600)
    return float(out.stdout)


def test_memory_does_not_grow_with_the_file(tmp_path):
    """Issue 14 #7: 1e7 rows took 1.6 GB and a 2 GB file ended in MemoryError. Now the file
    is read a block at a time: 4x the rows, the same peak memory (some MB of slack; reading the
    whole file grew by about 50 bytes a row here)."""
    small = _peak_rss_mb(tmp_path, 150_000)
    large = _peak_rss_mb(tmp_path, 600_000)
    assert large < 200, (small, large)
    assert large - small < 10, (small, large)


def test_json_lines_of_a_point_set_load_no_csv_writer(tmp_path):
    """(The reader uses the standard csv module for the header and for wording bad rows.)"""
    data = tmp_path / "points.csv"
    data.write_text("x,y\n1,2\n")
    code = ("import sys; from exprdiff.cli.commands import main\n"
            f"try: main(['grad', 'x*y', '--points', {str(data)!r}, '--format', 'jsonl'])\n"
            "except SystemExit: pass\n"
            "print('exprdiff.render.csv' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    assert out.splitlines()[-1] == "False"
