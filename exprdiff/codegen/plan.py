"""A tape as straight-line statements, before any language: what `exprdiff codegen` writes.

Reverse mode: the forward sweep (one assignment per operation, with the row's domain check
before it and its overflow and kink checks after it), then the adjoints from the output back,
one line per chain-rule term (`d_z1 += d_z3 * ∂z3/∂z1`). Forward mode: each operation's value
and then its tangent, the sum of its partials times its arguments' tangents. Every expression
is a row's template (op.Code) with the operands put in (templates.py); every name is made by
names.py; the emitters (python.py, arrays.py, c.py) only spell the statements.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from exprdiff.codegen.names import Names
from exprdiff.codegen.templates import constant_value, instantiate, number
from exprdiff.frozen import Value, _set
from exprdiff.op import JUMP, Code, formula_text
from exprdiff.ops import load
from exprdiff.tape import CONSTANT, Tape, format_number

load()  # the rows' code templates (ops.load)

#: A message: literal text, and (identifier,) for a value the code writes in at run time.
Message = tuple["str | tuple[str]", ...]
#: Widths of the subexpressions shown in messages (as exprdiff grad's errors show them).
NODE_WIDTH, ARGUMENT_WIDTH = 60, 40
OVERFLOW = "Every value that could overflow is finite (beyond ±1.8e308 is an error)."
OVERFLOWS = "a value overflows: it is beyond ±1.8e308 (exprdiff grad names the node)"
FORWARD = "Forward sweep: every node's value, in evaluation order."
REVERSE = ("Reverse sweep: d_n = ∂f/∂n for every node n, from the output back to the inputs; "
           "each line adds one chain-rule term d_n * ∂n/∂a to an argument's d_a.")
TANGENTS = ("Forward mode: every node's value, then its tangent t_n = Σ ∂n/∂a * t_a over its "
            "arguments a (the chain rule, one line per node).")


class Statement(Value):
    """`target = expr` (kind "set", or "value" for a node's value, whose comment is the tape's
    line; "add" or "subtract": `+=`, `-=`),
    a check (kind "require": `expr` must hold, else a DomainError with `message`;
    kind "kink": where `expr` holds, a warning, or NotDifferentiable when strict),
    "finite": every value in the tuple `expr` is finite, else a DomainError with `message`,
    or a comment line (kind "comment": `comment` only)."""

    __slots__ = ("kind", "target", "expr", "comment", "message")
    kind: str
    target: str
    expr: ast.expr | None
    comment: str
    message: Message

    def __init__(self, kind: str, target: str = "", expr: ast.expr | None = None,
                 comment: str = "", message: Message = ()) -> None:
        _set(self, "kind", kind)
        _set(self, "target", target)
        _set(self, "expr", expr)
        _set(self, "comment", comment)
        _set(self, "message", _joined(message))


def _joined(message: Message) -> Message:
    """Neighbouring pieces of text as one."""
    parts: list[str | tuple[str]] = []
    for part in message:
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        else:
            parts.append(part)
    return tuple(parts)


class Plan(Value):
    """One generated function: its inputs (and, in forward mode, their tangents), the
    statements, and what it returns: the value and the gradient's (or the tangent's) names."""

    __slots__ = ("mode", "listing", "inputs", "directions", "body", "value", "results",
                 "unused")
    mode: str
    listing: tuple[str, ...]
    inputs: tuple[str, ...]
    directions: tuple[str, ...]
    body: tuple[Statement, ...]
    value: ast.expr
    results: tuple[str, ...]
    unused: tuple[str, ...]

    def __init__(self, mode: str, listing: tuple[str, ...], inputs: tuple[str, ...],
                 directions: tuple[str, ...], body: tuple[Statement, ...], value: ast.expr,
                 results: tuple[str, ...], unused: tuple[str, ...]) -> None:
        for name, field in zip(self.__slots__, (mode, listing, inputs, directions, body, value,
                                                results, unused), strict=True):
            _set(self, name, field)


def plan(tape: Tape, mode: str = "reverse") -> Plan:
    """The statements computing the value and the gradient (reverse) or the tangent (forward)."""
    names = Names(tape)
    inputs = tuple(str(names.value[i]) for i in tape.inputs.values())
    listing = (f"f = {tape.expression(tape.output, width=200)}", *str(tape).splitlines())
    body: list[Statement] = [Statement("comment", comment=FORWARD if mode == "reverse"
                                       else TANGENTS)]
    for i in tape.operations:
        body.extend(_forward(tape, names, i))
        if mode == "forward":
            body.extend(_tangent(tape, names, i))
    body.extend(_overflow(tape, names))
    if mode == "forward":
        directions = tuple(names.tangent(i) for i in tape.inputs.values())
        results: tuple[str, ...] = (_tangent_of(tape, names, tape.output, body),)
    else:
        directions = ()
        results = _reverse(tape, names, body)
    used = {a for i in tape.operations for a in tape.args[i]} | {tape.output}
    unused = tuple(str(names.value[i]) for i in tape.operations if i not in used)
    if mode == "forward":
        unused += tuple(names.tangent(i) for i in tape.operations if i not in used)
    return Plan(mode, listing, inputs, directions, tuple(body), _operand(tape, names, tape.output),
                results, unused)


def _operand(tape: Tape, names: Names, i: int) -> ast.expr:
    """Node i in an expression: its name, or a constant's number."""
    if tape.kinds[i] == CONSTANT:
        return number(tape.constants[i])
    return ast.Name(str(names.value[i]))


