"""Programs on the command line (SPEC §9): EXPR as `@FILE` reads a program (or an expression)
from a file, and a program's statements that nothing uses are warned about."""

from __future__ import annotations

from exprdiff.api import Compiled
from exprdiff.cli.notes import warn
from exprdiff.errors import ExprError
from exprdiff.statements import unused_warnings

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
        for message in unused_warnings(compiled.source, program):
            warn(message)
