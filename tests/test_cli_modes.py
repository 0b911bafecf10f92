"""`exprdiff grad`'s options that do not combine: every rule of cli/modes.py's table is a usage
error (exit 2) naming the option and the mode; the combinations that work still work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exprdiff.cli.commands import main
from exprdiff.cli.modes import (
    ALL_FORMATS,
    BATCH,
    CONVENTIONS,
    DATA,
    EXPECT,
    FORWARD,
    NEEDS,
    ONE,
    POINTS,
    Mode,
)

CSV = "{csv}"  # a points file (x,y), also an existing --file

#: (mode, arguments after `grad`, the option the message names, a fragment naming the mode)
REFUSED: list[tuple[Mode, list[str], str, str]] = [
    # --points: csv or jsonl out; --wrt, --strict and --max-size apply, nothing else
    (POINTS, ["x*y", "--points", CSV, "--at", "x=1,y=2"], "--at", "with --points"),
    (POINTS, ["x*y", "--points", CSV, "--steps"], "--steps", "with --points"),
    (POINTS, ["x*y", "--points", CSV, "--path", "x"], "--path", "with --points"),
    (POINTS, ["x*y", "--points", CSV, "--check"], "--check", "--check does not work with "
     "--points (one point at a time: use --at, or a batch with --check)"),
    (POINTS, ["x*y", "--points", CSV, "--timeout", "5"], "--timeout", "with --points"),
    (POINTS, ["x*y", "--points", CSV, "--jobs", "2"], "--jobs", "with --points"),
    (POINTS, ["x*y", "--points", CSV, "--precision", "3"], "--precision", "with --points"),
    *[(POINTS, ["x*y", "--points", CSV, "--format", f], "--format", f"--format {f} is not "
       "available for --points") for f in ("table", "json", "markdown", "latex")],
    # a batch: no step tables, no --points, no --max-size; table, json, jsonl or csv
    (BATCH, ["-", "--steps"], "--steps", "not in batch mode"),
    (BATCH, ["-", "--path", "x"], "--path", "not in batch mode"),
    (BATCH, ["-", "--points", CSV], "--points", "not in batch mode"),
    (BATCH, ["-", "--max-size", "100"], "--max-size", "not in batch mode"),
    *[(BATCH, ["-", "--format", f], "--format", f"--format {f} is not available for a batch")
      for f in ("markdown", "latex")],
    *[(BATCH, ["-", "--precision", "3", "--format", f], "--precision", "for a batch")
      for f in ("json", "jsonl", "csv")],
    (BATCH, ["-", "--timeout", "5"], "--timeout", "without --check"),
    (BATCH, ["x", "--file", CSV], "--file", "give EXPR or --file, not both"),
    # one EXPR at --at points: no --jobs; --precision rounds table, markdown and latex only
    (ONE, ["x", "--at", "x=1", "--jobs", "2"], "--jobs", "with one EXPR"),
    (ONE, ["x", "--at", "x=1", "--jobs", "1"], "--jobs", "with one EXPR"),  # the default, typed
    *[(ONE, ["x", "--at", "x=1", "--precision", "3", "--format", f], "--precision",
       "for one EXPR") for f in ("json", "jsonl", "csv")],
    (ONE, ["x", "--at", "x=1", "--steps", "--format", "csv"], "--steps", "for one EXPR"),
    (ONE, ["x", "--at", "x=1", "--path", "x", "--format", "csv"], "--path", "for one EXPR"),
    (ONE, ["x", "--at", "x=1", "--timeout", "5"], "--timeout", "without --check"),
    (ONE, ["--at", "x=1"], "EXPR", "missing EXPR"),
    (ONE, ["x", "--at", "x=1", "--samples", "5"], "--samples", "without --expect"),
    (ONE, ["x", "--at", "x=1", "--seed", "5"], "--seed", "without --expect"),
    # --expect: claims checked at --at or at random points; table, json or jsonl
    (POINTS, ["x*y", "--points", CSV, "--expect", "x=y"], "--expect", "with --points"),
    (BATCH, ["-", "--expect", "x=1"], "--expect", "not in batch mode"),
    (BATCH, ["-", "--samples", "5"], "--samples", "without --expect"),
    (BATCH, ["-", "--seed", "5"], "--seed", "without --expect"),
    (POINTS, ["x*y", "--points", CSV, "--samples", "5"], "--samples", "without --expect"),
    (POINTS, ["x*y", "--points", CSV, "--seed", "5"], "--seed", "without --expect"),
    *[(EXPECT, ["x*y", "--expect", "x=y", *extra], option, "with --expect") for option, extra in (
        ("--steps", ["--steps"]), ("--path", ["--path", "x"]), ("--check", ["--check"]),
        ("--jobs", ["--jobs", "2"]), ("--wrt", ["--wrt", "x"]),
        ("--precision", ["--precision", "3"]))],
    (BATCH, ["-", "--mode", "forward"], "--mode", "not in batch mode"),
    (BATCH, ["-", "--direction", "x=1"], "--direction", "not in batch mode"),
    (POINTS, ["x*y", "--points", CSV, "--mode", "forward"], "--mode", "with --points"),
    (POINTS, ["x*y", "--points", CSV, "--direction", "x=1"], "--direction", "with --points"),
    (EXPECT, ["x*y", "--expect", "x=y", "--mode", "forward"], "--mode", "with --expect"),
    (EXPECT, ["x*y", "--expect", "x=y", "--direction", "x=1"], "--direction", "with --expect"),
    # forward mode: no paths (the backward sweep's), no --check, no --jobs; not csv
    (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward", "--path", "x"], "--path",
     "in forward mode"),
    (FORWARD, ["x*y", "--at", "x=1,y=2", "--direction", "x=1", "--check"], "--check",
     "in forward mode"),
    (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward", "--jobs", "2"], "--jobs",
     "in forward mode"),
    *[(FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward", option, "5"], option,
       f"{option} does nothing without") for option in ("--timeout", "--samples", "--seed")],
    (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward", "--format", "csv"], "--format",
     "--format csv is not available in forward mode"),
    (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward", "--precision", "3", "--format",
               "json"], "--precision", "in forward mode"),
    # programs (issue 16): --of picks outputs of one program; --data is its training set
    *[(mode, [*head, option, *value], option, fragment)
      for mode, head, fragment in (
          (BATCH, ["-"], "not in batch mode"),
          (POINTS, ["x*y", "--points", CSV], "with --points"),
          (EXPECT, ["x*y", "--expect", "x=y"], "with --expect"),
          (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward"], "in forward mode"))
      for option, value in (("--of", ["f"]), ("--data", [CSV]))],
    *[(mode, [*head, option, value], option, f"{option} does nothing without --data")
      for mode, head in ((ONE, ["x", "--at", "x=1"]), (BATCH, ["-"]),
                         (POINTS, ["x*y", "--points", CSV]),
                         (EXPECT, ["x*y", "--expect", "x=y"]),
                         (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward"]))
      for option, value in (("--reduce", "sum"), ("--row", "2"))],
    *[(DATA, ["x*y", "--data", CSV, "--at", "y=1", *extra], option, "with --data")
      for option, extra in (("--path", ["--path", "x"]), ("--check", ["--check"]),
                            ("--jobs", ["--jobs", "2"]), ("--of", ["--of", "f"]),
                            ("--format", ["--format", "csv"]),
                            ("--steps", ["--steps", "--format", "json"]))],
    *[(DATA, ["x*y", "--data", CSV, "--at", "y=1", option, "5"], option,
       f"{option} does nothing without") for option in ("--timeout", "--samples", "--seed")],
    *[(EXPECT, ["x*y", "--expect", "x=y", "--format", f], "--format",
       f"--format {f} is not available with --expect") for f in ("csv", "markdown", "latex")],
    # --conventions: one EXPR at --at points, reverse mode's partials; table, markdown or json
    (BATCH, ["-", "--conventions"], "--conventions", "not in batch mode"),
    *[(CONVENTIONS, ["abs(x)", "--at", "x=0", "--conventions", option, value], option, fragment)
      for option, value, fragment in (
          ("--of", "f", "with --conventions"), ("--data", CSV, "with --conventions"),
          ("--reduce", "sum", "--reduce does nothing without --data"),
          ("--row", "2", "--row does nothing without --data"))],
    (POINTS, ["x*y", "--points", CSV, "--conventions"], "--conventions", "with --points"),
    (EXPECT, ["x*y", "--expect", "x=y", "--conventions"], "--conventions", "with --expect"),
    (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode", "forward", "--conventions"], "--mode",
     "with --conventions"),
    *[(CONVENTIONS, ["abs(x)", "--at", "x=0", "--conventions", *extra], option,
       "with --conventions") for option, extra in (
        ("--steps", ["--steps"]), ("--path", ["--path", "x"]), ("--check", ["--check"]),
        ("--jobs", ["--jobs", "2"]), ("--wrt", ["--wrt", "x"]), ("--mode", ["--mode", "reverse"]),
        ("--direction", ["--direction", "x=1"]),
        ("--precision", ["--precision", "3", "--format", "json"]))],
    *[(CONVENTIONS, ["abs(x)", "--at", "x=0", "--conventions", option, "5"], option,
       f"{option} does nothing without") for option in ("--timeout", "--samples", "--seed")],
    *[(CONVENTIONS, ["abs(x)", "--at", "x=0", "--conventions", "--format", f], "--format",
       f"--format {f} is not available with --conventions") for f in ("csv", "jsonl", "latex")],
    # --dask (a batch on a Dask cluster) and its --output-dir: batch mode only, not with --jobs
    *[(mode, [*args, "--dask", "local"], "--dask", mode.refusal.format(option="--dask"))
      for mode, args in (
        (ONE, ["x", "--at", "x=1"]), (POINTS, ["x*y", "--points", CSV]),
        (EXPECT, ["x*y", "--expect", "x=y"]), (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode",
                                                         "forward"]),
        (CONVENTIONS, ["abs(x)", "--at", "x=0", "--conventions"]),
        (DATA, ["x*y", "--data", CSV, "--at", "y=1"]))],
    *[(mode, [*args, "--output-dir", "parts"], "--output-dir", "does nothing without --dask")
      for mode, args in (
        (ONE, ["x", "--at", "x=1"]), (POINTS, ["x*y", "--points", CSV]),
        (EXPECT, ["x*y", "--expect", "x=y"]), (FORWARD, ["x*y", "--at", "x=1,y=2", "--mode",
                                                         "forward"]),
        (CONVENTIONS, ["abs(x)", "--at", "x=0", "--conventions"]),
        (DATA, ["x*y", "--data", CSV, "--at", "y=1"]),
        (BATCH, ["-", "--format", "jsonl"]))],
    (BATCH, ["-", "--dask", "local", "--output-dir", "parts"], "--output-dir",
     "--output-dir does not work with --format table for a batch"),
    (BATCH, ["-", "--dask", "local", "--jobs", "2"], "--jobs", "--jobs does not work with --dask"),
]


def _args(args: list[str], csv: Path) -> list[str]:
    return ["grad", *(str(csv) if a == CSV else a for a in args)]


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,2\n3,4\n")
    return path


@pytest.mark.parametrize(("mode", "args", "option", "fragment"), REFUSED,
                         ids=[" ".join(args) for _, args, _, _ in REFUSED])
def test_an_option_the_mode_ignores_is_a_usage_error(runner, csv, mode, args, option, fragment):
    result = runner.invoke(main, _args(args, csv), input="x*y ; x=1, y=2\n")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: "), result.stderr
    message = result.stderr.splitlines()[0]
    assert option in message and fragment in message, message
    assert result.stdout == ""  # refused before anything ran
    assert "Traceback" not in result.output


def _rules(mode: Mode) -> set[str]:
    """The options the table refuses or limits in `mode`."""
    rules = set(mode.refused) | set(mode.limited)
    rules |= {"--format"} if mode.formats != ALL_FORMATS else set()
    return rules | {option for option, (other, _) in NEEDS.items()
                    if option not in mode.refused and other not in mode.provides}


@pytest.mark.parametrize("mode", [ONE, BATCH, POINTS, EXPECT, FORWARD, DATA, CONVENTIONS],
                         ids=lambda mode: mode.name)
def test_every_rule_of_the_table_has_a_case(mode):
    cases = {option for m, _, option, _ in REFUSED if m is mode}
    assert _rules(mode) <= cases


def test_every_refused_option_is_named_at_once(runner, csv):
    result = runner.invoke(main, _args(["x*y", "--points", CSV, "--check", "--steps",
                                        "--format", "markdown"], csv))
    assert result.exit_code == 2
    message = result.stderr.splitlines()[0]
    assert "does not work with --points (" in message and "; also refused: " in message
    assert all(option in message for option in ("--check", "--steps", "--format markdown"))


def test_points_with_the_options_that_apply(runner, csv):
    args = ["x*y", "--points", CSV, "--wrt", "y", "--strict", "--max-size", "100"]
    result = runner.invoke(main, _args([*args, "--format", "jsonl"], csv))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["gradient"] for line in result.stdout.splitlines()] == [
        {"y": 1.0}, {"y": 3.0}]
    result = runner.invoke(main, _args([*args, "--format", "csv"], csv))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("1,2.0,1.0,")


def test_a_batch_with_the_options_that_apply(runner):
    result = runner.invoke(main, ["grad", "-", "--at", "x=1,y=2", "--wrt", "x", "--strict",
                                  "--jobs", "1", "--precision", "3", "--format", "table"],
                           input="x*y/3\n")
    assert result.exit_code == 0, result.output
    assert "0.667" in result.stdout and "0.6667" not in result.stdout


def test_one_expr_with_the_options_that_apply(runner):
    args = ["grad", "x*y/3", "--at", "x=1,y=2", "--wrt", "x", "--strict", "--max-size", "100"]
    result = runner.invoke(main, [*args, "--precision", "3", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "0.667" in result.stdout and "0.6667" not in result.stdout
    result = runner.invoke(main, [*args, "--steps", "--path", "x", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert "steps" in json.loads(result.stdout)
    result = runner.invoke(main, [*args, "--check", "--timeout", "30", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["check"]["ok"] is True
