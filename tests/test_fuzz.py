"""Property-based fuzzing (issue 8): at least 5 000 generated inputs per run, each bounded in
time, through the API and the CLI: arbitrary Unicode text, mutations of valid expressions
(tokens deleted, duplicated, swapped, replaced, inserted) and arbitrary --at strings.

Every input must keep the contract of tests/hostile.py: a finite result or a clean `error:`
(exit 1 or 2), never a traceback, never a hang. Each test counts the inputs it really ran and
fails if hypothesis ran fewer than its share of the 5 000.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hostile import assert_api_clean, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import expressions

import exprdiff
from exprdiff.ops import FUNCTIONS

PER_CALL = 10.0  # seconds: a hang bound, far above the milliseconds an input takes
SHARES = {"text_api": 1500, "text_cli": 700, "mutation_api": 1500, "mutation_cli": 500,
          "generated_api": 200, "points_cli": 800, "points_api": 300}
assert sum(SHARES.values()) >= 5000


def fuzz(share: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings for one share: its example count, no deadline (the bound is ours)."""
    return settings(max_examples=SHARES[share], deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run_share(share: str, test: Callable[[], None], counter: list[int]) -> None:
    test()
    assert len(counter) >= SHARES[share], f"{share}: only {len(counter)} inputs ran"


# ---- arbitrary text ------------------------------------------------------------------------

LANGUAGE = "xyz019.eE+-*/^(),_ \tsincoxpmalgqrthb"
texts = st.one_of(st.text(max_size=60), st.text(alphabet=LANGUAGE, max_size=60),
                  st.text(alphabet=st.characters(max_codepoint=0x7f), max_size=60))


def test_arbitrary_text_through_the_api():
    ran: list[int] = []

    @fuzz("text_api")
    @given(texts)
    def check(text: str) -> None:
        ran.append(1)
        assert_api_clean(text, seconds=PER_CALL)

    run_share("text_api", check, ran)


def test_arbitrary_text_through_the_cli():
    ran: list[int] = []

    @fuzz("text_cli")
    @given(texts)
    def check(text: str) -> None:
        ran.append(1)
        run_cli(["grad", "--format", "json", "--at", "x=0.5,y=2", "--", text], PER_CALL)

    run_share("text_cli", check, ran)


# ---- mutations of valid expressions ---------------------------------------------------------

_TOKENS = re.compile(r"\*\*|[A-Za-z_][A-Za-z0-9_]*|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|\S")
VOCABULARY = ["(", ")", ",", "**", "^", "-", "+", "*", "/", "e", "pi", "0", "-0", "1e308",
              "1e-320", "9**9**9", "sin", "max", "log", "exp", "sqrt", "x", "y", "\x00", "−", " ",
              ".", "1.", ".5e", "_", "__import__", "'", ";", "=", "#", "(x", ")(", "1e999"]



def _catalogue() -> list[str]:
    """Valid expressions: the seeds', and every function called on a small subexpression."""
    found = ["x1**2 + 3*(x2*x3 - x1**2)", "y - max(0, w*x + b)", "(a-b)**2", "-x**2 + 2**-y",
             "sin(x)*exp(-y) / (1 + x^2)", "log(x, 2) + atan2(y, x) - hypot(x, y, 1)"]
    for name, op in sorted(FUNCTIONS.items()):
        arguments = ["x*y + 0.5", "y", "0.25", "x"][: max(op.arity[0], 1)]
        found.append(f"{name}({', '.join(arguments)}) * x - pi/e")
    return found


CATALOGUE = _catalogue()
POINT = {"x": 0.5, "y": 0.5, "x1": 1.0, "x2": 2.0, "x3": 3.0, "w": 2.0, "b": 1.0, "a": 2.0}
seeded = st.tuples(st.sampled_from(CATALOGUE), st.just(POINT))


@st.composite
def mutated(draw: Any, base: st.SearchStrategy[tuple[str, dict[str, float]]] = seeded
            ) -> tuple[str, dict[str, float]]:
    """A valid expression with 1 to 4 token-level mutations, and the point it was made for."""
    text, point = draw(base)
    tokens = _TOKENS.findall(text)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(tokens) - 1, 0)))
        how = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert"]))
        if how == "insert" or not tokens:
            tokens.insert(where, draw(st.sampled_from(VOCABULARY)))
        elif how == "delete":
            del tokens[where]
        elif how == "duplicate":
            tokens.insert(where, tokens[where])
        elif how == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[where], tokens[other] = tokens[other], tokens[where]
        else:
            tokens[where] = draw(st.sampled_from(VOCABULARY))
    spacing = draw(st.sampled_from(["", " "]))
    return spacing.join(tokens), point


