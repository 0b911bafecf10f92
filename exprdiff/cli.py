"""The `exprdiff` command: options → api → renderer → exit code. No logic of its own."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from . import __version__
from .api import Compiled, Result, compile
from .errors import ExitCode, ExprError, printable
from .limits import Limits
from .points import parse_assignments, split_assignments, usage

F = TypeVar("F", bound=Callable[..., Any])


class ExprdiffGroup(click.Group):
    """A click group whose standalone mode turns every failure into one `error:` message."""

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
    click.echo(click.style("error:", fg="red", bold=True) + " " + printable(message), err=True,
               color=color)
    if hint:
        click.echo(printable(hint), err=True, color=color)
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


def timeout_option(command: F) -> F:
    """--timeout for the commands that ask SymPy (which runs in a child killed at the limit)."""
    return click.option(
        "--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
        metavar="SECONDS", help="Time limit for SymPy's work; past it the oracle gives up.",
    )(command)


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
@click.argument("expr", metavar="EXPR", required=False)
@point_options
@click.option("--file", "files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Batch: one expression (and points) per line; repeatable. EXPR '-' reads stdin.")
@click.option("--points", "points_file", metavar="FILE.csv",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Many points at once (NumPy): a CSV whose header names the variables; "
                   "prints CSV, or JSON Lines with --format jsonl.")
@click.option("--jobs", type=click.IntRange(0), default=1, show_default=True, metavar="N",
              help="Batch: worker processes (0 = all cores); output order is kept.")
@click.option("--format", "output",
              type=click.Choice(["table", "json", "jsonl", "csv", "markdown", "latex"]),
              default="table", show_default=True, help="Output format.")
@click.option("--precision", type=click.IntRange(1, 17), metavar="N",
              help="Significant digits in tables (JSON always round-trips exactly).")
@click.option("--strict", is_flag=True,
              help="Treat a non-differentiable point (abs(0), a max tie…) as an error.")
@click.option("--steps", "show_steps", is_flag=True,
              help="Also print the forward, local-partial, backward and gradient tables.")
@click.option("--path", "path", metavar="VAR",
              help="Also list every path from the output to VAR and the product along each.")
@click.option("--check", is_flag=True,
              help="Prove each partial with SymPy and finite differences; exit 1 if they differ.")
@timeout_option
@click.option("--max-size", type=click.IntRange(1), metavar="CHARS",
              help="Accept an EXPR longer than the default limit of 1 000 000 characters.")
def grad(expr: str | None, points: tuple[str, ...], wrt: str | None, output: str,
         precision: int | None, strict: bool, show_steps: bool, path: str | None,
         files: tuple[str, ...], jobs: int, check: bool, timeout: float,
         points_file: str | None = None, max_size: int | None = None) -> None:
    """Value and gradient of EXPR at one or more points (reverse mode, one sweep).

    \b
    Examples:
      exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3
      exprdiff grad "sin(x)*exp(-t)" --at x=pi/4,t=0 --at x=0,t=1 --format json
      exprdiff grad "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --wrt w,b
      exprdiff grad "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --steps --path w
      exprdiff grad "sin(x)*exp(-t)" --at x=1,t=2 --check --timeout 10
      cat exprs.txt | exprdiff grad - --format jsonl    # lines: EXPR ; x=1, y=2 ; x=3, y=4

    Exit status: 0 success (warnings allowed), 1 evaluation failed, 2 usage or parse error.
    """
    if expr == "-" or files:
        from .batch import command as batch

        if show_steps or path is not None:
            raise click.UsageError("--steps and --path work on one EXPR, not in batch mode")
        sys.exit(batch(expr, files, points, wrt, output, precision=precision, strict=strict,
                       check=check, timeout=timeout, jobs=jobs, console=console()))
    if expr is None:
        raise click.UsageError("missing EXPR (or '-' to read expressions from stdin, or --file)")
    limits = None if max_size is None else Limits(max_size=max_size)
    compiled = compile(expr) if limits is None else compile(expr, limits=limits)
    chosen = split_assignments(wrt) if wrt is not None else None
    if points_file is not None:
        try:
            from .points_vector import command as points_command
        except ImportError:
            raise usage("--points needs NumPy: pip install 'exprdiff[points]'",
                        compiled.variables) from None
        sys.exit(points_command(compiled, points_file, chosen, output, strict))
    point_list = read_points(compiled, points)
    if path is not None and path not in compiled.variables:
        raise usage(f"--path names '{path}', which is not a variable of the expression",
                    compiled.variables)
    if (show_steps or path is not None) and output == "csv":
        raise click.UsageError("--steps and --path need --format table, json, jsonl, markdown "
                               "or latex")
    record = show_steps or path is not None
    results: list[Result | ExprError] = []
    for point in point_list:
        try:
            results.append(compiled.grad(point, wrt=chosen, strict=strict, record=record))
        except ExprError as problem:
            if problem.kind in ("usage", "parse"):
                raise
            results.append(problem)
    if check:
        results = [r.checked(timeout=timeout) if isinstance(r, Result) else r for r in results]
    emit_results(results, point_list, output, precision,
                 steps=show_steps, path=path)


@main.command("diff")
@click.argument("expr", metavar="EXPR")
@click.option("--wrt", metavar="NAME,...", help="Only these variables' partials, in this order.")
@click.option("--format", "output", type=click.Choice(["pretty", "latex", "json"]),
              default="pretty", show_default=True, help="Output format.")
@timeout_option
def diff(expr: str, wrt: str | None, output: str, timeout: float) -> None:
    """Symbolic partial derivatives of EXPR (by SymPy, simplified).

    \b
    Examples:
      exprdiff diff "x1**2 + 3*(x2*x3 - x1**2)"
      exprdiff diff "sin(x)*exp(-t)" --wrt t --format latex

    Exit status: 0 success, 1 SymPy gave up (see --timeout), 2 usage or parse error.
    """
    from .oracle import symbolic_partials
    from .render.check import emit_symbolic

    chosen = split_assignments(wrt) if wrt is not None else None
    compile(expr)  # limits, and overflow in floats (9**9**9**9) before SymPy's exact integers
    partials, note = symbolic_partials(expr, chosen, timeout=timeout)
    emit_symbolic(console(), expr, partials, output, note)


@main.command("graph")
@click.argument("expr", metavar="EXPR")
@click.option("--at", "point", metavar="NAME=VALUE,...",
              help="Annotate at this point: values, adjoints ∂f/∂node, partials on edges.")
@click.option("-o", "--output", "path", metavar="FILE",
              help="Write to FILE (.dot .gv .mmd .svg .png .pdf) instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid", "svg", "png", "pdf"]),
              help="Output format [default: from -o's suffix, else dot].")
@click.option("--constants", is_flag=True, help="Draw constants as nodes (default: in labels).")
@click.option("--direction", type=click.Choice(["up", "right"]), default="up", show_default=True,
              help="Inputs at the bottom (up) or on the left (right).")
@click.option("--width", type=click.IntRange(8, 200), default=28, show_default=True,
              metavar="N", help="Longest label line; longer subexpressions are elided.")
@click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True,
              metavar="N", help="Significant digits on labels (svg tooltips are exact).")
def graph(expr: str, point: str | None, path: str | None, fmt: str | None, constants: bool,
          direction: str, width: int, precision: int) -> None:
    """Draw the computational graph of EXPR: DOT, Mermaid, or svg/png/pdf via Graphviz.

    \b
    Examples:
      exprdiff graph "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3 -o graph.svg
      exprdiff graph "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --format mermaid
      exprdiff graph "sin(x)*exp(-t)" | dot -Tpng > graph.png

    Exit status: 0 drawn (warnings allowed), 1 the point is outside the domain (the graph is
    still drawn, up to the failing node), 2 usage or parse error, or Graphviz missing.
    """
    from .picture import Graph, output_format

    chosen = output_format(path, fmt)
    to_stdout = path is None or path == "-"
    if to_stdout and chosen in ("png", "pdf") and sys.stdout.isatty():
        raise ExprError("usage", f"{chosen} is binary: not written to a terminal",
                        hint=f"give -o graph.{chosen}, or redirect: > graph.{chosen}")
    compiled = compile(expr)
    at = parse_assignments(point, compiled.variables) if point is not None else None
    picture = Graph.of(compiled, at, constants=constants, direction=direction, width=width,
                       precision=precision)
    if not to_stdout:
        picture.render(str(path), chosen)
    elif chosen in ("dot", "mermaid"):
        click.echo(picture.text(chosen), nl=False)
    else:
        click.get_binary_stream("stdout").write(picture.image(chosen))
    color = _color(click.get_current_context(silent=True))
    for warning in picture.warnings:
        click.echo(click.style("warning:", fg="yellow", bold=True) + " " + warning.message,
                   err=True, color=color)
    if picture.error is not None:
        _report(picture.error)
        sys.exit(ExitCode.EVALUATION_FAILED)


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
                 output: str, precision: int | None, *, steps: bool = False,
                 path: str | None = None) -> None:
    """Print results (and per-point failures) in the chosen format; exit 1 if any failed."""
    failed = [r for r in results if isinstance(r, ExprError)]
    if (steps or path is not None) and output in ("json", "table") or output in (
            "markdown", "latex"):
        emit_steps(results, point_list, output, precision, steps, path)
    elif output in ("jsonl", "csv"):
        from .render.records import emit

        emit(sys.stdout, output, [_record(r, steps, path) if isinstance(r, Result) else
                                  {"at": point, "error": r.to_dict()}
                                  for r, point in zip(results, point_list, strict=True)])
    elif output == "json":
        from .render.json import dumps

        objects = [r.to_dict() if isinstance(r, Result) else
                   {"at": point, "error": r.to_dict()} for r, point in zip(results, point_list,
                                                                            strict=True)]
        click.echo(dumps(objects[0] if len(objects) == 1 else objects))
    else:
        from .render.table import print_results

        ok = [r for r in results if isinstance(r, Result)]
        print_results(console(), ok, precision)
    checked = [r for r in results if isinstance(r, Result) and r.check is not None]
    if checked:
        from .render.check import print_checks, report_checks

        if output == "table":
            print_checks(console(), checked, precision)
        failed += report_checks(checked)
    for problem in failed:
        _report(problem)  # on stderr too, also when the JSON carries it
    if failed:
        sys.exit(ExitCode.EVALUATION_FAILED)


def emit_steps(results: Sequence[Result | ExprError], point_list: Sequence[dict[str, float]],
               output: str, precision: int | None, tables: bool, path: str | None) -> None:
    """Results with SPEC §5's step tables (`tables`) and/or --path's paths, in any format."""
    wanted = tables or path is not None
    if output == "json":
        from .render.json import dumps

        objects = []
        for r, point in zip(results, point_list, strict=True):
            if isinstance(r, ExprError):
                objects.append({"at": point, "error": r.to_dict()})
                failed = _failed_steps(r, point, None) if wanted else None
                if failed is not None:
                    objects[-1]["steps"] = failed.to_dict()
                continue
            data = r.to_dict()
            if wanted:
                data["steps"] = r.steps(path=path, tables=tables).to_dict(tables=tables)
            objects.append(data)
        click.echo(dumps(objects[0] if len(objects) == 1 else objects))
    elif output in ("markdown", "latex"):
        from .render import latex, text

        module = text if output == "markdown" else latex
        items: list[Any] = []
        for r, point in zip(results, point_list, strict=True):
            if isinstance(r, Result):
                items.append((r, r.steps(path=path, width=72, tables=tables) if wanted else None))
            elif wanted and (failed := _failed_steps(r, point, 72)) is not None:
                items.append(failed)
        click.echo(module.render_all(items, precision, tables))
    else:
        from .render.steps_table import expression_width, print_failed, print_steps
        from .render.table import print_results

        out = console()
        room = expression_width(out.width)
        for k, (r, point) in enumerate(zip(results, point_list, strict=True)):
            if k:
                out.print()
            if isinstance(r, Result):
                print_results(out, [r], precision)
                print_steps(out, r.steps(path=path, width=room, tables=tables), precision, tables)
            elif (failed := _failed_steps(r, point, room)) is not None:
                print_failed(out, failed, precision)


def _record(result: Result, tables: bool, path: str | None) -> dict[str, Any]:
    """A result's JSON object, with "steps" when --steps or --path asked for them (jsonl)."""
    data = result.to_dict()
    if tables or path is not None:
        data["steps"] = result.steps(path=path, tables=tables).to_dict(tables=tables)
    return data


def _failed_steps(problem: ExprError, point: dict[str, float], width: int | None) -> Any:
    """The forward table up to the node a domain error names (None when it names no node)."""
    if problem.node is None or problem.source is None:
        return None
    from .points import validate
    from .steps import build_failed

    compiled = compile(problem.source)
    return build_failed(compiled.tape, validate(point, compiled.variables), problem, width)


def _report(problem: ExprError) -> None:
    color = _color(click.get_current_context(silent=True))
    _, _, rest = problem.render().partition("error:")
    click.echo(click.style("error:", fg="red", bold=True) + rest, err=True, color=color)
