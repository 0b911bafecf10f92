"""Text for people: user text made safe to show (errors.printable's policy), and messages wrapped
at word boundaries to a terminal's width.

A message is wrapped only for a terminal: the CLI passes the width of the stream it prints to,
or None for a pipe or a file, where a message stays one line (grep and cut read it whole).
"""

from __future__ import annotations

from exprdiff.errors import printable


def one_line(text: str) -> str:
    """`text` for one table cell or one line: control characters escaped, tabs and newlines too."""
    text = printable(text)
    if "\t" in text or "\n" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n")
    return text


def wrap(text: str, width: int | None, indent: int = 2) -> list[str]:
    """`text`'s lines, each cut at word boundaries to `width` columns, continuation lines
    indented by `indent` spaces; unchanged when `width` is None. A word longer than the width
    (a long name) stays whole on a line of its own.

    >>> wrap("warning: abs has a corner at 0; using 0", 24)
    ['warning: abs has a', '  corner at 0; using 0']
    """
    lines = text.split("\n")
    if width is None:
        return lines
    import textwrap

    width = max(width, indent + 20)  # a very narrow terminal still gets readable lines
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, width, subsequent_indent=" " * indent,
                                 break_long_words=False, break_on_hyphens=False) or [""]
    return wrapped


def wrapped(text: str, width: int | None, indent: int = 2) -> str:
    """`wrap`'s lines as one text."""
    return "\n".join(wrap(text, width, indent))
