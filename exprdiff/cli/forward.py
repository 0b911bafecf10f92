"""`grad EXPR --at … --mode forward` and `--direction x=1,y=-2`: forward mode, one tangent sweep
per input (the gradient) or one along a direction (a Jacobian-vector product); `--steps`
prints each sweep's tangent table."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from exprdiff.api import Compiled
from exprdiff.errors import ExitCode, ExprError
from exprdiff.explain.tangents import TangentTable, build
from exprdiff.points import parse_assignments


def command(compiled: Compiled, points: Sequence[dict[str, float]], direction: str | None,
            wrt: Sequence[str] | None, strict: bool, steps: bool, output: str,
            precision: int | None, console: Any) -> int:
    """Print each point's forward-mode result (and tables) in `output`; the exit code."""
    along = parse_assignments(direction, compiled.variables) if direction else None
    records: list[dict[str, Any]] = []
    tables: list[list[TangentTable]] = []
    failed: list[ExprError] = []
    for point in points:
        try:
            record, found = _one(compiled, point, along, wrt, strict, steps)
        except ExprError as error:
            if error.kind in ("usage", "parse"):
                raise
            failed.append(error)
            records.append({"expression": compiled.source, "at": point,
                            "error": error.to_dict()})
            tables.append([])
            continue
        records.append(record)
        tables.append(found)
    _write(records, tables, output, precision, console)
    from exprdiff.cli.output import report

    for problem in failed:
        report(problem)
    return ExitCode.EVALUATION_FAILED if failed else ExitCode.OK


def _one(compiled: Compiled, point: dict[str, float], along: dict[str, float] | None,
         wrt: Sequence[str] | None, strict: bool,
         steps: bool) -> tuple[dict[str, Any], list[TangentTable]]:
    if along is not None:
        jvp = compiled.jvp(point, along, strict=strict)
        record = _named(compiled, jvp.to_dict())
        table = build(compiled.tape, jvp.values, jvp.partials, jvp.tangents, jvp.direction,
                      jvp.warnings)
        return record, [table] if steps else []
    result = compiled.forward_gradient(point, wrt=wrt, strict=strict)
    record = _named(compiled, result.to_dict() | {"mode": "forward"})
    found = []
    if steps:
        for name in result.gradient:
            jvp = compiled.jvp(point, {name: 1.0})
            found.append(build(compiled.tape, jvp.values, jvp.partials, jvp.tangents,
                               {name: 1.0}, jvp.warnings))
    return record, found


def _named(compiled: Compiled, record: dict[str, Any]) -> dict[str, Any]:
    """A program's record also names its output, as reverse mode's does (`outputs`)."""
    if compiled.tape.statements is None:
        return record
    from exprdiff.outputs import output_name

    return record | {"outputs": {output_name(compiled.tape): record["value"]}}


def _write(records: list[dict[str, Any]], tables: list[list[TangentTable]], output: str,
           precision: int | None, console: Any) -> None:
    if output in ("json", "jsonl"):
        from exprdiff.render.json import dumps

        objects = [r | ({"tangents": [t.to_dict() for t in ts]} if ts else {})
                   for r, ts in zip(records, tables, strict=True)]
        if output == "jsonl":
            for data in objects:
                sys.stdout.write(dumps(data, indent=None) + "\n")
        else:
            click.echo(dumps(objects[0] if len(objects) == 1 else objects))
        return
    from exprdiff.render import tangents

    if output in ("markdown", "latex"):
        chunks = []
        for record, found in zip(records, tables, strict=True):
            if "error" in record:
                continue
            head = _headline(record, precision)
            body = (tangents.markdown(found, precision) if output == "markdown"
                    else tangents.latex(found, precision))
            chunks.append(_head(head, output) + ("\n\n" + body if body else ""))
        click.echo("\n\n".join(chunks))
        return
    for k, (record, found) in enumerate(zip(records, tables, strict=True)):
        if "error" in record:
            continue
        if k:
            console.print()
        for line in _headline(record, precision):
            console.print(line, soft_wrap=True)
        tangents.print_tables(console, found, precision)


def _headline(record: dict[str, Any], precision: int | None) -> list[str]:
    from exprdiff.errors import printable
    from exprdiff.render.numbers import fmt
    from exprdiff.render.outputs import heading, output_label

    at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in record["at"].items())
    head, text = heading(record)
    f = output_label(record)
    lines = [f"{head}{printable(text)}"] + ([f"at {at}"] if at else [])
    lines.append(f"{f} = {fmt(record['value'], precision)}")
    if "direction" in record:
        along = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in record["direction"].items())
        derivative = fmt(record["derivative"], precision)
        lines.append(f"along {along}: directional derivative {derivative}")
    else:
        lines += [f"∂{f}/∂{n} = {fmt(v, precision)}  (forward mode)"
                  for n, v in record["gradient"].items()]
    lines += [f"warning: {w['message']}" for w in record["warnings"]]
    return lines


def _head(lines: list[str], output: str) -> str:
    if output == "markdown":
        return "\n\n".join(lines)
    from exprdiff.render.latex import texttt

    return "\n".join(texttt(line, math=False) + r"\par" for line in lines)
