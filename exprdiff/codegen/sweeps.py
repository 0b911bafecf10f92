"""exprdiff's own two sweeps written out as one straight-line Python function, for batches.

The readable code of python.py comes from the rows' code templates, which compute the same
derivatives as the rows' rules but not always the same bits (atan's 1/hypot², an adjoint
starting at -0.0, a partial below the doubles' range carried on or not). A batch record must
be byte for byte what the sweeps give, so this function does exactly what forward.forward and
reverse.reverse do on the lean tape — the same operations on the same numbers in the same
order, calling the rows' own forward and partials functions, with the loops' cheap rules
(`+ - * neg`, `a**c`) written out as the loops write them — without the loops' bookkeeping.

Where the loops would leave their fast path (an exception, a value that is not finite, an
adjoint that is 0 or below the normal range, where reverse.py looks closer), the function
raises Unsure instead of guessing: the caller then runs the sweeps themselves.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator
from typing import Any

from exprdiff.rules import TINY
from exprdiff.tape import ADD, BINARY, MUL, NEG, ONE, POWC, SUB, UNARY, Tape

#: Forward functions the loop calls that are one Python operator.
_INFIX = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/"}
_IN = "    "


class Unsure(ArithmeticError):
    """Where the sweeps look closer than the straight line can: run them instead."""


def sweep_source(tape: Tape, passed: bool = False) -> tuple[str, dict[str, Any]]:
    """The function's text (`sweep(*point)` → (value, gradient tuple), point and gradient in
    `tape.variables` order) and the names it reads: the rows' functions and odd constants.

    `passed`: the constants are not written in but passed before the point, in the order of
    `tape.lean().constant_nodes` (`sweep(*constants, *point)`), so that one function serves
    every tape of the same shape (syntax/shapes.py): the same operations on the same numbers.
    """
    names: dict[str, Any] = {"TINY": TINY, "mpow": math.pow}
    parameters = [*(tape.lean().constant_nodes if passed else ()), *tape.inputs.values()]
    lines = [f"def sweep({', '.join(f'v{i}' for i in parameters)}):", f"{_IN}try:"]
    body = [*(() if passed else _constants(tape, names)), *_forward(tape, names),
            *_reverse(tape, names, passed)]
    lines += [_IN * 2 + line for line in body]
    lines += [f"{_IN}except (ArithmeticError, ValueError):",
              f"{_IN * 2}raise Unsure from None"]
    return "\n".join(lines) + "\n", names


def _constants(tape: Tape, names: dict[str, Any]) -> Iterator[str]:
    for i in tape.lean().constant_nodes:
        yield f"v{i} = {_number(tape.constants[i], f'k{i}', names)}"


def _number(value: float, name: str, names: dict[str, Any]) -> str:
    """A float as code: its repr (which reads back as the same double), else a bound name."""
    if math.isfinite(value):
        return repr(value)
    names[name] = value
    return name


def _forward(tape: Tape, names: dict[str, Any]) -> Iterator[str]:
    """forward.forward's loop, one line per node, and its test that every value is finite."""
    lean = tape.lean()
    for i, f, a, b in zip(lean.nodes, lean.forwards, lean.firsts, lean.seconds, strict=True):
        if b >= 0 and f in _INFIX:
            yield f"v{i} = v{a} {_INFIX[f]} v{b}"
        elif b == ONE and f is operator.neg:
            yield f"v{i} = -v{a}"
        else:
            names[f"F{i}"] = f
            args = (a, b) if b >= 0 else (a,) if b == ONE else lean.many[i]
            yield f"v{i} = F{i}({', '.join(f'v{k}' for k in args)})"
    # The inputs and constants are finite: a finite sum of the operations' values says they
    # all are (forward's own test also sums the rest, which changes nothing then).
    yield f"if not isfinite(sum(({''.join(f'v{i}, ' for i in lean.nodes)}))):"
    yield f"{_IN}raise Unsure"


def _reverse(tape: Tape, names: dict[str, Any], passed: bool = False) -> Iterator[str]:
    """reverse.reverse's loop, one line per term; an adjoint starts as `0.0 + term`, as the
    loop's list of 0.0s does (so a -0.0 term gives 0.0 there too)."""
    lean = tape.lean()
    constants = set(lean.constant_nodes)
    started = {tape.output}
    yield f"d{tape.output} = 1.0"

    def term(k: int, code: str, minus: bool = False) -> Iterator[str]:
        if k in constants:  # the loop adds into a constant's adjoint, then sets it to 0
            return
        if k in started:
            yield f"d{k} {'-=' if minus else '+='} {code}"
        else:
            started.add(k)
            yield f"d{k} = 0.0 {'-' if minus else '+'} {code}"

    for i, code, rule, a, b in zip(reversed(lean.nodes), reversed(lean.codes),
                                   reversed(lean.rules), reversed(lean.firsts),
                                   reversed(lean.seconds), strict=True):
        g = f"d{i}" if i in started else "0.0"
        if code == MUL:
            yield from term(a, f"{g} * v{b}")
            yield from term(b, f"{g} * v{a}")
        elif code == ADD:
            yield from term(a, g)
            yield from term(b, g)
        elif code == SUB:
            yield from term(a, g)
            yield from term(b, g, minus=True)
        elif code == NEG:
            yield from term(a, g, minus=True)
        elif code == POWC:  # c·a**(c-1); the loop marks a partial below the range: we ask it
            c = tape.constants[b]
            if passed:  # c - 1 worked out at run time: the same double as written in
                yield f"p = v{b} * mpow(v{a}, v{b} - 1)"
            else:
                yield (f"p = {_number(c, f'k{b}', names)} * "
                       f"mpow(v{a}, {_number(c - 1, f'km{b}', names)})")
            yield f"if -TINY < p < TINY and v{a}:"
            yield f"{_IN}raise Unsure"
            yield from term(a, f"{g} * p")
        else:
            names[f"R{i}"] = rule
            args = (a,) if code == UNARY else (a, b) if code == BINARY else lean.many[i]
            yield f"p = R{i}(v{i}, {', '.join(f'v{k}' for k in args)})"
            for position, k in enumerate(args):
                yield from term(k, f"{g} * p[{position}]")
    adjoints = sorted(started)
    yield f"if not isfinite(sum(({''.join(f'd{k}, ' for k in adjoints)}))):"
    yield f"{_IN}raise Unsure"
    # An adjoint that is 0 or below the normal range: reverse.py looks closer (_underflowed).
    if len(started) < len(tape) - len(constants):
        yield "raise Unsure  # an adjoint the loop leaves at 0"
    yield f"if {' or '.join(f'-TINY < d{k} < TINY' for k in adjoints)}:"
    yield f"{_IN}raise Unsure"
    gradient = "".join(f"d{i}, " for i in tape.inputs.values())
    yield f"return v{tape.output}, ({gradient})"


def compile_sweeps(tape: Tape, passed: bool = False,
                   ) -> Callable[..., tuple[float, tuple[float, ...]]]:
    """sweep_source's function, compiled: `f(*point)` (`f(*constants, *point)` if `passed`) →
    the value and gradient the sweeps give, bit for bit, or Unsure (an ArithmeticError) where
    the sweeps themselves must decide."""
    from exprdiff.codegen import load

    text, names = sweep_source(tape, passed)
    return load(text, "sweep", {**names, "Unsure": Unsure, "isfinite": math.isfinite})