def _code(tape: Tape, i: int) -> Code:
    op = tape.ops[i]
    assert op is not None  # noqa: S101 - only operations are planned
    return op.code_for(len(tape.args[i]))


def _where(tape: Tape, names: Names, i: int) -> tuple[str, Message]:
    """`node z2 = log(x - 1)` and `x - 1 = <value>, …` for node i's messages."""
    parts: list[str | tuple[str]] = []
    for k, a in enumerate(tape.args[i]):
        parts.append((", " if k else "") + f"{tape.expression(a, width=ARGUMENT_WIDTH)} = ")
        parts.append(format_number(tape.constants[a]) if tape.kinds[a] == CONSTANT
                     else (str(names.value[a]),))
    return f"node {tape.labels[i]} = {tape.expression(i, width=NODE_WIDTH)}", tuple(parts)


def _forward(tape: Tape, names: Names, i: int) -> list[Statement]:
    """Node i's value, with the row's domain check before it and overflow and kink checks."""
    op, code = tape.ops[i], _code(tape, i)
    assert op is not None  # noqa: S101 - only operations are planned
    operands = [_operand(tape, names, a) for a in tape.args[i]]
    target = str(names.value[i])
    where, pairs = _where(tape, names, i)
    found: list[Statement] = []
    if code.defined is not None:
        detail = f" ({op.domain})" if op.domain else ""
        found.extend(_require(instantiate(code.defined, operands),
                              (f"{op.name} is undefined at {where}, where ", *pairs, detail)))
    value = instantiate(code.value, operands)
    found.append(Statement("value", target, value,
                           comment=f"{tape.labels[i]} = {tape.operation_text(i)}"))
    if code.kink is not None:
        condition, reason, kind = code.kink
        words = "not continuous" if kind == JUMP else "not differentiable"
        test = instantiate(condition, operands, out=ast.Name(target))
        if constant_value(test) is not False:
            found.append(Statement("kink", expr=test, message=(f"{words} at {where}: {reason}",)))
    return found


def _overflow(tape: Tape, names: Names) -> list[Statement]:
    """One check after the forward sweep: the values of the rows that can overflow from
    finite arguments (Op.overflows) are finite (a "finite" statement: `expr` is their tuple)."""
    prone: list[ast.expr] = [ast.Name(str(names.value[i])) for i in tape.operations
             if getattr(tape.ops[i], "overflows", False)]
    if not prone:
        return []
    return [Statement("finite", expr=ast.Tuple(prone), comment=OVERFLOW, message=(OVERFLOWS,))]


def _require(condition: ast.expr, message: Message) -> list[Statement]:
    """The check that `condition` holds, unless the constants already say it does."""
    if constant_value(condition) is True:
        return []
    return [Statement("require", expr=condition, message=message)]


def _partials(tape: Tape, names: Names, i: int) -> list[tuple[int, int, ast.expr, str]]:
    """(position, argument, ∂node/∂argument, its formula) for each argument that is not a
    constant, with the row's slope checks (statements) for them first."""
    op, code = tape.ops[i], _code(tape, i)
    assert op is not None  # noqa: S101 - only operations are planned
    args = tape.args[i]
    operands = [_operand(tape, names, a) for a in args]
    out = ast.Name(str(names.value[i]))
    labels = [tape.labels[a] for a in args]
    found = []
    for position, a in enumerate(args):
        if tape.kinds[a] == CONSTANT:
            continue
        variadic = op.arity[1] is None
        template = code.partials[0 if variadic else position]
        partial = instantiate(template, operands, out=out,
                              this=operands[position] if variadic else None)
        formula = formula_text(op, position, labels, tape.labels[i])
        found.append((position, a, partial, f"∂{tape.labels[i]}/∂{labels[position]} = {formula}"))
    return found


def _slope_checks(tape: Tape, names: Names, i: int, positions: Sequence[int]) -> list[Statement]:
    op, code = tape.ops[i], _code(tape, i)
    assert op is not None  # noqa: S101 - only operations are planned
    operands = [_operand(tape, names, a) for a in tape.args[i]]
    where, pairs = _where(tape, names, i)
    found = []
    for position in positions:
        template = code.slope(position)
        if template is None:
            continue
        shown = tape.expression(tape.args[i][position], width=ARGUMENT_WIDTH)
        which = "" if len(operands) == 1 else f" with respect to {shown}"
        found.extend(_require(instantiate(template, operands), (
            f"{op.name} has an infinite or undefined slope{which} at {where}, where ", *pairs)))
    return found


