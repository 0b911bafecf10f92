"""A batch's repeated expressions as straight-line code: after SWEEP_AFTER points of one
expression (or of one shape, syntax/shapes.py), its sweeps run as the function that
codegen/sweeps.py writes; tape.memo counts the points and keeps the function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from exprdiff.errors import ExprError
from exprdiff.syntax.limits import check_text
from exprdiff.syntax.shapes import Shapes
from exprdiff.tape import Tape

#: After this many points of one expression in the common case, its sweeps run as straight-line
#: code (codegen/sweeps.py): writing it costs 150–330 µs at seed size and saves 3.5–6 µs a
#: point, even after 44–75 points (docs/performance.md, "Batches"); generating once the points
#: interpreted have cost about what generating does keeps any batch within 2× of the best.
SWEEP_AFTER = 64
SWEEP = "batch sweep"  # tape.memo: points swept so far, then the function (None: not worth it)
#: Larger tapes stay with the loops (the line of code per term would be a long compile).
_SWEEP_NODES = 2000
Sweep = Callable[..., tuple[float, tuple[float, ...]]]
#: tape.memo: the memo shared by the tapes copied from one recorded parse (syntax/shapes.py:
#: lines that differ only in their numbers), where their one sweep function is counted and
#: kept, its constants passed in (codegen/sweeps.py); each tape keeps it bound to its own.
SHAPE = "batch shape"


def _compiled(tape: Tape, passed: bool = False) -> Sweep | None:
    if not tape.lean().nodes or len(tape) > _SWEEP_NODES:
        return None
    from exprdiff.codegen.sweeps import compile_sweeps

    return compile_sweeps(tape, passed=True) if passed else compile_sweeps(tape)


def swept(tape: Tape, point: list[float]) -> tuple[float, Sequence[float]] | None:
    """(value, gradient) from the tape's generated sweeps once it has been swept SWEEP_AFTER
    times (counted in tape.memo, or for all the tapes of its shape in their shared memo);
    None where they are not there or are Unsure at this point."""
    memo = tape.memo
    sweep = memo.get(SWEEP, 0)
    if type(sweep) is int:
        shared = memo.get(SHAPE)
        if shared is None:
            memo[SWEEP] = sweep = sweep + 1 if sweep < SWEEP_AFTER else _compiled(tape)
        else:  # one function for the shape, its constants passed in: bound to this tape's
            made = shared.get(SWEEP, 0)
            if type(made) is int:
                shared[SWEEP] = made = made + 1 if made < SWEEP_AFTER else _compiled(tape, True)
            if type(made) is not int:
                constants = tape.constants
                memo[SWEEP] = sweep = None if made is None else partial(
                    made, *[constants[i] for i in tape.lean().constant_nodes])
    if sweep is None or type(sweep) is int:
        return None
    try:
        return sweep(*point)
    except ArithmeticError:  # (Unsure) the interpreted sweeps decide, as for any point
        return None


#: A lane (Evaluator.line): the expression, its variables in order, its generated sweep.
Lane = tuple[str, tuple[str, ...], Sweep]


def lane(tape: Tape, expression: str) -> Lane | None:
    """The expression's lane once its sweeps run as generated code (None before)."""
    sweep = tape.memo.get(SWEEP)
    if sweep is None or type(sweep) is int:
        return None
    return expression, tuple(tape.inputs), sweep


def shaped(shapes: Shapes, expression: str) -> Lane | None:
    """A lane for a new text of a recorded shape whose one sweep function is generated
    already: the text's constants read as its parse would read them (syntax/shapes.py), passed
    to that function; None where that is not so, or where the general path may answer other
    than with a common record (kinks, a program, a text over a limit)."""
    recorded, numbers = shapes.recorded(expression)
    for shape in recorded:
        made = shape.memo.get(SWEEP)
        if made is None or type(made) is int or shape.kink_nodes or shape.statements is not None:
            continue
        constants = shape.read(expression, numbers)
        if constants is None:
            continue
        try:
            check_text(expression)  # compile_with's limits: a number over max_literal, say
        except ExprError:
            return None
        return (expression, tuple(shape.inputs),
                partial(made, *[constants[i] for i in shape.lean.constant_nodes]))
    return None


def take(lane: Lane, rest: str, number: int, file: str | None,
         plain: Callable[..., str | None]) -> str | None:
    """The common record of a line `EXPR ; x=…, y=…` whose expression has a lane, written by
    `plain` (the writer's Encode.plain) from the numbers its generated sweep gives: the point's
    plain numbers in the expression's own order of variables. The general path's record, byte
    for byte (tests/test_batch_sweeps.py); None for anything else (another order, a constant,
    a second point, a comment, a number that is not finite, Unsure), which it then takes."""
    expression, names, sweep = lane
    parts = rest.split(",")
    if len(parts) != len(names) or not rest.isascii():  # float() reads other scripts' digits
        return None
    point = []
    try:
        for part, name in zip(parts, names, strict=True):
            key, _, digits = part.partition("=")
            if key.strip() != name or "_" in digits:  # as batch/lines.read_point: no 1_000
                return None
            point.append(float(digits))  # a second point, a comment: ValueError
        value, gradient = sweep(*point)
    except Exception:  # noqa: BLE001 - ValueError, Unsure: the general path answers
        return None
    # (plain answers None for numbers that are not finite: the general path says why)
    return plain(number, file, expression, names, (*point, value, *gradient))
