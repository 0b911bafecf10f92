"""Resource limits on user text, checked before any parsing: nothing a user types may hang.

Each limit is a named constant with the message that reports it; `Limits` bundles them so the
API (`compile(text, limits=Limits(max_size=...))`) and the CLI (`--max-size`) can raise them.
Measured costs and the reasons for each number are in docs/reliability.md.

    >>> check_text("x**2 + y")  # passes silently; "x" * 300 would raise ExprError("limit")
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from exprdiff.errors import ExprError, line_and_column
from exprdiff.frozen import Value, _set

if TYPE_CHECKING:
    from exprdiff.tape import Tape

#: Characters in one expression; `--max-size` raises it. 1 MB parses in seconds (docs).
MAX_SIZE = 1_000_000
#: Characters in one variable or function name.
MAX_IDENTIFIER = 256
#: Characters in one numeric literal (a double needs at most 17 significant digits).
MAX_LITERAL = 1_000
#: Arguments of one call (max, min, hypot): parsing a call's argument list is not linear.
MAX_ARGUMENTS = 1_000
#: Distinct variables in one expression (each one is a row of output).
MAX_VARIABLES = 100_000

#: C0 and C1 control characters other than the whitespace the grammar skips (tab, LF, FF, CR),
#: DEL, and the bidirectional controls that make text display differently from how it parses.
#: All are non-printable (str.isprintable), so printable text skips the search. The patterns are
#: compiled (and cached by re) on first use: compiling costs a fresh process ~0.3 ms each.
_CONTROL = ("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
            "\u2066-\u2069]")
_LEXEME = r"[A-Za-z_][A-Za-z0-9_]*|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


class Limits(Value):
    """The bounds one expression must keep; every field is a count of characters or items."""

    __slots__ = ("max_size", "max_identifier", "max_literal", "max_arguments", "max_variables")
    max_size: int
    max_identifier: int
    max_literal: int
    max_arguments: int
    max_variables: int

    def __init__(self, max_size: int = MAX_SIZE, max_identifier: int = MAX_IDENTIFIER,
                 max_literal: int = MAX_LITERAL, max_arguments: int = MAX_ARGUMENTS,
                 max_variables: int = MAX_VARIABLES) -> None:
        _set(self, "max_size", max_size)
        _set(self, "max_identifier", max_identifier)
        _set(self, "max_literal", max_literal)
        _set(self, "max_arguments", max_arguments)
        _set(self, "max_variables", max_variables)


DEFAULT = Limits()


def check_text(text: str, limits: Limits = DEFAULT) -> None:
    """Refuse text over a size limit or holding control characters, before it is parsed."""
    if len(text) > limits.max_size:
        raise _limit(f"the expression is {len(text):,} characters long, more than the limit of "
                     f"{limits.max_size:,} (max_size)", "max_size", "--max-size N")
    bad = None if text.isprintable() else re.search(_CONTROL, text)
    if bad is not None:
        raise control_character(text, bad.start())
    _check_tokens(text, limits)
    if text.count(",") >= limits.max_arguments:  # else no call can exceed it
        _check_arguments(text, limits)


def check_tape(tape: Tape, limits: Limits = DEFAULT) -> None:
    """Refuse an expression with more distinct variables than the limit."""
    count = len(tape.inputs)
    if count > limits.max_variables:
        raise _limit(f"the expression has {count:,} distinct variables, more than the limit of "
                     f"{limits.max_variables:,} (max_variables)", "max_variables")


def control_character(text: str, offset: int) -> ExprError:
    """The parse error for a control character at `offset` (shown escaped, never raw)."""
    import unicodedata  # an error path: not loaded by every run

    char = text[offset]
    name = unicodedata.name(char, "")
    label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    line, column = line_and_column(text, offset + 1)
    return ExprError("parse", f"control character {label} at line {line}, column {column}: an "
                     "expression is plain text", column=offset + 1, source=text,
                     hint="remove it (was the text pasted from a terminal or a binary file?)")


def _check_tokens(text: str, limits: Limits) -> None:
    """A name or a literal longer than its limit; only long runs of word characters are lexed."""
    shortest = min(limits.max_identifier, limits.max_literal)
    if len(text) <= shortest:
        return  # no run of characters can be longer than the text
    tokens = re.compile(_LEXEME)
    for run in _long_run(shortest).finditer(text):
        for token in tokens.finditer(text, run.start(), run.end()):
            word = token.group()
            is_name = word[0].isalpha() or word[0] == "_"
            limit = limits.max_identifier if is_name else limits.max_literal
            if len(word) > limit:
                what, field = ("name", "max_identifier") if is_name else ("number", "max_literal")
                raise _limit(f"the {what} '{_shorten(word)}' is {len(word):,} characters long, "
                             f"more than the limit of {limit:,} ({field})", field,
                             column=token.start() + 1, source=text)


@lru_cache(maxsize=8)
def _long_run(shortest: int) -> re.Pattern[str]:
    return re.compile("[A-Za-z0-9_.]{" + str(shortest + 1) + ",}")


def _check_arguments(text: str, limits: Limits) -> None:
    """A call with more arguments than the limit (counted per parenthesis, commas only)."""
    counts: list[int] = [0]
    opened: list[int] = [0]
    for mark in re.finditer(r"[(),]", text):
        char = mark.group()
        if char == "(":
            counts.append(0)
            opened.append(mark.start())
        elif char == ")":
            if len(counts) > 1:
                counts.pop()
                opened.pop()
        else:
            counts[-1] += 1
            if counts[-1] >= limits.max_arguments:
                start = _call_start(text, opened[-1])
                raise _limit(f"a call has more than {limits.max_arguments:,} arguments "
                             "(max_arguments)", "max_arguments", column=start + 1, source=text)


def _call_start(text: str, paren: int) -> int:
    """Offset of the function name before the '(' at `paren` (the '(' itself if none)."""
    start = paren
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return start


def _limit(message: str, field: str, option: str | None = None, *, column: int | None = None,
           source: str | None = None) -> ExprError:
    how = f"{option} on the command line, or " if option else ""
    hint = f"to raise it: {how}compile(text, limits=Limits({field}=N)) in Python (exprdiff.limits)"
    return ExprError("limit", message, column=column, source=source, hint=hint)


def _shorten(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width // 2 - 1] + "…" + text[-(width // 2 - 1):]
