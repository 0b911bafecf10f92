"""The rows' code templates (op.Code) as expressions: parsed once, the operands put in, folded.

A template is Python's syntax over `a`, `b`, `c`, `args` and `out` (see op.Code); it is our own
text from ops.py, never a user's, and is only parsed here (`ast.parse`), never run. The
operands put in are identifiers made by names.py and numbers of the tape. Folding works out
what the constants decide (`b - 1.0` with b = 2, `0.0 if b == 0 else …`) and drops the
trivial (`x * 1.0`, `pow(x, 1.0)`, `pow(x, 2.0)` as `x * x`), so the code reads as written by
hand.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

#: The math library's names a template may call, as the Python code spells them (math or the
#: builtins); names.py keeps users' names apart from these, and c.py and arrays.py translate.
VOCABULARY = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
              "acosh", "atanh", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt",
              "fabs", "copysign", "pow", "hypot", "atan2", "erf", "floor", "isfinite")
#: Calls a template may make besides: the builtins min and max, and count(out, args).
BUILTINS = ("min", "max", "count")

#: What folding may work out at generation time: the same library functions the code calls.
_FOLDED: dict[str, Callable[..., Any]] = {
    **{name: getattr(math, name) for name in VOCABULARY if name != "isfinite"},
    "min": min, "max": max}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge}


@cache
def _parsed(template: str) -> ast.expr:
    return ast.parse(template, mode="eval").body


def number(value: float) -> ast.expr:
    """A number as an expression: a negative one (or -0.0) as a minus sign on its size."""
    if value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(float(value))


def constant_value(node: ast.expr) -> Any:
    """The number (or truth value) `node` stands for, or None when it is not a constant."""
    if isinstance(node, ast.Constant):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)):
        return -node.operand.value  # type: ignore[operator]
    return None


def instantiate(template: str, operands: Sequence[ast.expr], out: ast.expr | None = None,
                this: ast.expr | None = None) -> ast.expr:
    """The template with its operands put in (a, b, c in order; `args`: all of them), `out`
    for the row's value and `this` for `a` in a variadic row's partial; folded."""
    names: dict[str, ast.expr] = dict(zip("abc", operands, strict=False))
    if out is not None:
        names["out"] = out
    if this is not None:
        names["a"] = this
    return fold(_built(_parsed(template), names, operands))


def _built(node: Any, names: dict[str, ast.expr], operands: Sequence[ast.expr]) -> Any:
    """A fresh copy of the template's `node` with the names put in (a plain copy of a small
    tree: copy.deepcopy took most of a generation's time)."""
    if isinstance(node, ast.Name):
        found = names.get(node.id)
        return ast.Name(node.id) if found is None else _built(found, {}, ())
    if isinstance(node, ast.Call) and names:
        arguments: list[ast.expr] = []
        for argument in node.args:
            if isinstance(argument, ast.Name) and argument.id == "args":
                arguments.extend(_built(o, {}, ()) for o in operands)
            else:
                arguments.append(_built(argument, names, operands))
        return ast.Call(ast.Name(node.func.id), arguments, [])  # type: ignore[attr-defined]
    if isinstance(node, ast.AST):
        fresh = node.__class__()
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                value = [_built(v, names, operands) for v in value]
            elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
                value = _built(value, names, operands)
            setattr(fresh, field, value)
        return fresh
    return node


def fold(tree: ast.expr) -> ast.expr:
    """What the constants in `tree` decide, worked out (bottom up)."""
    return _Fold().visit(tree)


class _Fold(ast.NodeTransformer):
    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        value = constant_value(node.operand)
        if value is None:
            return node
        if isinstance(node.op, ast.USub) and not isinstance(value, bool):
            return number(-value)
        if isinstance(node.op, ast.Not):
            return ast.Constant(not value)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        left, right = constant_value(node.left), constant_value(node.right)
        rule = _BINARY.get(type(node.op))
        if left is not None and right is not None and rule is not None:
            try:
                return number(float(rule(left, right)))
            except ZeroDivisionError:
                return node
        if isinstance(node.op, ast.Mult | ast.Div) and right == 1.0:
            return node.left
        if isinstance(node.op, ast.Mult) and left == 1.0:
            return node.right
        if isinstance(node.op, ast.Mult) and right == -1.0:
            return fold(ast.UnaryOp(ast.USub(), node.left))
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        values = [constant_value(n) for n in (node.left, *node.comparators)]
        if any(v is None for v in values):
            return node
        return ast.Constant(all(_COMPARE[type(o)](x, y) for o, x, y
                                in zip(node.ops, values, values[1:], strict=False)))

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        deciding = isinstance(node.op, ast.Or)  # the value that settles it
        kept = []
        for value in node.values:
            known = constant_value(value)
            if known is None:
                kept.append(value)
            elif bool(known) == deciding:
                return ast.Constant(deciding)
        if not kept:
            return ast.Constant(not deciding)
        return kept[0] if len(kept) == 1 else ast.BoolOp(node.op, kept)

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        test = constant_value(node.test)
        if test is None:
            return node
        return node.body if test else node.orelse

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        values = [constant_value(a) for a in node.args]
        if name == "pow" and isinstance(node.args[0], ast.Name) and values[1] in (1.0, 2.0):
            base = node.args[0]
            return base if values[1] == 1.0 else ast.BinOp(base, ast.Mult(), copy.copy(base))
        function = _FOLDED.get(name)
        if function is None or any(v is None for v in values):
            return node
        try:
            result = float(function(*values))
        except (ValueError, OverflowError, ZeroDivisionError):
            return node
        return number(result) if math.isfinite(result) else node
