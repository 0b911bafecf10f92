"""THE primitive table: every operator and function, defined once.

Each row says, for one primitive: its name as users write it, its arity, the forward function,
the local partials (numbers, given the output and the arguments), the SymPy counterpart (built
lazily by oracle.py, which passes the `sympy` module in), the LaTeX form, and where it has a kink
or leaves its domain. Parser, graph, sweeps, oracle, renderers and tests all read this table.

Conventions at non-differentiable points (every one is reported as a warning, never silent):
the derivative used is the mean of the one-sided derivatives (abs'(0) = 0, relu'(0) = 1/2,
a max/min tie of k arguments gives 1/k to each), except where a one-sided derivative is infinite,
which is an error for the gradient (sqrt(0), cbrt(0), asin(±1), ...).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from exprdiff.frozen import Value, _set

Partials = Callable[..., tuple[float, ...]]


class Kink(Value):
    """Where a primitive is not differentiable at the given arguments.

    `one_sided[i]` is (left, right) for argument i (None for an infinite or missing one-sided
    derivative); `used[i]` is the derivative exprdiff uses; `reason` says what happens there.
    """

    __slots__ = ("reason", "one_sided", "used")
    reason: str
    one_sided: tuple[tuple[float | None, float | None], ...]
    used: tuple[float, ...]

    def __init__(self, reason: str, one_sided: tuple[tuple[float | None, float | None], ...],
                 used: tuple[float, ...]) -> None:
        _set(self, "reason", reason)
        _set(self, "one_sided", one_sided)
        _set(self, "used", used)


KinkCheck = Callable[..., "Kink | None"]


class Op(Value):
    """One primitive. `partials(out, *args)` returns ∂out/∂arg_i for every argument.

    A frozen record (frozen.Value: equal when every field is; `op.replace(kink=...)` copies).
    """

    __slots__ = ("name", "arity", "forward", "partials", "sympy", "latex", "formulas", "domain",
                 "kink", "infix", "precedence", "doc", "aliases")
    name: str
    arity: tuple[int, int | None]  # (min, max); max None means "or more"
    forward: Callable[..., float]
    partials: Partials
    sympy: Callable[..., Any]  # (sympy_module, *args) -> sympy expression
    latex: str  # "{0}", "{1}" are arguments, "{*}" all of them comma-separated
    formulas: tuple[str, ...]  # ∂out/∂arg_i written with a, b (args) and out, for step tables
    domain: str  # where the forward function is defined, for error messages
    kink: KinkCheck | None  # None: differentiable wherever defined
    infix: str | None  # "+" for operators, None for calls
    precedence: int  # binding strength when printed: + 1, * 2, unary 3, ** 4, calls 9
    doc: str
    aliases: tuple[str, ...]

    def __init__(self, name: str, arity: tuple[int, int | None], forward: Callable[..., float],
                 partials: Partials, sympy: Callable[..., Any], latex: str,
                 formulas: tuple[str, ...], domain: str = "", kink: KinkCheck | None = None,
                 infix: str | None = None, precedence: int = 9, doc: str = "",
                 aliases: tuple[str, ...] = ()) -> None:
        _set(self, "name", name)
        _set(self, "arity", arity)
        _set(self, "forward", forward)
        _set(self, "partials", partials)
        _set(self, "sympy", sympy)
        _set(self, "latex", latex)
        _set(self, "formulas", formulas)
        _set(self, "domain", domain)
        _set(self, "kink", kink)
        _set(self, "infix", infix)
        _set(self, "precedence", precedence)
        _set(self, "doc", doc)
        _set(self, "aliases", aliases)

    def arity_text(self) -> str:
        """'1 argument', '1 or 2 arguments', '2 or more arguments'."""
        low, high = self.arity
        noun = "argument" if (high == low == 1) else "arguments"
        if high is None:
            return f"{low} or more {noun}"
        if high == low:
            return f"{low} {noun}"
        return f"{low} or {high} {noun}"

    def accepts(self, count: int) -> bool:
        low, high = self.arity
        return count >= low and (high is None or count <= high)


# ---- forward functions that need more than one expression ----------------------------------


def _pow(a: float, b: float) -> float:
    # math.pow raises on 0**-1 and (-8)**(1/3) instead of going complex like `**` does.
    return math.pow(a, b)


def _sign(x: float) -> float:
    return 0.0 if x == 0 else math.copysign(1.0, x)


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow for large x.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _log(x: float, base: float | None = None) -> float:
    if base is None:
        return math.log(x)
    if base <= 0 or base == 1:
        raise ValueError("log base")
    return math.log(x) / math.log(base)


def _max(*args: float) -> float:
    return max(args)


def _min(*args: float) -> float:
    return min(args)


def _hypot(*args: float) -> float:
    return math.hypot(*args)


# ---- local partials -------------------------------------------------------------------------


def _pow_partials(out: float, a: float, b: float) -> tuple[float, float]:
    # ∂/∂a a**b = b·a**(b-1);  ∂/∂b a**b = a**b·ln a, real only for a > 0 (0 for a = 0 < b).
    da = 0.0 if b == 0 else b * math.pow(a, b - 1)
    if a > 0:
        db = out * math.log(a)
    elif a == 0 and b > 0:
        db = 0.0
    else:
        db = math.nan  # a negative base: only an error if the exponent depends on a variable
    return (da, db)


def _log_partials(out: float, x: float, base: float | None = None) -> tuple[float, ...]:
    if base is None:
        return (1.0 / x,)
    ln_b = math.log(base)
    # ∂/∂x log_b x = 1/(x ln b);  ∂/∂b log_b x = -log_b(x)/(b ln b)
    return (1.0 / (x * ln_b), -out / (base * ln_b))


def _extremum_partials(out: float, *args: float) -> tuple[float, ...]:
    # A tie of k arguments shares the derivative: 1/k each (reported as a kink).
    ties = [a == out for a in args]
    share = 1.0 / sum(ties)
    return tuple(share if t else 0.0 for t in ties)


def _atan2_partials(out: float, y: float, x: float) -> tuple[float, float]:
    # ∂/∂y atan2(y, x) = x/(x² + y²);  ∂/∂x atan2(y, x) = -y/(x² + y²)
    r2 = x * x + y * y
    return (x / r2, -y / r2)


def _hypot_partials(out: float, *args: float) -> tuple[float, ...]:
    if out == 0:
        return tuple(0.0 for _ in args)  # the cone's tip: reported as a kink
    return tuple(a / out for a in args)


def _relu_partials(out: float, x: float) -> tuple[float]:
    return (1.0 if x > 0 else 0.5 if x == 0 else 0.0,)


def _abs_partials(out: float, x: float) -> tuple[float]:
    return (_sign(x),)


# ---- kinks ---------------------------------------------------------------------------------


def _abs_kink(out: float, x: float) -> Kink | None:
    if x != 0:
        return None
    return Kink("abs has a corner at 0", ((-1.0, 1.0),), (0.0,))


def _relu_kink(out: float, x: float) -> Kink | None:
    if x != 0:
        return None
    return Kink("relu has a corner at 0", ((0.0, 1.0),), (0.5,))


def _sign_kink(out: float, x: float) -> Kink | None:
    if x != 0:
        return None
    return Kink("sign jumps at 0: no derivative exists", ((None, None),), (0.0,))


def _extremum_kink(name: str) -> KinkCheck:
    def check(out: float, *args: float) -> Kink | None:
        ties = [a == out for a in args]
        k = sum(ties)
        if k < 2:
            return None
        left, right = (0.0, 1.0) if name == "max" else (1.0, 0.0)
        one_sided = tuple((left, right) if t else (0.0, 0.0) for t in ties)
        used = tuple(1.0 / k if t else 0.0 for t in ties)
        return Kink(f"{name} has a tie between {k} arguments", one_sided, used)

    return check


def _hypot_kink(out: float, *args: float) -> Kink | None:
    if out != 0:
        return None
    one_sided = tuple((-1.0, 1.0) for _ in args)
    return Kink("hypot has a cone tip at the origin", one_sided, tuple(0.0 for _ in args))


# ---- the table ------------------------------------------------------------------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _sympy_log(sp: Any, x: Any, base: Any = None) -> Any:
    return sp.log(x) if base is None else sp.log(x, base)


def _sympy_hypot(sp: Any, *args: Any) -> Any:
    return sp.sqrt(sp.Add(*(a**2 for a in args)))


def _sympy_relu(sp: Any, x: Any) -> Any:
    return sp.Max(0, x)


def _sympy_softplus(sp: Any, x: Any) -> Any:
    return sp.log(1 + sp.exp(x))


_TABLE: tuple[Op, ...] = (
    # operators
    Op("add", (2, 2), operator.add, lambda out, a, b: (1.0, 1.0),
       lambda sp, a, b: a + b, "{0} + {1}", ("1", "1"), infix="+", precedence=1),
    Op("sub", (2, 2), operator.sub, lambda out, a, b: (1.0, -1.0),
       lambda sp, a, b: a - b, "{0} - {1}", ("1", "-1"), infix="-", precedence=1),
    Op("mul", (2, 2), operator.mul, lambda out, a, b: (b, a),
       lambda sp, a, b: a * b, r"{0} \cdot {1}", ("b", "a"), infix="*", precedence=2),
    Op("div", (2, 2), operator.truediv, lambda out, a, b: (1.0 / b, -out / b),
       lambda sp, a, b: a / b, r"\frac{{{0}}}{{{1}}}", ("1/b", "-a/b**2"),
       domain="the divisor must not be 0", infix="/", precedence=2),
    Op("neg", (1, 1), operator.neg, lambda out, a: (-1.0,),
       lambda sp, a: -a, "-{0}", ("-1",), infix="-", precedence=3),
    Op("pow", (2, 2), _pow, _pow_partials, lambda sp, a, b: a**b, "{{{0}}}^{{{1}}}",
       ("b*a**(b - 1)", "a**b*ln(a)"),
       domain="0 cannot be raised to a negative power, nor a negative base to a fractional one",
       infix="**", precedence=4),
    # functions
    Op("sin", (1, 1), math.sin, lambda out, x: (math.cos(x),),
       lambda sp, x: sp.sin(x), r"\sin\left({0}\right)", ("cos(a)",)),
    Op("cos", (1, 1), math.cos, lambda out, x: (-math.sin(x),),
       lambda sp, x: sp.cos(x), r"\cos\left({0}\right)", ("-sin(a)",)),
    Op("tan", (1, 1), math.tan, lambda out, x: (1.0 + out * out,),
       lambda sp, x: sp.tan(x), r"\tan\left({0}\right)", ("1 + tan(a)**2",)),
    Op("asin", (1, 1), math.asin, lambda out, x: (1.0 / math.sqrt(1.0 - x * x),),
       lambda sp, x: sp.asin(x), r"\arcsin\left({0}\right)", ("1/sqrt(1 - a**2)",),
       domain="the argument must be in [-1, 1]"),
    Op("acos", (1, 1), math.acos, lambda out, x: (-1.0 / math.sqrt(1.0 - x * x),),
       lambda sp, x: sp.acos(x), r"\arccos\left({0}\right)", ("-1/sqrt(1 - a**2)",),
       domain="the argument must be in [-1, 1]"),
    Op("atan", (1, 1), math.atan, lambda out, x: (1.0 / (1.0 + x * x),),
       lambda sp, x: sp.atan(x), r"\arctan\left({0}\right)", ("1/(1 + a**2)",)),
    Op("sinh", (1, 1), math.sinh, lambda out, x: (math.cosh(x),),
       lambda sp, x: sp.sinh(x), r"\sinh\left({0}\right)", ("cosh(a)",)),
    Op("cosh", (1, 1), math.cosh, lambda out, x: (math.sinh(x),),
       lambda sp, x: sp.cosh(x), r"\cosh\left({0}\right)", ("sinh(a)",)),
    Op("tanh", (1, 1), math.tanh, lambda out, x: (1.0 - out * out,),
       lambda sp, x: sp.tanh(x), r"\tanh\left({0}\right)", ("1 - tanh(a)**2",)),
    Op("asinh", (1, 1), math.asinh, lambda out, x: (1.0 / math.sqrt(x * x + 1.0),),
       lambda sp, x: sp.asinh(x), r"\operatorname{{arsinh}}\left({0}\right)",
       ("1/sqrt(a**2 + 1)",)),
    Op("acosh", (1, 1), math.acosh, lambda out, x: (1.0 / math.sqrt(x * x - 1.0),),
       lambda sp, x: sp.acosh(x), r"\operatorname{{arcosh}}\left({0}\right)",
       ("1/sqrt(a**2 - 1)",), domain="the argument must be ≥ 1"),
    Op("atanh", (1, 1), math.atanh, lambda out, x: (1.0 / (1.0 - x * x),),
       lambda sp, x: sp.atanh(x), r"\operatorname{{artanh}}\left({0}\right)",
       ("1/(1 - a**2)",), domain="the argument must be in (-1, 1)"),
    Op("exp", (1, 1), math.exp, lambda out, x: (out,),
       lambda sp, x: sp.exp(x), r"e^{{{0}}}", ("exp(a)",)),
    Op("log", (1, 2), _log, _log_partials, _sympy_log, r"\log\left({*}\right)",
       ("1/(a*ln(b))", "-log(a, b)/(b*ln(b))"),
       domain="the argument must be > 0 and a base > 0 other than 1",
       doc="natural logarithm; log(x, b) is the logarithm to base b"),
    Op("ln", (1, 1), math.log, lambda out, x: (1.0 / x,),
       lambda sp, x: sp.log(x), r"\ln\left({0}\right)", ("1/a",),
       domain="the argument must be > 0"),
    Op("log2", (1, 1), math.log2, lambda out, x: (1.0 / (x * _LN2),),
       lambda sp, x: sp.log(x, 2), r"\log_{{2}}\left({0}\right)", ("1/(a*ln(2))",),
       domain="the argument must be > 0"),
    Op("log10", (1, 1), math.log10, lambda out, x: (1.0 / (x * _LN10),),
       lambda sp, x: sp.log(x, 10), r"\log_{{10}}\left({0}\right)", ("1/(a*ln(10))",),
       domain="the argument must be > 0"),
    Op("sqrt", (1, 1), math.sqrt, lambda out, x: (0.5 / out,),
       lambda sp, x: sp.sqrt(x), r"\sqrt{{{0}}}", ("1/(2*sqrt(a))",),
       domain="the argument must be ≥ 0"),
    Op("cbrt", (1, 1), math.cbrt, lambda out, x: (1.0 / (3.0 * out * out),),
       lambda sp, x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3),  # real cube root
       r"\sqrt[3]{{{0}}}", ("1/(3*cbrt(a)**2)",)),
    Op("abs", (1, 1), abs, _abs_partials, lambda sp, x: sp.Abs(x),
       r"\left|{0}\right|", ("sign(a)",), kink=_abs_kink),
    Op("sign", (1, 1), _sign, lambda out, x: (0.0,), lambda sp, x: sp.sign(x),
       r"\operatorname{{sign}}\left({0}\right)", ("0",), kink=_sign_kink),
    Op("max", (2, None), _max, _extremum_partials, lambda sp, *a: sp.Max(*a),
       r"\max\left({*}\right)", ("1 if a is the largest else 0",), kink=_extremum_kink("max"),
       doc="the largest of two or more arguments"),
    Op("min", (2, None), _min, _extremum_partials, lambda sp, *a: sp.Min(*a),
       r"\min\left({*}\right)", ("1 if a is the smallest else 0",), kink=_extremum_kink("min"),
       doc="the smallest of two or more arguments"),
    Op("relu", (1, 1), _relu, _relu_partials, _sympy_relu,
       r"\operatorname{{relu}}\left({0}\right)", ("1 if a > 0 else 0",), kink=_relu_kink),
    Op("sigmoid", (1, 1), _sigmoid, lambda out, x: (out * (1.0 - out),),
       lambda sp, x: 1 / (1 + sp.exp(-x)), r"\sigma\left({0}\right)",
       ("sigmoid(a)*(1 - sigmoid(a))",)),
    Op("softplus", (1, 1), _softplus, lambda out, x: (_sigmoid(x),), _sympy_softplus,
       r"\operatorname{{softplus}}\left({0}\right)", ("sigmoid(a)",)),
    Op("atan2", (2, 2), math.atan2, _atan2_partials, lambda sp, y, x: sp.atan2(y, x),
       r"\operatorname{{atan2}}\left({0}, {1}\right)", ("b/(a**2 + b**2)", "-a/(a**2 + b**2)"),
       doc="atan2(y, x): the angle of the point (x, y)"),
    Op("hypot", (2, None), _hypot, _hypot_partials, _sympy_hypot,
       r"\operatorname{{hypot}}\left({*}\right)", ("a/out",),
       kink=_hypot_kink, doc="sqrt(a**2 + b**2 + ...)"),
    Op("erf", (1, 1), math.erf, lambda out, x: (_TWO_OVER_SQRT_PI * math.exp(-x * x),),
       lambda sp, x: sp.erf(x), r"\operatorname{{erf}}\left({0}\right)",
       ("2/sqrt(pi)*exp(-a**2)",)),
)

#: Operators by internal name ("add", "pow", ...) — the grammar's aliases name them.
OPERATORS: dict[str, Op] = {op.name: op for op in _TABLE[:6]}
#: Functions by the name users call them with.
FUNCTIONS: dict[str, Op] = {op.name: op for op in _TABLE[6:]}
FUNCTIONS["pow"] = OPERATORS["pow"]  # pow(a, b) is a**b: one primitive, two spellings
#: Named constants: never variables.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def lookup(name: str) -> Op:
    """The operator or function called `name`."""
    return OPERATORS.get(name) or FUNCTIONS[name]


#: A name in a formula (compiled by re on first use: step tables only, not every process).
_FORMULA_NAMES = r"[A-Za-z_][A-Za-z0-9_]*"


def formula_text(op: Op, position: int, operands: list[str], out: str) -> str:
    """∂out/∂(argument `position`) as text, with the operands' names put in for a, b and out.

    A variadic op (max, hypot) has one formula in which `a` is the argument in question; a
    one-argument `log` is the natural logarithm.
    """
    if op.name == "pow" and position == 0 and _is_number(operands[1].strip("()")):
        return _power_rule(operands[0], float(operands[1].strip("()")))
    if op.arity[1] is None:
        text, names = op.formulas[0], {"a": operands[position]}
    elif op.name == "log" and len(operands) == 1:
        text, names = "1/a", {"a": operands[0]}
    else:
        text, names = op.formulas[position], dict(zip("ab", operands, strict=False))
    names["out"] = out
    return re.sub(_FORMULA_NAMES, lambda m: names.get(m.group(0), m.group(0)), text)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _power_rule(base: str, exponent: float) -> str:
    """∂/∂a a**c for a constant c, with c - 1 worked out: 2*x1 rather than 2*x1**(2 - 1)."""
    def number(v: float) -> str:
        text = str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
        return f"({text})" if v < 0 else text

    if exponent == 0:
        return "0"
    if exponent == 1:
        return "1"
    if exponent == 2:
        return f"2*{base}"
    return f"{number(exponent)}*{base}**{number(exponent - 1)}"
