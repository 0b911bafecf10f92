"""SymPy's side of the oracle: our AST as SymPy objects, their derivatives, 30-digit values.

SymPy is imported only inside the functions here. Our AST becomes SymPy objects through each
primitive's `sympy` builder in ops.py (never `sympify`, `parse_expr`, `eval` or `lambdify` on
user text), is differentiated symbolically and evaluated at 30 digits. `points_job` (for
`--check`) and `partials_job` (for `diff`) are the work the oracle's process (child.py) runs;
they receive the expression as a flat `program` (a deep tree would not pickle).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from exprdiff import ast
from exprdiff.ops import lookup

DIGITS = 30  # significant digits for SymPy's evaluation of a partial
#: From this many further points on, the partials are evaluated by lambdify (mpmath, the same
#: working precision) instead of xreplace + evalf per point: lambdify's code generation costs
#: 20–130 ms an expression, evalf 0.2–1 ms a point (docs/oracle.md, "Many points").
FAST_FROM = 64

#: What a job sends back: a tag ("partial", "values", …) and its data (child.py carries it).
Message = tuple[Any, ...]

#: The expression in post-order: ("number", text, value), ("variable", name),
#: ("constant", name) or ("call", op, argument count).
Program = tuple[tuple[Any, ...], ...]


def clip(text: str, width: int = 80) -> str:
    """`text`, cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def program(tree: ast.Tree) -> Program:
    """`tree` as a flat post-order program (built without recursion, pickled without it); a
    statement `h = …` is ("assign", "h") after its value, a program's output ("variable", name)
    of its last statement when there is no final expression."""
    items: list[tuple[Any, ...]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            items.append(("assign", node.name))
        elif isinstance(node, ast.Call):
            items.append(("call", node.op, len(node.args)))
        elif isinstance(node, ast.Variable):
            items.append(("variable", node.name))
        elif isinstance(node, ast.Constant):
            items.append(("constant", node.name))
        else:
            items.append(("number", node.text, node.value))
    if isinstance(tree, ast.Program) and tree.result is None:
        items.append(("variable", tree.statements[-1].name))
    return tuple(items)


def prepare() -> Callable[[], None]:
    """In the oracle's process: import SymPy, and answer two of its lazy imports with
    stand-ins; returns what runs before each job: SymPy's cache cleared and the random order
    of its assumption queries reseeded, so that no answer depends on the jobs this process ran
    before (byte-identical batches for any --jobs).

    SymPy imports sympy.tensor.tensor on its first Add and sympy.physics.units on its first
    simplify() (0.3 s together) only to ask isinstance(…, TensExpr) and expr.has(Quantity); no
    expression of ours holds either, so the stand-ins' classes, which nothing is an instance
    of, give the same answers. Any other name loads the real module."""
    import random

    from sympy.core.cache import clear_cache

    _stand_in("sympy.tensor.tensor", "TensExpr", "TensAdd")
    _stand_in("sympy.physics.units", "Quantity")

    def reset() -> None:
        clear_cache()
        random.seed(0)  # sympy.core.assumptions shuffles the facts it asks about

    return reset


def _stand_in(module: str, *classes: str) -> None:
    import sys
    import types

    if module in sys.modules:
        return

    class StandIn(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):  # __path__, __file__: asked by the import machinery
                raise AttributeError(name)
            import importlib

            del sys.modules[module]
            return getattr(importlib.import_module(module), name)

    stand_in = StandIn(module, "a stand-in for SymPy's lazy import (exprdiff.oracle)")
    for name in classes:
        setattr(stand_in, name, type(name, (), {"__module__": module}))
    sys.modules[module] = stand_in


# ---- AST → SymPy ------------------------------------------------------------------------------


def to_sympy(source: ast.Tree | Program) -> tuple[Any, dict[str, Any]]:
    """(SymPy expression, {variable name: real Symbol}) of a tree or its program, built node
    by node, without recursion; a statement's name stands for its SymPy expression."""
    import sympy as sp

    symbols: dict[str, Any] = {}
    assigned: dict[str, Any] = {}
    stack: list[Any] = []
    for item in source if isinstance(source, tuple) else program(source):
        kind = item[0]
        if kind == "call":
            count = item[2]
            args = stack[-count:]
            del stack[-count:]
            stack.append(lookup(item[1]).sympy(sp, *args))
        elif kind == "assign":
            assigned[item[1]] = stack.pop()
        elif kind == "variable" and item[1] in assigned:
            stack.append(assigned[item[1]])
        elif kind == "variable":
            name = item[1]
            if name not in symbols:
                symbols[name] = sp.Symbol(name, real=True)
            stack.append(symbols[name])
        elif kind == "constant":
            stack.append(sp.pi if item[1] == "pi" else sp.E)
        else:
            stack.append(_number(sp, item[1], item[2]))
    return stack.pop(), symbols


def _number(sp: Any, text: str, value: float) -> Any:
    """The literal exactly as written (2.5 is 5/2), so printed partials stay exact."""
    from fractions import Fraction

    try:
        q = Fraction(text) if len(text) <= 40 else Fraction(value)
    except (ValueError, ZeroDivisionError):
        q = Fraction(value)
    return sp.Rational(q.numerator, q.denominator)


def _text(sp: Any, expr: Any) -> str:
    return str(expr)


def evaluate(sp: Any, expr: Any, subs: dict[Any, Any]) -> tuple[float | None, str | None]:
    """(value rounded to a double, None) or (None, why SymPy has no finite real value there)."""
    # Floats of DIGITS + 10 digits put in place make SymPy evaluate each function on the way
    # (much faster than evalf(subs=...)); evalf then settles what is left (pi, sqrt(2), …).
    value = expr.xreplace(subs).evalf(DIGITS)
    if not value.is_Number:  # δ(g), H(g) of an unevaluated g (atan2(…)): evaluate g first
        value = value.replace(
            lambda e: isinstance(e, (sp.DiracDelta, sp.Heaviside)),
            lambda e: e.func(*(a.evalf(DIGITS + 10) for a in e.args))).evalf(DIGITS)
    if not value.is_Number:
        real, imaginary = value.as_real_imag()
        if not (real.is_Number and imaginary.is_Number):
            return None, f"SymPy gives {clip(str(value))} here"
        if abs(imaginary) > 1e-20 * (abs(real) + 1e-300):
            return None, f"SymPy gives the complex value {clip(str(value))}"
        value = real
    if value.is_finite is False or value is sp.nan:
        return None, f"SymPy gives {value} here"
    number = float(value)
    if not math.isfinite(number):
        return None, f"SymPy's value {clip(str(value))} overflows a double"
    return number, None


def derivative(sp: Any, expr: Any, symbol: Any) -> Any:
    """∂expr/∂symbol. SymPy leaves d sign(g)/dx unevaluated unless it can prove g real; every
    value exprdiff accepts is real, so the real chain rule 2·δ(g)·g' is applied (cbrt's
    sign(x)·|x|^(1/3) and sign need it). SymPy 1.14 also turns d/dz Max(0, -z²/m²)² into nan: then
    Max/Min are rewritten as Piecewise (equal away from ties) and differentiated again."""
    partial = sp.diff(expr, symbol)
    if partial is sp.nan and expr.has(sp.Max, sp.Min):
        partial = sp.diff(expr.rewrite(sp.Piecewise), symbol)
    if not expr.has(sp.sign):  # the (smaller) expression, not its derivative, is searched
        return partial

    def held(e: Any) -> bool:
        return isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign)

    def chain(e: Any) -> Any:
        g = e.expr.args[0]  # g' may hold a sign(h) of its own (nested cbrt): chain it too
        return 2 * sp.DiracDelta(g) * derivative(sp, g, *e.variables)

    return partial.replace(held, chain)


