"""`exprdiff hessian EXPR --at …`: the Hessian (forward-over-reverse), or with `--times` the
Hessian-vector product, at each point; `--check` asks SymPy and finite differences. Options
in, records out to render/hessian.py, an exit code back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from exprdiff.api import Compiled
from exprdiff.errors import ExitCode, ExprError, usage
from exprdiff.points import parse_assignments


def command(compiled: Compiled, points: Sequence[dict[str, float]], wrt: Sequence[str] | None,
            times: str | None, strict: bool, check: bool, timeout: float, output: str,
            precision: int | None) -> int:
    """Print each point's Hessian (or H·v) in `output`; the exit code."""
    along = parse_assignments(times, compiled.variables) if times is not None else None
    if along is not None and wrt is not None:
        raise usage("--wrt does not work with --times: H·v has a component for every "
                    "variable", compiled.variables)
    records: list[dict[str, Any]] = []
    failed: list[ExprError] = []
    disagreed = False
    for point in points:
        try:
            record = _one(compiled, point, wrt, along, strict, check, timeout)
        except ExprError as error:
            if error.kind in ("usage", "parse"):
                raise
            failed.append(error)
            continue
        disagreed = disagreed or not record.get("check", {"ok": True})["ok"]
        records.append(record)
    if records:
        from exprdiff.render.hessian import render

        click.echo(render(records, output, precision))
    from exprdiff.cli.output import report

    for problem in failed:
        report(problem)
    return ExitCode.EVALUATION_FAILED if failed or disagreed else ExitCode.OK


def _one(compiled: Compiled, point: dict[str, float], wrt: Sequence[str] | None,
         along: dict[str, float] | None, strict: bool, check: bool,
         timeout: float) -> dict[str, Any]:
    if along is not None:
        product = compiled.hvp(point, along, strict=strict)
        record = product.to_dict()
        names = list(product.hvp)
    else:
        matrix = compiled.hessian(point, wrt=wrt, strict=strict)
        record = matrix.to_dict()
        names = list(matrix.variables)
    if check:
        record["check"] = _verdict(compiled, record, names, timeout).to_dict()
    return record


def _verdict(compiled: Compiled, record: dict[str, Any], names: list[str],
             timeout: float) -> Any:
    from exprdiff.oracle.second import check_second

    variables = compiled.variables

    def gradient(point: Sequence[float]) -> list[float]:
        result = compiled.grad(dict(zip(variables, point, strict=True)), wrt=names)
        return list(result.gradient.values())

    hvp = None
    if "hvp" in record:
        hvp = ([record["direction"][n] for n in names], [record["hvp"][n] for n in names])
    return check_second(compiled.tree, names, record["at"], gradient,
                        hessian=record.get("hessian"), hvp=hvp,
                        kinked=bool(record["warnings"]), timeout=timeout)
