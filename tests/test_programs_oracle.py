"""Programs against the oracle (issue 16, acceptance 7): --check on the seeds' programs, and
random programs whose statements reuse earlier names, checked against SymPy (built from the
statements' syntax tree, never from text) and central finite differences."""

from __future__ import annotations

import math
import re
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from test_programs import NETWORK, NETWORK_ARG, SEED001, SEED002

import exprdiff
from exprdiff.cli import main
from exprdiff.oracle.symbolic import partials_job

pytest.importorskip("sympy", reason="the oracle needs SymPy")

EXAMPLES = 500
SEED = 20261203


@pytest.mark.parametrize(("text", "at"), [
    (SEED001, "x1=1,x2=2,x3=3"),
    (SEED002, "y=5,w=2,x=1,b=1"),
    (NETWORK, NETWORK_ARG),
])
def test_check_passes_on_the_seed_programs(text, at):
    done = CliRunner().invoke(main, ["grad", text, "--at", at, "--check", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert '"ok": true' in done.stdout


#: Smooth forms of one or two operands, and their values (no kinks, no domain edges).
FORMS = {
    "{a} + {b}": lambda a, b: a + b,
    "{a} - {b}": lambda a, b: a - b,
    "{a}*{b}": lambda a, b: a * b,
    "sin({a})*{b}": lambda a, b: math.sin(a) * b,
    "tanh({a} - {b})": lambda a, b: math.tanh(a - b),
    "{a}/(1 + {b}**2)": lambda a, b: a / (1 + b * b),
    "sqrt(1 + {a}**2)": lambda a, b: math.sqrt(1 + a * a),
    "log(1 + {a}**2)*{b}": lambda a, b: math.log(1 + a * a) * b,
    "sigmoid({a})": lambda a, b: 1 / (1 + math.exp(-a)),
    "cos({a}) + 2*{b}": lambda a, b: math.cos(a) + 2 * b,
}
INPUTS = ("x", "y", "w")


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, dict[str, float]]:
    """A program of 1–5 statements, each a form of earlier names and inputs; every input used."""
    count = draw(st.integers(1, 3))
    inputs = list(INPUTS[:count])
    point = {name: draw(st.floats(-2, 2, allow_nan=False)) for name in inputs}
    values = dict(point)
    names: list[str] = []
    lines: list[str] = []
    for k in range(draw(st.integers(1, 5))):
        pool = [*inputs, *names]
        form = draw(st.sampled_from(sorted(FORMS)))
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        name = f"s{k}"
        values[name] = FORMS[form](values[a], values[b])
        lines.append(f"{name} = {form.format(a=a, b=b)}")
        names.append(name)
    tail = " + ".join(name for name in [*inputs, *names])  # uses every input and statement
    separator = draw(st.sampled_from(["; ", "\n"]))
    return separator.join([*lines, f"L = {tail}"]), point


def _finite_difference(compiled: exprdiff.Compiled, point: dict[str, float],
                       name: str) -> float:
    h = 1e-6 * max(1.0, abs(point[name]))
    up, down = dict(point), dict(point)
    up[name] += h
    down[name] -= h
    return (compiled.value(up) - compiled.value(down)) / (2 * h)


def test_random_programs_agree_with_sympy_and_finite_differences():
    seen: list[str] = []
    started = time.process_time()

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def agree(case: tuple[str, dict[str, float]]) -> None:
        text, point = case
        seen.append(text)
        compiled = exprdiff.compile(text, tree=True)
        result = compiled.grad(point)
        messages = partials_job(compiled.tree, list(point), point, False, texts=False)
        symbolic = {m[1]: m[3] for m in messages}
        for name, reverse in result.gradient.items():
            exact = symbolic[name]
            assert exact is not None, (text, point, name)
            assert math.isclose(reverse, exact, rel_tol=1e-9, abs_tol=1e-12), (
                f"∂L/∂{name} of {text!r} at {point}: reverse {reverse!r}, SymPy {exact!r}")
            estimate = _finite_difference(compiled, point, name)
            assert math.isclose(reverse, estimate, rel_tol=1e-5, abs_tol=1e-6), (
                f"∂L/∂{name} of {text!r} at {point}: reverse {reverse!r}, f.d. {estimate!r}")

    agree()
    assert len(seen) >= EXAMPLES
    reuse = re.compile(r"s[1-4] = [^;\n]*\bs0\b")  # a later statement uses s0
    assert sum(bool(reuse.search(text)) for text in seen) >= EXAMPLES // 10, seen[:5]
    assert time.process_time() - started < 20, "random programs took over 20 CPU-seconds"
