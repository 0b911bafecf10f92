"""The Hessian against SymPy on random expressions (issue 17, acceptance 2): symmetric to 1e-12
and equal to SymPy's second derivatives within 1e-9, on EXAMPLES seeded expressions.

SymPy is the slow side (a derivative of a small expression takes milliseconds), so the
expressions are small (two of depth ≤ 3 joined: two variables), SymPy's second derivatives
are kept per text (hypothesis draws some texts more than once), and the examples run as SHARDS
tests, shared by the suite's workers. Measured: 36 CPU-seconds for the whole file in one
process (SymPy's import and the primitive coverage draw included); docs/modes.md.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from strategies import PRIMITIVES, cases
from test_programs_oracle import programs

import exprdiff
from exprdiff.errors import ExprError
from exprdiff.oracle.symbolic import _subs, derivative, evaluate, program, to_sympy

EXAMPLES = 1000
SHARDS = 5
SEED = 20261203
PART = cases(max_depth=3, max_variables=1)
#: Two small random expressions joined so that their variables meet: most single draws of
#: depth 3 hold one variable, and a Hessian's cross terms need two or more.
JOINS = ("({a})*({b})", "({a})/(1 + ({b})**2)", "sin(({a}) + ({b}))",
         "({a}) - ({b})")


@st.composite
def joined(draw: Callable[[Any], Any]) -> tuple[str, dict[str, float], frozenset[str]]:
    """(text, point, primitives): two random cases, the second's variable renamed u1."""
    a, point_a, used_a = draw(PART)
    b, point_b, used_b = draw(PART)
    renamed = {name: f"u{k + 1}" for k, name in enumerate(point_b)}
    if renamed:
        b = re.sub(r"\b(" + "|".join(map(re.escape, renamed)) + r")\b",
                   lambda m: renamed[m.group(1)], b)
    join = draw(st.sampled_from(JOINS))
    point = point_a | {renamed[n]: v for n, v in point_b.items()}
    return join.format(a=a, b=b), point, used_a | used_b


STRATEGY = joined()
RTOL = 1e-9
SYMMETRY = 1e-12


@functools.lru_cache(maxsize=4096)
def second_derivatives(text: str, names: tuple[str, ...]) -> tuple[Any, dict[str, Any], dict]:
    """SymPy's ∂²f/∂a∂b for a ≤ b in `names` order, from the parse's own tree."""
    import sympy as sp

    expr, symbols = to_sympy(program(exprdiff.compile(text, tree=True).tree))
    found = {}
    for r, a in enumerate(names):
        first = derivative(sp, expr, symbols[a])
        for b in names[r:]:
            found[a, b] = derivative(sp, first, symbols[b])
    return sp, symbols, found


@functools.lru_cache(maxsize=None)
def _draws(shard: int) -> list[tuple[str, dict[str, float], frozenset[str]]]:
    drawn: list[tuple[str, dict[str, float], frozenset[str]]] = []

    @seed(SEED + shard)
    @settings(max_examples=EXAMPLES // SHARDS, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(STRATEGY)
    def draw(case: tuple[str, dict[str, float], frozenset[str]]) -> None:
        drawn.append(case)

    draw()
    return drawn


@pytest.mark.parametrize("shard", range(SHARDS))
def test_the_hessian_is_symmetric_and_agrees_with_sympy(shard: int) -> None:
    runs = 0
    for text, point, _ in _draws(shard):
        runs += 1
        try:
            result = exprdiff.hessian(text, point)
        except ExprError as problem:  # then it is a domain error SymPy agrees with
            assert problem.kind == "domain", (text, point, problem)
            continue
        names = result.variables
        h = result.hessian
        largest = max([1.0] + [abs(v) for row in h for v in row])
        for r in range(len(names)):
            for c in range(r + 1, len(names)):
                assert abs(h[r][c] - h[c][r]) <= SYMMETRY * max(abs(h[r][c]), abs(h[c][r])), (
                    f"{text} at {point}: H[{r}][{c}] = {h[r][c]!r}, H[{c}][{r}] = {h[c][r]!r}")
        sp, symbols, found = second_derivatives(text, names)
        subs = _subs(sp, symbols, point)
        for r, a in enumerate(names):
            for c in range(r, len(names)):
                value, note = evaluate(sp, found[a, names[c]], subs)
                assert value is not None, f"{text} at {point}: SymPy has no ∂²/∂{a}∂{names[c]}"
                ours = h[r][c]
                scale = max(abs(value), 1e-5 * largest, 1e-5 * max(1.0, abs(result.value)))
                assert abs(ours - value) <= RTOL * scale, (
                    f"∂²/∂{a}∂{names[c]} of {text} at {point}: exprdiff {ours!r}, "
                    f"SymPy {value!r}")
    assert runs == EXAMPLES // SHARDS


def test_the_shards_together_use_every_primitive() -> None:
    used: Counter[str] = Counter()
    for shard in range(SHARDS):
        for _, _, names in _draws(shard):
            used.update(names)
    missing = set(PRIMITIVES) - set(used)
    assert not missing, f"the shards never use {sorted(missing)}"


PROGRAM_EXAMPLES = 200


@seed(SEED + 100)
@settings(max_examples=PROGRAM_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(programs())
def test_programs_forward_equals_reverse_and_the_hessian_agrees_with_sympy(case) -> None:
    """Issue 17, acceptance 3 on programs (issue 16): statements reusing earlier names. The
    forward-mode gradient is reverse mode's within 1e-12; the Hessian is symmetric to 1e-12
    and SymPy's (from the statements' tree) within 1e-9."""
    text, point = case
    compiled = exprdiff.compile(text)
    reverse = compiled.grad(point).gradient
    forward = compiled.forward_gradient(point).gradient
    for name, value in reverse.items():
        assert abs(forward[name] - value) <= 1e-12 * max(1.0, abs(value)), (text, name)
    result = compiled.hessian(point)
    names, h = result.variables, result.hessian
    largest = max([1.0] + [abs(v) for row in h for v in row])
    sp, symbols, found = second_derivatives(text, names)
    subs = _subs(sp, symbols, point)
    for r, a in enumerate(names):
        for c in range(r, len(names)):
            assert abs(h[r][c] - h[c][r]) <= SYMMETRY * max(abs(h[r][c]), abs(h[c][r]), 1e-300)
            value, _ = evaluate(sp, found[a, names[c]], subs)
            assert value is not None, f"{text} at {point}: SymPy has no ∂²/∂{a}∂{names[c]}"
            scale = max(abs(value), 1e-5 * largest)
            assert abs(h[r][c] - value) <= RTOL * scale, (
                f"∂²/∂{a}∂{names[c]} of {text} at {point}: exprdiff {h[r][c]!r}, SymPy {value!r}")