def _point_for(text: str, point: dict[str, float]) -> dict[str, float]:
    try:
        names = exprdiff.compile(text).variables
    except exprdiff.ExprError:
        return point
    return {name: point.get(name, 0.5) for name in names}


def test_mutated_expressions_through_the_api():
    ran: list[int] = []

    @fuzz("mutation_api")
    @given(mutated())
    def check(case: tuple[str, dict[str, float]]) -> None:
        ran.append(1)
        text, point = case
        assert_api_clean(text, _point_for(text, point), seconds=PER_CALL)

    run_share("mutation_api", check, ran)


def test_mutated_generated_expressions_through_the_api():
    ran: list[int] = []

    @fuzz("generated_api")
    @given(mutated(expressions(max_depth=5, max_variables=3)))
    def check(case: tuple[str, dict[str, float]]) -> None:
        ran.append(1)
        text, point = case
        assert_api_clean(text, _point_for(text, point), seconds=PER_CALL)

    run_share("generated_api", check, ran)


def test_mutated_expressions_through_the_cli():
    ran: list[int] = []

    @fuzz("mutation_cli")
    @given(mutated())
    def check(case: tuple[str, dict[str, float]]) -> None:
        ran.append(1)
        text, point = case
        at = ",".join(f"{k}={v!r}" for k, v in _point_for(text, point).items())
        run_cli(["grad", "--format", "json", "--at", at, "--", text], PER_CALL)

    run_share("mutation_cli", check, ran)


# ---- arbitrary --at strings -----------------------------------------------------------------

values = st.one_of(st.floats().map(repr), st.integers().map(str), st.text(max_size=12),
                   st.sampled_from(["pi/4", "-e", "sqrt(2)", "1e999", "nan", "-inf", "(", "x",
                                    "9**9**9**9", "log(0)", "1/0", "max(1,2)", ""]))
names = st.one_of(st.sampled_from(["x", "y", "z", "pi", "e", "X", "x ", " y", ""]),
                  st.text(max_size=6))
assignments = st.lists(st.tuples(names, st.sampled_from(["=", "==", ":", ""]), values),
                       max_size=4).map(lambda parts: ",".join(n + s + v for n, s, v in parts))
points = st.one_of(st.text(max_size=40), assignments)


def test_arbitrary_points_through_the_cli():
    ran: list[int] = []

    @fuzz("points_cli")
    @given(points)
    def check(at: str) -> None:
        ran.append(1)
        run_cli(["grad", "--format", "json", "--at", at, "--", "x*y + sin(x)"], PER_CALL)

    run_share("points_cli", check, ran)


huge = st.integers(min_value=300, max_value=5000).map(lambda k: 10**k)  # a double ends at 1.8e308
python_values = st.one_of(st.integers(), huge, huge.map(lambda n: -n), st.fractions(),
                          st.decimals(), st.floats(), st.text(max_size=8), st.none(),
                          st.booleans(), st.complex_numbers())


def test_arbitrary_python_values_as_a_point():
    ran: list[int] = []

    @fuzz("points_api")
    @given(st.dictionaries(st.sampled_from(["x", "y", "z", "pi", "X"]), python_values))
    def check(point: dict[str, Any]) -> None:
        ran.append(1)
        assert_api_clean("x*y + sin(x)", point, seconds=PER_CALL)

    run_share("points_api", check, ran)