def _pretty(sp: Any, expr: Any) -> tuple[str, int]:
    """SymPy's 2-D Unicode form and the line its baseline is on (to align `∂f/∂x = ` with)."""
    try:
        from sympy.printing.pretty.pretty import PrettyPrinter

        form = PrettyPrinter({"use_unicode": True, "wrap_line": False})._print(expr)
        return str(form.render(wrap_line=False)), int(form.baseline)
    except (AttributeError, TypeError):  # a SymPy without these internals: no alignment
        return str(sp.pretty(expr, use_unicode=True, wrap_line=False)), 0



def partials_job(
    source: ast.Tree | Program, names: Sequence[str], point: dict[str, float] | None,
    simplify: bool, texts: bool = True,
) -> Iterator[Message]:
    """SymPy's work as messages: ("partial", name, text, value, note[, latex, pretty]), then
    ("simplified", name, text, latex, pretty) for each when `simplify`. Runs in the child."""
    import sympy as sp

    expr, symbols = to_sympy(source)
    subs = _subs(sp, symbols, point or {})
    found: list[tuple[str, Any]] = []
    for name in names:
        partial = derivative(sp, expr, symbols[name]) if name in symbols else sp.Integer(0)
        if point is not None:
            text = _text(sp, partial) if texts else ""
            yield ("partial", name, text, *evaluate(sp, partial, subs))
        else:  # for `diff`: every notation, in case simplification runs out of time
            yield ("partial", name, _text(sp, partial), None, None, sp.latex(partial),
                   _pretty(sp, partial))
        found.append((name, partial))
    if simplify:
        for name, partial in found:
            simple = sp.simplify(partial)
            yield ("simplified", name, _text(sp, simple), sp.latex(simple), _pretty(sp, simple))



