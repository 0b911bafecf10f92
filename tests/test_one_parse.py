"""Text is lexed and parsed once per run: the parser is instrumented and every way it can be
entered (the tape loop, the tree loop, Lark itself) is counted."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from exprdiff.cli import main
from exprdiff.syntax import lark_errors, parser

SEED = "x1**2 + 3*(x2*x3 - x1**2)"


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    calls: list[str] = []

    def counted(name: str, module: object):
        original = getattr(module, name)

        def wrapper(text: str, *args: object, **kwargs: object):
            calls.append(text)
            return original(text, *args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted("_fast_tape", parser)
    counted("_fast_tree", parser)
    counted("parse_with_lark", lark_errors)
    return calls


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_the_counter_counts(parses):
    from exprdiff import compile

    compile(SEED)
    compile(SEED, tree=True)
    assert parses == [SEED, SEED]


def test_steps_as_latex_with_check_parse_once(parses):
    done = run("grad", SEED, "--at", "x1=1,x2=2,x3=3", "--steps", "--format", "latex",
               "--check")
    assert done.exit_code == 0, done.output
    assert r"\frac{\partial f}{\partial x_{1}} &= -4" in done.stdout
    assert parses == [SEED]


def test_a_failing_point_with_steps_parses_once(parses):
    done = run("grad", "log(x - 1) + sqrt(y)", "--at", "x=1,y=1", "--steps", "--format",
               "latex")
    assert done.exit_code == 1 and "longtable" in done.stdout
    assert parses == ["log(x - 1) + sqrt(y)"]


def test_diff_parses_once(parses):
    done = run("diff", SEED, "--format", "json")
    assert done.exit_code == 0, done.output
    assert parses == [SEED]


def test_a_batch_with_check_parses_each_distinct_expression_once(parses):
    lines = (f"{SEED} ; x1=1, x2=2, x3=3 ; x1=2, x2=1, x3=0\n"
             f"sin(x) ; x=1\n{SEED} ; x1=0, x2=0, x3=1\n")
    done = run("grad", "-", "--check", "--format", "jsonl", input=lines)
    assert done.exit_code == 0, done.output
    assert sorted(parses) == sorted([SEED, "sin(x)"])


def test_graph_with_a_point_parses_once(parses):
    done = run("graph", SEED, "--at", "x1=1,x2=2,x3=3")
    assert done.exit_code == 0, done.output
    assert parses == [SEED]
