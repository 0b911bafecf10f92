"""A plan (plan.py) as C99: one function over doubles and <math.h>, returning a status.

The templates' Python is spelled in C here: `x if c else y` as `(c ? x : y)`, `and`/`or`/`not`
as `&&`/`||`/`!`, min/max as fmin/fmax, more than two arguments nested pairwise, numbers as
double literals. Messages go to stderr, each text as a `%s` argument (never a format).
"""

from __future__ import annotations

import ast
import textwrap

from exprdiff.codegen.plan import Message, Plan, Statement

IN = "    "
SPELLING = {"min": "fmin", "max": "fmax", "nan": "NAN"}
_BINARY = {ast.Add: ("+", 8), ast.Sub: ("-", 8), ast.Mult: ("*", 9), ast.Div: ("/", 9)}
_COMPARE = {ast.Eq: ("==", 6), ast.NotEq: ("!=", 6), ast.Lt: ("<", 7), ast.LtE: ("<=", 7),
            ast.Gt: (">", 7), ast.GtE: (">=", 7)}
NOT_FINITE = ("the gradient is not finite here: a partial or an adjoint is beyond the doubles' "
              "range (exprdiff grad says which, or carries it on)")


def expression(node: ast.expr) -> str:
    return _spelled(node)[0]


def _spelled(node: ast.expr) -> tuple[str, int]:
    """(C text, its precedence: 11 an atom or call … 1 a conditional)."""
    if isinstance(node, ast.Name):
        return SPELLING.get(node.id, node.id), 11
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return str(int(node.value)), 11
        return repr(float(node.value)), 11  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp):
        operand = _wrapped(node.operand, 10)
        return ("!" if isinstance(node.op, ast.Not) else "-") + operand, 10
    if isinstance(node, ast.BinOp):
        symbol, level = _BINARY[type(node.op)]
        return f"{_wrapped(node.left, level)} {symbol} {_wrapped(node.right, level + 1)}", level
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        pairs = []
        for o, x, y in zip(node.ops, operands, operands[1:], strict=False):
            symbol, level = _COMPARE[type(o)]
            pairs.append((f"{_wrapped(x, level)} {symbol} {_wrapped(y, level + 1)}", level))
        if len(pairs) == 1:
            return pairs[0]
        return " && ".join(f"({text})" for text, _ in pairs), 3
    if isinstance(node, ast.BoolOp):
        symbol, level = ("&&", 3) if isinstance(node.op, ast.And) else ("||", 2)
        # Any && inside || in parentheses, as -Wall asks.
        return f" {symbol} ".join(_wrapped(v, 11 if isinstance(v, ast.BoolOp) else level + 1)
                                  for v in node.values), level
    if isinstance(node, ast.IfExp):
        return (f"{_wrapped(node.test, 2)} ? {_wrapped(node.body, 2)} : "
                f"{_wrapped(node.orelse, 1)}"), 1
    if isinstance(node, ast.Call):
        return _call(node), 11
    raise TypeError(f"no C for {ast.dump(node)}")


def _wrapped(node: ast.expr, at_least: int) -> str:
    text, level = _spelled(node)
    return text if level >= at_least else f"({text})"


def _call(node: ast.Call) -> str:
    assert isinstance(node.func, ast.Name)  # noqa: S101 - templates call names only
    name, args = node.func.id, node.args
    if name == "count":  # how many arguments equal out: (a == out) + (b == out) + …
        out, *rest = args
        return "(" + " + ".join(f"({expression(a)} == {expression(out)})" for a in rest) + ")"
    function = SPELLING.get(name, name)
    text = f"{function}({expression(args[0])}, {expression(args[1])})" if len(args) > 1 else \
        f"{function}({expression(args[0])})"
    for a in args[2:]:
        text = f"{function}({text}, {expression(a)})"
    return text


def string(text: str) -> str:
    """A C string literal: `"`, `\\` and `?` escaped, a line break as \\n, other control
    characters as octal bytes, the rest (UTF-8 text such as ≥ or π) as it is."""
    out = []
    for char in text:
        if char in '"\\?':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char.isprintable():
            out.append(char)
        else:
            out.extend(f"\\{byte:03o}" for byte in char.encode("utf-8"))
    return '"' + "".join(out) + '"'


def comment(text: str, width: int = 92) -> list[str]:
    lines = textwrap.wrap(text.replace("*/", "* /"), width) or [""]
    if len(lines) == 1:
        return [f"/* {lines[0]} */"]
    return ["/* " + lines[0], *(" * " + line for line in lines[1:]), " */"]


