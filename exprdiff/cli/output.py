"""What the grad command prints: results, step tables, check tables, errors; an exit code back.

The CLI's commands hand their data here; nothing here computes a derivative.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from exprdiff.api import Result
from exprdiff.errors import ExitCode, ExprError


def color_choice(ctx: click.Context | None = None) -> bool | None:
    if os.environ.get("NO_COLOR"):
        return False
    if ctx is not None and ctx.find_root().params.get("no_color"):
        return False
    return None


def console(stderr: bool = False) -> Any:
    """A rich console honouring --no-color and NO_COLOR (rich is imported only here)."""
    from rich.console import Console

    no_color = color_choice(click.get_current_context(silent=True)) is False
    # emoji=False: rich would turn `:name:` in a cell into an emoji, and load its 3 500-entry
    # emoji table (~2–4 ms of every table's start-up) to look for them
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=False,
                   emoji=False)


def emit_results(results: Sequence[Result | ExprError], point_list: Sequence[dict[str, float]],
                 output: str, precision: int | None, *, steps: bool = False,
                 path: str | None = None) -> int:
    """Print results (and per-point failures) in the chosen format; the exit code (1: a failure)."""
    failed = [r for r in results if isinstance(r, ExprError)]
    if (steps or path is not None) and output in ("json", "table") or output in (
            "markdown", "latex"):
        emit_steps(results, point_list, output, precision, steps, path)
    elif output in ("jsonl", "csv"):
        from exprdiff.render.records import emit

        emit(sys.stdout, output, [_record(r, steps, path) if isinstance(r, Result) else
                                  {"at": point, "error": r.to_dict()}
                                  for r, point in zip(results, point_list, strict=True)])
    elif output == "json":
        from exprdiff.render.json import dumps

        objects = [r.to_dict() if isinstance(r, Result) else
                   {"at": point, "error": r.to_dict()} for r, point in zip(results, point_list,
                                                                            strict=True)]
        click.echo(dumps(objects[0] if len(objects) == 1 else objects))
    else:
        from exprdiff.render.table import print_results

        ok = [r for r in results if isinstance(r, Result)]
        print_results(console(), ok, precision)
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


def emit_steps(results: Sequence[Result | ExprError], point_list: Sequence[dict[str, float]],
               output: str, precision: int | None, tables: bool, path: str | None) -> None:
    """Results with SPEC §5's step tables (`tables`) and/or --path's paths, in any format."""
    wanted = tables or path is not None
    if output == "json":
        from exprdiff.render.json import write

        objects = []
        for r, point in zip(results, point_list, strict=True):
            if isinstance(r, ExprError):
                objects.append({"at": point, "error": r.to_dict()})
                failed = _failed_steps(r, None) if wanted else None
                if failed is not None:
                    objects[-1]["steps"] = failed.to_dict()
                continue
            data = r.to_dict()
            if wanted:
                data["steps"] = r.steps(path=path, tables=tables).to_dict(tables=tables)
            objects.append(data)
        write(sys.stdout, objects[0] if len(objects) == 1 else objects)  # in pieces: big tables
    elif output in ("markdown", "latex"):
        from exprdiff.render import latex, text

        module = text if output == "markdown" else latex
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
                print_results(out, [r], precision)
                print_steps(out, r.steps(path=path, width=room, tables=tables), precision, tables)
            elif (failed := _failed_steps(r, room)) is not None:
                print_failed(out, failed, precision)


def _record(result: Result, tables: bool, path: str | None) -> dict[str, Any]:
    """A result's JSON object, with "steps" when --steps or --path asked for them (jsonl)."""
    data = result.to_dict()
    if tables or path is not None:
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
