"""Every row of the primitive table at magnitudes 1e-300 … 1e300 and at its saturation edges,
against closed forms of its value and partials evaluated in mpmath at 60 digits
(docs/numerics.md says what is promised; this is how it is checked):

- where a true partial is a normal double, exprdiff gives it to ≤ 1e-12 relative (the value too);
- where one is beyond ±1.8e308, or the value is, the gradient is an ExprError;
- where one is not 0 but below the normal range, an ExprError, or a non-zero number within
  1e-12 × 2.2e-308 of it (a subnormal): never a silent 0; a true 0 is exactly 0;
- where the function has no real value or derivative (a negative base to a variable power, a
  pole), an ExprError.

The same points go through the NumPy engine (`grad_points`): each row either is an error there
too, or agrees with the truth the same way. The closed forms are themselves checked against
mpmath.diff of the closed-form values (`test_the_closed_forms_are_the_derivatives`).
"""

from __future__ import annotations

import itertools
import math

import pytest

import exprdiff
from exprdiff import ExprError, ops

mpmath = pytest.importorskip("mpmath")
np = pytest.importorskip("numpy")
mp = mpmath.mp
M = mpmath

TINY = 2.2250738585072014e-308
HUGE = 1.7976931348623157e308
RTOL = 1e-12
DPS = 60


def _sig(x):
    return 1 / (1 + M.exp(-x))


def _cbrt(x):
    return M.sign(x) * M.cbrt(abs(x))


def _pow_value(a, b):
    if a < 0:
        return M.power(a, b) if b == int(b) else None
    if a == 0:
        return None if b < 0 else (M.mpf(1) if b == 0 else M.mpf(0))
    return M.power(a, b)


def _pow_partials(a, b):
    da = 0 if b == 0 else (None if a == 0 and b < 1 else b * M.power(a, b - 1))
    if a > 0:
        db = M.power(a, b) * M.log(a)
    elif a == 0 and b > 0:
        db = 0
    else:
        db = None  # no real derivative in b: an error is right
    return (da, db)


