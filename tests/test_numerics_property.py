"""Reverse mode against SymPy on 5 000 random expressions whose arguments are pushed to the
edges of the doubles: saturation (tanh(u + 40), sigmoid(u - 700), exp(u - 700)), huge and
tiny magnitudes (atan(u·1e200), hypot(u·1e300, v·1e-200), (u·1e100)**-2) and the
neighbourhood of ±1 (asin(1 - u·1e-10)); strategies.random_cases(extreme=True), seeded.

The reference is SymPy's symbolic partial evaluated at 30 digits; where that is 0 or does not
agree with exprdiff, again at twice the digits, doubling until two agree to 1e-20 (1 - tanh(u +
40)² needs more than 30 digits to keep any). Two independent computations that agree to 1e-9
at the first try are both right; a 0 from exprdiff and from SymPy at 30 digits is believed when
exprdiff's tape in mpmath (closed forms without cancellation: 1/cosh², not 1 - tanh²) is
exactly 0 too.

Verdicts, per partial:

- **agree**: |exprdiff - SymPy| ≤ 1e-9·|SymPy| (both exactly 0 counts, as above); where
  SymPy's value is below the normal range, a non-zero exprdiff within 1e-12 × 2.2e-308 of it;
  where it is below half the least subnormal (2**-1075), exprdiff's 0, the double nearest to it.
- **ill-conditioned** (not counted as a mismatch): one rounding (relative 2**-52) at each
  constant and intermediate value of the expression, their effects added in absolute value,
  can move the true partial by more than 1e-10 relative (measured in mpmath on exprdiff's own
  tape, node by node, with the closed forms of tests/test_numerics_table.py), or the chain
  rule's terms cancel (their absolute sum, exprdiff.oracle.finite.magnitudes, is over 1e6
  times the partial), or the expression's constant subexpressions, folded to doubles on the
  tape, already move it that much (the tape's exact gradient is off SymPy's by over 1e-10,
  and exprdiff is within 1e-12 of the tape's). Either way no computation in doubles can
  promise 1e-9 there.
- **mismatch**: anything else. There must be none.

Where SymPy has no value (its own nan, as for atan2's partials at x = 0), exprdiff's tape
evaluated in mpmath is the reference, judged the same way.

Errors: where exprdiff raises, the truth must not be a normal double: SymPy (or the tape in
mpmath) has no finite real value, or the value or a partial is beyond ±1.8e308 or below
2.2e-308, or a negative base meets a varying exponent.
"""

from __future__ import annotations

import resource
import signal
import time
from collections import Counter

import pytest
from strategies import random_cases
from test_numerics_table import TRUTH
from test_numerics_table import _classify as kind

import exprdiff
from exprdiff import ExprError
from exprdiff.oracle.finite import magnitudes
from exprdiff.oracle.symbolic import derivative, to_sympy
from exprdiff.syntax import parser
from exprdiff.tape import INPUT

sympy = pytest.importorskip("sympy")
mpmath = pytest.importorskip("mpmath")

EXAMPLES = 5000
SHARDS = 8  # run side by side under pytest-xdist; together they are EXAMPLES
PROPERTY_SEED = 20260511
RTOL = 1e-9
TINY = 2.2250738585072014e-308
UNDERFLOW = mpmath.mpf(2) ** -1075  # half the least subnormal: below it, a double rounds to 0
CANCELLATION = 1e6  # Σ|chain-rule terms| / |partial| beyond which rounding may cost 1e-10
PERTURBED = 1e-10  # relative move of the reference under one rounding per node
PER_EXAMPLE = 5.0  # CPU seconds per example at most (not wall: other jobs share the cores);
# slower ones are counted, and may be 1 % at most


class _TooSlow(BaseException):  # noqa: N818 - not an Exception: SymPy's own `except
    """The time limit of one example: a BaseException, so that no `except Exception` inside
    SymPy swallows it and carries on (a Mod's polynomial gcd then grew to 23 GB)."""


_ARMED = [False]  # whether the time limit of an example is on


def _alarm(signum, frame):
    if _ARMED[0]:
        raise _TooSlow


