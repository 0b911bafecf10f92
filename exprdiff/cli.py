"""The `exprdiff` command: options → api → renderer → exit code. No logic of its own."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from . import __version__
from .api import Compiled, Result, compile
from .errors import ExitCode, ExprError
from .points import parse_assignments, split_assignments, usage

F = TypeVar("F", bound=Callable[..., Any])


class ExprdiffGroup(click.Group):
    """A click group whose standalone mode turns every failure into one `error:` message."""

    def main(  # type: ignore[override]
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


def _usage_hint(problem: click.ClickException) -> str | None:
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


def _color(ctx: click.Context | None = None) -> bool | None:
    if os.environ.get("NO_COLOR"):
        return False
    if ctx is not None and ctx.find_root().params.get("no_color"):
        return False
    return None


def fail_text(message: str, code: int, hint: str | None = None) -> NoReturn:
    """Print one `error:` message on stderr and exit with `code`."""
    color = _color(click.get_current_context(silent=True))
    click.echo(click.style("error:", fg="red", bold=True) + " " + message, err=True, color=color)
    if hint:
        click.echo(hint, err=True, color=color)
    sys.exit(code)


def fail(problem: ExprError) -> NoReturn:
    """Print an ExprError as SPEC §4 shows (message, source line, caret, hint) and exit."""
    color = _color(click.get_current_context(silent=True))
    text = problem.render()
    head, _, rest = text.partition("error:")
    click.echo(click.style("error:", fg="red", bold=True) + rest, err=True, color=color)
    sys.exit(problem.exit_code)


def console(stderr: bool = False) -> Any:
    """A rich console honouring --no-color and NO_COLOR (rich is imported only here)."""
    from rich.console import Console

    no_color = _color(click.get_current_context(silent=True)) is False
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=False)


@click.group(cls=ExprdiffGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="exprdiff")
@click.option("--no-color", is_flag=True, help="Plain output, no colours (so does NO_COLOR=1).")
def main(no_color: bool) -> None:
    """Value and every partial derivative of a math expression, by reverse-mode AD.

    \b
    Examples:
      exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3
      exprdiff grad "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --format json
    """


def point_options(command: F) -> F:
    """--at and --wrt, shared by the commands that evaluate at a point."""
    command = click.option(
        "--at", "points", multiple=True, metavar="NAME=VALUE,...",
        help="A point: x1=1,x2=2.5 (values may be constants like pi/4). Repeat for more points.",
    )(command)
    command = click.option(
        "--wrt", metavar="NAME,...",
        help="Report the partials for these variables only, in this order.",
    )(command)
    return command


@main.command()
@click.argument("expr", metavar="EXPR")
@point_options
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--precision", type=click.IntRange(1, 17), metavar="N",
              help="Significant digits in tables (JSON always round-trips exactly).")
@click.option("--strict", is_flag=True,
              help="Treat a non-differentiable point (abs(0), a max tie…) as an error.")
def grad(expr: str, points: tuple[str, ...], wrt: str | None, output: str,
         precision: int | None, strict: bool) -> None:
    """Value and gradient of EXPR at one or more points (reverse mode, one sweep).

    \b
    Examples:
      exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3
      exprdiff grad "sin(x)*exp(-t)" --at x=pi/4,t=0 --at x=0,t=1 --format json
      exprdiff grad "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --wrt w,b

    Exit status: 0 success (warnings allowed), 1 evaluation failed, 2 usage or parse error.
    """
    compiled = compile(expr)
    chosen = split_assignments(wrt) if wrt is not None else None
    point_list = read_points(compiled, points)
    results: list[Result | ExprError] = []
    for point in point_list:
        try:
            results.append(compiled.grad(point, wrt=chosen, strict=strict))
        except ExprError as problem:
            if problem.kind in ("usage", "parse"):
                raise
            results.append(problem)
    emit_results(results, point_list, output, precision)


def read_points(compiled: Compiled, points: Sequence[str]) -> list[dict[str, float]]:
    """Every --at parsed and checked before anything is evaluated; none needed without variables."""
    names = compiled.variables
    if not points:
        if names:
            example = ",".join(f"{n}=1" for n in names[:4])
            raise usage(f"no point given: add --at {example}", names)
        return [{}]
    return [parse_assignments(text, names) for text in points]


def emit_results(results: Sequence[Result | ExprError], point_list: Sequence[dict[str, float]],
                 output: str, precision: int | None) -> None:
    """Print results (and per-point failures) in the chosen format; exit 1 if any failed."""
    failed = [r for r in results if isinstance(r, ExprError)]
    if output == "json":
        from .render.json import dumps

        objects = [r.to_dict() if isinstance(r, Result) else
                   {"at": point, "error": r.to_dict()} for r, point in zip(results, point_list,
                                                                            strict=True)]
        click.echo(dumps(objects[0] if len(objects) == 1 else objects))
    else:
        from .render.table import print_results

        ok = [r for r in results if isinstance(r, Result)]
        print_results(console(), ok, precision)
    for problem in failed:
        _report(problem)  # on stderr too, also when the JSON carries it
    if failed:
        sys.exit(ExitCode.EVALUATION_FAILED)


def _report(problem: ExprError) -> None:
    color = _color(click.get_current_context(silent=True))
    _, _, rest = problem.render().partition("error:")
    click.echo(click.style("error:", fg="red", bold=True) + rest, err=True, color=color)