#: name → (value, partials) as functions of mpf arguments; None where undefined.
TRUTH = {
    "add": (lambda a, b: a + b, lambda a, b: (1, 1)),
    "sub": (lambda a, b: a - b, lambda a, b: (1, -1)),
    "mul": (lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: None if b == 0 else a / b,
            lambda a, b: (1 / b, -a / b**2)),
    "neg": (lambda a: -a, lambda a: (-1,)),
    "pow": (_pow_value, _pow_partials),
    "sin": (M.sin, lambda x: (M.cos(x),)),
    "cos": (M.cos, lambda x: (-M.sin(x),)),
    "tan": (M.tan, lambda x: (1 / M.cos(x) ** 2,)),
    "asin": (lambda x: M.asin(x) if abs(x) <= 1 else None,
             lambda x: (1 / M.sqrt(1 - x * x) if abs(x) < 1 else None,)),
    "acos": (lambda x: M.acos(x) if abs(x) <= 1 else None,
             lambda x: (-1 / M.sqrt(1 - x * x) if abs(x) < 1 else None,)),
    "atan": (M.atan, lambda x: (1 / (1 + x * x),)),
    "sinh": (M.sinh, lambda x: (M.cosh(x),)),
    "cosh": (M.cosh, lambda x: (M.sinh(x),)),
    "tanh": (M.tanh, lambda x: (1 / M.cosh(x) ** 2,)),
    "asinh": (M.asinh, lambda x: (1 / M.sqrt(x * x + 1),)),
    "acosh": (lambda x: M.acosh(x) if x >= 1 else None,
              lambda x: (1 / M.sqrt(x * x - 1) if x > 1 else None,)),
    "atanh": (lambda x: M.atanh(x) if abs(x) < 1 else None, lambda x: (1 / (1 - x * x),)),
    "exp": (M.exp, lambda x: (M.exp(x),)),
    "expm1": (M.expm1, lambda x: (M.exp(x),)),
    "log": (lambda x, b=None: (None if x <= 0 else M.log(x)) if b is None else
            (None if x <= 0 or b <= 0 or b == 1 else M.log(x) / M.log(b)),
            lambda x, b=None: (1 / x,) if b is None else
            (1 / (x * M.log(b)), -M.log(x) / (b * M.log(b) ** 2))),
    "ln": (lambda x: M.log(x) if x > 0 else None, lambda x: (1 / x,)),
    "log1p": (lambda x: M.log1p(x) if x > -1 else None, lambda x: (1 / (1 + x),)),
    "log2": (lambda x: M.log(x, 2) if x > 0 else None, lambda x: (1 / (x * M.log(2)),)),
    "log10": (lambda x: M.log10(x) if x > 0 else None, lambda x: (1 / (x * M.log(10)),)),
    "sqrt": (lambda x: M.sqrt(x) if x >= 0 else None,
             lambda x: (1 / (2 * M.sqrt(x)) if x > 0 else None,)),
    "cbrt": (_cbrt, lambda x: (1 / (3 * _cbrt(x) ** 2) if x != 0 else None,)),
    "abs": (abs, lambda x: (M.sign(x),)),
    "sign": (M.sign, lambda x: (0,)),
    "max": (lambda *a: max(a), lambda *a: tuple(1 if v == max(a) else 0 for v in a)),
    "min": (lambda *a: min(a), lambda *a: tuple(1 if v == min(a) else 0 for v in a)),
    "clamp": (lambda x, lo, hi: None if lo > hi else min(max(x, lo), hi),
              lambda x, lo, hi: (1 if lo < x < hi else 0, 1 if x < lo else 0,
                                 1 if x > hi else 0)),
    "relu": (lambda x: max(x, 0), lambda x: (1 if x > 0 else 0,)),
    "sigmoid": (_sig, lambda x: (_sig(x) * _sig(-x),)),
    "softplus": (lambda x: M.log1p(M.exp(x)), lambda x: (_sig(x),)),
    "atan2": (lambda y, x: None if x == 0 == y else M.atan2(y, x),
              lambda y, x: (x / (x * x + y * y), -y / (x * x + y * y))),
    "hypot": (lambda *a: M.sqrt(M.fsum(v * v for v in a)),
              lambda *a: tuple(v / M.sqrt(M.fsum(w * w for w in a)) for v in a)),
    "erf": (M.erf, lambda x: (2 / M.sqrt(M.pi) * M.exp(-x * x),)),
}

MAGNITUDES = [1e-300, 1e-200, 1e-100, 1e-20, 1e-8, 0.1, 0.5, 1.0, 2.0, 10.0, 100.0, 1e5, 1e20,
              1e100, 1e200, 1e300]
WIDE = [s * m for m in MAGNITUDES for s in (1.0, -1.0)]
PAIRS = [s * m for m in (1e-300, 1e-150, 1e-20, 0.3, 1.0, 3.0, 1e20, 1e150, 1e300)
         for s in (1.0, -1.0)]


def _both(*xs: float) -> list[float]:
    return [v for x in xs for v in (x, -x)]


