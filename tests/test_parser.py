"""The language of SPEC §2: what parses to what, and what is refused with which message."""

from __future__ import annotations

import math

import pytest

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
    ("x = 1", "parse", 3, "not an equation"),
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
