"""`grad EXPR --expect CLAIMS`: a hand-derived gradient checked against reverse mode and SymPy."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import exprdiff
from exprdiff.cli import main
from exprdiff.expect import expect, sample

F = "x**2*y + sin(x*y)"
RIGHT = "x=2*x*y + y*cos(x*y), y=x**2 + x*cos(x*y)"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_right_claim_is_right_at_every_sampled_point():
    done = run("grad", F, "--expect", RIGHT, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)["expect"]
    assert data["ok"] and data["points"] == 20 and data["sampled"] and data["seed"] == 0
    assert {v["verdict"] for v in data["claims"].values()} == {"right"}


def test_a_wrong_claim_names_the_point_both_values_and_sympy_s_formula():
    done = run("grad", F, "--expect", "x=2*x*y, y=x**2 + x*cos(x*y)")
    assert done.exit_code == 1
    assert "∂f/∂x = 2*x*y: wrong" in done.stdout
    assert "claimed" in done.stdout and "true" in done.stdout
    assert "SymPy: ∂f/∂x = y*(2*x + cos(x*y))" in done.stdout
    data = json.loads(run("grad", F, "--expect", "x=2*x*y", "--format", "json").stdout)
    mismatch = data["expect"]["claims"]["x"]["mismatch"]
    x, y = mismatch["at"]["x"], mismatch["at"]["y"]
    assert mismatch["claimed"] == pytest.approx(2 * x * y)
    assert mismatch["true"] == exprdiff.grad(F, mismatch["at"]).gradient["x"]


def test_a_claim_right_only_for_positive_x_is_found_by_sampling():
    """f = sqrt(x**2) 'simplified' to x: the claim ∂f/∂x = 1 holds for x > 0 only."""
    result = expect(exprdiff.compile("sqrt(x**2)"), "x=1")
    (verdict,) = result.verdicts
    assert verdict.verdict == "partly" and verdict.where == "x > 0"
    assert 0 < verdict.agreeing < verdict.points
    assert verdict.symbolic == "sign(x)"
    assert run("grad", "sqrt(x**2)", "--expect", "x=1").exit_code == 1


def test_samples_are_reproducible_inside_the_domain_on_both_sides_of_zero_off_kinks():
    compiled = exprdiff.compile("log(x) + abs(y)")
    first, note = sample(compiled, 30, seed=5)
    again, _ = sample(compiled, 30, seed=5)
    assert first == again and note is None
    assert all(p["x"] > 0 for p in first)  # log's domain
    assert any(p["y"] > 0 for p in first) and any(p["y"] < 0 for p in first)
    assert all(not compiled.grad(p).warnings for p in first)
    assert sample(compiled, 30, seed=6)[0] != first


def test_a_claim_at_a_kink_is_compared_honestly():
    done = run("grad", "abs(x)*y", "--expect", "x=sign(x)*y, y=abs(x)", "--at", "x=0,y=2",
               "--format", "json")
    data = json.loads(done.stdout)["expect"]
    assert data["ok"]
    assert any("not differentiable" in note and "compared with the partial used there" in note
               for note in data["notes"])


@pytest.mark.parametrize(("claims", "message"), [
    ("x=2*x*", "the claim for ∂f/∂x does not parse"),
    ("z=1", "z is not a variable of the expression"),
    ("x=2*z", "uses z, which is not a variable"),
    ("x=1, x=2", "claims ∂f/∂x twice"),
    ("x", "is not NAME=FORMULA"),
])
def test_bad_claims_are_usage_errors(claims, message):
    done = run("grad", F, "--expect", claims)
    assert done.exit_code == 2, done.output
    assert message in done.stderr and "Traceback" not in done.output


def test_samples_and_seed_go_with_random_points_only():
    done = run("grad", F, "--expect", RIGHT, "--at", "x=1,y=2", "--samples", "5")
    assert done.exit_code == 2 and "--samples and --seed choose random points" in done.stderr
    assert run("grad", F, "--samples", "5", "--at", "x=1,y=2").exit_code == 2
    assert run("grad", F, "--expect", RIGHT, "--steps").exit_code == 2


def test_claims_about_a_program_s_statements_and_in_their_names():
    """Issue 18: in a program, a claim may be about an intermediate (∂L/∂h) and its formula
    may use the statements' names."""
    compiled = exprdiff.compile("h = x*y; L = h**2 + x")
    found = expect(compiled, "x=2*h*y + 1, y=2*h*x, h=2*h", samples=10, symbolic=False)
    assert found.ok and [v.verdict for v in found.verdicts] == ["right"] * 3
    wrong = expect(compiled, "h=h", [{"x": 1.0, "y": 2.0}], symbolic=False)
    (verdict,) = wrong.verdicts
    assert verdict.verdict == "wrong"
    assert (verdict.first_mismatch.claimed, verdict.first_mismatch.true) == (2.0, 4.0)


def test_a_claim_about_an_unknown_name_in_a_program_says_so():
    compiled = exprdiff.compile("h = x*y; L = h**2")
    with pytest.raises(exprdiff.ExprError, match="not a variable of the expression nor a "
                                                 "statement"):
        expect(compiled, "g=1", symbolic=False)
