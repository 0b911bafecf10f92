"""What the grad command prints: results, step tables, check tables, errors; an exit code back.

The CLI's commands hand their data here; nothing here computes a derivative.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

import click

from exprdiff.api import Result
from exprdiff.cli.notes import color_choice
from exprdiff.errors import ExitCode, ExprError


def console(stderr: bool = False) -> Any:
    """A rich console honouring --no-color and NO_COLOR (rich is imported only here)."""
    no_color = color_choice(click.get_current_context(silent=True)) is False
    # emoji=False: rich would turn `:name:` in a cell into an emoji, and load its 3 500-entry
    # emoji table (~2–4 ms of every table's start-up) to look for them
    return _console_class()(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=False,
                            emoji=False)


@functools.cache
def _console_class() -> Any:
    from rich.console import Console

    class PipeConsole(Console):
        """rich's console, but a closed pipe (`| head -1`) is left to the CLI, which stops
        quietly with status 0 whatever the format (rich's own on_broken_pipe exits 1)."""

        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipeConsole


def emit_results(results: Sequence[Result | ExprError], point_list: Sequence[dict[str, float]],
                 output: str, precision: int | None, *, steps: bool = False,
                 path: str | None = None) -> int:
    """Print results (and per-point failures) in the chosen format; the exit code (1: a failure).

    One record per point goes to the format's writer (render/formats.py); rich step tables and
    the formats without a record writer (markdown, latex) are drawn from the results themselves.
    """
    from exprdiff.render.formats import FORMATS, Options, writer

    failed = [r for r in results if isinstance(r, ExprError)]
    if FORMATS[output].writer is None or output == "table" and (steps or path is not None):
        emit_steps(results, output, precision, steps, path)
    else:
        out = writer(output, sys.stdout, Options("single", console=console, precision=precision))
        for r, point in zip(results, point_list, strict=True):
            out.write(_record(r, point, steps, path))
        out.finish()
    checked = [r for r in results if isinstance(r, Result) and r.check is not None]
    if checked:
        from exprdiff.cli.check import report_checks
        from exprdiff.render.check import print_checks

        if output == "table":
            print_checks(console(), checked, precision)
        failed += report_checks(checked)
    for problem in failed:
        report(problem)  # on stderr too, also when the JSON carries it
    return ExitCode.EVALUATION_FAILED if failed else ExitCode.OK


def emit_steps(results: Sequence[Result | ExprError], output: str, precision: int | None,
               tables: bool, path: str | None) -> None:
    """Results with SPEC §5's step tables (`tables`) and/or --path's paths, drawn from the results
    and their steps themselves: rich tables, or the `render_all` of markdown's or latex's module
    (json and jsonl carry the steps in their records)."""
    wanted = tables or path is not None or output == "html"  # a page always has its tables
    if output != "table":
        from importlib import import_module

        from exprdiff.render.formats import FORMATS

        module = import_module(FORMATS[output].module)
        items: list[Any] = []
        for r in results:
            if isinstance(r, Result):
                items.append((r, r.steps(path=path, width=72, tables=tables) if wanted else None))
            elif wanted and (failed := _failed_steps(r, 72)) is not None:
                items.append(failed)
        click.echo(module.render_all(items, precision, tables))
    else:
        from exprdiff.render.steps_table import expression_width, print_failed, print_steps
        from exprdiff.render.table import print_results

        out = console()
        room = expression_width(out.width)
        for k, r in enumerate(results):
            if k:
                out.print()
            if isinstance(r, Result):
                print_results(out, [r.to_dict()], precision)
                print_steps(out, r.steps(path=path, width=room, tables=tables), precision, tables)
            elif (failed := _failed_steps(r, room)) is not None:
                print_failed(out, failed, precision)


def _record(result: Result | ExprError, point: dict[str, float], tables: bool,
            path: str | None) -> dict[str, Any]:
    """One point's JSON object, in every format, as a batch line's record without "line": the
    result's, or its error's (expression, point, error); with "steps" when --steps or --path
    asked for them (for an error, the forward table up to the failing node)."""
    wanted = tables or path is not None
    if isinstance(result, ExprError):
        data: dict[str, Any] = {} if result.source is None else {"expression": result.source}
        data |= {"at": point, "error": result.to_dict()}
        failed = _failed_steps(result, None) if wanted else None
        if failed is not None:
            data["steps"] = failed.to_dict()
        return data
    data = result.to_dict()
    if wanted:
        data["steps"] = result.steps(path=path, tables=tables).to_dict(tables=tables)
    return data


def _failed_steps(problem: ExprError, width: int | None) -> Any:
    """The forward table up to the node a domain error names (None when it names no node)."""
    from exprdiff.explain.steps import build_failed

    return build_failed(problem, width)


def report(problem: ExprError) -> None:
    color = color_choice(click.get_current_context(silent=True))
    _, _, rest = problem.render().partition("error:")
    click.echo(click.style("error:", fg="red", bold=True) + rest, err=True, color=color)
