"""THE primitive table: every operator and function, defined once, one row each.

A row says everything about its primitive (see op.Op): scalar forward and partials, NumPy
forward and partials, where it kinks or jumps, its domain, whether it overflows, the SymPy
counterpart, LaTeX and precedence, the formulas of its partials for step tables, a sample
domain for tests, and its rules as code templates for `exprdiff codegen` (op.Code; the long
ones in code_rules.py). Parser, tape, sweeps, the NumPy engine, the oracle, renderers, codegen
and tests all read this table: adding a function is one row (plus its line in README's
function list).
Rules longer than one expression are named functions in rules.py (scalar) and array_rules.py
(NumPy, which is passed in: nothing here imports it).
"""

from __future__ import annotations

import math
import operator

from exprdiff import kink_rules as K
from exprdiff import rules as R
from exprdiff.frozen import _set
from exprdiff.op import (
    JUMP,
    KINK,
    LATE_FIELDS,
    Code,
    Kink,
    Later,
    Op,
    Rules,
    formula_latex,
    formula_text,
)

# Loaded by the sweeps that use them (load() below), not by every process: NumPy's rules, the
# partials as wide numbers (the careful sweep), the second partials (Hessians), the longer
# code templates (exprdiff codegen).
A = Rules("exprdiff.array_rules")
S = Rules("exprdiff.scaled")
D = Rules("exprdiff.second_rules")
C = Rules("exprdiff.code_rules")

