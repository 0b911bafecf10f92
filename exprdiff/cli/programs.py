"""Programs on the command line (SPEC §9): EXPR as `@FILE` reads a program (or an expression)
from a file, and a program's statements that nothing uses are warned about."""

from __future__ import annotations

from collections.abc import Sequence

from exprdiff.api import Compiled, Result
from exprdiff.cli.notes import warn
from exprdiff.cli.output import emit_results
from exprdiff.errors import ExprError

#: Largest program file read (the text limit, --max-size, applies to what is read).
MAX_FILE = 64_000_000


def source_text(expr: str) -> str:
    """EXPR itself, or the text of the file `@FILE` names (`@-` is not stdin: EXPR '-' is)."""
    if not expr.startswith("@") or len(expr) == 1:
        return expr
    path = expr[1:]
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise ExprError("usage", f"no such file: {path} (EXPR '@FILE' reads a program from "
                        "FILE)") from None
    except (OSError, UnicodeDecodeError) as problem:
        reason = problem.strerror if isinstance(problem, OSError) else "not UTF-8 text"
        raise ExprError("usage", f"cannot read {path}: {reason}") from None
    if len(text) > MAX_FILE:
        raise ExprError("limit", f"{path} is longer than {MAX_FILE:,} characters")
    return text


def warn_unused(compiled: Compiled) -> None:
    """One warning per statement of the program whose name nothing uses."""
    program = compiled.tape.statements
    if program is not None:
        from exprdiff.statements import unused_warnings

        for message in unused_warnings(compiled.source, program):
            warn(message)


def each_output(compiled: Compiled, points: list[dict[str, float]], of: Sequence[str],
                wrt: Sequence[str] | None, strict: bool, output: str, precision: int | None,
                steps: bool, path: str | None) -> int:
    """--steps (or --path) with several outputs: the Jacobian, then each output's own tables
    (its backward sweep is its own); the worst exit code."""
    code = emit_results([_at(compiled, p, of, wrt, strict, False) for p in points], points,
                        output, precision)
    for name in dict.fromkeys(of):
        code = max(code, emit_results([_at(compiled, p, [name], wrt, strict, True)
                                       for p in points], points, output, precision,
                                      steps=steps, path=path))
    return code


def _at(compiled: Compiled, point: dict[str, float], of: Sequence[str],
        wrt: Sequence[str] | None, strict: bool, record: bool) -> Result | ExprError:
    try:
        return compiled.grad(point, wrt=wrt, strict=strict, record=record, of=of)
    except ExprError as problem:
        if problem.kind in ("usage", "parse"):
            raise
        return problem
