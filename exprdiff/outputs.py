"""A program's outputs (SPEC §9): the last statement by default, or the ones `--of` names;
with several, the Jacobian, one reverse sweep per output over the same tape.

    >>> from exprdiff import compile
    >>> r = compile("h = x*y; L = h + x").grad({"x": 2, "y": 3}, of=["L", "h"])
    >>> r.jacobian
    {'L': {'x': 4.0, 'y': 2.0}, 'h': {'x': 3.0, 'y': 2.0}}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from exprdiff.errors import usage
from exprdiff.result import Result
from exprdiff.tape import Tape

R = TypeVar("R", bound=Result)


def output_name(tape: Tape) -> str:
    """The output's name: its statement's in a program, else f."""
    program = tape.statements
    if program is None:
        return "f"
    if program.result is None and program.nodes[-1] == tape.output:
        return program.names[-1]  # also `a = x`, whose node is the input x
    return program.label_of.get(tape.output, "f")


def jacobian(tape: Tape, of: Sequence[str], grad: Callable[[Tape], R]) -> R:
    """The first output's Result, with every output's value (`outputs`) and, for more than one,
    the Jacobian: `grad(view)` sweeps a view of the tape whose output is that node."""
    names = list(dict.fromkeys(of))
    if not names:
        raise usage("--of names no output", tape.variables)
    rows: list[R] = []
    for name in names:
        node = tape.node(name)
        if node is None:
            known = tape.statements.names if tape.statements is not None else []
            raise usage(f"--of names '{name}', which is not a statement or a variable of the "
                        "expression", [*known, *tape.variables])
        rows.append(grad(tape.with_output(node)))
    first = rows[0]
    outputs = {name: row.value for name, row in zip(names, rows, strict=True)}
    matrix = ({name: dict(row.gradient) for name, row in zip(names, rows, strict=True)}
              if len(rows) > 1 else None)
    return first.replace(outputs=outputs, jacobian=matrix)
