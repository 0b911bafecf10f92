"""`exprdiff diff`, `graph`, `hessian` and `codegen`: options → api → renderer → exit code,
as cli/commands.py does for `grad`; loaded by the group when one of them is asked for."""

from __future__ import annotations

import sys
from typing import cast

import click

from exprdiff.api import compile
from exprdiff.cli.commands import point_options, read_points, timeout_option
from exprdiff.cli.notes import warn
from exprdiff.cli.output import console, report
from exprdiff.cli.programs import source_text
from exprdiff.errors import ExitCode, ExprError
from exprdiff.points import parse_assignments, split_assignments


@click.command("diff")
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
    from exprdiff.cli.check import emit_symbolic
    from exprdiff.oracle.check import symbolic_partials

    chosen = split_assignments(wrt) if wrt is not None else None
    expr = source_text(expr)
    compiled = compile(expr, tree=True)  # limits, and 9**9**9**9 caught before SymPy's integers
    partials, note = symbolic_partials(compiled.tree, chosen, timeout=timeout)
    emit_symbolic(console(), expr, partials, output, note)


@click.command("graph")
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
    still drawn, up to the failing node), 2 usage or parse error, Graphviz missing, or a limit
    (an image of more than 1000 nodes, or dot past its 60 s).
    """
    from exprdiff.drawing import Graph
    from exprdiff.render.picture import output_format

    chosen = output_format(path, fmt)
    to_stdout = path is None or path == "-"
    if to_stdout and chosen in ("png", "pdf") and sys.stdout.isatty():
        raise ExprError("usage", f"{chosen} is binary: not written to a terminal",
                        hint=f"give -o graph.{chosen}, or redirect: > graph.{chosen}")
    compiled = compile(source_text(expr))
    at = parse_assignments(point, compiled.variables) if point is not None else None
    picture = Graph.of(compiled, at, constants=constants, direction=direction, width=width,
                       precision=precision)
    if not to_stdout:
        picture.render(str(path), chosen)
    elif chosen in ("dot", "mermaid"):
        click.echo(picture.text(chosen), nl=False)
    else:
        sys.stdout.buffer.write(picture.image(chosen))
    for warning in picture.warnings:
        warn(warning.message)
    if picture.error is not None:
        report(picture.error)
        sys.exit(ExitCode.EVALUATION_FAILED)


@click.command("hessian")
@click.argument("expr", metavar="EXPR")
@point_options
@click.option("--times", metavar="NAME=VALUE,...",
              help="The Hessian-vector product H·v along this v (names left out are 0), in one "
                   "sweep, without building H.")
@click.option("--format", "output",
              type=click.Choice(["table", "json", "csv", "markdown", "latex"]),
              default="table", show_default=True, help="Output format.")
@click.option("--precision", type=click.IntRange(1, 17), metavar="N",
              help="Significant digits in table, markdown and latex output.")
@click.option("--strict", is_flag=True,
              help="Treat a non-differentiable point (abs(0), a max tie…) as an error.")
@click.option("--check", is_flag=True, help="Prove each entry with SymPy's second derivatives "
              "and finite differences of the gradient; exit 1 if they differ.")
@timeout_option
def hessian(expr: str, points: tuple[str, ...], wrt: str | None, times: str | None,
            output: str, precision: int | None, strict: bool, check: bool,
            timeout: float) -> None:
    """Hessian of EXPR (every second partial) at one or more points, by forward-over-reverse:
    one tangent sweep and one reverse sweep of adjoint tangents per variable.

    \b
    Examples:
      exprdiff hessian "(1-x)**2 + 100*(y-x**2)**2" --at x=1,y=1
      exprdiff hessian "(1-x)**2 + 100*(y-x**2)**2" --at x=-1.2,y=1 --format json --check
      exprdiff hessian "x*y*z + sin(x)" --at x=1,y=2,z=3 --wrt z,x
      exprdiff hessian "(1-x)**2 + 100*(y-x**2)**2" --at x=-1.2,y=1 --times x=1,y=0

    JSON holds "variables" (the order), "hessian" (its rows), "value" and "gradient"; with
    --times, "direction" and "hvp". A kink or jump (relu'' at 0) is a warning naming the node.

    Exit status: 0 success (warnings allowed), 1 evaluation or check failed, 2 usage or parse
    error.
    """
    from exprdiff.cli.hessian import command as hessian_command

    if check:
        from exprdiff.oracle.child import shared

        shared().start()
    compiled = compile(source_text(expr), tree=check)
    chosen = split_assignments(wrt) if wrt is not None else None
    sys.exit(hessian_command(compiled, read_points(compiled, points), chosen, times, strict,
                             check, timeout, output, precision))


@click.command("codegen")
@click.argument("expr", metavar="EXPR", required=False)
@click.option("-f", "--file", "path", metavar="FILE", help="Read EXPR (a program) from FILE, "
              "as EXPR '@FILE' does.")
@click.option("--lang", type=click.Choice(["python", "numpy", "c"]), default="python",
              show_default=True, help="The language of the code.")
@click.option("--mode", type=click.Choice(["reverse", "forward"]), default="reverse",
              show_default=True, help="reverse: value and gradient in one function; forward: "
              "value and the derivative along a direction given with the point (a JVP).")
def codegen(expr: str | None, path: str | None, lang: str, mode: str) -> None:
    """Print straight-line code computing EXPR's value and gradient: the forward sweep, then
    the adjoints, named after the tape (a program's own names), one comment per chain-rule
    step; domain checks raise and kinks warn as exprdiff grad does (docs/codegen.md).

    \b
    Examples:
      exprdiff codegen "x1**2 + 3*(x2*x3 - x1**2)"
      exprdiff codegen "x1**2 + 3*(x2*x3 - x1**2)" --lang c > grad.c
      exprdiff codegen "tanh(w*x + b)" --lang numpy --mode forward
      exprdiff codegen -f net.txt          # a program: h1 = relu(w11*x1 + b1); L = ...

    Exit status: 0 printed, 2 usage or parse error.
    """
    from exprdiff.codegen import source

    if (expr is None) == (path is None):
        raise ExprError("usage", "give EXPR or -f FILE (one of them)")
    text = source_text(cast(str, expr) if path is None else "@" + path)
    click.echo(source(compile(text).tape, lang, mode), nl=False)
