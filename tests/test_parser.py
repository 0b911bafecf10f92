"""The language of SPEC §2: what parses to what, and what is refused with which message."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exprdiff
from exprdiff import ExprError
from exprdiff.syntax.parser import parse


def value(text: str, **point: float) -> float:
    return exprdiff.compile(text).value(point)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-2**2", -4.0),           # -x**2 is -(x**2)
        ("2**-1", 0.5),            # 2**-x is allowed
        ("2**3**2", 512.0),        # right-associative
        ("2^3^2", 512.0),          # ^ is a synonym of **
        ("(2**3)**2", 64.0),
        ("8/4/2", 1.0),            # left-associative
        ("8-4-2", 2.0),
        ("2*3+4*5", 26.0),
        ("+3 - -2", 5.0),
        (".5 + 1E3 + 6.674e-11", 0.5 + 1000 + 6.674e-11),
        ("2.5e+2", 250.0),
        ("pi", math.pi),
        ("e", math.e),
        ("log(8, 2)", 3.0),
        ("max(1, 5, 3)", 5.0),
        ("min(4, 2, 3, 9)", 2.0),
        ("pow(2, 10)", 1024.0),
        ("hypot(3, 4)", 5.0),
        ("atan2(1, 1)", math.pi / 4),
        ("ln(e)", 1.0),
        ("  1 +\n 2  ", 3.0),
    ],
)
def test_grammar_values(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15)


def test_variable_names():
    compiled = exprdiff.compile("theta + m_0 + Ef + _x9 + x1")
    assert compiled.variables == ("theta", "m_0", "Ef", "_x9", "x1")


def test_names_that_only_start_like_functions_or_constants_are_variables():
    compiled = exprdiff.compile("sinx + pix + ex + exp1")
    assert compiled.variables == ("sinx", "pix", "ex", "exp1")


def test_ast_nodes_carry_columns():
    tree = parse("x1 + sin(x2)")
    assert tree.op == "add" and tree.column == 4
    assert tree.args[1].op == "sin" and tree.args[1].column == 6


# (input, kind, column or None, a fragment of the message or hint)
BAD_INPUTS = [
    ("x1 + )", "parse", 6, "unexpected ')'"),
    ("x1 +", "parse", 5, "unexpected end of expression"),
    ("(x + 1", "parse", 1, "never closed"),
    ("x + 1)", "parse", 6, "no matching '('"),
    ("2x", "parse", 2, "did you mean '2*x'?"),
    ("2(x + 1)", "parse", 2, "did you mean '2*('?"),
    ("(a)(b)", "parse", 4, "did you mean"),
    ("sin x", "parse", 5, "did you mean 'sin(x)'?"),
    ("x y", "parse", 3, "did you mean 'x*y'?"),
    ("sni(x)", "parse", 1, "unknown function 'sni' at line 1, column 1; did you mean 'sin'?"),
    ("sqr(x)", "parse", 1, "did you mean 'sqrt'?"),
    ("f(x)", "parse", 1, "unknown function 'f'"),
    ("e(x)", "parse", 1, "'e' is a constant, not a function"),
    ("sin + 1", "parse", 1, "'sin' is a function"),
    ("sin()", "parse", 1, "sin takes 1 argument, got 0 arguments"),
    ("sin(x, y)", "parse", 1, "sin takes 1 argument, got 2"),
    ("max(x)", "parse", 1, "max takes 2 or more arguments, got 1"),
    ("atan2(x)", "parse", 1, "atan2 takes 2 arguments"),
    ("log(x, 2, 3)", "parse", 1, "log takes 1 or 2 arguments"),
    ("x − y", "parse", 3, "did you mean '-'?"),
    ("x × y", "parse", 3, "did you mean '*'?"),
    ("x · y", "parse", 3, "did you mean '*'?"),
    ("x ÷ y", "parse", 3, "did you mean '/'?"),
    ("x²", "parse", 2, "did you mean '**2'?"),
    ("x + 1 = 2", "parse", 7, "no equations"),
    ("x; y", "parse", 2, "only the last one may be a bare expression"),
    ("x ** * 2", "parse", 6, "expected a number, a variable, a function call or '('"),
    ("x +* 2", "parse", 4, "unexpected '*'"),
    ("", "parse", None, "empty expression"),
    ("   ", "parse", None, "empty expression"),
    ("1e999", "parse", 1, "too large"),
    ("[x]", "parse", 1, "grouping"),
    ("x,y", "parse", 2, "unexpected ','"),
    ("x!", "parse", 2, "factorial"),
    ("log(0)", "domain", 1, "undefined"),
]


@pytest.mark.parametrize(("text", "kind", "column", "fragment"), BAD_INPUTS,
                         ids=[repr(b[0]) for b in BAD_INPUTS])
def test_bad_inputs_are_errors_with_a_column(text, kind, column, fragment):
    with pytest.raises(ExprError) as caught:
        exprdiff.compile(text)
    error = caught.value
    assert error.kind == kind
    assert error.column == column
    assert fragment in error.message + "\n" + (error.hint or "")
    rendered = error.render()
    assert rendered.startswith("error: ")
    if column is not None:
        lines = rendered.splitlines()
        assert lines[1].strip() == text.strip()
        caret = lines[2]
        assert caret.rstrip().endswith("^")
        assert caret.index("^") - 2 == column - 1  # two spaces of indentation


def test_multiline_input_reports_line_and_column():
    with pytest.raises(ExprError) as caught:
        exprdiff.compile("x +\n  * 2")
    assert "at line 2, column 3" in caught.value.message
    assert caught.value.render().splitlines()[1] == "    * 2"


# ---- issue 14 item 6: mistakes worded from the first parse, as Lark words them -------------

_VALID = ["x1**2 + 3*(x2*x3 - x1**2)", "y - max(0, w*x + b)", "sin(x)*exp(-t)",
          "log(x, 2) + hypot(a, b, c)", "2**-x ^ 3", "atan2(y, x)/(1 + e) - -z"]
# No '=' or ';': they make programs, whose layout (an empty statement, two on one line) only
# the fast loop words (tests/test_programs.py); Lark parses no program to word a mistake.
_EDITS = list("x1 .e+-*/^(),\t\n_é×![]") + ["**", "sin", "max(", "pi", "1e999", "2x", ""]


def _outcome(parse_function, text: str):
    try:
        parse_function(text)
    except ExprError as error:
        return error.kind, error.message, error.column, error.hint, error.source == text
    return None


def _mistakes() -> list[str]:
    from hostile import corpus

    texts = [text for text, kind, _, _ in BAD_INPUTS if kind == "parse"]
    texts += [case.text for case in corpus() if case.kind == "expr"]
    # Lark words the references; programs ('=' or ';') are left out: their layout (an empty
    # statement, two on one line) only the fast loop words (tests/test_programs.py)
    return [text for text in texts if len(text) < 5_000 and not set(text) & set("=;")]


@st.composite
def _edited(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_VALID))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 3)))
        text = text[:i] + draw(st.sampled_from(_EDITS)) + text[j:]
    return text


def _worded_without_lark(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> None:
    """parse and parse_tape give Lark's own error for each text, without Lark being asked."""
    from exprdiff.lowering import lower
    from exprdiff.syntax import lark_errors
    from exprdiff.syntax.parser import parse_tape

    expected = {text: (_outcome(lark_errors.parse_with_lark, text),
                       _outcome(lambda t: lower(lark_errors.parse_with_lark(t), t), text))
                for text in texts}

    def no_lark(*args: object, **kwargs: object) -> None:
        raise AssertionError("Lark was asked to parse again")

    with monkeypatch.context() as patch:
        patch.setattr(lark_errors, "lark", no_lark)
        patch.setattr(lark_errors, "parse_with_lark", no_lark)
        for text, (tree, tape) in expected.items():
            assert _outcome(parse, text) == tree, text
            assert _outcome(parse_tape, text) == tape, text


