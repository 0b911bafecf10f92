"""`exprdiff hessian` in every format: a Hessian's or an H·v's records (the dicts of
modes/hessian.py's to_dict, with "check" when --check asked) as table, json, csv, markdown
or latex. Formats only: the numbers come computed.

The table prints the matrix in blocks of columns that fit 80 characters, each block under a
header of its variables, as NumPy wraps a wide array.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from exprdiff.errors import printable
from exprdiff.render.numbers import fmt
from exprdiff.render.outputs import heading, output_label

Record = dict[str, Any]
WIDTH = 80
FORMATS = ("table", "json", "csv", "markdown", "latex")


def render(records: Sequence[Record], output: str, precision: int | None = None) -> str:
    """Every record in `output` (one of FORMATS), as one text ending without a newline."""
    if output == "json":
        from exprdiff.render.json import dumps

        return dumps(records[0] if len(records) == 1 else list(records))
    if output == "csv":
        return "\n".join(_csv(record) for record in records)
    writer: Callable[[Record, int | None], list[str]] = {
        "table": _table, "markdown": _markdown, "latex": _latex}[output]
    return "\n\n".join("\n".join(writer(record, precision)) for record in records)


def _headline(record: Record, precision: int | None) -> list[str]:
    at = ", ".join(f"{n} = {fmt(v, precision)}" for n, v in record["at"].items())
    head, text = heading(record)
    of = output_label(record)
    lines = [head + printable(text)] + ([f"at {at}"] if at else [])
    lines.append(f"{of} = {fmt(record['value'], precision)}")
    lines += [f"∂{of}/∂{n} = {fmt(v, precision)}" for n, v in record["gradient"].items()]
    return lines


def _notes(record: Record) -> list[str]:
    lines = [f"warning: {w['message']}" for w in record["warnings"]]
    check = record.get("check")
    if check is not None:
        entries = check["entries"]
        worst = check["max_relative_error"]
        figure = "" if worst is None else f" (max relative error {worst:.2g})"
        if all(e["ok"] and e["note"] is None for e in entries):
            lines.append(f"check: SymPy and finite differences agree on all {len(entries)} "
                         f"entries{figure}")
        for entry in entries:
            if entry["note"] is not None:
                verdict = "check" if entry["ok"] else "check FAILED"
                lines.append(f"{verdict}: {entry['entry']} = {entry['exprdiff']!r}: "
                             f"{entry['note']}")
    return lines


def _cells(record: Record, precision: int | None) -> tuple[list[str], list[list[str]]]:
    """The column names and the rows of numbers: the Hessian, or H·v beside its direction."""
    if "hessian" in record:
        return list(record["variables"]), [[fmt(v, precision) for v in row]
                                           for row in record["hessian"]]
    return ["v", "H·v"], [[fmt(record["direction"][n], precision), fmt(v, precision)]
                          for n, v in record["hvp"].items()]


def _row_names(record: Record) -> list[str]:
    return list(record["variables"] if "hessian" in record else record["hvp"])


def _empty(record: Record) -> bool:
    return not _row_names(record)


EMPTY = "no second partials: the expression has no variables"


def _table(record: Record, precision: int | None) -> list[str]:
    lines = _headline(record, precision)
    head, rows = _cells(record, precision)
    names = _row_names(record)
    if _empty(record):
        return [*lines, "", EMPTY, *_notes(record)]
    label = max(len(n) for n in names) + 2
    widths = [max(len(h), *(len(r[k]) for r in rows)) + 2 for k, h in enumerate(head)]
    title = "Hessian" if "hessian" in record else "Hessian-vector product"
    lines += ["", title]
    start = 0
    while start < len(head):  # columns in blocks that fit the width
        stop, used = start, label
        while stop < len(head) and (stop == start or used + widths[stop] <= WIDTH):
            used += widths[stop]
            stop += 1
        if start:
            lines.append("")
        lines.append(" " * label + "".join(head[k].rjust(widths[k]) for k in range(start, stop)))
        for name, row in zip(names, rows, strict=True):
            lines.append(name.ljust(label)
                         + "".join(row[k].rjust(widths[k]) for k in range(start, stop)))
        start = stop
    return lines + _notes(record)


def _markdown(record: Record, precision: int | None) -> list[str]:
    from exprdiff.render.text import code, table

    head, rows = _cells(record, precision)
    names = _row_names(record)
    if _empty(record):
        return ["\n\n".join(_headline(record, precision)), "", EMPTY]
    body = table(["", *head], [[code(n), *r] for n, r in zip(names, rows, strict=True)],
                 right=range(1, len(head) + 1))
    notes = _notes(record)
    return ["\n\n".join(_headline(record, precision)), "", body] + (["", *notes] if notes else [])


def _latex(record: Record, precision: int | None) -> list[str]:
    from exprdiff.render.latex import number, symbol, texttt

    lines = [texttt(line, math=False) + r"\par" for line in _headline(record, precision)]
    if _empty(record):
        return [*lines, texttt(EMPTY, math=False) + r"\par"]
    if "hessian" in record:
        names = [symbol(n) for n in record["variables"]]
        rows = [" & ".join(number(v, precision) for v in row) for row in record["hessian"]]
        lines += [r"\[", r"H = \begin{pmatrix}", " \\\\\n".join(rows), r"\end{pmatrix}",
                  rf"\quad \text{{rows and columns: }} {', '.join(names)}", r"\]"]
    else:
        direction = [number(v, precision) for v in record["direction"].values()]
        product = [number(v, precision) for v in record["hvp"].values()]
        names = [symbol(n) for n in record["hvp"]]
        lines += [r"\[", r"H \begin{pmatrix}" + r" \\ ".join(direction) + r"\end{pmatrix}"
                  + r" = \begin{pmatrix}" + r" \\ ".join(product) + r"\end{pmatrix}",
                  rf"\quad \text{{components: }} {', '.join(names)}", r"\]"]
    return lines + [texttt(note, math=False) + r"\par" for note in _notes(record)]


def _csv(record: Record) -> str:
    """The matrix with a header row of its variables (or variable, direction, H·v), every
    number in full."""
    if "hessian" in record:
        lines = [",".join(["variable", *record["variables"]])]
        lines += [",".join([name, *(repr(float(v)) for v in row)])
                  for name, row in zip(record["variables"], record["hessian"], strict=True)]
    else:
        lines = ["variable,direction,hvp"]
        lines += [f"{n},{float(record['direction'][n])!r},{float(v)!r}"
                  for n, v in record["hvp"].items()]
    return "\n".join(lines)
