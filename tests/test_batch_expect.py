"""A batch JSON line's "expect": claims about the gradient checked line by line (issue 18)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from exprdiff.batch.lines import json_line, split_line
from exprdiff.cli.commands import main
from exprdiff.errors import ExprError

LINES = [
    {"expr": "x**2*y + sin(x*y)", "expect": "x=2*x*y + y*cos(x*y), y=x**2 + x*cos(x*y)"},
    {"expr": "sqrt(x**2)*y", "expect": {"x": "y", "y": "sqrt(x**2)"},
     "at": [{"x": 1, "y": 2}, {"x": -1, "y": 2}]},
    {"expr": "x*y", "expect": {"x": 3}, "at": {"x": 1, "y": 2}},
]


def run(lines: list[str], *args: str):
    return CliRunner().invoke(main, ["--no-color", "grad", "-", *args],
                              input="\n".join(lines) + "\n")


def records(lines: list[str]) -> list[dict]:
    done = run(lines, "--format", "jsonl")
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_right_partly_and_wrong_claims_line_by_line():
    found = records([json.dumps(line) for line in LINES])
    first, second, third = (r["expect"] for r in found)
    assert first["ok"] and first["sampled"] and first["points"] == 20
    assert {c["verdict"] for c in first["claims"].values()} == {"right"}
    assert not second["ok"] and second["claims"]["x"]["verdict"] == "partly"
    assert second["claims"]["x"]["where"] == "x > 0"
    assert second["claims"]["y"]["verdict"] == "right"
    assert third["claims"]["x"]["verdict"] == "wrong"
    assert third["claims"]["x"]["mismatch"] == {"at": {"x": 1.0, "y": 2.0}, "claimed": 3.0,
                                                "true": 2.0, "why": None}


def test_a_wrong_claim_fails_the_batch_and_the_other_lines_go_on():
    done = run([json.dumps(LINES[2]), "x*y ; x=1, y=2"], "--format", "jsonl")
    assert done.exit_code == 1
    assert json.loads(done.stdout.splitlines()[1])["gradient"] == {"x": 2.0, "y": 1.0}
    assert run([json.dumps(LINES[0])], "--format", "jsonl").exit_code == 0


@pytest.mark.parametrize(("expect", "message"), [
    (5, '"expect" must be a string or an object'),
    ({"x": [1]}, "must be a formula or a number"),
    ({}, '"expect" must be a string or an object'),
    ({"z": "1"}, "z is not a variable"),
    ({"x": "2*"}, "x"),
])
def test_bad_claims_are_errors_of_their_line(expect, message):
    (record,) = records([json.dumps({"expr": "x*y", "expect": expect, "at": {"x": 1, "y": 2}})])
    assert record["error"]["kind"] in ("usage", "parse") and message in record["error"]["message"]


def test_the_table_and_csv_show_the_verdicts():
    lines = [json.dumps(line) for line in LINES]
    table = run(lines).output
    assert "claims ∂f/∂x right; ∂f/∂y right" in table
    assert "claim ∂f/∂x = 3: at x = 1, y = 2 claimed 3, true 2 (SymPy: y)" in table
    rows = run(lines, "--format", "csv").stdout.splitlines()
    assert rows[0].endswith(",expect_ok,expect")
    assert rows[3].endswith(",false,∂f/∂x wrong")


def test_json_line_reads_the_claims_and_split_line_is_unchanged():
    text = json.dumps({"expr": "x*y", "expect": {"x": "y", "y": 1.5}})
    assert json_line(text) == ("x*y", [], "x=y, y=1.5")
    assert split_line(text) == ("x*y", [])
    with pytest.raises(ExprError, match="unknown key 'claims'"):
        split_line(json.dumps({"expr": "x", "claims": "x=1"}))
