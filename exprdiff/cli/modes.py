"""Which `grad` options go with which mode and format: one table, checked in one function.

`exprdiff grad` runs in one of three modes, chosen by its arguments: ONE (an EXPR at `--at`
points), BATCH (EXPR is `-`, or `--file`) and POINTS (`--points FILE.csv`, NumPy). An option
the user gave (on the command line, even with its default value) that the mode would ignore, or
that does not combine with another option given, is a usage error naming both and saying what
to do instead: nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping

import click
from click.core import ParameterSource

from exprdiff.frozen import Frozen, _set
from exprdiff.render.formats import FORMATS, names

#: Every format of the registry: one EXPR can be written in any of them.
ALL_FORMATS = tuple(FORMATS)
STEPS_FORMATS = tuple(name for name in ALL_FORMATS if FORMATS[name].steps)
_STEPS_NEED = "--steps and --path need --format table, json, jsonl, markdown, latex or html"
_ONE_POINT = "give the expression as EXPR, with --at"
_CLUSTER = "a Dask cluster runs a batch: give the expressions with --file"

class Mode(Frozen):
    """A way `grad` runs: the formats it writes and the options it refuses, with the way out."""

    __slots__ = ("name", "refusal", "formats", "refused", "limited", "provides")
    name: str                                               # as messages say it: "for a batch"
    refusal: str                                            # "{option} does not work with …"
    formats: tuple[str, ...]                                # what --format may be
    refused: Mapping[str, str]                              # option → what to do instead
    limited: Mapping[str, tuple[tuple[str, ...], str]]      # option → (its formats, why)
    provides: tuple[str, ...]                               # what NEEDS asks for, by itself

    def __init__(self, name: str, refusal: str, formats: tuple[str, ...],
                 refused: Mapping[str, str], limited: Mapping[str, tuple[tuple[str, ...], str]],
                 provides: tuple[str, ...] = ()) -> None:
        _set(self, "name", name)
        _set(self, "refusal", refusal)
        _set(self, "formats", formats)
        _set(self, "refused", refused)
        _set(self, "limited", limited)
        _set(self, "provides", provides)


ONE = Mode(
    "for one EXPR", "{option} does not work with one EXPR", ALL_FORMATS,
    refused={"--jobs": "worker processes run a batch: give the expressions with '-' or --file",
             "--dask": _CLUSTER},
    limited={"--steps": (STEPS_FORMATS, _STEPS_NEED), "--path": (STEPS_FORMATS, _STEPS_NEED),
             "--precision": (("table", "markdown", "latex", "html"), "it rounds table, "
                             "markdown, latex and html output; json, jsonl and csv keep every "
                             "digit")},
)
BATCH = Mode(
    "for a batch", "{option} works on one EXPR, not in batch mode", names("batch"),
    refused={"--steps": _ONE_POINT, "--path": _ONE_POINT,
             "--expect": "claims are checked on one EXPR: give the expression as EXPR",
             "--mode": "forward mode runs on one EXPR: give the expression as EXPR, with --at",
             "--direction": "a direction goes with one EXPR at --at points",
             "--points": "give one EXPR with --points FILE.csv, or the points on the batch lines",
             "--max-size": "a batch line keeps the default limit of 1 000 000 characters: give "
                           "a longer expression as EXPR",
             "--conventions": "it compares conventions for one EXPR at --at points",
             "--of": "a batch line's program has one output: give the program as EXPR",
             "--data": "a training set goes with one program as EXPR"},
    limited={"--precision": (("table",), "in a batch it rounds the table only; json, jsonl and "
                                         "csv keep every digit"),
             "--output-dir": (("jsonl", "csv"), "part files are for programs: jsonl or csv")},
)
POINTS = Mode(
    "for --points", "{option} does not work with --points", names("points"),
    refused={"--at": "the points are FILE.csv's rows: add this one as a row, or drop --points",
             "--expect": "claims are checked at --at points or at --samples random points",
             "--mode": "the NumPy sweep is reverse mode: drop --mode",
             "--direction": "a direction goes with one EXPR at --at points",
             "--steps": f"step tables are for one point: {_ONE_POINT}",
             "--path": f"paths are for one point: {_ONE_POINT}",
             "--check": "one point at a time: use --at, or a batch with --check",
             "--timeout": "it limits --check, which needs --at or a batch",
             "--jobs": "one NumPy sweep covers every row; --jobs is for a batch",
             "--conventions": "it compares conventions at --at points: drop --points",
             "--precision": "csv and jsonl keep every digit",
             "--of": "the NumPy sweep has one output: give one --of, or use --at",
             "--data": "give the rows as --data (a training set) or as --points, not both",
             "--dask": _CLUSTER},
    limited={},
)

EXPECT = Mode(
    "with --expect", "{option} does not work with --expect", ("table", "json", "jsonl"),
    refused={"--steps": "check the claims first; then ask for the tables without --expect",
             "--path": "check the claims first; then ask for the paths without --expect",
             "--check": "--expect already compares each claim with reverse mode and SymPy",
             "--jobs": "worker processes run a batch: give the expressions with '-' or --file",
             "--wrt": "the claims name their own variables",
             "--precision": "the verdicts show the numbers that disagree in full",
             "--mode": "claims are compared with reverse mode: drop --mode",
             "--direction": "claims are partials, not directional derivatives: drop it",
             "--conventions": "check the claims first; then ask for the conventions alone",
             "--of": "claims are about one output: drop --of",
             "--data": "claims are checked at points, not over a training set",
             "--dask": _CLUSTER},
    limited={},
    provides=("--expect", "--check"),  # SymPy runs for the claims' formulas: --timeout limits it
)

FORWARD = Mode(
    "in forward mode", "{option} does not work in forward mode",
    ("table", "json", "jsonl", "markdown", "latex"),
    refused={"--path": "paths belong to the backward sweep: drop --mode forward/--direction",
             "--check": "check the gradient in reverse mode: drop --mode forward/--direction",
             "--jobs": "worker processes run a batch: give the expressions with '-' or --file",
             "--of": "forward mode here has one output: drop --of, or --mode forward",
             "--data": "the training-set gradient is swept in reverse mode: drop --mode",
             "--dask": _CLUSTER},
    limited={"--precision": (("table", "markdown", "latex"), "it rounds table, markdown and "
                             "latex output; json and jsonl keep every digit")},
    provides=("--mode forward",),
)

CONVENTIONS = Mode(
    "with --conventions", "{option} does not work with --conventions",
    ("table", "markdown", "json"),
    refused={"--steps": "ask for the tables without --conventions",
             "--path": "ask for the paths without --conventions",
             "--check": "check the gradient without --conventions",
             "--jobs": "worker processes run a batch: give the expressions with '-' or --file",
             "--wrt": "the table covers every argument of each kink or jump",
             "--mode": "the conventions are reverse mode's partials: drop --mode",
             "--direction": "the conventions are partials, not directional derivatives",
             "--of": "the conventions are about the nodes, not an output: drop --of",
             "--data": "the conventions are shown at --at points, not over a training set",
             "--dask": _CLUSTER},
    limited={"--precision": (("table", "markdown"), "json keeps every digit")},
    provides=("--conventions",),
)

DATA = Mode(
    "with --data", "{option} does not work with --data", ("table", "json"),
    refused={"--path": "paths are for one point: use --at without --data",
             "--check": "check one row at its point: use --at without --data",
             "--jobs": "one NumPy sweep covers every row; --jobs is for a batch",
             "--of": "the mean is of one output: drop --of",
             "--dask": _CLUSTER},
    limited={"--steps": (("table",), "a row's tables are drawn as a table")},
    provides=("--data",),
)

#: Options that do nothing without another one, in every mode that takes them.
NEEDS = {"--timeout": ("--check", "it limits SymPy's work for --check: add --check, or drop "
                                  "--timeout"),
         "--samples": ("--expect", "it chooses how many random points check the claims"),
         "--seed": ("--expect", "it seeds the random points that check the claims"),
         "--reduce": ("--data", "it reduces the rows of a training set: add --data"),
         "--row": ("--data", "it picks the row of --data whose tables --steps prints"),
         "--output-dir": ("--dask", "the cluster's workers write the part files; a local batch "
                                    "writes to stdout")}

#: Options that do not go together, in every mode.
EXCLUDES = {"--dask": ("--jobs", "the cluster's workers evaluate the blocks: drop --jobs, or "
                                 "give --dask local:N for N processes here")}


def check_options(ctx: click.Context) -> Mode:
    """The mode `grad`'s arguments choose; a click.UsageError if an option given does not fit."""
    problems = _problems(ctx)
    if problems:
        (_, first), *rest = problems
        also = f"; also refused: {', '.join(option for option, _ in rest)}" if rest else ""
        raise click.UsageError(first + also, ctx)
    return mode_of(ctx.params)