__all__ = ["CONSTANTS", "FUNCTIONS", "OPERATORS", "Kink", "Op", "TABLE", "formula_latex",
           "formula_text", "load", "lookup"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_WIDE = ((-1e4, 1e4),)  # no domain to keep to: the tests draw from a wide interval

TABLE: tuple[Op, ...] = (
    # operators
    Op("add", (2, 2), operator.add, lambda out, a, b: (1.0, 1.0),
       lambda sp, a, b: a + b, "{0} + {1}", ("1", "1"), ("1", "1"),
       array="add", array_partials=lambda np, out, a, b: (1.0, 1.0), sample=_WIDE,
       infix="+", precedence=1, overflows=True, propagates=True,
       code=Code("a + b", ("1.0", "1.0")),
       second=D.zeros),
    Op("sub", (2, 2), operator.sub, lambda out, a, b: (1.0, -1.0),
       lambda sp, a, b: a - b, "{0} - {1}", ("1", "-1"), ("1", "-1"),
       array="subtract", array_partials=lambda np, out, a, b: (1.0, -1.0), sample=_WIDE,
       infix="-", precedence=1, overflows=True, propagates=True,
       code=Code("a - b", ("1.0", "-1.0")),
       second=D.zeros),
    Op("mul", (2, 2), operator.mul, lambda out, a, b: (b, a),
       lambda sp, a, b: a * b, r"{0} \cdot {1}", ("b", "a"), ("{b}", "{a}"),
       array="multiply", array_partials=lambda np, out, a, b: (b, a), sample=_WIDE,
       infix="*", precedence=2, overflows=True, propagates=True, flat=K.mul_flat,
       code=Code("a * b", ("b", "a")),
       second=D.mul),
    Op("div", (2, 2), operator.truediv, R.div_partials,
       lambda sp, a, b: a / b, r"\frac{{{0}}}{{{1}}}", ("1/b", "-a/b**2"),
       (r"\frac{{1}}{{{b}}}", r"-\frac{{{a}}}{{{b}^{{2}}}}"),
       array="divide", array_partials=A.div_partials,
       sample=((-3.0, 3.0),), repair=R.near_pole,
       domain="the divisor must not be 0", infix="/", precedence=2, overflows=True,
       flat=K.div_flat,
       scaled=S.div,
       code=Code("a / b", ("1.0 / b", "-out / b"), defined="b != 0"),
       second=D.div),
    Op("neg", (1, 1), operator.neg, lambda out, a: (-1.0,),
       lambda sp, a: -a, "-{0}", ("-1",), ("-1",),
       array="negative", array_partials=lambda np, out, a: (-1.0,), sample=_WIDE,
       infix="-", precedence=3, propagates=True,
       code=Code("-a", ("-1.0",)),
       second=D.zeros),
    Op("pow", (2, 2), R.pow_, R.pow_partials, lambda sp, a, b: a**b, "{{{0}}}^{{{1}}}",
       ("b*a**(b - 1)", "a**b*ln(a)"),
       (r"{b} \cdot {{{a}}}^{{{b} - 1}}", r"{{{a}}}^{{{b}}} \ln\left({a}\right)"),
       array=A.power, array_partials=A.pow_partials, sample=((0.2, 5.0), (-3.0, 3.0)),
       domain="0 cannot be raised to a negative power, nor a negative base to a fractional one",
       infix="**", precedence=4, overflows=True, flat=K.pow_flat,
       scaled=S.pow_,
       code=C.POW,
       second=D.pow_),
    # functions
    Op("sin", (1, 1), math.sin, lambda out, x: (math.cos(x),),
       lambda sp, x: sp.sin(x), r"\sin\left({0}\right)", ("cos(a)",),
       (r"\cos\left({a}\right)",),
       array="sin", array_partials=lambda np, out, x: (np.cos(x),), sample=((-20.0, 20.0),),
       propagates=True,
       code=Code("sin(a)", ("cos(a)",)),
       second=D.minus_itself),
    Op("cos", (1, 1), math.cos, lambda out, x: (-math.sin(x),),
       lambda sp, x: sp.cos(x), r"\cos\left({0}\right)", ("-sin(a)",),
       (r"-\sin\left({a}\right)",),
       array="cos", array_partials=lambda np, out, x: (-np.sin(x),), sample=((-20.0, 20.0),),
       propagates=True,
       code=Code("cos(a)", ("-sin(a)",)),
       second=D.minus_itself),
    Op("tan", (1, 1), math.tan, lambda out, x: (1.0 + out * out,),
       lambda sp, x: sp.tan(x), r"\tan\left({0}\right)", ("1 + tan(a)**2",),
       (r"1 + \tan^{{2}}\left({a}\right)",),
       array="tan", array_partials=lambda np, out, x: (1.0 + out * out,),
       sample=((-1.3, 1.3),), propagates=True,
       code=Code("tan(a)", ("1.0 + out * out",)),
       second=D.tan),
    Op("asin", (1, 1), math.asin, R.asin_partials,
       lambda sp, x: sp.asin(x), r"\arcsin\left({0}\right)", ("1/sqrt(1 - a**2)",),
       (r"\frac{{1}}{{\sqrt{{1 - {a}^{{2}}}}}}",),
       array="arcsin", array_partials=A.asin_partials,
       sample=((-0.9, 0.9),), domain="the argument must be in [-1, 1]",
       code=Code("asin(a)", ("1.0 / sqrt((1.0 - a) * (1.0 + a))",),
                   defined="-1 <= a <= 1", slopes=("-1 < a < 1",)),
       second=D.asin),
    Op("acos", (1, 1), math.acos, R.acos_partials,
       lambda sp, x: sp.acos(x), r"\arccos\left({0}\right)", ("-1/sqrt(1 - a**2)",),
       (r"-\frac{{1}}{{\sqrt{{1 - {a}^{{2}}}}}}",),
       array="arccos", array_partials=A.acos_partials,
       sample=((-0.9, 0.9),), domain="the argument must be in [-1, 1]",
       code=Code("acos(a)", ("-1.0 / sqrt((1.0 - a) * (1.0 + a))",),
                   defined="-1 <= a <= 1", slopes=("-1 < a < 1",)),
       second=D.acos),
    Op("atan", (1, 1), math.atan, R.atan_partials,
       lambda sp, x: sp.atan(x), r"\arctan\left({0}\right)", ("1/(1 + a**2)",),
       (r"\frac{{1}}{{1 + {a}^{{2}}}}",),
       array="arctan", array_partials=A.atan_partials,
       sample=((-10.0, 10.0),),
       scaled=S.atan,
       code=Code("atan(a)", ("1.0 / hypot(1.0, a) / hypot(1.0, a)",)),
       second=D.atan),
    Op("sinh", (1, 1), math.sinh, lambda out, x: (math.cosh(x),),
       lambda sp, x: sp.sinh(x), r"\sinh\left({0}\right)", ("cosh(a)",),
       (r"\cosh\left({a}\right)",),
       array="sinh", array_partials=lambda np, out, x: (np.cosh(x),), sample=((-5.0, 5.0),),
       overflows=True, propagates=True,
       code=Code("sinh(a)", ("cosh(a)",)),
       second=D.itself),
    Op("cosh", (1, 1), math.cosh, lambda out, x: (math.sinh(x),),
       lambda sp, x: sp.cosh(x), r"\cosh\left({0}\right)", ("sinh(a)",),
       (r"\sinh\left({a}\right)",),
       array="cosh", array_partials=lambda np, out, x: (np.sinh(x),), sample=((-5.0, 5.0),),
       overflows=True, propagates=True,
       code=Code("cosh(a)", ("sinh(a)",)),
       second=D.itself),
    Op("tanh", (1, 1), math.tanh, R.tanh_partials,
       lambda sp, x: sp.tanh(x), r"\tanh\left({0}\right)", ("1 - tanh(a)**2",),
       (r"1 - \tanh^{{2}}\left({a}\right)",),
       array="tanh", array_partials=A.tanh_partials,
       sample=((-4.0, 4.0),),
       scaled=S.tanh,
       code=C.TANH,
       second=D.tanh),
    Op("asinh", (1, 1), math.asinh, R.asinh_partials,
       lambda sp, x: sp.asinh(x), r"\operatorname{{arsinh}}\left({0}\right)",
       ("1/sqrt(a**2 + 1)",), (r"\frac{{1}}{{\sqrt{{{a}^{{2}} + 1}}}}",),
       array="arcsinh", array_partials=A.asinh_partials,
       sample=((-10.0, 10.0),), propagates=True,
       code=Code("asinh(a)", ("1.0 / hypot(a, 1.0)",)),
       second=D.asinh),
    Op("acosh", (1, 1), math.acosh, R.acosh_partials,
       lambda sp, x: sp.acosh(x), r"\operatorname{{arcosh}}\left({0}\right)",
       ("1/sqrt(a**2 - 1)",), (r"\frac{{1}}{{\sqrt{{{a}^{{2}} - 1}}}}",),
       array="arccosh", array_partials=A.acosh_partials,
       sample=((1.1, 50.0),), domain="the argument must be ≥ 1",
       code=Code("acosh(a)", ("1.0 / (sqrt(a - 1.0) * sqrt(a + 1.0))",), defined="a >= 1",
                   slopes=("a > 1",)),
       second=D.acosh),
    Op("atanh", (1, 1), math.atanh, R.atanh_partials,
       lambda sp, x: sp.atanh(x), r"\operatorname{{artanh}}\left({0}\right)",
       ("1/(1 - a**2)",), (r"\frac{{1}}{{1 - {a}^{{2}}}}",),
       array="arctanh", array_partials=A.atanh_partials,
       sample=((-0.9, 0.9),), domain="the argument must be in (-1, 1)",
       code=Code("atanh(a)", ("1.0 / ((1.0 - a) * (1.0 + a))",), defined="-1 < a < 1"),
       second=D.atanh),
    Op("exp", (1, 1), math.exp, R.exp_partials,
       lambda sp, x: sp.exp(x), r"e^{{{0}}}", ("exp(a)",), (r"e^{{{a}}}",),
       array="exp", array_partials=A.exp_partials, sample=((-5.0, 5.0),),
       overflows=True,
       scaled=S.exp,
       code=Code("exp(a)", ("out",)),
       second=D.itself),
    Op("expm1", (1, 1), math.expm1, R.expm1_partials,
       lambda sp, x: sp.exp(x) - 1, r"\left(e^{{{0}}} - 1\right)", ("exp(a)",), (r"e^{{{a}}}",),
       array="expm1", array_partials=A.expm1_partials, sample=((-5.0, 5.0),),
       overflows=True, doc="exp(x) - 1, accurate for small x",
       scaled=S.exp,
       code=Code("expm1(a)", ("exp(a)",)),
       second=D.expm1),
    Op("log", (1, 2), R.log, R.log_partials, lambda sp, x, b=None: sp.log(x) if b is None
       else sp.log(x, b), r"\log\left({*}\right)", ("1/(a*ln(b))", "-log(a, b)/(b*ln(b))"),
       (r"\frac{{1}}{{{a} \ln {b}}}", r"-\frac{{\log_{{{b}}} {a}}}{{{b} \ln {b}}}"),
       array=A.log, array_partials=A.log_partials, sample=((0.1, 1000.0), (1.5, 10.0)),
       domain="the argument must be > 0 and a base > 0 other than 1",
       doc="natural logarithm; log(x, b) is the logarithm to base b",
       scaled=S.log,
       code=C.LOG,
       second=D.log),
    Op("ln", (1, 1), math.log, lambda out, x: (1.0 / x,),
       lambda sp, x: sp.log(x), r"\ln\left({0}\right)", ("1/a",), (r"\frac{{1}}{{{a}}}",),
       array="log", array_partials=lambda np, out, x: (1.0 / x,), sample=((0.1, 1000.0),),
       domain="the argument must be > 0", propagates=True,
       scaled=S.reciprocal,
       code=Code("log(a)", ("1.0 / a",), defined="a > 0"),
       second=D.reciprocal_slope(1.0)),
    Op("log1p", (1, 1), math.log1p, lambda out, x: (1.0 / (1.0 + x),),
       lambda sp, x: sp.log(1 + x), r"\ln\left(1 + {0}\right)", ("1/(1 + a)",),
       (r"\frac{{1}}{{1 + {a}}}",),
       array="log1p", array_partials=lambda np, out, x: (1.0 / (1.0 + x),),
       sample=((-0.9, 1000.0),), domain="the argument must be > -1",
       doc="log(1 + x), accurate for small x",
       code=Code("log1p(a)", ("1.0 / (1.0 + a)",), defined="a > -1"),
       second=D.log1p),
    Op("log2", (1, 1), math.log2, lambda out, x: (R.reciprocal_product(x, _LN2),),
       lambda sp, x: sp.log(x, 2), r"\log_{{2}}\left({0}\right)", ("1/(a*ln(2))",),
       (r"\frac{{1}}{{{a} \ln 2}}",),
       array="log2", array_partials=A.reciprocal_times(_LN2),
       sample=((0.1, 1000.0),), domain="the argument must be > 0", propagates=True,
       scaled=S.reciprocal_times(_LN2),
       code=Code("log2(a)", (f"1.0 / (a * {_LN2!r})",), defined="a > 0"),
       second=D.reciprocal_slope(_LN2)),
    Op("log10", (1, 1), math.log10, lambda out, x: (R.reciprocal_product(x, _LN10),),
       lambda sp, x: sp.log(x, 10), r"\log_{{10}}\left({0}\right)", ("1/(a*ln(10))",),
       (r"\frac{{1}}{{{a} \ln 10}}",),
       array="log10", array_partials=A.reciprocal_times(_LN10),
       sample=((0.1, 1000.0),), domain="the argument must be > 0", propagates=True,
       scaled=S.reciprocal_times(_LN10),
       code=Code("log10(a)", (f"1.0 / (a * {_LN10!r})",), defined="a > 0"),
       second=D.reciprocal_slope(_LN10)),
    Op("sqrt", (1, 1), math.sqrt, lambda out, x: (0.5 / out,),
       lambda sp, x: sp.sqrt(x), r"\sqrt{{{0}}}", ("1/(2*sqrt(a))",),
       (r"\frac{{1}}{{2 \sqrt{{{a}}}}}",),
       array="sqrt", array_partials=lambda np, out, x: (0.5 / out,), sample=((0.1, 1000.0),),
       domain="the argument must be ≥ 0", propagates=True,
       code=Code("sqrt(a)", ("0.5 / out",), defined="a >= 0", slopes=("a > 0",)),
       second=D.sqrt),
    Op("cbrt", (1, 1), math.cbrt, lambda out, x: (1.0 / (3.0 * out * out),),
       lambda sp, x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3),  # real cube root
       r"\sqrt[3]{{{0}}}", ("1/(3*cbrt(a)**2)",), (r"\frac{{1}}{{3 \sqrt[3]{{{a}}}^{{2}}}}",),
       array="cbrt", array_partials=lambda np, out, x: (1.0 / (3.0 * out * out),),
       sample=_WIDE, repair=R.near_zero, propagates=True,
       code=Code("cbrt(a)", ("1.0 / (3.0 * out * out)",), slopes=("a != 0",)),
       second=D.cbrt),
    Op("abs", (1, 1), abs, R.abs_partials, lambda sp, x: sp.Abs(x),
       r"\left|{0}\right|", ("sign(a)",), (r"\operatorname{{sign}}\left({a}\right)",),
       array="absolute", array_partials=A.abs_partials,
       array_kink=lambda np, out, x: x == 0, sample=_WIDE, repair=R.near_zero,
       kink=K.abs_kink, propagates=True,
       code=Code("fabs(a)", ("0.0 if a == 0 else copysign(1.0, a)",),
                   kink=("a == 0", K.ABS_CORNER, KINK)),
       second=D.zeros),
    Op("sign", (1, 1), R.sign, lambda out, x: (0.0,), lambda sp, x: sp.sign(x),
       r"\operatorname{{sign}}\left({0}\right)", ("0",), ("0",),
       array=A.sign, array_partials=lambda np, out, x: (0.0,),
       array_kink=lambda np, out, x: x == 0, sample=_WIDE, repair=R.near_zero,
       kink=K.sign_kink, flat=K.sign_flat,
       code=Code("0.0 if a == 0 else copysign(1.0, a)", ("0.0",),
                   kink=("a == 0", K.SIGN_JUMP, JUMP)),
       second=D.zeros),
    Op("max", (2, None), R.maximum, R.extremum_partials, lambda sp, *a: sp.Max(*a),
       r"\max\left({*}\right)", ("1 if a is the largest else 0",),
       (r"\left[{a} \text{{ is the largest}}\right]",),
       array=A.maximum, array_partials=A.extremum_partials, array_kink=A.ties, sample=_WIDE,
       repair=R.near_tie, kink=K.extremum_kink("max"), side=K.extremum_side,
       directional=K.max_directional, flat=K.max_flat,
       doc="the largest of two or more arguments",
       code=C.MAX,
       second=D.zeros),
    Op("min", (2, None), R.minimum, R.extremum_partials, lambda sp, *a: sp.Min(*a),
       r"\min\left({*}\right)", ("1 if a is the smallest else 0",),
       (r"\left[{a} \text{{ is the smallest}}\right]",),
       array=A.minimum, array_partials=A.extremum_partials, array_kink=A.ties, sample=_WIDE,
       repair=R.near_tie, kink=K.extremum_kink("min"), side=K.extremum_side,
       directional=K.min_directional, flat=K.min_flat,
       doc="the smallest of two or more arguments",
       code=C.MIN,
       second=D.zeros),
    Op("clamp", (3, 3), R.clamp, R.clamp_partials,
       lambda sp, x, low, high: sp.Min(sp.Max(x, low), high),
       r"\operatorname{{clamp}}\left({*}\right)",
       ("1 if b < a < c else 0", "1 if a < b else 0", "1 if a > c else 0"),
       (r"\left[{b} < {a} < {c}\right]", r"\left[{a} < {b}\right]", r"\left[{a} > {c}\right]"),
       array=A.clamp, array_partials=A.clamp_partials, array_kink=A.clamp_kink,
       sample=((-3.0, 3.0), (-2.0, -0.5), (0.5, 2.0)), repair=R.near_bounds,
       kink=K.clamp_kink, side=K.clamp_side, domain="the lower bound must not exceed the upper",
       flat=K.clamp_flat,
       doc="clamp(x, lo, hi): x limited to [lo, hi], i.e. min(max(x, lo), hi)",
       code=C.CLAMP,
       second=D.zeros),
    Op("relu", (1, 1), R.relu, R.relu_partials, lambda sp, x: sp.Max(0, x),
       r"\operatorname{{relu}}\left({0}\right)", ("1 if a > 0 else 0",),
       (r"\left[{a} > 0\right]",),
       array=A.relu, array_partials=A.relu_partials, array_kink=lambda np, out, x: x == 0,
       sample=_WIDE, repair=R.near_zero, kink=K.relu_kink, flat=K.relu_flat,
       code=Code("a if a > 0 else 0.0", ("1.0 if a > 0 else 0.5 if a == 0 else 0.0",),
                   kink=("a == 0", K.RELU_CORNER, KINK)),
       second=D.zeros),
    Op("sigmoid", (1, 1), R.sigmoid, R.sigmoid_partials,
       lambda sp, x: 1 / (1 + sp.exp(-x)), r"\sigma\left({0}\right)",
       ("sigmoid(a)*(1 - sigmoid(a))",),
       (r"\sigma\left({a}\right) \left(1 - \sigma\left({a}\right)\right)",),
       array=A.sigmoid, array_partials=A.sigmoid_partials,
       sample=((-8.0, 8.0),),
       scaled=S.sigmoid,
       code=C.SIGMOID,
       second=D.sigmoid),
    Op("softplus", (1, 1), R.softplus, R.softplus_partials,
       lambda sp, x: sp.log(1 + sp.exp(x)), r"\operatorname{{softplus}}\left({0}\right)",
       ("sigmoid(a)",), (r"\sigma\left({a}\right)",),
       array=A.softplus, array_partials=A.softplus_partials,
       sample=((-10.0, 10.0),),
       scaled=S.softplus,
       code=C.SOFTPLUS,
       second=D.softplus),
    Op("atan2", (2, 2), math.atan2, R.atan2_partials, lambda sp, y, x: sp.atan2(y, x),
       r"\operatorname{{atan2}}\left({0}, {1}\right)", ("b/(a**2 + b**2)", "-a/(a**2 + b**2)"),
       (r"\frac{{{b}}}{{{a}^{{2}} + {b}^{{2}}}}", r"-\frac{{{a}}}{{{a}^{{2}} + {b}^{{2}}}}"),
       array="arctan2", array_partials=A.atan2_partials, array_kink=A.atan2_jump,
       sample=_WIDE, repair=R.near_cut, kink=K.atan2_kink, side=K.atan2_side,
       doc="atan2(y, x): the angle of the point (x, y)",
       scaled=S.atan2,
       code=C.ATAN2,
       second=D.atan2),
    Op("hypot", (2, None), R.hypot, R.hypot_partials,
       lambda sp, *a: sp.sqrt(sp.Add(*(x**2 for x in a))),
       r"\operatorname{{hypot}}\left({*}\right)", ("a/out",), (r"\frac{{{a}}}{{{out}}}",),
       array=A.hypot, array_partials=A.hypot_partials,
       array_kink=lambda np, out, *a: out == 0, sample=_WIDE, repair=R.near_origin,
       kink=K.hypot_kink, side=K.hypot_side, directional=K.hypot_directional, overflows=True,
       doc="sqrt(a**2 + b**2 + ...)",
       scaled=S.hypot,
       code=C.HYPOT,
       second=D.hypot),
    Op("erf", (1, 1), math.erf, R.erf_partials,
       lambda sp, x: sp.erf(x), r"\operatorname{{erf}}\left({0}\right)",
       ("2/sqrt(pi)*exp(-a**2)",), (r"\frac{{2}}{{\sqrt{{\pi}}}} e^{{-{a}^{{2}}}}",),
       array=A.erf, array_partials=A.erf_partials,
       sample=((-3.0, 3.0),),
       scaled=S.erf,
       code=C.ERF,
       second=D.erf),
)

#: Operators by internal name ("add", "pow", ...) — the grammar's aliases name them.
OPERATORS: dict[str, Op] = {op.name: op for op in TABLE if op.infix is not None}
#: Functions by the name users call them with.
FUNCTIONS: dict[str, Op] = {op.name: op for op in TABLE if op.infix is None}
FUNCTIONS["pow"] = OPERATORS["pow"]  # pow(a, b) is a**b: one primitive, two spellings
#: Named constants: never variables.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def lookup(name: str) -> Op:
    """The operator or function called `name`."""
    return OPERATORS.get(name) or FUNCTIONS[name]


_LOADED: list[bool] = []


def load() -> tuple[Op, ...]:
    """The table with every row's NumPy, wide and second-order rules in place of their Later
    names (their modules are loaded now). The sweeps that read those fields call it when they
    are imported; once per process."""
    if not _LOADED:
        for op in TABLE:
            for field in LATE_FIELDS:
                rule = getattr(op, field)
                if isinstance(rule, Later):
                    rule = rule.resolve()
                    _set(op, field, (rule,) if field == "code" and isinstance(rule, Code) else
                         rule)
        _LOADED.append(True)
    return TABLE
