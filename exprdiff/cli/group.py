"""The `exprdiff` click group: every failure becomes one `error:` message and an exit code,
never a traceback (SPEC §4)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from exprdiff.cli.notes import color_choice
from exprdiff.errors import ExitCode, ExprError, printable


class ExprdiffGroup(click.Group):
    """A click group whose standalone mode turns every failure into one `error:` message.

    `lazy` names commands by the module that defines them (a click Command of the same name),
    imported only when that command is run or the commands are listed (click's own recipe for
    lazily loaded subcommands)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(*args, **extra)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands:  # an unknown name loads them all: click's "did you mean"
            from importlib import import_module

            for wanted in [name] if name in self.lazy else [n for n in self.lazy
                                                           if n not in self.commands]:
                command = getattr(import_module(self.lazy[wanted]), wanted)
                assert isinstance(command, click.Command)  # noqa: S101 - our own table
                self.add_command(command, wanted)
        return super().get_command(ctx, name)

    def main(
        self, args: Sequence[str] | None = None, prog_name: str | None = None,
        complete_var: str | None = None, standalone_mode: bool = True, **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Exit as stop:
            code = stop.exit_code
        except click.exceptions.Abort:
            fail_text("interrupted", ExitCode.INTERRUPTED)
        except click.ClickException as problem:
            hint = _usage_hint(problem)
            fail_text(problem.format_message(), ExitCode.USAGE, hint)
        except ExprError as problem:
            fail(problem)
        except KeyboardInterrupt:
            fail_text("interrupted", ExitCode.INTERRUPTED)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except Exception as problem:  # the last line of defence: never a traceback
            if os.environ.get("EXPRDIFF_DEBUG"):
                raise
            fail_text(f"internal error ({type(problem).__name__}: {problem}); this is a bug in "
                      "exprdiff: please report it with the command you ran "
                      "(EXPRDIFF_DEBUG=1 shows the traceback)", ExitCode.EVALUATION_FAILED)
        sys.exit(code or 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # before click's own handler, which would exit 1
            _quiet_broken_pipe()


def _usage_hint(problem: click.ClickException) -> str | None:
    if "unexpected extra argument" in problem.format_message() and any(
            word == "=" or word.startswith("=") for word in sys.argv[1:]):
        return ("write a point without spaces around '=' (--at x1=1,x2=2), or quote it "
                "(--at 'x1 = 1, x2 = 2')")
    context = getattr(problem, "ctx", None)
    if context is None:
        return "try 'exprdiff --help'"
    return f"try '{context.command_path} --help'"


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(ExitCode.OK)


def fail_text(message: str, code: int, hint: str | None = None) -> NoReturn:
    """Print one `error:` message on stderr and exit with `code`."""
    color = color_choice(click.get_current_context(silent=True))
    click.echo(click.style("error:", fg="red", bold=True) + " " + printable(message), err=True,
               color=color)
    if hint:
        click.echo(printable(hint), err=True, color=color)
    sys.exit(code)


def fail(problem: ExprError) -> NoReturn:
    """Print an ExprError as SPEC §4 shows (message, source line, caret, hint) and exit."""
    color = color_choice(click.get_current_context(silent=True))
    text = problem.render()
    head, _, rest = text.partition("error:")
    click.echo(click.style("error:", fg="red", bold=True) + rest, err=True, color=color)
    sys.exit(problem.exit_code)
