"""Check a hand-derived gradient: the partials a user claims, against reverse mode and SymPy.

    >>> e = expect(compile("x**2*y"), "x=2*x*y, y=x**2", samples=5)
    >>> [v.verdict for v in e.verdicts]
    ['right', 'right']

Each claim is a formula in exprdiff's own language (parsed by its grammar, never evaluated as
text), for one variable. It is compared with the reverse-mode partial at the `--at` points, or
at `samples` random points drawn reproducibly (`seed`) inside the expression's domain, on both
sides of zero, and never on a kink or jump (where the partial depends on a convention). A
claim is right (at every point), wrong (at every point), or right on part of the domain only —
`sqrt(x**2)` "simplified" to `x` gives ∂/∂x = 1, right for x > 0 only — and then the verdict
says where. SymPy's own formula is given for every claim that is wrong anywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exprdiff.api import Compiled, compile
from exprdiff.errors import ExprError, usage
from exprdiff.outputs import output_name
from exprdiff.points import split_assignments

#: A claimed partial agrees with reverse mode within this relative error (or this absolute
#: error, times the scale of the partial, for a partial that is 0).
RTOL = 1e-9
ATOL = 1e-12
#: How many draws are tried per wanted sample before giving up on the domain.
TRIES = 50


@dataclass(frozen=True, slots=True)
class Claim:
    """`variable=formula`: the user's ∂f/∂variable, compiled by exprdiff's own parser."""

    variable: str
    text: str
    formula: Compiled


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A point where a claim disagrees: what it says, what is true."""

    at: dict[str, float]
    claimed: float | None  # None: the claim is undefined there
    true: float
    why: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One claim over every point: right, wrong, or right on part of the domain."""

    variable: str
    claim: str
    verdict: str  # "right", "wrong" or "partly"
    agreeing: int
    points: int
    first_mismatch: Mismatch | None = None
    where: str | None = None  # for "partly": where it holds, e.g. "x > 0"
    symbolic: str | None = None  # SymPy's ∂f/∂variable, for a claim wrong anywhere

    @property
    def ok(self) -> bool:
        return self.verdict == "right"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"claim": self.claim, "verdict": self.verdict,
                                "agreeing": self.agreeing, "points": self.points,
                                "where": self.where, "sympy": self.symbolic}
        if self.first_mismatch is not None:
            m = self.first_mismatch
            data["mismatch"] = {"at": m.at, "claimed": m.claimed, "true": m.true, "why": m.why}
        return data


@dataclass(frozen=True, slots=True)
class Expectation:
    """Every claim's verdict, and the points they were checked at."""

    expression: str
    verdicts: tuple[Verdict, ...]
    points: tuple[dict[str, float], ...]
    sampled: bool
    seed: int | None
    notes: tuple[str, ...] = field(default=())
    output: str = "f"  # what the claims are partials of: a program's output statement, else f

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "points": len(self.points), "sampled": self.sampled,
                "seed": self.seed, "output": self.output,
                "claims": {v.variable: v.to_dict() for v in self.verdicts},
                "notes": list(self.notes)}


def parse_claims(text: str, compiled: Compiled) -> list[Claim]:
    """`x=2*x*y, y=x**2` → one Claim per variable; usage errors name what is wrong. In a
    program a claim may be about a statement (`h=2*h`: ∂L/∂h), and a formula may use the
    statements' names for their values."""
    names = compiled.variables
    statements = compiled.tape.statements
    known = set(names) | (set(statements.node_of) if statements is not None else set())
    claims: list[Claim] = []
    seen: set[str] = set()
    for part in split_assignments(text):
        variable, sep, formula = part.partition("=")
        variable, formula = variable.strip(), formula.strip()
        if not sep or not variable or not formula:
            raise usage(f"'{part}' is not NAME=FORMULA (a claim looks like x=2*x*y)", names)
        if variable not in known:
            raise usage(f"--expect claims ∂f/∂{variable}, but {variable} is not a variable of "
                        "the expression" + (" nor a statement" if statements else ""), names)
        if variable in seen:
            raise usage(f"--expect claims ∂f/∂{variable} twice", names)
        seen.add(variable)
        try:
            formula_compiled = compile(formula)
        except ExprError as problem:
            raise ExprError("usage", f"the claim for ∂f/∂{variable} does not parse: "
                            f"{problem.message}", hint=f"the claim: {formula}") from None
        unknown = [n for n in formula_compiled.variables if n not in known]
        if unknown:
            raise usage(f"the claim for ∂f/∂{variable} uses {unknown[0]}, which is not a "
                        "variable of the expression", names)
        claims.append(Claim(variable, formula, formula_compiled))
    if not claims:
        raise usage("--expect needs at least one claim, like x=2*x*y", names)
    return claims