#: Each row's saturation edges and other hard points, beyond the magnitudes.
EDGES: dict[str, list[float]] = {
    "tanh": _both(17, 18, 20, 40, 300, 354, 355, 360, 372, 380, 700, 710, 1e-10),
    "sigmoid": _both(30, 36, 37, 40, 100, 700, 708, 709, 740, 745, 746, 750),
    "softplus": _both(30, 36, 37, 40, 100, 700, 708, 709, 740, 745, 746, 750),
    "exp": [-20, -37, -40, -700, -708, -709, -740, -745, -746, 700, 709, 709.7, 710, 1e-10],
    "expm1": [-20, -37, -40, -700, -708, -709, -740, -745, -746, 700, 709, 709.7, 710, 1e-10,
              -1e-10],
    "erf": _both(3, 5, 6, 10, 20, 26, 26.5, 27, 27.3, 28),
    "asin": _both(1 - 2**-53, 1 - 1e-15, 1 - 1e-10, 1 - 1e-6, 0.999, 1.0),
    "acos": _both(1 - 2**-53, 1 - 1e-15, 1 - 1e-10, 1 - 1e-6, 0.999, 1.0),
    "atanh": _both(1 - 2**-53, 1 - 1e-15, 1 - 1e-10, 1 - 1e-6, 0.999),
    "acosh": [1 + 2**-52, 1 + 1e-15, 1 + 1e-10, 1 + 1e-6, 1.0001, 1.0],
    "atan": _both(1e150, 1e154, 1.4e154, 1e160, 1e162, 1e163),
    "asinh": _both(1e154, 1e307, 1.7e308),
    "log1p": [-1 + 2**-53, -1 + 1e-10, -0.5, -1e-300, 1.7e308],
    "ln": [1 + 2**-52, 1 - 2**-53, 1e-308, 2.3e-308, 1e308, 1.7e308],
    "log": [1 + 2**-52, 1 - 2**-53, 1e-308, 2.3e-308, 1e308, 1.7e308],
    "log2": [1 + 2**-52, 1 - 2**-53, 1e-308, 2.3e-308, 1e308, 1.7e308],
    "log10": [1 + 2**-52, 1 - 2**-53, 1e-308, 2.3e-308, 1e308, 1.7e308],
    "sinh": _both(700, 710, 710.4, 711),
    "cosh": _both(700, 710, 710.4, 711),
    "sqrt": [1e-308, 1.7e308],
    "cbrt": _both(1e-308, 1.7e308),
    "tan": _both(1.5707963267948966, 1.57, 3.141592653589793),
    "sin": _both(1e22, 3.141592653589793, 1.5707963267948966),
    "cos": _both(1e22, 3.141592653589793, 1.5707963267948966),
}
#: Hard pairs for the rows of two arguments, beyond the magnitudes' grid.
PAIR_EDGES: dict[str, list[tuple[float, ...]]] = {
    "atan2": [(1e200, 1e200), (1e-200, 1e-200), (1e-300, 1e300), (1e300, -1e-300), (0.0, 5.0),
              (3.0, 0.0)],
    "hypot": [(1e-300, 1e300), (3e200, 4e200), (3e-200, 4e-200), (0.0, 2.0)],
    "pow": [(0.0, 0.0), (0.0, 2.0), (0.0, 0.5), (1.0, 1e300), (1 + 2**-52, 1e15), (0.5, 1074.0),
            (0.5, 1080.0), (2.0, 1023.5), (-2.0, 3.0), (-0.5, 2000.0)],
    "log": [(1e300, 1e300), (1e307, 1e300), (1e-300, 1 + 2**-52), (3.0, 1e-310), (1.0, 5.0),
            (1e308, 1e306)],
    "div": [(1.0, 1e-310), (1e-300, 1e300), (1.0, 1e200), (0.0, 3.0), (5e-324, 1e-10)],
}
#: Powers with a constant exponent (their own fast path in the reverse sweep).
EXPONENTS = [2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 1e-5, 1000.0, 0.0]


def _syntax(name: str, count: int) -> str:
    infix = {"add": "a0 + a1", "sub": "a0 - a1", "mul": "a0*a1", "div": "a0/a1", "neg": "-a0",
             "pow": "a0**a1"}
    if name in infix:
        return infix[name]
    return f"{name}({', '.join(f'a{k}' for k in range(count))})"