def points_job(source: Program, names: Sequence[str], points: Sequence[Mapping[str, float]],
               simplify: bool) -> Iterator[Message]:
    """SymPy's work for `--check` at one or more points, the expression differentiated once:
    ("partial", name, text, value, note) at the first point, ("clock",) (the next step gets the
    whole time limit), ("values", k, ((value, note), ...)) at each further point k, then
    ("simplified", name, text) for each when `simplify`. Runs in the oracle's process, which
    keeps the partials of the last DERIVED expressions: a batch that repeats an expression on
    many lines differentiates it once."""
    import sympy as sp

    key = (source, tuple(names))
    known = _derived.pop(key, None)
    if known is None:
        known = Derived(*to_sympy(source))
    _derived[key] = known  # the most recent last
    while len(_derived) > DERIVED:
        del _derived[next(iter(_derived))]
    first = _subs(sp, known.symbols, points[0])
    for k, name in enumerate(names):
        if k == len(known.partials):
            symbol = known.symbols.get(name)
            partial = sp.Integer(0) if symbol is None else derivative(sp, known.expr, symbol)
            known.partials.append(partial)
            known.texts.append(_text(sp, partial))
        yield ("partial", name, known.texts[k], *evaluate(sp, known.partials[k], first))
    yield ("clock",)
    values = _evaluator(sp, known.partials, known.symbols, len(points) - 1)
    for k in range(1, len(points)):
        yield ("values", k, values(points[k]))
    if simplify:
        for k, name in enumerate(names):
            if k == len(known.simple):
                known.simple.append(_text(sp, sp.simplify(known.partials[k])))
            yield ("simplified", name, known.simple[k])


#: How many expressions' partials the oracle's process keeps (points_job).
DERIVED = 256


class Derived:
    """An expression, its symbols and, as far as they are done, its partials (and their texts,
    simplified or not) in the order of the names asked."""

    __slots__ = ("expr", "symbols", "partials", "texts", "simple")

    def __init__(self, expr: Any, symbols: dict[str, Any]) -> None:
        self.expr = expr
        self.symbols = symbols
        self.partials: list[Any] = []
        self.texts: list[str] = []
        self.simple: list[str] = []


_derived: dict[tuple[Program, tuple[str, ...]], Derived] = {}


Values = tuple[tuple[float | None, str | None], ...]


