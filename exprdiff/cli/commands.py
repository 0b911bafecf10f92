"""The `exprdiff` command: options → api → renderer → exit code. No logic of its own."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import click

from exprdiff.api import Compiled, Result, compile
from exprdiff.cli.group import ExprdiffGroup
from exprdiff.cli.modes import BATCH, CONVENTIONS, EXPECT, FORWARD, POINTS, check_options
from exprdiff.cli.output import console, emit_results
from exprdiff.cli.programs import each_output, source_text, warn_unused
from exprdiff.errors import ExprError, usage
from exprdiff.points import parse_assignments, split_assignments
from exprdiff.syntax.limits import Limits
from exprdiff.version import __version__

F = TypeVar("F", bound=Callable[..., Any])


#: The other commands live in cli/others.py, loaded when one of them is run or listed: a
#: `grad` never builds their options.
OTHERS = {name: "exprdiff.cli.others" for name in ("codegen", "diff", "graph", "hessian")}


@click.group(cls=ExprdiffGroup, context_settings={"help_option_names": ["-h", "--help"]},
             lazy=OTHERS)
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
              help="Batch: worker processes (0 = all cores; input files of up to 16 KiB run "
                   "in this one); output order is kept.")
@click.option("--dask", metavar="ADDRESS", help="Batch: run on the Dask scheduler at ADDRESS "
              "(tcp://host:8786), or local[:N] worker processes here (pip install "
              "'exprdiff[dask]'; docs/scaling.md).")
@click.option("--output-dir", metavar="DIR", help="With --dask: each worker writes its block's "
              "records to a part file in DIR, plus manifest.json (jsonl or csv).")
@click.option("--format", "output",
              type=click.Choice(["table", "json", "jsonl", "csv", "markdown", "latex", "html"]),
              default="table", show_default=True,
              help="Output format; html: one offline page that explains the gradient.")
@click.option("--precision", type=click.IntRange(1, 17), metavar="N",
              help="Significant digits in table, markdown and latex output (json, jsonl and "
                   "csv keep every digit).")
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
@click.option("--expect", metavar="NAME=FORMULA,...",
              help="Check a hand-derived gradient: your partials, e.g. \"x=2*x*y, y=x**2\"; "
                   "at the --at points, else at --samples random points. Exit 1 if wrong.")
@click.option("--mode", "mode_name", type=click.Choice(["reverse", "forward"]),
              default="reverse",
              show_default=True, help="reverse: all partials in one backward sweep; forward: "
              "one tangent sweep per input (--steps prints the tangent tables).")
@click.option("--direction", metavar="NAME=VALUE,...",
              help="Forward mode along this direction (names left out are 0): the directional "
                   "derivative in one tangent sweep, e.g. --direction x=1,y=-2.")
@click.option("--conventions", is_flag=True,
              help="At each kink or jump: both one-sided derivatives, the one exprdiff uses, "
                   "and what PyTorch, JAX and SymPy return there.")
@click.option("--data", "data_file", metavar="ROWS.csv",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Training set: a CSV whose header names some inputs, one example per row; "
                   "--at gives the rest (the weights). Reports the mean over the rows.")
@click.option("--reduce", type=click.Choice(["mean", "sum"]), default="mean", show_default=True,
              help="With --data: the mean or the sum over the rows.")
@click.option("--row", type=click.IntRange(1), metavar="N",
              help="With --data --steps: the row whose step tables are printed [default: 1].")
@click.option("--of", "outputs", metavar="NAME,...",
              help="A program's outputs (statement names); several give the Jacobian, a row "
                   "per output.")
@click.option("--samples", type=click.IntRange(1, 10_000), default=20, show_default=True,
              metavar="N", help="--expect without --at: how many random points.")
@click.option("--seed", type=int, default=0, show_default=True, metavar="S",
              help="--expect without --at: the random points' seed (same seed, same points).")
def grad(expr: str | None, points: tuple[str, ...], wrt: str | None, output: str,
         precision: int | None, strict: bool, show_steps: bool, path: str | None,
         files: tuple[str, ...], jobs: int, check: bool, timeout: float,
         points_file: str | None = None, max_size: int | None = None,
         expect: str | None = None, samples: int = 20, seed: int = 0,
         mode_name: str = "reverse", direction: str | None = None,
         conventions: bool = False, outputs: str | None = None,
         data_file: str | None = None, reduce: str = "mean", row: int | None = None,
         dask: str | None = None, output_dir: str | None = None) -> None:
    """Value and gradient of EXPR at one or more points (reverse mode, one sweep).

    \b
    Examples:
      exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3
      exprdiff grad "sin(x)*exp(-t)" --at x=pi/4,t=0 --at x=0,t=1 --format json
      exprdiff grad "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --wrt w,b
      exprdiff grad "y - max(0, w*x + b)" --at y=5,w=2,x=1,b=1 --steps --path w
      exprdiff grad "sin(x)*exp(-t)" --at x=1,t=2 --check --timeout 10
      exprdiff grad "x**2*y + sin(x*y)" --expect "x=2*x*y + y*cos(x*y), y=x**2 + x*cos(x*y)"
      exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3 --mode forward --steps
      exprdiff grad "x*y + sin(x)" --at x=1,y=2 --direction x=1,y=-2
      exprdiff grad "abs(x) + max(x, y)" --at x=0,y=0 --conventions
      exprdiff grad "h = relu(w*x + b); L = (h - y)**2" --at w=1,x=2,b=0,y=1 --wrt w,h
      exprdiff grad @net.txt --at x=1,w=2 --of L,yhat    # a program from a file; Jacobian
      exprdiff grad "x1**2 + 3*(x2*x3 - x1**2)" --at x1=1,x2=2,x3=3 --format html > page.html
      cat exprs.txt | exprdiff grad - --format jsonl    # lines: EXPR ; x=1, y=2 ; x=3, y=4

    Exit status: 0 success (warnings allowed), 1 evaluation failed, 2 usage or parse error.
    """
    mode = check_options(click.get_current_context())
    if mode is BATCH:
        from exprdiff.cli.batch import command as batch

        sys.exit(batch(expr, files, points, wrt, output, precision=precision, strict=strict,
                       check=check, timeout=timeout, jobs=jobs, console=console, dask=dask,
                       output_dir=output_dir))
    if check:  # SymPy's process imports it while this one parses and sweeps (cli/__init__.py)
        from exprdiff.oracle.child import shared

        shared().start()
    limits = None if max_size is None else Limits(max_size=max_size)
    text = source_text(cast(str, expr))  # check_options refused a missing EXPR
    # One parse; the oracle (--check, --expect's SymPy formulas) reads the parse's own tree.
    compiled = compile(text, limits=limits, tree=check or expect is not None)
    chosen = split_assignments(wrt) if wrt is not None else None
    if data_file is not None:  # the training-set loss: cli/data.py
        from exprdiff.cli.data import command as data_command

        sys.exit(data_command(compiled, data_file, points, chosen, reduce, output, precision,
                              row if show_steps else None))
    if mode is POINTS:
        try:
            from exprdiff.cli.points import command as points_command
        except ImportError:
            raise usage("--points needs NumPy: pip install 'exprdiff[points]'",
                        compiled.variables) from None
        sys.exit(points_command(compiled, cast(str, points_file), chosen, output, strict))
    if mode is EXPECT:
        from exprdiff.cli.expect import command as expect_command

        chosen_points = read_points(compiled, points) if points else None
        sys.exit(expect_command(compiled, cast(str, expect), chosen_points, samples, seed,
                                timeout, output, console()))
    point_list = read_points(compiled, points)
    if mode is CONVENTIONS:
        from exprdiff.cli.conventions import command as conventions_command

        sys.exit(conventions_command(compiled, point_list, output, precision, console()))
    if mode is FORWARD:
        from exprdiff.cli.forward import command as forward_command

        sys.exit(forward_command(compiled, point_list, direction, chosen, strict, show_steps,
                                 output, precision, console()))
    if path is not None and compiled.tape.node(path) is None:
        raise usage(f"--path names '{path}', which is not a variable of the expression",
                    compiled.variables)
    record = show_steps or path is not None or output == "html"  # a page shows every table
    of = split_assignments(outputs) if outputs is not None else None
    if of is not None and len(of) > 1 and record:  # a Jacobian's tables: one set per output
        code = each_output(compiled, point_list, of, chosen, strict, output, precision,
                           show_steps, path)
        warn_unused(compiled)
        sys.exit(code)
    results: list[Result | ExprError] = []
    for point in point_list:
        try:
            results.append(compiled.grad(point, wrt=chosen, strict=strict, record=record,
                                         of=of))
        except ExprError as problem:
            if problem.kind in ("usage", "parse"):
                raise
            results.append(problem)
    if check:
        from exprdiff.cli import check as printing  # noqa: F401 - loaded while SymPy starts
        from exprdiff.oracle.check import checked

        results = checked(results, timeout=timeout)
    code = emit_results(results, point_list, output, precision, steps=show_steps, path=path)
    warn_unused(compiled)  # after any error: stderr starts with the error
    sys.exit(code)


def read_points(compiled: Compiled, points: Sequence[str]) -> list[dict[str, float]]:
    """Every --at parsed and checked before anything is evaluated; none needed without variables."""
    names = compiled.variables
    if not points:
        if names:
            example = ",".join(f"{n}=1" for n in names[:4])
            raise usage(f"no point given: add --at {example}", names)
        return [{}]
    parsed = [parse_assignments(text, names) for text in points]
    given = [set(point) & set(names) for point in parsed]
    if len(parsed) > 1 and all(g < set(names) for g in given) and set().union(*given) == set(
            names):  # `--at x=1 --at y=2`: meant as one point
        missing = [n for n in names if n not in parsed[0]]
        problem = usage(f"no value given for {', '.join(missing)} in --at {points[0]}", names)
        problem.hint = ("each --at is one whole point: give every value in one, --at "
                        + ",".join(points))
        raise problem
    return parsed
