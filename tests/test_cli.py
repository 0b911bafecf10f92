"""The `exprdiff grad` command through click's CliRunner: outputs, errors and exit codes."""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS, point_text
from test_parser import BAD_INPUTS

from exprdiff import __version__
from exprdiff.cli.commands import main


def run(runner, *args: str):
    return runner.invoke(main, list(args))


@pytest.mark.parametrize(("text", "point", "value", "gradient"), SEEDS)
def test_seed_examples_as_json(runner, text, point, value, gradient):
    result = run(runner, "grad", text, "--at", point_text(point), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["expression"] == text
    assert data["at"] == point
    assert data["value"] == value
    assert data["gradient"] == gradient
    assert list(data["gradient"]) == list(gradient)
    assert data["warnings"] == []


def test_seed_001_as_a_table(runner):
    result = run(runner, "--no-color", "grad", "x1**2 + 3*(x2*x3 - x1**2)",
                 "--at", "x1=1,x2=2,x3=3")
    assert result.exit_code == 0
    lines = [line.split() for line in result.stdout.splitlines()]
    rows = {line[0]: line[1] for line in lines if len(line) == 2 and line[0].startswith(("f", "∂"))}
    assert rows == {"f": "16", "∂f/∂x1": "-4", "∂f/∂x2": "9", "∂f/∂x3": "6"}
    assert "\x1b[" not in result.stdout


def test_several_points_give_a_json_list(runner):
    result = run(runner, "grad", "x*y", "--at", "x=1,y=2", "--at", "x=3,y=4", "--format", "json")
    data = json.loads(result.stdout)
    assert [d["value"] for d in data] == [2.0, 12.0]
    assert [d["gradient"] for d in data] == [{"x": 2.0, "y": 1.0}, {"x": 4.0, "y": 3.0}]


def test_wrt_and_constant_expressions_as_values(runner):
    result = run(runner, "grad", "sin(x)*t", "--at", "x=pi/2, t=atan2(1, 1)", "--wrt", "t",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["gradient"]) == ["t"]
    assert data["gradient"]["t"] == pytest.approx(1.0)


def test_precision(runner):
    result = run(runner, "grad", "x/3", "--at", "x=1", "--precision", "3")
    assert "0.333" in result.stdout and "0.3333" not in result.stdout


def test_kink_is_a_warning_with_exit_0(runner):
    result = run(runner, "grad", "abs(x)", "--at", "x=0", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["warnings"][0]["node"] == "z1"
    assert data["warnings"][0]["used"] == [0.0]
    table = run(runner, "grad", "abs(x)", "--at", "x=0")
    assert "warning: not differentiable at node z1 = abs(x): abs has a corner at 0" in table.stdout


def test_strict_turns_the_kink_into_exit_1(runner):
    result = run(runner, "grad", "relu(x)", "--at", "x=0", "--strict")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: not differentiable")


def test_domain_error_exit_1_names_node(runner):
    result = run(runner, "grad", "log(x - 1)", "--at", "x=1")
    assert result.exit_code == 1
    assert "node z2 = log(x - 1)" in result.stderr
    assert "Traceback" not in result.output


def test_failed_point_among_good_ones_keeps_the_good_results(runner):
    result = run(runner, "grad", "log(x)", "--at", "x=1", "--at", "x=-1", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data[0]["value"] == 0.0
    assert data[1]["error"]["kind"] == "domain"


@pytest.mark.parametrize(("text", "kind", "column", "fragment"),
                         [b for b in BAD_INPUTS if b[1] == "parse"],
                         ids=[repr(b[0]) for b in BAD_INPUTS if b[1] == "parse"])
def test_bad_expressions_exit_2_with_one_error_message(runner, text, kind, column, fragment):
    result = run(runner, "grad", text, "--at", "x=1")
    assert result.exit_code == 2
    assert result.stdout == ""
    err = result.stderr.splitlines()
    assert err[0].startswith("error: ")
    assert sum(line.startswith("error:") for line in err) == 1
    if column is not None:
        assert err[2].strip() == "^"
    assert "Traceback" not in result.stderr


BAD_POINTS = [
    ("x1", "is not NAME=VALUE"),
    ("x1=1,x2=2", "no value given for x3"),
    ("x1=1,x2=2,x3=3,x4=4", "unknown variable 'x4'"),
    ("x1=1,x2=2,x3=3,xx1=1", "did you mean 'x1'?"),
    ("x1=1,x1=2,x2=2,x3=3", "x1 is given twice"),
    ("x1=abc,x2=2,x3=3", "must be a number or a constant expression, not 'abc'"),
    ("x1=1+,x2=2,x3=3", "the value of x1 is not a number: '1+'"),
    ("x1=nan,x2=2,x3=3", "finite"),
    ("x1=inf,x2=2,x3=3", "finite"),
    ("x1=1e999,x2=2,x3=3", "finite"),
    ("x1=1,x2=2,x3=3,pi=3", "pi is a constant"),
    ("x1=1,x2=2,x3=3,e=2", "e is a constant"),
    ("x1=,x2=2,x3=3", "has no value"),
    ("=1,x2=2,x3=3", "no variable name"),
    ("x1=y,x2=2,x3=3", "a number or a constant expression"),
]


@pytest.mark.parametrize(("point", "fragment"), BAD_POINTS, ids=[p[0] for p in BAD_POINTS])
def test_bad_points_exit_2_listing_the_variables(runner, point, fragment):
    result = run(runner, "grad", "x1**2 + 3*(x2*x3 - x1**2)", "--at", point)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert fragment in result.stderr
    assert "the expression's variables: x1, x2, x3" in result.stderr


def test_missing_at_is_a_usage_error(runner):
    result = run(runner, "grad", "x + y")
    assert result.exit_code == 2
    assert "no point given: add --at x=1,y=1" in result.stderr


@pytest.mark.parametrize("args", [["grad", "x", "--bogus"], ["nosuchcommand"],
                                  ["grad", "x", "--format", "yaml"],
                                  ["grad", "x", "--precision", "0"], ["grad"]])
def test_click_usage_errors_are_one_error_line_exit_2(runner, args):
    result = run(runner, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_version(runner):
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize("command", [[], ["grad"]])
def test_help_has_a_real_example(runner, command):
    result = run(runner, *command, "--help")
    assert result.exit_code == 0
    assert 'exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3' in result.stdout


def test_internal_errors_never_show_a_traceback(runner, monkeypatch):
    import exprdiff.cli.commands

    def broken(text: str, **options: object):
        raise RuntimeError("boom")

    monkeypatch.setattr(exprdiff.cli.commands, "compile", broken)
    result = run(runner, "grad", "x", "--at", "x=1")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error (RuntimeError: boom)")
    assert "Traceback" not in result.output


def test_the_other_commands_load_when_asked_for_and_are_suggested(runner):
    """diff, graph, hessian and codegen live in cli/others.py, which the group loads lazily:
    --help lists them, each runs, and a misspelt one is still suggested."""
    import subprocess
    import sys

    fresh = subprocess.run([sys.executable, "-m", "exprdiff", "hesian", "x"],  # nothing loaded
                           capture_output=True, text=True, timeout=60, check=False)
    assert fresh.returncode == 2 and "Did you mean 'hessian'?" in fresh.stderr, fresh.stderr
    listed = run(runner, "--help").output
    assert all(f"  {name} " in listed for name in ("codegen", "diff", "grad", "graph", "hessian"))
    assert run(runner, "hessian", "x*y", "--at", "x=1,y=2", "--format", "json").exit_code == 0
