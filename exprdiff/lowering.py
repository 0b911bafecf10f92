"""Lowering: AST or parser callbacks → tape. Hash-consed on (op, args), constants folded,
inputs in order of first appearance; one call per operation node on the parser's fast path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from exprdiff import ast
from exprdiff.errors import ExprError
from exprdiff.ops import Op, lookup
from exprdiff.tape import (
    _SWEEP_CODES,
    BINARY,
    CONSTANT,
    INPUT,
    MANY,
    NARY,
    ONE,
    OPERATION,
    POWC,
    UNARY,
    Lean,
    Tape,
    _precedence,
    render_call,
)


def lower(root: ast.Tree, source: str) -> Tape:
    """AST → tape, iteratively: hash-consed, constants folded, inputs in order of appearance."""
    from exprdiff import statements  # (a program's names: loaded by the programs that need it)

    builder = TapeBuilder(source)
    stack: list[int] = []
    for node in ast.walk(root):
        if isinstance(node, ast.Assign):
            statements.assign(builder.tape, builder.variables, node.name, stack.pop(),
                              node.column)
        elif isinstance(node, ast.Call):
            count = len(node.args)
            args = tuple(stack[-count:])
            del stack[-count:]
            stack.append(builder.apply(lookup(node.op), args, node.column))
        elif isinstance(node, ast.Variable):
            stack.append(builder.variable(node.name, node.column))
        elif isinstance(node, ast.Constant):
            stack.append(builder.constant(node.name, node.value, node.column))
        else:
            stack.append(builder.number(node.value, node.column))
    if isinstance(root, ast.Program):
        result = stack.pop() if root.result is not None else None
        return builder.finish(statements.output(builder.tape, result, 1))
    return builder.finish(stack.pop())


class TapeBuilder:
    """Appends nodes in evaluation order: lower() calls it per AST node, and the parser's
    reduce callbacks call it directly (no AST), so both make the very same tape. Everything
    a node needs (label, value, the sweeps' entries) is appended with it, while it is at hand.

    Operations of one and two arguments are added by per-op closures (`node_maker(op, arity)`),
    which the parser binds as its reduce callbacks: one call per node.
    """

    __slots__ = ("tape", "lean", "seen", "variables", "literals", "texts")

    def __init__(self, source: str, texts: list[str] | None = None) -> None:
        self.tape = Tape(source)
        self.lean = self.tape._lean = Lean()
        # (op name, *args) → node; a number's (value, sign) → node. Flat tuples: one per node.
        self.seen: dict[tuple[object, ...], int] = {}
        self.variables: dict[str, int] = {}  # name → node, the named constants (pi, e) too
        self.literals: dict[str, int] = {}  # a number's text → node (the parser's memo)
        self.texts = texts or []  # the parser's pieces of source text (lalr.pieces)

    def variable(self, name: str, column: int) -> int:
        found = self.variables.get(name)
        if found is not None:
            return found
        i = self.variables[name] = self._leaf(INPUT, name, 0.0, column)
        self.tape.inputs[name] = i
        return i

    def constant(self, name: str, value: float, column: int) -> int:
        found = self.variables.get(name)
        if found is not None:
            return found
        i = self.variables[name] = self._leaf(CONSTANT, name, value, column)
        return i

    def number(self, value: float, column: int) -> int:
        key = (value, math.copysign(1.0, value))
        found = self.seen.get(key)
        if found is not None:
            return found
        i = self.seen[key] = self._leaf(CONSTANT, None, value, column)
        return i

    def _leaf(self, kind: str, label: str | None, value: float, column: int) -> int:
        tape = self.tape
        i = len(tape.kinds)
        tape.kinds.append(kind)
        tape.ops.append(None)
        tape.constants.append(value)
        tape._columns.append(column)
        if label is not None:  # a number's is made when asked for (Tape.leaf_label)
            tape._leaf_labels[i] = label
        if kind == CONSTANT:
            self.lean.constant_nodes.append(i)
        return i

    def apply(self, op: Op, args: tuple[int, ...], column: int) -> int:
        """The node for `op` on `args`: an existing one, a folded constant, or a new one."""
        count = len(args)
        if count == 2:
            return node_maker(op, 2)(self, args[0], column, args[1])
        if count == 1:
            return node_maker(op, 1)(self, column, args[0])
        key = (op.name, *args)
        found = self.seen.get(key)
        if found is not None:
            return found
        tape = self.tape
        kinds = tape.kinds
        if all(kinds[a] == CONSTANT for a in args):
            return self._fold(op, args, column)
        i = self.seen[key] = self._operation(op, column, _SWEEP_CODES.get(op.name, NARY),
                                             args[0], MANY)
        self.lean.many[i] = args
        return i

    def _operation(self, op: Op, column: int, code: int, first: int, second: int) -> int:
        """Append a new operation node's entries (see Lean for `code`, `first`, `second`)."""
        tape = self.tape
        i = len(tape.kinds)
        tape.kinds.append(OPERATION)
        tape.ops.append(op)
        tape.constants.append(0.0)
        tape._columns.append(column)
        lean = self.lean
        lean.nodes.append(i)
        lean.forwards.append(op.forward)
        lean.rules.append(op.partials)
        lean.codes.append(code)
        lean.firsts.append(first)
        lean.seconds.append(second)
        if op.kink is not None:
            tape.kink_nodes.append(i)
        return i

    def _fold(self, op: Op, args: tuple[int, ...], column: int) -> int:
        """A call on constants only becomes one constant node; a domain error is reported."""
        tape = self.tape
        value = folded(op, [tape.constants[a] for a in args])
        if not math.isfinite(value):
            parts = [tape.leaf_label(a) for a in args]  # constants only
            text = render_call(op, parts, [_precedence(tape, a) for a in args])
            why = ("overflows: the result is beyond ±1.8e308" if math.isinf(value)
                   else f"is undefined ({op.domain or 'result not finite'})")
            raise ExprError("domain", f"{text} {why}", column=column, source=tape.source)
        return self.number(value, column)

    def finish(self, output: int,
               resolve: Callable[[list[int]], list[int]] | None = None) -> Tape:
        """Set the output. With `resolve`, the columns given so far were the parser's piece
        indices: `resolve(indices)` gives the columns, when first asked for (Tape.columns)."""
        tape = self.tape
        tape.output = output
        tape._resolve = resolve
        if resolve is not None and tape.statements is not None:
            tape.statements.resolve_later(resolve)
        tape._labels = tape._args = None  # an error message may have asked half-way
        return tape


def folded(op: Op, values: list[float]) -> float:
    """`op` on constant values, as folding computes it: inf where the result overflows, nan
    off the domain (TapeBuilder._fold reports either; syntax/shapes.py redoes folds with it)."""
    try:
        return op.forward(*values)
    except OverflowError:  # 9**9**9**9, exp(1000): finite arguments, result beyond a double
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


#: An operation's node maker: (builder, column, a) for one argument, (builder, a, column, b)
#: for two, the parser's order of children (`a + b`: a, the `+` token, b).
UnaryRule = Callable[[TapeBuilder, int, int], int]
BinaryRule = Callable[[TapeBuilder, int, int, int], int]
# (op name, arity) → (the op, its node maker): made once per op, again for another op of that
# name (a test's patched primitive).
_RULES: dict[tuple[str, int], tuple[Op, Any]] = {}


def node_maker(op: Op, arity: int) -> Any:
    """The node maker for `op` on `arity` (1 or 2) arguments, a UnaryRule or a BinaryRule:
    TapeBuilder.apply's work in one call, which the parser binds as its reduce callback."""
    made = _RULES.get((op.name, arity))
    if made is None or made[0] is not op:
        make = _make_unary if arity == 1 else _make_binary
        made = _RULES[op.name, arity] = (op, make(op))
    return made[1]


def _make_unary(op: Op) -> UnaryRule:
    name = op.name
    code = _SWEEP_CODES.get(name, UNARY)
    forward, partials, kink = op.forward, op.partials, op.kink is not None

    def make(builder: TapeBuilder, column: int, a: int) -> int:
        key = (name, a)
        found = builder.seen.get(key)
        if found is not None:
            return found
        tape = builder.tape
        kinds = tape.kinds
        if kinds[a] == CONSTANT:
            return builder._fold(op, (a,), column)
        # TapeBuilder._operation written out (one call less per node on the parser's path)
        i = builder.seen[key] = len(kinds)
        kinds.append(OPERATION)
        tape.ops.append(op)
        tape.constants.append(0.0)
        tape._columns.append(column)
        lean = builder.lean
        lean.nodes.append(i)
        lean.forwards.append(forward)
        lean.rules.append(partials)
        lean.codes.append(code)
        lean.firsts.append(a)
        lean.seconds.append(ONE)
        if kink:
            tape.kink_nodes.append(i)
        return i

    return make


def _make_binary(op: Op) -> BinaryRule:
    name = op.name
    code = _SWEEP_CODES.get(name, BINARY)
    power = name == "pow"
    forward, partials, kink = op.forward, op.partials, op.kink is not None

    def make(builder: TapeBuilder, a: int, column: int, b: int) -> int:
        key = (name, a, b)
        seen = builder.seen
        found = seen.get(key)
        if found is not None:
            return found
        tape = builder.tape
        kinds = tape.kinds
        sweep = code
        if kinds[b] == CONSTANT:
            if kinds[a] == CONSTANT:
                return builder._fold(op, (a, b), column)
            if power and tape.constants[b] != 0:
                sweep = POWC  # a**c: its rule skips the exponent's log
        # TapeBuilder._operation written out (one call less per node on the parser's path)
        i = seen[key] = len(kinds)
        kinds.append(OPERATION)
        tape.ops.append(op)
        tape.constants.append(0.0)
        tape._columns.append(column)
        lean = builder.lean
        lean.nodes.append(i)
        lean.forwards.append(forward)
        lean.rules.append(partials)
        lean.codes.append(sweep)
        lean.firsts.append(a)
        lean.seconds.append(b)
        if kink:
            tape.kink_nodes.append(i)
        return i

    return make
