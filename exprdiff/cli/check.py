"""What `--check` and `diff` print beyond their tables: warnings on stderr, oracle errors."""

from __future__ import annotations

from collections.abc import Sequence

import click
from rich.console import Console
from rich.text import Text

from exprdiff.cli.notes import warn
from exprdiff.errors import ExprError
from exprdiff.oracle.check import Check, Symbolic
from exprdiff.render.check import latex_name, symbolic_dict
from exprdiff.render.numbers import fmt
from exprdiff.result import Result


def report_checks(results: Sequence[Result]) -> list[ExprError]:
    """Warn on stderr where SymPy gave up; one 'oracle' error per disagreement."""
    problems: list[ExprError] = []
    for result in results:
        check = result.check
        if not isinstance(check, Check):
            continue
        if check.gave_up:
            hint = " (try a larger --timeout)" if "time limit" in check.gave_up else ""
            warn(f"the oracle gave up: {check.gave_up}; the reverse-mode gradient "
                 f"stands{hint}")
        for failure in check.failures:
            problems.append(ExprError("oracle", f"--check failed: {failure}",
                                      hint=f"at {_point(result)}"))
    return problems


def _point(result: Result) -> str:
    return ", ".join(f"{n}={fmt(v)}" for n, v in result.at.items()) or "(no variables)"


def emit_symbolic(console: Console, expression: str, partials: Sequence[Symbolic], output: str,
                  note: str | None) -> None:
    """Print `exprdiff diff`'s partials as pretty text, LaTeX or JSON (note on stderr)."""
    if output == "json":
        from exprdiff.render.json import dumps

        click.echo(dumps(symbolic_dict(expression, partials, note)))
    elif output == "latex":
        for p in partials:
            click.echo(rf"\frac{{\partial f}}{{\partial {latex_name(p.variable)}}} = {p.latex}")
    else:
        if not partials:
            console.print("f has no variables: there are no partial derivatives")
        for p in partials:
            head = f"∂f/∂{p.variable} = "
            text, baseline = p.pretty
            for k, line in enumerate(text.split("\n")):
                lead = Text(head, style="bold") if k == baseline else Text(" " * len(head))
                console.print(lead + Text(line.rstrip()), soft_wrap=True)
    if note:
        warn(note)