def _points(op: ops.Op, count: int) -> list[tuple[float, ...]]:
    if count == 1:
        return [(x,) for x in WIDE + [float(e) for e in EDGES.get(op.name, [])]]
    if count == 2:
        return list(itertools.product(PAIRS, PAIRS)) + PAIR_EDGES.get(op.name, [])
    grid = (-1e300, -3.0, -1e-300, 0.5, 1e-20, 1e20, 1e300)
    return list(itertools.product(grid, repeat=count))


def _counts(op: ops.Op) -> list[int]:
    low, high = op.arity
    return [low] if high == low else [low, low + 1]


def _classify(truth) -> str:
    """'normal', 'zero', 'tiny' (below the normal range, not 0), 'huge' or 'none'."""
    if truth is None:
        return "none"
    if not M.isfinite(truth) if isinstance(truth, M.mpf) else False:
        return "none"
    size = abs(truth)
    if size == 0:
        return "zero"
    if size > HUGE:
        return "huge"
    if size < TINY:
        return "tiny"
    return "normal"


def _truths(name: str, args: tuple[float, ...]):
    value_f, partials_f = TRUTH[name]
    with mp.workdps(DPS):
        margs = [M.mpf(a) for a in args]
        try:
            value = value_f(*margs)
        except (ValueError, ZeroDivisionError):
            value = None
        if value is not None and not isinstance(value, (int, M.mpf)):
            value = None  # complex: no real value
        try:
            partials = partials_f(*margs) if value is not None else None
        except (ValueError, ZeroDivisionError):
            partials = None
    return value, partials


def _problem(got: float | None, truth, kind: str, what: str) -> str | None:
    """What is wrong with `got` (None: an error was raised) for a truth of this kind."""
    if kind == "normal":
        if got is None:
            return f"{what}: an error, true {float(truth)!r}"
        if not abs(M.mpf(got) - truth) <= RTOL * abs(truth):
            return f"{what}: {got!r}, true {float(truth)!r}"
    elif kind == "zero":
        if got is not None and got != 0:
            return f"{what}: {got!r}, true 0"
    elif kind == "tiny":
        if got is not None and (got == 0 or not abs(M.mpf(got) - truth) <= RTOL * TINY):
            return f"{what}: {got!r}, true {M.nstr(truth, 5)} (below the normal range)"
    return None


def _expected_error(value_kind: str, partial_kinds: list[str]) -> str | None:
    """Why the gradient must be an error here, if it must."""
    if value_kind in ("none", "huge"):
        return f"value {value_kind}"
    if any(k in ("none", "huge") for k in partial_kinds):
        return "a partial is undefined or beyond the doubles"
    return None


def check_row(text: str, name: str, points: list[tuple[float, ...]],
              constant: float | None = None) -> list[str]:
    """Every point of `points` through the scalar and the NumPy path; the problems found."""
    op = ops.lookup(name)
    compiled = exprdiff.compile(text)
    problems: list[str] = []
    kept: list[tuple[tuple[float, ...], object, list, list[str], float, dict]] = []
    for args in points:
        full = args if constant is None else (*args, constant)
        if op.kink is not None:
            with mp.workdps(DPS):
                out = op.forward(*full) if _finite_forward(op, full) else None
            if out is not None and op.kink(out, *full) is not None:
                continue  # a kink or jump: conventions, warned, checked elsewhere
        value, partials = _truths(name, full)
        value_kind = _classify(value)
        kinds = ([_classify(p) for p in partials] if partials is not None
                 else ["none"] * len(full))
        if constant is not None:
            kinds, partials = kinds[:1], (partials or [None])[:1]
        point = {f"a{k}": v for k, v in enumerate(args)}
        where = f"{text} at {point}"
        must_fail = _expected_error(value_kind, kinds)
        try:
            result = compiled.grad(point)
        except ExprError as problem:
            assert problem.kind == "domain", (where, problem)
            if must_fail is None and not any(k == "tiny" for k in kinds):
                problems.append(f"{where}: {problem.message}")
            continue
        if must_fail is not None:
            problems.append(f"{where}: no error ({must_fail}); value {result.value!r}, "
                            f"gradient {result.gradient}")
            continue
        if value_kind == "normal":
            found = _problem(result.value, value, "normal", f"{where}: value")
            if found:
                problems.append(found)
        for k, (pk, truth) in enumerate(zip(kinds, partials, strict=True)):
            found = _problem(result.gradient[f"a{k}"], truth, pk, f"{where}: ∂/∂a{k}")
            if found:
                problems.append(found)
        kept.append((args, value, list(partials), kinds, result.value, result.gradient))
    problems += _numpy_problems(compiled, text, points, constant, kept)
    return problems


