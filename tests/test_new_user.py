"""What a new user trips over (issue "What a new user trips over"): readable numbers, the API's
errors, typing, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import missing_tool

import exprdiff
from exprdiff.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_tables_show_twelve_digits_not_float_noise():
    done = run("grad", "x*x + 0*y", "--at", "x=1.4,y=0.1")
    assert done.exit_code == 0, done.output
    assert "1.96" in done.stdout and "1.9599999999999997" not in done.stdout
    exact = run("grad", "x*x", "--at", "x=1.4", "--format", "json")
    assert "1.9599999999999997" in exact.stdout  # JSON stays round-trip exact
    chosen = run("grad", "x*x", "--at", "x=1.4", "--precision", "17")
    assert "1.9599999999999997" in chosen.stdout  # and --precision still decides


def test_markdown_steps_are_readable_too():
    done = run("grad", "sin(x)", "--at", "x=1", "--steps", "--format", "markdown")
    assert "0.841470984808" in done.stdout and "0.8414709848078965" not in done.stdout


def test_str_of_an_error_keeps_its_hint():
    with pytest.raises(exprdiff.ExprError) as caught:
        exprdiff.compile("2x")
    assert "did you mean '2*x'?" in str(caught.value)


def test_arrays_without_numpy_are_a_clear_error():
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import exprdiff\n"
            "try:\n"
            "    exprdiff.compile('x*y').grad({'x': [1, 2], 'y': [3, 4]})\n"
            "except exprdiff.ExprError as problem:\n"
            "    print(problem.kind, '|', problem)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage |") and "pip install 'exprdiff[points]'" in done.stdout


def test_repr_counts_operations_in_words():
    assert repr(exprdiff.compile("x*y")) == "<Compiled 'x*y': 1 operation>"
    assert repr(exprdiff.compile("x*y + 1")) == "<Compiled 'x*y + 1': 2 operations>"


def test_the_package_ships_its_type_hints():
    assert (ROOT / "exprdiff" / "py.typed").is_file()


def complete(words: str, index: int) -> list[str]:
    env = dict(os.environ, COMP_WORDS=words, COMP_CWORD=str(index),
               _EXPRDIFF_COMPLETE="bash_complete", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "exprdiff"], env=env, capture_output=True,
                          text=True, timeout=60)
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]


def test_shell_completion_completes_commands_options_and_formats():
    assert complete("exprdiff gr", 1) == ["grad", "graph"]
    assert "--format" in complete("exprdiff grad x --fo", 3)
    assert complete("exprdiff grad x --format ", 4) == ["table", "json", "jsonl", "csv",
                                                         "markdown", "latex", "html"]


def test_shell_completion_script_is_printed():
    env = dict(os.environ, _EXPRDIFF_COMPLETE="bash_source", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "exprdiff"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert "_exprdiff_completion()" in done.stdout


# ---- the common slips get a hint ----------------------------------------------------------


@pytest.mark.parametrize(("expression", "point", "message", "hint"), [
    ("x*y", "x=1;y=2", "has ';' inside one point", "separate a point's values with commas"),
    ("x*y", "x=1 y=2", "runs two values together", "separate a point's values with commas"),
    ("x*y", "x=1,,y=2", "an empty pair between commas", None),
    ("x*y", "x=1,y=2,", "an empty pair between commas", None),
    ("x*y", "x=\u22121,y=2", "not plain ASCII", "looks like '-'"),
    ("x*y", "x=\u0661,y=2", "not plain ASCII", "ARABIC-INDIC DIGIT ONE"),
    ("x*y", "x=1\u00a0,y=2", "not plain ASCII", "NO-BREAK SPACE"),
    ("x*y", "x=1_000,y=2", "digit-group underscores", None),
    ("x*y", "X=1,y=2", "did you mean 'x'? names are case-sensitive", None),
    ("wx + b", "w=1,x=2,b=3", "'wx', one name: for a product write w*x", None),
    ("sinx", "x=1", "'sinx' is one variable: for the function write sin(x)", None),
    ("sinx + y", "y=1", "no value given for sinx", "for the function write sin(x)"),
])
def test_at_slips_say_what_to_write(expression, point, message, hint):
    done = run("grad", expression, "--at", point)
    assert done.exit_code == 2, done.output
    assert message in done.stderr
    if hint is not None:
        assert hint in done.stderr
    assert "Traceback" not in done.output


def test_batch_slips_semicolon_for_comma_and_trailing_comments():
    done = CliRunner().invoke(main, ["grad", "-", "--format", "jsonl"],
                              input="x*y ; x=1; y=2\nx + 1 ; x=2  # a note\n")
    records = [__import__("json").loads(line) for line in done.stdout.splitlines()]
    assert [r["error"]["hint"] for r in records[:2]] == [
        "';' separates points and ',' the values of one point: did you mean '; x=1, y=2'?"] * 2
    assert records[2]["gradient"] == {"x": 1.0}


def test_the_graph_subtitle_never_cuts_a_name_value_pair():
    point = dict(x1=1, x2=2, w11=0.5, w12=-0.25, b1=0.5, w21=-0.3, w22=0.8, b2=0, v1=1.5,
                 v2=-1, c=0.2)
    text = "relu(w11*x1 + w12*x2 + b1)*v1 + relu(w21*x1 + w22*x2 + b2)*v2 + c"
    subtitle = exprdiff.Graph.of(text, point).subtitle
    shown = subtitle.removeprefix("at ").split(", ")
    assert any(part.startswith("… (") for part in shown)
    for part in shown:
        if not part.startswith("…"):
            name, _, value = part.partition(" = ")
            assert float(value) == point[name], part  # every pair shown is whole and right
    assert len(subtitle) <= 103


@pytest.mark.parametrize("text", ["x + \u0661\u0662", "x*\u0663", "\u09e7 + x"])
def test_digits_of_other_scripts_are_refused_in_expressions(text):
    done = run("grad", text, "--at", "x=1")
    assert done.exit_code == 2, done.output
    assert "unexpected character" in done.stderr and "DIGIT" in done.stderr


def test_two_at_flags_meant_as_one_point_say_so():
    done = run("grad", "x*y", "--at", "x=1", "--at", "y=2")
    assert done.exit_code == 2
    assert "each --at is one whole point" in done.stderr and "--at x=1,y=2" in done.stderr


def test_an_unquoted_point_with_spaces_says_how_to_write_it():
    done = subprocess.run([sys.executable, "-m", "exprdiff", "grad", "x1*2", "--at", "x1", "=",
                           "1"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 2
    assert "without spaces around '='" in done.stderr


def test_counts_in_words_agree_with_their_number():
    done = CliRunner().invoke(main, ["grad", "-", "--format", "jsonl"], input="x ; x=1\n")
    assert "processed 1 line: 1 ok" in done.stderr


NETWORK = ("(relu(w11*x1 + w12*x2 + b1)*v1 + relu(w21*x1 + w22*x2 + b2)*v2 + c - y)**2/2")
NETWORK_AT = "x1=1,x2=2,w11=0.5,w12=-0.25,b1=0.1,w21=-0.3,w22=0.8,b2=0,v1=1.5,v2=-2,c=0.2,y=1"


@pytest.mark.parametrize("extra", [["--path", "x1"], ["--path", "w11"], []])
def test_latex_of_a_network_fits_an_a4_page(tmp_path, extra):
    """Compiled on A4: no overfull box anywhere (tables break across pages, long sums across
    lines, long subexpressions show their nodes' names)."""
    import shutil

    engine = shutil.which("pdflatex")
    if engine is None:
        missing_tool("no pdflatex (.ci/run installs texlive-latex-base as root)")
    done = run("grad", NETWORK, "--at", NETWORK_AT, "--steps", *extra, "--format", "latex")
    assert done.exit_code == 0, done.output
    assert r"\texttt" not in done.stdout.split("\\paragraph")[0]  # the formula is math
    document = "\n".join([r"\documentclass[a4paper]{article}",
                          r"\usepackage{amsmath,longtable}", r"\begin{document}", done.stdout,
                          r"\end{document}"])
    (tmp_path / "net.tex").write_text(document, encoding="utf-8")
    compiled = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "net.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert compiled.returncode == 0, compiled.stdout[-2000:]
    log = (tmp_path / "net.log").read_text(encoding="utf-8", errors="replace")
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]


def test_a_sympy_name_pasted_back_from_diff_says_what_to_write():
    done = run("grad", "Heaviside(a)*2", "--at", "a=1")
    assert done.exit_code == 2
    assert "a SymPy name" in done.stderr and "(1 + sign(x))/2" in done.stderr
    assert "Heaviside*(" not in done.stderr


def test_path_counts_in_words():
    one = run("grad", "y - max(0, w*x + b)", "--at", "y=5,w=2,x=1,b=1", "--path", "w")
    assert "sum over the 1 path =" in one.stdout and "path(s)" not in one.stdout
