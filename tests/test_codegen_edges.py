"""Generated code near the edges of the doubles (issue 14's promise, kept by codegen): where a
one-argument row's slope falls below the normal range, the code raises instead of giving 0."""

from __future__ import annotations

import pytest

import exprdiff
from exprdiff.codegen import compile_python


@pytest.mark.parametrize(("text", "point"), [
    ("tanh(x + 400)", {"x": 2.0}),  # 1 - tanh² is about 1e-349
    ("exp(x - 800)", {"x": 1.0}),
    ("erf(x + 30)", {"x": 0.5}),
    ("sigmoid(x - 760)", {"x": 0.0}),
])
def test_a_slope_that_underflows_raises_where_exprdiff_says_so(text, point):
    compiled = exprdiff.compile(text)
    with pytest.raises(exprdiff.ExprError, match="too small"):
        compiled.grad(point)
    function = compile_python(compiled.tape, strict=False)
    with pytest.raises(ArithmeticError, match="below the doubles' normal range"):
        function(*point.values())


def test_a_normal_slope_is_used_as_it_is():
    compiled = exprdiff.compile("tanh(x + 300)")
    value, gradient = compile_python(compiled.tape)(2.0)
    result = compiled.grad({"x": 2.0})
    assert value == result.value and gradient == (result.gradient["x"],)
    assert 0 < gradient[0] < 1e-250
