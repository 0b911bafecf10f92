"""--path's table as plain data: every path from the output down to a variable, counted by a
dynamic programme over the graph and listed depth first, within bounds (docs/steps.md).

    >>> r = grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3}, record=True)
    >>> paths = find_paths(r.tape, r.partials, r.tape.inputs["x1"], r.adjoints)
    >>> paths.total, [row.product for row in paths.listed]
    (2, [2.0, -6.0])

The one piece of arithmetic of the step tables is here: the product along each path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exprdiff.tape import Tape, format_number

#: At most this many paths are listed by --path; all of them are counted.
PATH_CAP = 64
#: … and at most this many edges in all: the paths after the first stop when the next one would
#: go over it (the first is listed whole: it is no longer than the tape).
PATH_EDGES = 10_000
#: Paths are counted exactly up to this many; beyond, the count says "more than" it. From one
#: expression's text there are at most as many paths as times the variable is written, but a
#: graph that reuses nodes (named statements) can double the count with every node.
PATH_COUNT_CAP = 10**18

@dataclass(frozen=True, slots=True)
class PathRow:
    """One path from the output down to a variable and the product of its edges."""

    nodes: tuple[str, ...]  # output first, the variable last
    partials: tuple[float, ...]  # one per edge, in the same order
    product: float

    @property
    def formula(self) -> str:
        pairs = zip(self.nodes, self.nodes[1:], strict=False)
        return "·".join(f"∂{a}/∂{b}" for a, b in pairs) or "1"

    def substituted(self, number: Any = format_number) -> str:
        return "·".join(_factor(number(p)) for p in self.partials) or "1"

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": list(self.nodes), "partials": list(self.partials),
                "product": self.product, "formula": self.formula,
                "substituted": self.substituted()}


@dataclass(frozen=True, slots=True)
class Paths:
    """All paths from the output to `variable`: all counted, the first few listed.

    `limit` says why the listing stopped short: "paths" (at PATH_CAP paths) or "edges" (the
    next path would have gone over PATH_EDGES edges in all); None when every path is listed.
    `capped`: there are more than PATH_COUNT_CAP paths, and `total` is that cap.
    """

    variable: str
    total: int
    listed: tuple[PathRow, ...]
    adjoint: float
    capped: bool = False
    limit: str | None = None
    cap: int = PATH_CAP
    edges: int = PATH_EDGES
    output: str = "f"  # the output's name: a program's statement name, else f

    @property
    def complete(self) -> bool:
        return len(self.listed) == self.total and not self.capped

    @property
    def total_text(self) -> str:
        """The count as words: `4096`, or `more than 10^18`."""
        return f"more than {_power_of_ten(self.total)}" if self.capped else str(self.total)

    @property
    def why(self) -> str:
        """Why the listing is short, in a sentence (empty when every path is listed)."""
        if self.limit == "paths":
            return f"--path lists at most {self.cap} paths; all of them are counted"
        if self.limit == "edges":
            return (f"--path lists at most {self.edges:,} edges in all, the first path whole; "
                    "all paths are counted")
        return ""

    @property
    def listed_sum(self) -> float:
        """The sum of the listed products (the adjoint itself when every path is listed)."""
        sum_ = 0.0
        for row in self.listed:
            sum_ += row.product
        return sum_

    def to_dict(self) -> dict[str, Any]:
        data = {"variable": self.variable, "total": self.total, "complete": self.complete,
                "paths": [p.to_dict() for p in self.listed], "sum": self.listed_sum,
                "adjoint": self.adjoint}
        if self.capped:
            data["total_capped"] = True  # there are more than `total` paths
        if self.limit is not None:
            data["limit"] = self.why
        return data


def count_paths(tape: Tape, target: int) -> list[int]:
    """For each node, how many paths lead from it down to `target` (a DP in tape order),
    saturating at PATH_COUNT_CAP + 1 ("more than the cap"): the ints stay small."""
    count = [0] * len(tape)
    count[target] = 1
    over = PATH_COUNT_CAP + 1
    for i, _, _, args in tape.program:
        if i > target:
            paths = sum(count[a] for a in args)
            count[i] = paths if paths < over else over
    return count


def find_paths(tape: Tape, partials: dict[int, tuple[float, ...]], target: int,
               adjoints: Sequence[float], cap: int = PATH_CAP,
               edges: int = PATH_EDGES) -> Paths:
    """Paths from the output to `target`, depth first (leftmost argument first), without
    recursion: the first `cap` of them, stopping before a path that would take the listed
    edges past `edges` (the first path is listed whole). Linear in the tape and the listing.

    A walked step is an entry in flat lists (its node, the entry it came from, which argument
    of that node it is): a path is read back along these links, never copied per step.
    """
    count = count_paths(tape, target)
    nodes, parents, positions, depths = [tape.output], [-1], [-1], [0]
    stack = [0]
    listed: list[PathRow] = []
    budget = edges
    limit = None
    args_of = tape.args
    while stack:
        if len(listed) >= cap:
            limit = "paths"  # every entry on the stack leads to `target`: another path
            break
        entry = stack.pop()
        node = nodes[entry]
        if node == target:
            if listed and depths[entry] > budget:
                limit = "edges"
                break
            budget -= depths[entry]
            listed.append(_path_row(tape, partials, entry, nodes, parents, positions))
            continue
        args = args_of[node]
        depth = depths[entry] + 1
        for position in range(len(args) - 1, -1, -1):  # leftmost argument explored first
            if count[args[position]]:
                nodes.append(args[position])
                parents.append(entry)
                positions.append(position)
                depths.append(depth)
                stack.append(len(nodes) - 1)
    total = count[tape.output]
    capped = total > PATH_COUNT_CAP
    return Paths(tape.labels[target], PATH_COUNT_CAP if capped else total, tuple(listed),
                 adjoints[target], capped, limit, cap, edges)


def _path_row(tape: Tape, partials: dict[int, tuple[float, ...]], entry: int,
              nodes: list[int], parents: list[int], positions: list[int]) -> PathRow:
    walked = []
    while parents[entry] >= 0:
        walked.append(entry)
        entry = parents[entry]
    labels = [tape.labels[tape.output]]
    local: list[float] = []
    product = 1.0
    for step in reversed(walked):
        labels.append(tape.labels[nodes[step]])
        d = partials[nodes[parents[step]]][positions[step]]
        local.append(d)
        product *= d  # seed 002: "multiply up the edges"
    return PathRow(tuple(labels), tuple(local), product)


def _power_of_ten(n: int) -> str:
    exponent = len(str(n)) - 1
    return f"10^{exponent}" if n == 10**exponent else f"{n:,}"


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text
