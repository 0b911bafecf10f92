"""Text → tape: the grammar's tables (grammar.py, lalr.py), the parser's reduce callbacks
(parser.py; a program's in program.py), the limits, and the wording of mistakes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def program_callback(name: str) -> Callable[..., Any]:
    """A program's reduce callback, program.py's `name`: loaded (with statements.py) by the
    first statement parsed, never by a plain expression's process."""
    loaded: list[Callable[..., Any]] = []

    def call(*args: Any) -> Any:
        if not loaded:
            from exprdiff.syntax import program

            loaded.append(getattr(program, name))
        return loaded[0](*args)

    return call