#: The least positive normal double: a slope below it has lost digits, or all of them.
TINY = 2.2250738585072014e-308


def _normal(tape: Tape, names: Names, i: int, partial: ast.expr, formula: str,
            body: list[Statement]) -> ast.expr:
    """A one-argument row whose slope can fall below the doubles' normal range (its Op.scaled:
    tanh'(400), exp'(-800); never 0 where it is defined): the slope into a name of its own,
    and the check that it is normal, for exprdiff grad carries it exactly or says why not where
    plain doubles give 0 (issue 14). Other rows' partials are used as they are."""
    op = tape.ops[i]
    if op is None or op.scaled is None or len(tape.args[i]) != 1:
        return partial
    name = names.partial(i)
    where, pairs = _where(tape, names, i)
    body.append(Statement("set", name, partial, comment=formula))
    check = ast.Compare(ast.Call(ast.Name("fabs"), [ast.Name(name)], []), [ast.GtE()],
                        [ast.Constant(TINY)])
    body.extend(_require(check, (f"the slope of {op.name} at {where} is below the doubles' "
                                 "normal range, where ", *pairs,
                                 " (exprdiff grad carries it exactly)")))
    return ast.Name(name)


def _term(adjoint: ast.expr, partial: ast.expr) -> tuple[bool, ast.expr]:
    """(whether it is subtracted, the term) for adjoint × partial, without `* 1.0`."""
    value = constant_value(partial)
    if value in (1.0, -1.0):
        return value < 0, adjoint
    if isinstance(partial, ast.UnaryOp) and isinstance(partial.op, ast.USub):
        return True, ast.BinOp(adjoint, ast.Mult(), partial.operand)
    return False, ast.BinOp(adjoint, ast.Mult(), partial)


def _reverse(tape: Tape, names: Names, body: list[Statement]) -> tuple[str, ...]:
    """The adjoint statements, output first; returns the inputs' adjoints' names."""
    seeded: set[int] = {tape.output}
    output = names.adjoint(tape.output)
    body.append(Statement("comment", comment=REVERSE))
    body.append(Statement("set", output, ast.Constant(1.0),
                          comment=f"∂f/∂{tape.labels[tape.output]} = 1: the output"))
    for i in reversed(tape.operations):
        if i not in seeded:
            continue  # nothing the output depends on (an unused statement of a program)
        terms = _partials(tape, names, i)
        body.append(Statement("comment", comment=f"{tape.labels[i]} = {tape.operation_text(i)}"))
        body.extend(_slope_checks(tape, names, i, [p for p, *_ in terms]))
        for _, a, partial, formula in terms:
            partial = _normal(tape, names, i, partial, formula, body)
            negative, term = _term(ast.Name(names.adjoint(i)), partial)
            if a in seeded:
                body.append(Statement("subtract" if negative else "add", names.adjoint(a), term,
                                      comment=formula))
            else:
                seeded.add(a)
                first = ast.UnaryOp(ast.USub(), term) if negative else term
                body.append(Statement("set", names.adjoint(a), first, comment=formula))
    for name, i in tape.inputs.items():
        if i not in seeded:
            body.append(Statement("set", names.adjoint(i), ast.Constant(0.0),
                                  comment=f"the output does not depend on {name}"))
    return tuple(names.adjoint(i) for i in tape.inputs.values())


def _tangent(tape: Tape, names: Names, i: int) -> list[Statement]:
    """Node i's tangent: Σ ∂i/∂a · t_a over its arguments that are not constants."""
    terms = _partials(tape, names, i)
    found = _slope_checks(tape, names, i, [p for p, *_ in terms])
    total: ast.expr | None = None
    for _, a, partial, formula in terms:
        partial = _normal(tape, names, i, partial, formula, found)
        negative, term = _term(ast.Name(names.tangent(a)), partial)
        if total is None:
            total = ast.UnaryOp(ast.USub(), term) if negative else term
        else:
            total = ast.BinOp(total, ast.Sub() if negative else ast.Add(), term)
    formulas = ", ".join(formula for *_, formula in terms)
    found.append(Statement("set", names.tangent(i), total, comment=formulas))
    return found


def _tangent_of(tape: Tape, names: Names, i: int, body: list[Statement]) -> str:
    """The name holding the output's tangent (a constant output's is 0)."""
    if tape.kinds[i] != CONSTANT:
        return names.tangent(i)
    body.append(Statement("set", "tangent", ast.Constant(0.0), comment="a constant"))
    return "tangent"