def report(message: Message, severity: str) -> str:
    """fprintf of `severity: message` to stderr, the values as %.17g."""
    formats, args = [severity + ": "], []
    for part in message:
        if isinstance(part, str):
            formats.append("%s")
            args.append(string(part))
        else:
            formats.append("%.17g")
            args.append(part[0])
    return f"fprintf(stderr, {string(''.join(formats) + chr(10))}, {', '.join(args)});"


class CWriter:
    def __init__(self, plan: Plan, name: str) -> None:
        self.plan, self.name = plan, name

    def source(self) -> str:
        plan = self.plan
        lines = [f"/* exprdiff codegen --lang c --mode {plan.mode}",
                 " * Generated from exprdiff's tape of:",
                 *(f" *   {line.replace('*/', '* /')}" for line in plan.listing), " */",
                 "#include <math.h>", "#include <stdio.h>", "",
                 *comment(self.docstring()), self.signature(), "{"]
        for statement in plan.body:
            lines.extend(IN + line for line in self.statement(statement))
        lines.extend(IN + line for line in self.epilogue())
        return "\n".join([*lines, "}"]) + "\n"

    def docstring(self) -> str:
        plan = self.plan
        point = ", ".join(plan.inputs)
        returns = ("returns 0, or 1 at a domain error or a value beyond the doubles (the message "
                   "on stderr), or 2 at a kink or jump when strict (else a warning on stderr).")
        if plan.mode == "forward":
            return (f"f at ({point}) in *value and its derivative along the direction "
                    f"({', '.join(plan.directions)}) in *tangent: {returns}")
        partials = ", ".join(f"∂f/∂{name}" for name in plan.inputs)
        return f"f at ({point}) in *value and its gradient ({partials}) in grad[]: {returns}"

    def signature(self) -> str:
        plan = self.plan
        params = [f"double {n}" for n in (*plan.inputs, *plan.directions)]
        out = "double *tangent" if plan.mode == "forward" else "double *grad"
        return f"int {self.name}({', '.join([*params, 'double *value', out, 'int strict'])})"

    def statement(self, statement: Statement) -> list[str]:
        kind, target = statement.kind, statement.target
        if kind == "comment":
            return comment(statement.comment)
        assert statement.expr is not None  # noqa: S101 - every other kind has an expression
        if kind == "finite":
            assert isinstance(statement.expr, ast.Tuple)  # noqa: S101 - plan._overflow's
            total = " + ".join(expression(e) for e in statement.expr.elts)
            return [*comment(statement.comment), f"if (!isfinite({total})) {{",
                    IN + report(statement.message, "error"), f"{IN}return 1;", "}"]
        code = expression(statement.expr)
        if kind == "require":
            return [f"if (!({code})) {{", IN + report(statement.message, "error"),
                    f"{IN}return 1;", "}"]
        if kind == "kink":
            return [f"if ({code}) {{", f"{IN}if (strict) {{",
                    IN + IN + report(statement.message, "error"), f"{IN}{IN}return 2;",
                    f"{IN}}}", IN + report(statement.message, "warning"), "}"]
        operator = {"add": "+=", "subtract": "-="}.get(kind)
        line = f"{target} {operator} {code};" if operator else f"double {target} = {code};"
        if kind != "value" or f"{target}={code};".replace(" ", "") != \
                statement.comment.replace(" ", "") + ";":
            line += f"  /* {statement.comment.replace('*/', '* /')} */"
        return [line]

    def epilogue(self) -> list[str]:
        plan = self.plan
        lines = [f"(void){name};  /* not used by the output */" for name in plan.unused]
        lines += ["(void)strict;", f"*value = {expression(plan.value)};"]
        if plan.mode == "forward":
            (tangent,) = plan.results
            lines.append(f"*tangent = {tangent};")
            check, count = "!isfinite(*tangent)", ""
        else:
            lines += [f"grad[{k}] = {name};" for k, name in enumerate(plan.results)]
            count = str(len(plan.results))
            check = "!isfinite(grad[k])"
        loop = f"for (int k = 0; k < {count}; k++) " if count else ""
        lines += [f"{loop}if ({check}) {{", IN + report((NOT_FINITE,), "error"),
                  f"{IN}return 1;", "}", "return 0;"]
        return lines
