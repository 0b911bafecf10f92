"""Errors as data: every failure a user can cause is an ExprError with a kind and a column."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

#: THE output safety policy (SPEC §8), one character class for every output: characters never
#: written raw, C0/C1 controls but tab and newline, DEL, the bidirectional controls, and the line
#: and paragraph separators (text must not move the cursor, recolour, retitle or clear the
#: screen, or read differently from how it parses). People's output (tables, warnings, errors,
#: step tables, CSV cells) shows them as Python escapes (`printable`); JSON as JSON's own `\u`
#: escapes (`json_safe`), so it still reads back exactly. None is printable (str.isprintable):
#: printable text skips the pattern, compiled on first use.
_UNSAFE = ("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
           "\u2028\u2029\u2066-\u2069]")


class ExitCode(IntEnum):
    """Process exit codes of SPEC §4."""

    OK = 0
    EVALUATION_FAILED = 1
    USAGE = 2
    INTERRUPTED = 130


class ExprError(Exception):
    """A problem with the user's expression, point or request.

    `kind` is one of KINDS; `column` is 1-based in `source` (None when no column applies);
    `hint` is an extra line such as "did you mean 'sin'?".
    """

    KINDS = ("parse", "usage", "domain", "kink", "oracle", "limit")

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        column: int | None = None,
        source: str | None = None,
        hint: str | None = None,
        node: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.column = column
        self.source = source
        self.hint = hint
        self.node = node
        #: A sweep's record up to the failing node (the tape and every node value computed
        #: before it, None from there on), kept by the sweep that failed: step tables and
        #: pictures of a failed point are read off it, never recomputed.
        self.tape: Any = None
        self.values: list[float | None] | None = None

    def __str__(self) -> str:
        """The message, and the hint on a line of its own (as render() shows it, no caret)."""
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"

    @property
    def exit_code(self) -> ExitCode:
        """Usage and parse errors exit 2; evaluation failures exit 1."""
        if self.kind in ("parse", "usage", "limit"):
            return ExitCode.USAGE
        return ExitCode.EVALUATION_FAILED

    def to_dict(self) -> dict[str, object]:
        """The JSON form of SPEC §4: kind, message, column (plus node and hint when known)."""
        data: dict[str, object] = {
            "kind": self.kind, "message": self.message, "column": self.column}
        if self.node is not None:
            data["node"] = self.node
        if self.hint is not None:
            data["hint"] = self.hint
        return data

    def render(self) -> str:
        """The one message of SPEC §4: `error: …`, the source line with a caret, then the hint."""
        lines = [f"error: {printable(self.message)}"]
        if self.source is not None and self.column is not None:
            line_text, col = _locate(self.source, self.column)
            lines.append(f"  {printable(line_text)}")
            lines.append("  " + " " * len(printable(line_text[: col - 1])) + "^")
        if self.hint:
            lines.append(printable(self.hint))
        return "\n".join(lines)


def _locate(source: str, column: int) -> tuple[str, int]:
    """Line of `source` holding absolute 1-based `column`, and the column within that line."""
    offset = column - 1
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    line = source[start : end if end != -1 else len(source)]
    col = offset - start + 1
    # Very long lines are cut around the caret so the message stays one screen wide.
    if len(line) > 76:
        left = max(0, col - 38)
        snippet = line[left : left + 76]
        prefix = "…" if left > 0 else ""
        suffix = "…" if left + 76 < len(line) else ""
        return prefix + snippet + suffix, col - left + len(prefix)
    return line, col


def line_and_column(source: str, column: int) -> tuple[int, int]:
    """(line, column) of an absolute 1-based column, for messages."""
    offset = column - 1
    line = source.count("\n", 0, offset) + 1
    start = source.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def printable(text: str) -> str:
    """`text` with control characters escaped (`\\x1b`, `\\u202e`), safe to print."""
    if text.isprintable():
        return text
    return re.sub(_UNSAFE, lambda m: repr(m.group())[1:-1], text)


def json_safe(json_text: str) -> str:
    """JSON text with the characters `printable` escapes written as `\\u001b`, `\\u202e`.

    json.dumps(ensure_ascii=False) escapes only U+0000–U+001F: DEL, the C1 controls and the
    bidirectional controls stay raw. They can stand only inside strings (JSON's own syntax is
    ASCII, and its whitespace is kept), so the text still reads back as the same data.
    """
    if json_text.isprintable() or json_text.replace("\n", "").replace("\t", "").isprintable():
        return json_text  # (indented JSON has line breaks, which are safe: no regex to compile)
    return re.sub(_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", json_text)


def usage(message: str, variables: Sequence[str]) -> ExprError:
    """A usage error whose hint lists the expression's variables."""
    return ExprError("usage", message, hint=f"the expression's variables: {names_text(variables)}")


def names_text(names: Sequence[str], most: int = 20) -> str:
    """`a, b, c`; a long list is cut after `most` names (100 000 variables make one hint)."""
    if not names:
        return "none"
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f", … ({len(names):,} in all)"
