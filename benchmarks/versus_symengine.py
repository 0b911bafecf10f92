"""String → gradient at the sizes where fixed costs decide: exprdiff against SymEngine's own
pipeline (its parser `sympify`, `diff` by every variable, `subs`), both from the same text.

Rows: the three seeds, a 10-deep tanh(0.9*z + 0.1) chain and wide(10) — every expression of
the benchmarks with at most 50 tape nodes. The two take turns of ~20 ms (each after an untimed
call), in a shuffled order, for at least 15 rounds; medians. `python -m benchmarks --only
symengine` prints this table alone.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from typing import Any

import exprdiff

from . import cases, peers, timing


def rows() -> list[tuple[str, str, dict[str, float] | None]]:
    """(label, text, point or None for cases.point_for) of the small expressions."""
    found: list[tuple[str, str, dict[str, float] | None]] = [
        (label, text, point) for label, (text, point) in cases.SEEDS.items()]
    found += [("tanh chain(10)", cases.tanh_chain(10), None), ("wide(10)", cases.wide(10), None)]
    return found


def table(args: argparse.Namespace, out: list[str]) -> None:
    from .__main__ import ratio, show

    if not peers.available("symengine"):
        out.append("- SymEngine is not installed (`pip install symengine`): this comparison "
                   "was not run")
        return
    out.append("| case | tape nodes | exprdiff | SymEngine (own parser) | ÷ SymEngine |")
    out.append("|---|---|---|---|---|")
    notes: list[str] = []
    worst = 0.0
    for label, text, given in rows():
        compiled = exprdiff.compile(text)
        point = given if given is not None else cases.point_for(compiled.variables)
        names, values = list(point), list(point.values())
        expected = list(exprdiff.grad(text, point).gradient.values())
        runs: dict[str, Callable[[], Any]] = {
            "exprdiff": lambda text=text, point=point: exprdiff.grad(text, point)}
        try:
            got = peers.symengine_own(text, names, values)
        except Exception as problem:  # noqa: BLE001 - a peer failing is a result
            notes.append(f"- SymEngine failed on {label}: {type(problem).__name__}: "
                         f"{str(problem)[:80]}")
        else:
            if not peers.close(got, expected):
                notes.append(f"- SymEngine disagrees with exprdiff on {label}")
            runs["SymEngine"] = lambda text=text, names=names, values=values: (
                peers.symengine_own(text, names, values))
        gc.collect()
        medians = timing.round_robin(runs, min_rounds=15, turn=0.02)
        mine, theirs = medians["exprdiff"], medians.get("SymEngine")
        if theirs is not None:
            worst = max(worst, mine / theirs)
        out.append(f"| {label} | {len(compiled.tape)} | {show(mine)} | {show(theirs)} | "
                   f"{ratio(mine, theirs)} |")
    out.extend(notes)
    out.append(f"- exprdiff: `exprdiff.grad(text, point)`; SymEngine: `sympify(text)` (`max`, "
               f"`min` spelled `Max`, `Min`), `diff` by every variable, `subs` at the point, "
               f"`float`; turns of ~20 ms, shuffled, at least 15 rounds; largest ratio "
               f"{worst:.3f}")
