"""A plan (plan.py) as NumPy source: the Python function of python.py over arrays, one entry
per point (scalars broadcast), with `np.where` for the rows' branches and the checks made on
every point at once (the first failing row is named)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from exprdiff.codegen.plan import Message, Statement
from exprdiff.codegen.python import IN, PythonWriter

#: The math library's names as NumPy spells them (the others are the same in both).
SPELLING = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
            "acosh": "arccosh", "atanh": "arctanh", "pow": "power", "atan2": "arctan2",
            "min": "minimum", "max": "maximum"}
#: NumPy has no erf: math.erf over every entry.
ERF = ["", "", "_erf = np.vectorize(erf, otypes=[np.float64])"]
HELPERS = '''

def _first(ok, *values):
    """The first row (from 0) where `ok` fails, and each of `values` there."""
    ok, *values = np.broadcast_arrays(ok, *values)
    row = int(np.argmin(ok.ravel()))
    return (row, *(float(v.ravel()[row]) for v in values))


def _rows(kinked):
    """Where a kink is: how many points and the first."""
    kinked = np.ravel(kinked)
    return f" (at {np.count_nonzero(kinked)} of {kinked.size} points, from row {np.argmax(kinked)})"


def _full(values, *inputs):
    """Each of `values` as an array of the inputs' common shape."""
    shape = np.broadcast_shapes(*(np.shape(x) for x in inputs))
    return tuple(np.broadcast_to(v, shape).astype(np.float64) for v in values)
'''


class ArrayWriter(PythonWriter):
    language = "numpy"
    indent = IN + IN  # inside `with np.errstate(…)`

    def imports(self) -> list[str]:
        lines = ["", "import numpy as np"]
        if "erf" in self.called():
            lines.append("from math import erf")
        return [*lines, "from warnings import warn"]

    def helpers(self) -> list[str]:
        return [*(ERF if "erf" in self.called() else []), *HELPERS.splitlines()]

    def prologue(self) -> list[str]:
        names = [*self.plan.inputs, *self.plan.directions]
        return [*(f"{IN}{n} = np.asarray({n}, dtype=np.float64)" for n in names),
                f"{IN}# np.where works out both branches: their warnings mean nothing here.",
                f'{IN}with np.errstate(all="ignore"):']

    def expression(self, expr: ast.expr) -> str:
        return ast.unparse(_Arrays().visit(expr))

    def assignment(self, kind: str, target: str, code: str) -> str:
        if kind in ("add", "subtract"):  # never in place: an adjoint may share its array
            return f"{target} = {target} {'+' if kind == 'add' else '-'} {code}"
        return f"{target} = {code}"

    def require(self, statement: Statement, code: str) -> Iterator[str]:
        shown = _values(statement.message)
        yield f"_ok = {code}"
        yield "if not np.all(_ok):"
        yield f"{IN}_row, {', '.join(shown.values())} = _first(_ok, {', '.join(shown)})"
        message = (*statement.message, " (first at row ", ("_row",), ")")
        yield f"{IN}raise DomainError({self.text(message, {**shown, '_row': '_row'})})"

    def statement(self, statement: Statement) -> Iterator[str]:
        if statement.kind != "kink":
            yield from super().statement(statement)
            return
        assert statement.expr is not None  # noqa: S101 - a kink has a condition
        yield f"_kinked = {self.expression(statement.expr)}"
        yield "if np.any(_kinked):"
        yield f"{IN}_kink({self.text(statement.message)} + _rows(_kinked), strict)"

    @staticmethod
    def all_finite(values: str) -> str:
        return f"np.all(np.isfinite(sum({values})))"

    def epilogue(self) -> list[str]:
        plan = self.plan
        every = ", ".join([*plan.inputs, *plan.directions])
        results = ", ".join(plan.results)
        value = ast.unparse(plan.value)
        if plan.mode == "forward":
            return [f"value, tangent = _full(({value}, {results}), {every})",
                    "if not np.all(np.isfinite(tangent)):",
                    f"{IN}raise DomainError({_not_finite()!r})", "return value, tangent"]
        return [f"value, *gradient = _full(({value}, {results}), {every})",
                "if not np.all(np.isfinite(sum(gradient))):",
                f"{IN}raise DomainError({_not_finite()!r})", "return value, tuple(gradient)"]


def _not_finite() -> str:
    from exprdiff.codegen.python import NOT_FINITE

    return NOT_FINITE


def _values(message: Message) -> dict[str, str]:
    """The message's run-time values → the names they have at the failing row (_v1, …)."""
    found: dict[str, str] = {}
    for part in message:
        if not isinstance(part, str) and part[0] not in found:
            found[part[0]] = f"_v{len(found) + 1}"
    return found


class _Arrays(ast.NodeTransformer):
    """The template's Python as NumPy: np.<function> (nested pairwise for more than two
    arguments), np.where for `x if c else y`, & | ~ for and, or, not."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        assert isinstance(node.func, ast.Name)  # noqa: S101 - templates call names only
        name, args = node.func.id, node.args
        if name == "count":
            out, *rest = args
            terms = [ast.BinOp(ast.Compare(a, [ast.Eq()], [out]), ast.Mult(), ast.Constant(1.0))
                     for a in rest]
            total = terms[0]
            for term in terms[1:]:
                total = ast.BinOp(total, ast.Add(), term)
            return total
        if name == "erf":
            return ast.Call(ast.Name("_erf"), args, [])
        function = ast.Attribute(ast.Name("np"), SPELLING.get(name, name))
        result = ast.Call(function, args[:2], [])
        for a in args[2:]:
            result = ast.Call(function, [result, a], [])
        return result

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        return ast.Call(ast.Attribute(ast.Name("np"), "where"), [node.test, node.body, node.orelse],
                        [])

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        joined = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        total = node.values[0]
        for value in node.values[1:]:
            total = ast.BinOp(total, joined, value)
        return total

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        operands = [node.left, *node.comparators]
        pairs: list[ast.expr] = [ast.Compare(x, [o], [y]) for o, x, y
                                 in zip(node.ops, operands, operands[1:], strict=False)]
        total = pairs[0]
        for pair in pairs[1:]:
            total = ast.BinOp(total, ast.BitAnd(), pair)
        return total

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.UnaryOp(ast.Invert(), node.operand)
        return node