def _finite_forward(op: ops.Op, args: tuple[float, ...]) -> bool:
    try:
        return math.isfinite(op.forward(*args))
    except (ValueError, ZeroDivisionError, OverflowError):
        return False


def _numpy_problems(compiled, text: str, points, constant, kept) -> list[str]:
    """The NumPy engine on the points the scalar path answered: the same truths hold."""
    if not kept:
        return []
    arity = len(kept[0][0])
    arrays = {f"a{k}": np.array([args[k] for args, *_ in kept]) for k in range(arity)}
    batch = compiled.grad(arrays)
    problems = []
    for row, (args, value, partials, kinds, _, _) in enumerate(kept):
        where = f"{text} at {args} (NumPy)"
        if row in batch.errors:
            problems.append(f"{where}: {batch.errors[row].message}")
            continue
        found = _problem(float(batch.value[row]), value, _classify(value), f"{where}: value")
        if found and _classify(value) == "normal":
            problems.append(found)
        for k, (pk, truth) in enumerate(zip(kinds, partials, strict=True)):
            found = _problem(float(batch.gradient[f"a{k}"][row]), truth, pk, f"{where}: ∂/∂a{k}")
            if found:
                problems.append(found)
    return problems


def _report(problems: list[str]) -> str:
    shown = "\n".join(problems[:25])
    more = f"\n… and {len(problems) - 25} more" if len(problems) > 25 else ""
    return f"{len(problems)} problems:\n{shown}{more}"


@pytest.mark.parametrize("name", [op.name for op in ops.TABLE])
def test_every_row_at_every_magnitude_against_mpmath(name):
    op = ops.lookup(name)
    problems = []
    for count in _counts(op):
        problems += check_row(_syntax(name, count), name, _points(op, count))
    assert not problems, _report(problems)


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_powers_with_a_constant_exponent_against_mpmath(exponent):
    text = f"a0**{exponent!r}" if exponent >= 0 else f"a0**({exponent!r})"
    points = [(x,) for x in WIDE + [0.0, 2.0**-1074 * 7, 1 + 2**-52]]
    problems = check_row(text, "pow", points, constant=exponent)
    assert not problems, _report(problems)


def test_every_row_has_its_truth():
    assert set(TRUTH) == {op.name for op in ops.TABLE}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_the_closed_forms_are_the_derivatives(name):
    """The partials written above are the derivatives of the values written above (mpmath.diff
    at points inside every domain): a typo in the reference would otherwise pass unnoticed."""
    op = ops.lookup(name)
    value_f, partials_f = TRUTH[name]
    count = op.arity[0] if op.arity[1] == op.arity[0] else op.arity[0] + 1
    with mp.workdps(40):
        for start in (0.37, 0.61):
            args = [M.mpf(op.interval(k)[0] + (op.interval(k)[1] - op.interval(k)[0])
                          * ((start + 0.29 * k) % 1.0)) for k in range(count)]
            partials = partials_f(*args)
            for k in range(count):
                def along(t, k=k, args=args):
                    moved = list(args)
                    moved[k] = t
                    return value_f(*moved)
                numeric = M.diff(along, args[k])
                assert abs(numeric - partials[k]) <= 1e-25 * max(1, abs(numeric)), (
                    name, args, k, numeric, partials[k])