def _evaluator(sp: Any, partials: list[Any], symbols: dict[str, Any],
               count: int) -> Callable[[Mapping[str, float]], Values]:
    """(value, note) of every partial at a point: by `evaluate` (xreplace + evalf), or from
    FAST_FROM points on by lambdify to mpmath at the same 40-digit working precision, rounded
    to 30 digits and then to a double as `evaluate` does. A partial with a kink's or jump's
    function (Heaviside, DiracDelta, Max, Min, Piecewise: lambdify rewrites them at a cost that
    grows without bound, seconds to minutes) stays with `evaluate`, and so does whatever the
    generated code cannot give as a finite real (a complex value, a pole), for its note."""
    if count < FAST_FROM:
        return lambda point: tuple(evaluate(sp, p, _subs(sp, symbols, point)) for p in partials)
    import mpmath

    names = list(symbols)
    compiled = [_lambdified(sp, partial, names, symbols) for partial in partials]
    precision = sp.Float(1, DIGITS + 10)._prec

    def values(point: Mapping[str, float]) -> Values:
        found: list[tuple[float | None, str | None]] = []
        subs = None
        with mpmath.workprec(precision):
            args = [mpmath.mpf(point[n]) for n in names]
            for k, partial in enumerate(partials):
                number = _fast(sp, compiled, k, args)
                if number is None:
                    subs = subs or _subs(sp, symbols, point)
                    found.append(evaluate(sp, partial, subs))
                else:
                    found.append((number, None))
        return tuple(found)

    return values


def _lambdified(sp: Any, partial: Any, names: list[str], symbols: dict[str, Any]) -> Any:
    """`partial` as a function of the variables (in `names` order) on mpmath numbers, or None.
    The variables keep their symbols (renaming them would rebuild, and re-evaluate, the whole
    expression); a name that the generated code also uses for a function (`mpf`, `j`) would
    shadow it, and then the partial stays with `evaluate`."""
    if partial.has(sp.Heaviside, sp.DiracDelta, sp.Max, sp.Min, sp.Piecewise):
        return None
    if not _mpmath_names:  # what generated code may call: lambdify's namespace, no symbols
        _mpmath_names.update(sp.lambdify([], 0, modules="mpmath").__globals__)
    if any(name in _mpmath_names for name in names):
        return None
    try:
        return sp.lambdify([symbols[n] for n in names], partial, modules="mpmath",
                           docstring_limit=0)
    except Exception:  # noqa: BLE001 - a partial lambdify cannot write: evaluate it
        return None


_mpmath_names: set[str] = set()


def _fast(sp: Any, compiled: list[Any], k: int, args: list[Any]) -> float | None:
    """The k-th lambdified partial at `args` as a double, or None to ask `evaluate`.

    Run at the caller's precision (a 40-digit Float's 136 bits) and again at PROBE_BITS: where
    the two differ by more than 2**-80 of the value, the partial cancels by more than about 20
    bits here (an exact 0 computed as a residue of 1e-42), and the digits left depend on the
    order of the operations, which `evaluate`'s and the generated code's differ in: then the
    value is `evaluate`'s. Otherwise both keep over 110 correct bits and round to one double."""
    import mpmath

    function = compiled[k]
    if function is None:
        return None
    try:
        value = function(*args)
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not hasattr(value, "_mpf_") or not value:
            return None  # an mpc, a constant object, anything unexpected, or an exact 0
        with mpmath.workprec(PROBE_BITS):
            probe = function(*args)
        if not hasattr(probe, "_mpf_") or abs(value - probe) > abs(value) * mpmath.ldexp(1, -80):
            return None
    except NameError:  # a function mpmath lacks (DiracDelta): never again for this partial
        compiled[k] = None
        return None
    except (ArithmeticError, ValueError, TypeError):
        return None
    number = float(sp.Float(value, DIGITS))  # 40 digits → 30 → a double, as `evaluate`
    return number if math.isfinite(number) else None


#: The lower precision at which a lambdified partial runs again, to see it does not cancel.
PROBE_BITS = 100


def _subs(sp: Any, symbols: dict[str, Any], point: Mapping[str, float]) -> dict[Any, Any]:
    return {symbols[n]: sp.Float(v, DIGITS + 10) for n, v in point.items() if n in symbols}
