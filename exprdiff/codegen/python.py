"""A plan (plan.py) as Python source: one straight-line function over floats and the math
module, with the errors and the kink rule it raises and warns with defined above it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from exprdiff.codegen.plan import Message, Plan, Statement
from exprdiff.codegen.templates import VOCABULARY

#: Indentation of the function's body.
IN = "    "
#: Imported by compiled code instead of the helpers' text (runtime.py).
IMPORTED = "from exprdiff.codegen.runtime import DomainError, NotDifferentiable, _kink"
NOT_FINITE = ("the gradient is not finite here: a partial or an adjoint is beyond the doubles' "
              "range (exprdiff grad says which, or carries it on)")


class PythonWriter:
    """Spells a plan in Python; arrays.ArrayWriter changes the few places NumPy differs."""

    language = "python"
    indent = IN  # of the statements

    def __init__(self, plan: Plan, name: str, strict: bool, imported: bool = False) -> None:
        self.plan, self.name, self.strict, self.imported = plan, name, strict, imported

    def source(self) -> str:
        plan = self.plan
        lines = [f"# exprdiff codegen --lang {self.language} --mode {plan.mode}",
                 "# Generated from exprdiff's tape of:",
                 *(f"#   {line}" for line in plan.listing),
                 *self.imports(), *self.runtime(), *self.helpers(), "", "",
                 f"def {self.name}({', '.join(self.parameters())}):",
                 f'{IN}"""{self.docstring()}"""',
                 *self.prologue()]
        for statement in plan.body:
            lines.extend(self.indent + line for line in self.statement(statement))
        lines.extend(self.indent + line for line in self.epilogue())
        return "\n".join(lines) + "\n"

    def runtime(self) -> list[str]:
        """The errors and the kink rule: runtime.py's text (its code after the docstring and
        the imports), or, for compile_python, an import of it."""
        if self.imported:
            return [IMPORTED]
        text = Path(__file__).with_name("runtime.py").read_text(encoding="utf-8")
        body = text[text.index("\n\n\nclass ") + 1:]
        return body.replace("(message: str, strict: bool) -> None:", "(message, strict):") \
            .splitlines()

    def parameters(self) -> list[str]:
        return [*self.plan.inputs, *self.plan.directions, f"strict={self.strict}"]

    def docstring(self) -> str:
        plan = self.plan
        point = ", ".join(plan.inputs)
        if plan.mode == "forward":
            along = ", ".join(plan.directions)
            return (f"f at ({point}) and its derivative along the direction ({along}): returns "
                    f"(value, tangent); a unit direction gives one partial.")
        partials = ", ".join(f"∂f/∂{name}" for name in plan.inputs)
        return f"f at ({point}) and its gradient: returns (value, ({partials}))."

    def imports(self) -> list[str]:
        used = sorted(self.called() & set(VOCABULARY) | {"isfinite"})
        return ["", f"from math import {', '.join(used)}",
                *([] if self.imported else ["from warnings import warn"])]

    def called(self) -> set[str]:
        """The functions the statements call."""
        found = set()
        for statement in self.plan.body:
            if statement.expr is not None:
                found |= {n.func.id for n in ast.walk(statement.expr)
                          if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        return found

    def helpers(self) -> list[str]:
        return []

    def prologue(self) -> list[str]:
        return []

    def expression(self, expr: ast.expr) -> str:
        return ast.unparse(_Spelled().visit(expr))

    def statement(self, statement: Statement) -> Iterator[str]:
        kind, target = statement.kind, statement.target
        if kind == "comment":
            yield from comment(statement.comment)
            return
        if kind == "finite":
            yield from self.finite(statement)
            return
        assert statement.expr is not None  # noqa: S101 - every other kind has an expression
        code = self.expression(statement.expr)
        if kind in ("set", "value", "add", "subtract"):
            yield self.assignment(kind, target, code) + self.trailing(statement, target, code)
        elif kind == "require":
            yield from self.require(statement, code)
        else:
            yield f"if {code}:"
            yield f"{IN}_kink({self.text(statement.message)}, strict)"

    def finite(self, statement: Statement) -> Iterator[str]:
        assert isinstance(statement.expr, ast.Tuple)  # noqa: S101 - as plan._overflow makes it
        yield from comment(statement.comment)
        yield f"if not {self.all_finite(ast.unparse(statement.expr))}:"
        yield f"{IN}raise DomainError({self.text(statement.message)})"

    @staticmethod
    def all_finite(values: str) -> str:
        """The test that the sum of `values` (a tuple's text) is finite."""
        return f"isfinite(sum({values}))"

    def assignment(self, kind: str, target: str, code: str) -> str:
        operator = {"add": "+=", "subtract": "-="}.get(kind, "=")
        return f"{target} {operator} {code}"

    @staticmethod
    def trailing(statement: Statement, target: str, code: str) -> str:
        """The comment after an assignment: the formula, or the tape's line where the code
        does not already say it."""
        if statement.kind == "value" and (f"{target}={code}".replace(" ", "")
                                          == statement.comment.replace(" ", "")):
            return ""
        return f"  # {statement.comment}" if statement.comment else ""

    def require(self, statement: Statement, code: str) -> Iterator[str]:
        assert statement.expr is not None  # noqa: S101 - a check has a condition
        yield f"if {ast.unparse(ast.UnaryOp(ast.Not(), _Spelled().visit(statement.expr)))}:"
        yield f"{IN}raise DomainError({self.text(statement.message)})"

    @staticmethod
    def text(message: Message, values: dict[str, str] | None = None) -> str:
        """The message as a Python string literal: an f-string where it holds values."""
        parts: list[ast.expr] = []
        for part in message:
            if isinstance(part, str):
                parts.append(ast.Constant(part))
            else:
                name = part[0] if values is None else values[part[0]]
                parts.append(ast.FormattedValue(ast.Name(name), ord("r"), None))
        if all(isinstance(p, ast.Constant) for p in parts):
            return repr("".join(str(p.value) for p in parts))  # type: ignore[attr-defined]
        return ast.unparse(ast.JoinedStr(parts))

    def epilogue(self) -> list[str]:
        plan = self.plan
        value = ast.unparse(plan.value)
        if plan.mode == "forward":
            (tangent,) = plan.results
            return [f"if not isfinite({tangent}):", f"{IN}raise DomainError({NOT_FINITE!r})",
                    f"return {value}, {tangent}"]
        results = ", ".join(plan.results) + ("," if len(plan.results) == 1 else "")
        return [f"gradient = ({results})", "if not isfinite(sum(gradient)):",
                f"{IN}raise DomainError({NOT_FINITE!r})", f"return {value}, gradient"]


def comment(text: str, width: int = 92) -> list[str]:
    """A comment, wrapped."""
    import textwrap

    return [f"# {line}" for line in textwrap.wrap(text, width)] or ["#"]


class _Spelled(ast.NodeTransformer):
    """count(out, a, b, …) as (a == out) + (b == out) + …: how many arguments tie."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id == "count"):
            return node
        out, *args = node.args
        total: ast.expr = ast.Compare(args[0], [ast.Eq()], [out])
        for a in args[1:]:
            total = ast.BinOp(total, ast.Add(), ast.Compare(a, [ast.Eq()], [out]))
        return total