MEMORY = 1_500_000_000  # bytes of address space an example may add


def _address_space() -> int:
    """This process's virtual size now, in bytes (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def reference(expr, subs_of, digits: int = 30, limit: int = 960):
    """expr at the point, to ≥ 30 digits: (mpmath number, None) or (None, why not).

    Evaluated at 30 digits, then twice as many, until two agree to 1e-20; a 0 at 30 and 60
    digits is tried at 480 before it is believed (1 - tanh(x + 100)² is 0 to 86 digits); what
    is still below 1e-400 and not stable at 960 digits is the noise of terms that cancel: 0."""
    previous = None
    while digits <= limit:
        value = _evaluate(expr, subs_of, digits)
        if isinstance(value, str):
            return None, value
        if previous is not None and value != 0 and abs(value - previous) <= 1e-20 * abs(value):
            return value, None
        if value == previous == 0 and digits >= 480:
            return value, None
        digits = 480 if value == previous == 0 else digits * 2
        previous = value
    if previous is not None and abs(previous) < mpmath.mpf(10) ** -400:
        return mpmath.mpf(0), None  # rounding noise of terms that cancel: 0 to every double
    return None, "no stable value"


def _evaluate(expr, subs_of, digits: int):
    """expr at `digits` digits as an mpmath number, or why there is none (as the oracle does:
    δ(g) and H(g) of an unevaluated g get g evaluated first)."""
    try:
        value = expr.xreplace(subs_of(digits + 10)).evalf(digits)
        if not value.is_Number:
            value = value.replace(
                lambda e: isinstance(e, (sympy.DiracDelta, sympy.Heaviside)),
                lambda e: e.func(*(a.evalf(digits + 10) for a in e.args))).evalf(digits)
    except (ValueError, TypeError) as problem:  # H(g) of a g with a complex residue
        return f"SymPy fails: {str(problem)[:60]}"
    if not value.is_Number:
        real, imaginary = value.as_real_imag()
        if not (real.is_Number and imaginary.is_Number):
            return f"SymPy gives {str(value)[:80]}"
        if abs(imaginary) > 1e-20 * (abs(real) + 1e-300):
            return "complex"
        value = real
    if value.is_finite is False or value is sympy.nan:
        return f"SymPy gives {value}"
    return mpmath.mpf(value._to_mpmath(int(digits * 3.33) + 10))


def _subs(symbols, point):
    def at(digits: int):
        return {symbols[n]: sympy.Float(v, digits) for n, v in point.items() if n in symbols}
    return at


def tape_gradient(tape, values, moved: int | None = None) -> dict[str, mpmath.mpf]:
    """The gradient of exprdiff's tape at the point, in mpmath at 50 digits, from the doubles'
    inputs and constants; with `moved`, that node's value is moved by one rounding (relative
    2**-52) on the way."""
    with mpmath.mp.workdps(50):
        ulp = 1 + mpmath.mpf(2) ** -52
        value: list = [None] * len(tape)
        for i, kind_ in enumerate(tape.kinds):
            if kind_ != "operation":
                value[i] = mpmath.mpf(values[i]) * (ulp if i == moved else 1)
        local = {}
        for i, _, _, args in tape.program:
            forward, partials = TRUTH[tape.ops[i].name]
            arguments = [value[a] for a in args]
            value[i] = mpmath.mpf(forward(*arguments)) * (ulp if i == moved else 1)
            local[i] = partials(*arguments)
        adjoint = [mpmath.mpf(0)] * len(tape)
        adjoint[tape.output] = mpmath.mpf(1)
        for i, _, _, args in reversed(tape.program):
            for a, d in zip(args, local[i], strict=True):
                adjoint[a] += adjoint[i] * d
        return {name: adjoint[i] for name, i in tape.inputs.items()}


def _on_tape(result, name: str):
    """The partial from exprdiff's tape in mpmath (None where mpmath has no value)."""
    try:
        return tape_gradient(result.tape, result.values)[name]
    except (ValueError, ZeroDivisionError, TypeError):
        return None