def sample(compiled: Compiled, count: int, seed: int) -> tuple[list[dict[str, float]], str | None]:
    """`count` points where the expression and its gradient are defined, off every kink and
    jump: each variable ±10**u, u uniform in [-1, 1], its sign drawn too (both sides of 0)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible samples, not secrets
    names = compiled.variables
    found: list[dict[str, float]] = []
    for _ in range(TRIES * count):
        if len(found) == count:
            break
        point = {n: round(rng.choice((-1, 1)) * 10 ** rng.uniform(-1, 1), 6) for n in names}
        try:
            result = compiled.grad(point)
        except ExprError:
            continue  # outside the domain
        if not result.warnings:
            found.append(point)
    note = None
    if len(found) < count:
        note = (f"only {len(found)} of {count} sample points fall inside the expression's "
                f"domain off its kinks ({TRIES * count} draws)")
    return found, note


def expect(compiled: Compiled, claims: str | Sequence[Claim],
           points: Sequence[Mapping[str, float]] | None = None, *, samples: int = 20,
           seed: int = 0, timeout: float = 5.0, symbolic: bool = True) -> Expectation:
    """Every claim against reverse mode at `points` (or `samples` seeded random points)."""
    parsed = parse_claims(claims, compiled) if isinstance(claims, str) else list(claims)
    notes: list[str] = []
    sampled = points is None
    if points is None:
        chosen, note = sample(compiled, samples, seed)
        if note:
            notes.append(note)
    else:
        chosen = [dict(p) for p in points]
    targets = [claim.variable for claim in parsed]
    about_statements = any(t not in compiled.variables for t in targets)
    truths = [compiled.grad(p, wrt=targets) if about_statements else compiled.grad(p)
              for p in chosen]
    for point, truth in zip(chosen, truths, strict=True):
        if truth.warnings:
            notes.append(f"at {_where(point)}: {truth.warnings[0].message}; the claim is "
                         "compared with the partial used there")
    verdicts = [_judge(claim, chosen, truths) for claim in parsed]
    # SymPy's formulas are for inputs; a claim about a statement shows the numbers only
    wrong = [v.variable for v in verdicts if not v.ok and v.variable in compiled.variables]
    if wrong and symbolic:
        verdicts = _with_sympy(compiled, verdicts, wrong, timeout, notes)
    return Expectation(compiled.source, tuple(verdicts), tuple(chosen), sampled,
                       seed if sampled else None, tuple(notes), output_name(compiled.tape))


def _judge(claim: Claim, points: Sequence[dict[str, float]], truths: Sequence[Any]) -> Verdict:
    agree: list[dict[str, float]] = []
    disagree: list[dict[str, float]] = []
    first: Mismatch | None = None
    for point, truth in zip(points, truths, strict=True):
        true = truth.gradient[claim.variable]
        try:
            claimed: float | None = claim.formula.value(_values(claim, point, truth))
            why = None
        except ExprError as problem:
            claimed, why = None, problem.message
        if claimed is not None and math.isclose(claimed, true, rel_tol=RTOL,
                                                abs_tol=ATOL * max(1.0, abs(truth.value))):
            agree.append(point)
            continue
        disagree.append(point)
        if first is None:
            first = Mismatch(point, claimed, true, why)
    if not disagree:
        return Verdict(claim.variable, claim.text, "right", len(agree), len(points))
    if not agree:
        return Verdict(claim.variable, claim.text, "wrong", 0, len(points), first)
    return Verdict(claim.variable, claim.text, "partly", len(agree), len(points), first,
                   _region(agree, disagree))


def _values(claim: Claim, point: Mapping[str, float], truth: Any) -> dict[str, float]:
    """The formula's variables at the point: inputs from the point, statements' names from
    the forward sweep's values."""
    found = {}
    for name in claim.formula.variables:
        found[name] = (point[name] if name in point
                       else truth.values[truth.tape.node(name)])
    return found


def _region(agree: Sequence[dict[str, float]], disagree: Sequence[dict[str, float]]) -> str:
    """Where a claim holds, when one variable's sign tells: 'x > 0'; else the counts."""
    for name in agree[0]:
        if all(p[name] > 0 for p in agree) and all(p[name] < 0 for p in disagree):
            return f"{name} > 0"
        if all(p[name] < 0 for p in agree) and all(p[name] > 0 for p in disagree):
            return f"{name} < 0"
    return f"at {len(agree)} of {len(agree) + len(disagree)} points"


def _with_sympy(compiled: Compiled, verdicts: list[Verdict], wrong: list[str], timeout: float,
                notes: list[str]) -> list[Verdict]:
    from exprdiff.oracle.check import symbolic_partials

    try:
        found, note = symbolic_partials(compiled.tree, wrong, timeout=timeout)
    except ExprError as problem:
        notes.append(f"SymPy's formulas are not available: {problem.message}")
        return verdicts
    if note:
        notes.append(note)
    formulas = {s.variable: s.text for s in found}
    return [Verdict(v.variable, v.claim, v.verdict, v.agreeing, v.points, v.first_mismatch,
                    v.where, formulas.get(v.variable)) for v in verdicts]


def _where(point: Mapping[str, float]) -> str:
    return ", ".join(f"{n} = {v:g}" for n, v in point.items())