def mode_of(params: Mapping[str, object]) -> Mode:
    """BATCH for EXPR `-` or --file, else POINTS for --points, EXPECT for --expect, DATA for
    --data, FORWARD for forward mode, else ONE."""
    if params["expr"] == "-" or params["files"]:
        return BATCH
    if params["points_file"] is not None:
        return POINTS
    if params.get("expect") is not None:
        return EXPECT
    if params.get("conventions"):
        return CONVENTIONS
    if params.get("data_file") is not None and params.get("mode_name") != "forward" and (
            params.get("direction") is None):
        return DATA
    forward = params.get("mode_name") == "forward" or params.get("direction") is not None
    return FORWARD if forward else ONE


def _problems(ctx: click.Context) -> list[tuple[str, str]]:
    """(option, message) for every option given that the mode or another option rules out."""
    params = ctx.params
    if params["expr"] is None and not params["files"]:
        return [("EXPR", "missing EXPR (or '-' to read expressions from stdin, or --file)")]
    if params["files"] and params["expr"] not in (None, "-"):
        return [("--file", "give EXPR or --file, not both (put the expression in the file, or "
                           "use '-' to read stdin as well)")]
    mode = mode_of(params)
    given = _given(ctx)
    output = str(params["output"])
    found = [(option, f"{mode.refusal.format(option=option)} ({instead})")
             for option, instead in mode.refused.items() if option in given]
    if "--format" in given and output not in mode.formats:
        found.append((f"--format {output}", f"--format {output} is not available {mode.name}: "
                                            f"use {_or(mode.formats)}"))
    for option, (formats, why) in mode.limited.items():
        if option in given and output in mode.formats and output not in formats:
            found.append((option, f"{option} does not work with --format {output} {mode.name} "
                                  f"({why})"))
    for option, (other, why) in NEEDS.items():
        if option in given and other not in given and other not in mode.provides and (
                option not in mode.refused):
            found.append((option, f"{option} does nothing without {other} ({why})"))
    for option, (other, why) in EXCLUDES.items():
        if option in given and other in given and option not in mode.refused:
            found.append((other, f"{other} does not work with {option} ({why})"))
    return found


def _given(ctx: click.Context) -> set[str]:
    """The options the user gave (a default typed out counts), by their first long name."""
    return {param.opts[0] for param in ctx.command.params
            if isinstance(param, click.Option) and param.name is not None
            and ctx.get_parameter_source(param.name) not in (None, ParameterSource.DEFAULT)}


def _or(words: tuple[str, ...]) -> str:
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]
