"""The primitives' code templates (op.Code) that need more than one short line, named for
ops.py's rows: the same stable forms as rules.py, written as one expression each for
`exprdiff codegen` (Python's syntax over a, b, c, args and out; see op.Code).
"""

from __future__ import annotations

from exprdiff import kink_rules as K
from exprdiff.op import JUMP, KINK, Code
from exprdiff.rules import TWO_OVER_SQRT_PI

#: σ(a) = 1/(1 + e^-a), with e^a/(1 + e^a) below 0: e^-a never overflows (rules.sigmoid).
_SIGMOID = "1.0 / (1.0 + exp(-a)) if a >= 0 else exp(a) / (1.0 + exp(a))"

# ∂/∂a a**b = b·a**(b-1), exactly 0 for b = 0;  ∂/∂b = a**b·ln a, real for a > 0 (0 at
# a = 0 < b). A negative base to an integer power has a value but no slope in the exponent.
# (`defined` is written so that a constant exponent decides it: x**2 needs no check.)
POW = Code("pow(a, b)", ("0.0 if b == 0 else b * pow(a, b - 1.0)",
                         "out * log(a) if a > 0 else 0.0"),
           defined="b == floor(b) and (b >= 0 or a != 0) or a > 0 or a == 0 and b > 0",
           slopes=("a != 0 or b == 0 or b >= 1", "a > 0 or a == 0 and b > 0"))

# 1 - tanh² cancels to 0 near saturation: 4e^(-2|a|)/(1 + e^(-2|a|))² does not.
TANH = Code("tanh(a)", ("4.0 * exp(-2.0 * fabs(a)) / ((1.0 + exp(-2.0 * fabs(a)))"
                        " * (1.0 + exp(-2.0 * fabs(a))))",))

# σ(1 - σ) = e^(-|a|)/(1 + e^(-|a|))², which does not cancel for large a.
SIGMOID = Code(_SIGMOID, ("exp(-fabs(a)) / ((1.0 + exp(-fabs(a))) * (1.0 + exp(-fabs(a))))",))

# log(1 + e^a) without overflow: max(a, 0) + log1p(e^-|a|); its slope is σ(a).
SOFTPLUS = Code("max(a, 0.0) + log1p(exp(-fabs(a)))", (_SIGMOID,))

LOG = (Code("log(a)", ("1.0 / a",), defined="a > 0"),
       Code("log(a) / log(b)", ("1.0 / (a * log(b))", "-out / (b * log(b))"),
            defined="a > 0 and b > 0 and b != 1"))

ERF = Code("erf(a)", (f"{TWO_OVER_SQRT_PI!r} * exp(-a * a)",))

# ∂/∂y atan2(y, x) = (x/h)/h, ∂/∂x = -(y/h)/h with h = hypot(y, x): no overflow in x² + y².
ATAN2 = Code("atan2(a, b)", ("b / hypot(a, b) / hypot(a, b)", "-(a / hypot(a, b)) / hypot(a, b)"),
             slopes=("a != 0 or b != 0", "a != 0 or b != 0"),
             kink=("a == 0 and b < 0", K.ATAN2_CUT, JUMP))

# A tie of k arguments shares the derivative: 1/k each (reported as a kink).
MAX = Code("max(args)", ("1.0 / count(out, args) if a == out else 0.0",),
           kink=("count(out, args) >= 2", "max has a tie between two or more arguments", KINK))
MIN = Code("min(args)", ("1.0 / count(out, args) if a == out else 0.0",),
           kink=("count(out, args) >= 2", "min has a tie between two or more arguments", KINK))

# clamp = min(max(x, lo), hi): the chain rule through both, ties shared half and half.
_INNER = "(1.0 if max(a, b) < c else 0.5 if max(a, b) == c else 0.0)"
CLAMP = Code("min(max(a, b), c)",
             (f"{_INNER} * (1.0 if a > b else 0.5 if a == b else 0.0)",
              f"{_INNER} * (0.0 if a > b else 0.5 if a == b else 1.0)",
              "0.0 if max(a, b) < c else 0.5 if max(a, b) == c else 1.0"),
             defined="b <= c",
             kink=("a == b or max(a, b) == c", "clamp has a corner where x or its value meets "
                   "a bound", KINK))

HYPOT = Code("hypot(args)", ("a / out if out != 0 else 0.0",),
             kink=("out == 0", K.HYPOT_TIP, KINK))