def ill_conditioned(result, name: str, truth) -> str | None:
    """Why no double computation can promise 1e-9 for ∂/∂name here (None: it can)."""
    tape = result.tape
    size = magnitudes(tape, result.values)[tape.inputs[name]]
    if truth == 0 or size > CANCELLATION * abs(truth):
        return "cancellation"
    try:
        exact = tape_gradient(tape, result.values)[name]
        if abs(exact - truth) > PERTURBED * abs(truth) >= abs(result.gradient[name] - exact) * 100:
            return "constants"  # the tape's folded constants (rounded) are what moves it
        # First order: what one rounding at each node, all adding up, can move the partial by.
        spread = sum(abs(tape_gradient(tape, result.values, j)[name] - exact)
                     for j, kind_ in enumerate(tape.kinds) if kind_ != INPUT)
    except (ValueError, ZeroDivisionError, TypeError):
        return "rounding"  # a pole or a domain edge within an ulp: mpmath cannot move there
    return "rounding" if spread > PERTURBED * abs(exact) else None


#: Per shard: SymPy's partial of each (text, name), and the verdicts already reached (the
#: generator repeats itself; a repeat is counted again, not worked out again).
_PARTIALS: dict[tuple[str, str], object] = {}
_SEEN: dict[tuple[str, tuple], tuple[Counter, list[str]]] = {}
EXCLUDED: list[str] = []  # the ill-conditioned partials, shown with -s


def judge(text: str, point: dict[str, float], tally: Counter, mismatches: list[str]) -> None:
    key = (text, tuple(sorted(point.items())))
    if key not in _SEEN:
        found: tuple[Counter, list[str]] = (Counter(), [])
        _judge(text, point, *found)
        _SEEN[key] = found
    tally.update(_SEEN[key][0])
    mismatches.extend(_SEEN[key][1])


def _partial(expr, symbols, text: str, name: str):
    found = _PARTIALS.get((text, name))
    if found is None:
        found = _PARTIALS[text, name] = derivative(sympy, expr, symbols[name])
    return found


_SYMPY: dict[str, tuple] = {}  # per shard: each text's SymPy expression and symbols, built once


def _judge(text: str, point: dict[str, float], tally: Counter, mismatches: list[str]) -> None:
    if text not in _SYMPY:
        _SYMPY[text] = to_sympy(parser.parse(text))
    expr, symbols = _SYMPY[text]
    subs_of = _subs(symbols, point)
    try:
        result = exprdiff.grad(text, point)
    except ExprError as problem:
        assert problem.kind == "domain", (text, point, problem)
        why = _error_is_right(expr, symbols, subs_of, point, problem, text)
        tally["error, rightly" if why else "error, wrongly"] += 1
        if not why:
            mismatches.append(f"{text} at {point}: exprdiff raised ({problem.message}) where "
                              f"every partial is a normal double")
        return
    for name, got in result.gradient.items():
        partial = _partial(expr, symbols, text, name)
        quick = _evaluate(partial, subs_of, 30)  # two computations agreeing: both are right
        if not isinstance(quick, str) and quick != 0 and abs(got - quick) <= RTOL * abs(quick):
            tally["agree"] += 1
            continue
        if got == 0 and quick == 0 and _on_tape(result, name) == 0:
            tally["agree (0: also mpmath on the tape)"] += 1  # (no 480-digit SymPy needed)
            continue
        truth, note = reference(partial, subs_of)
        source = "SymPy"
        if truth is None:  # SymPy's own nan (atan2's at x = 0): the tape in mpmath decides
            try:
                truth, source = tape_gradient(result.tape, result.values)[name], "mpmath"
            except (ValueError, ZeroDivisionError, TypeError):
                tally["no reference"] += 1
                mismatches.append(f"∂/∂{name} of {text} at {point}: exprdiff {got!r}, SymPy "
                                  f"{note}, and no value in mpmath on the tape either")
                continue
        if got == truth == 0 or (truth != 0 and abs(got - truth) <= RTOL * abs(truth)):
            tally["agree" if source == "SymPy" else "agree (with mpmath: SymPy has none)"] += 1
            continue
        if kind(truth) == "tiny" and got != 0 and abs(got - truth) <= 1e-12 * TINY:
            tally["agree (subnormal)"] += 1
            continue
        if got == 0 and abs(truth) < UNDERFLOW:  # (6e-901: the double nearest to it is 0)
            tally["agree (0: the truth rounds to 0 in doubles)"] += 1
            continue
        why = ill_conditioned(result, name, truth)
        if why is not None:
            tally[f"ill-conditioned ({why})"] += 1
            EXCLUDED.append(f"({why}) ∂/∂{name} of {text} at {point}: exprdiff {got!r}, "
                            f"SymPy {mpmath.nstr(truth, 17)}")
            continue
        tally["mismatch"] += 1
        mismatches.append(f"∂/∂{name} of {text} at {point}: exprdiff {got!r}, {source} "
                          f"{mpmath.nstr(truth, 17)}")