def test_the_corpus_mistakes_are_worded_without_lark_as_lark_words_them(monkeypatch):
    texts = _mistakes()
    assert len(texts) > 150
    _worded_without_lark(monkeypatch, texts)


@settings(max_examples=400, deadline=None)
@given(st.lists(_edited(), min_size=5, max_size=5))
def test_edited_expressions_are_worded_without_lark_as_lark_words_them(texts):
    with pytest.MonkeyPatch.context() as monkeypatch:
        _worded_without_lark(monkeypatch, texts)


def test_a_megabyte_with_a_mistake_near_its_end_is_reported_in_seconds():
    from measure import run_measured

    terms = "+".join(["x"] * 499_990)
    text = terms[:-20] + "*)" + terms[-18:]  # 999 980 characters; the ')' near the end
    done = run_measured(["grad", "-", "--at", "x=1", "--format", "jsonl"], stdin=text + "\n")
    print(done)
    assert done.code == 1 and not done.timed_out, str(done)
    record = json.loads(done.stdout)
    assert record["error"] == {"kind": "parse", "column": len(text) - 18, "hint":
                               "this ')' has no matching '('", "message":
                               f"unexpected ')' at line 1, column {len(text) - 18}"}
    # 13 s of CPU and 187 MB when Lark parsed the text again to word the error
    assert done.cpu <= 6.0 and done.rss_mb < 300, str(done)
