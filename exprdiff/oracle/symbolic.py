"""SymPy's side of the oracle: our AST as SymPy objects, their derivatives, 30-digit values.

SymPy is imported only inside the functions here. Our AST becomes SymPy objects through each
primitive's `sympy` builder in ops.py (never `sympify`, `parse_expr`, `eval` or `lambdify` on
user text), is differentiated symbolically and evaluated at 30 digits. `partials_job` is the work
the bounded child process (child.py) runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any

from exprdiff import ast
from exprdiff.ops import lookup
from exprdiff.oracle.child import Message, clip

DIGITS = 30  # significant digits for SymPy's evaluation of a partial


# ---- AST → SymPy ------------------------------------------------------------------------------


def to_sympy(tree: ast.Node) -> tuple[Any, dict[str, Any]]:
    """(SymPy expression, {variable name: real Symbol}) built node by node, without recursion."""
    import sympy as sp

    symbols: dict[str, Any] = {}
    stack: list[Any] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            count = len(node.args)
            args = stack[-count:]
            del stack[-count:]
            stack.append(lookup(node.op).sympy(sp, *args))
        elif isinstance(node, ast.Variable):
            if node.name not in symbols:
                symbols[node.name] = sp.Symbol(node.name, real=True)
            stack.append(symbols[node.name])
        elif isinstance(node, ast.Constant):
            stack.append(sp.pi if node.name == "pi" else sp.E)
        else:
            stack.append(_number(sp, node))
    return stack.pop(), symbols


def _number(sp: Any, node: ast.Number) -> Any:
    """The literal exactly as written (2.5 is 5/2), so printed partials stay exact."""
    try:
        q = Fraction(node.text) if len(node.text) <= 40 else Fraction(node.value)
    except (ValueError, ZeroDivisionError):
        q = Fraction(node.value)
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
    tree: ast.Node, names: Sequence[str], point: dict[str, float] | None, simplify: bool,
    texts: bool = True,
) -> Iterator[Message]:
    """SymPy's work as messages: ("partial", name, text, value, note[, latex, pretty]), then
    ("simplified", name, text, latex, pretty) for each when `simplify`. Runs in the child."""
    import sympy as sp

    expr, symbols = to_sympy(tree)
    subs = {symbols[n]: sp.Float(v, DIGITS + 10) for n, v in (point or {}).items() if n in symbols}
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