def _error_is_right(expr, symbols, subs_of, point, problem, text: str) -> bool:
    """Whether the value or some partial has no normal double for its true value (by SymPy,
    or by the tape's gradient in mpmath where the sweep got that far)."""
    value, _ = reference(expr, subs_of)
    if kind(value) in ("none", "huge"):
        return True
    if "negative base" in problem.message or "0**y" in problem.message:
        return True
    for name in point:
        truth, _ = reference(_partial(expr, symbols, text, name), subs_of)
        if kind(truth) in ("none", "huge", "tiny"):
            return True
    if problem.values is not None and None not in problem.values:
        try:
            on_tape = tape_gradient(problem.tape, problem.values)
        except (ValueError, ZeroDivisionError, TypeError):
            return True  # (mpmath has no value either)
        return any(kind(t) in ("huge", "tiny") for t in on_tape.values())
    return False


@pytest.mark.slow
# The time limit may land in a gc callback, where Python only reports it (and it fires again).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("shard", range(SHARDS))
def test_reverse_mode_agrees_with_sympy_at_the_edges_of_the_doubles(shard):
    tally: Counter[str] = Counter()
    mismatches: list[str] = []
    ran: list[str] = []
    slow: list[str] = []
    started = time.monotonic()

    def agree(case):
        text, point, _ = case
        ran.append(text)
        previous = signal.signal(signal.SIGVTALRM, _alarm)
        _ARMED[0] = True
        signal.setitimer(signal.ITIMER_VIRTUAL, PER_EXAMPLE, 0.25)  # again and again: a
        # limit raised where Python cannot pass it on (a gc callback) must not end the limit
        outcome = None
        while True:  # a limit may land during the clean-up too: then the clean-up runs again
            try:
                if outcome is None:
                    judge(text, point, tally, mismatches)
                    outcome = "done"
                _ARMED[0] = False
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
                break
            except (_TooSlow, MemoryError):
                outcome = outcome or "too slow"
        signal.signal(signal.SIGVTALRM, previous)
        if outcome == "too slow":
            tally["too slow for SymPy"] += 1
            slow.append(f"{text} at {point}")

    # Memory, too, is bounded: SymPy's assumptions can build a dense polynomial of enormous
    # degree (a Mod's gcd while differentiating sinh(expm1(… ln(u·1e20) …))); past the cap the
    # example is counted as too much for SymPy, like one past the time limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    try:
        for case in random_cases(PROPERTY_SEED + shard, EXAMPLES // SHARDS, max_depth=4,
                                 max_variables=3, extreme=True):
            agree(case)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    print(f"\nshard {shard}: {len(ran)} examples ({len(set(ran))} distinct) in "
          f"{time.monotonic() - started:.1f} s: {dict(sorted(tally.items()))}")
    for text in slow[:3]:
        print(f"  too slow for SymPy: {text}")
    for text in EXCLUDED[:5]:
        print(f"  ill-conditioned {text}")
    assert len(ran) >= EXAMPLES // SHARDS, len(ran)
    assert tally["too slow for SymPy"] <= len(ran) // 100, (tally, slow[:3])
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:20])
