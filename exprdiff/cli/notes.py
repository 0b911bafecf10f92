"""What goes to stderr beside the errors: `warning:` lines, escaped (errors.printable) and, when
stderr is a terminal, wrapped at word boundaries to its width; never wrapped in a pipe or a file,
where each warning stays one line. Also the colour choice that errors and warnings share.
"""

from __future__ import annotations

import os
import sys

import click

from exprdiff.errors import printable


def color_choice(ctx: click.Context | None = None) -> bool | None:
    """False when NO_COLOR or --no-color says so; None lets click look at the terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if ctx is not None and ctx.find_root().params.get("no_color"):
        return False
    return None


def stderr_width() -> int | None:
    """The width to wrap stderr's messages to: its terminal's (COLUMNS wins, as for rich), or
    None when stderr is not a terminal."""
    try:
        if not sys.stderr.isatty():
            return None
        columns = os.environ.get("COLUMNS", "")
        return int(columns) if columns.isdigit() else os.get_terminal_size(
            sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None


def warn(message: str) -> None:
    """`warning: MESSAGE` on stderr."""
    from exprdiff.render.prose import wrapped  # (the first warning loads it)

    text = wrapped(f"warning: {printable(message)}", stderr_width())
    color = color_choice(click.get_current_context(silent=True))
    click.echo(click.style("warning:", fg="yellow", bold=True) + text[len("warning:"):],
               err=True, color=color)
