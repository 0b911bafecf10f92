"""A batch's records for people: one table whose columns fit the console, else one block of lines
per record. No column is ever cut short or dropped (issue 15: at 80 columns rich squeezed the
gradient out of sight).

The table's columns are line · expression · at · value · gradient · note. `line`, `value` and
`note` never break; `at` and `gradient` wrap between their name=value pairs, never inside one;
the expression is cut in the middle (…) to at most EXPRESSION_MAX characters, and down to
EXPRESSION_MIN before the table gives up. When even that is too wide, each record is a block:
its line and expression, its point, f and each ∂f/∂NAME on a line of their own, and its notes.
A batch typed at a terminal is printed in blocks too, each as its line arrives.

Every cell is escaped (prose.one_line): a batch line cannot move the cursor or retitle the
terminal. Messages are wrapped at word boundaries only when `wrap_width` is given (a terminal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.console import Console
from rich.text import Text

from exprdiff.errors import printable
from exprdiff.render.formats import Record
from exprdiff.render.numbers import fmt
from exprdiff.render.outputs import output_label
from exprdiff.render.prose import one_line, wrap

HEADERS = ("line", "expression", "at", "value", "gradient", "note")
RIGHT = (True, False, False, True, False, False)  # right-justified columns
GAP = 3  # spaces between two columns
EXPRESSION_MAX = 32
EXPRESSION_MIN = 12
#: A block shows at most this much of an expression (a batch line may hold 10⁶ characters).
BLOCK_EXPRESSION = 200


class Cells(NamedTuple):
    """One record's cells, escaped: `at` and `gradient` as their pairs."""

    line: str
    expression: str
    at: list[str]
    value: str
    gradient: list[str]
    note: str
    style: str  # the note's colour


def cells(record: Record, precision: int | None) -> Cells:
    at = record.get("at") or {}
    point = [one_line(f"{n}={fmt(v, precision)}") for n, v in at.items()]
    expression = one_line(str(record.get("expression", "")))
    if "error" in record:
        return Cells(where(record), expression, point, "", [],
                     f"{one_line(str(record['error']['kind']))} error", "red")
    if "expect" in record:  # a JSON line's claims ("expect"): their verdicts, no gradient
        from exprdiff.render.expect import summary

        ok = record["expect"]["ok"]
        return Cells(where(record), expression, point, "", [],
                     one_line(("claims " if ok else "claims FAILED: ") + summary(record["expect"])),
                     "green" if ok else "red")
    gradient = [one_line(f"{n}: {fmt(v, precision)}") for n, v in record["gradient"].items()]
    marks = ["warning"] * bool(record.get("warnings"))
    if "check" in record:
        marks.append("check ok" if record["check"].get("ok") else "check FAILED")
    return Cells(where(record), expression, point, fmt(record["value"], precision), gradient,
                 ", ".join(marks), "yellow")


def where(record: Record) -> str:
    """`7`, or `file.txt:7` when the batch reads several files."""
    line = str(record.get("line", ""))
    return one_line(f"{record['file']}:{line}") if "file" in record else line


def fit(rows: Sequence[Cells], width: int) -> list[int] | None:
    """Each column's width so that the table fits `width`, or None when it cannot."""
    flat = [[len(r.line), len(r.expression), _joined(r.at), len(r.value), _joined(r.gradient),
             len(r.note)] for r in rows]
    natural = [max(len(h), *(f[k] for f in flat)) for k, h in enumerate(HEADERS)]
    natural[1] = min(natural[1], EXPRESSION_MAX)
    least_at = max(len(HEADERS[2]), *(_widest(r.at) for r in rows))
    least_gradient = max(len(HEADERS[4]), *(_widest(r.gradient) for r in rows))
    room = width - GAP * (len(HEADERS) - 1)
    if sum(natural) <= room:
        return natural
    fixed = natural[0] + natural[3] + natural[5]
    expression = min(natural[1], room - fixed - least_at - least_gradient)
    if expression < min(natural[1], EXPRESSION_MIN):
        return None
    extra = room - fixed - expression - least_at - least_gradient
    want_at, want_gradient = natural[2] - least_at, natural[4] - least_gradient
    give_at = min(want_at, extra * want_at // max(1, want_at + want_gradient))
    at = least_at + give_at
    gradient = min(natural[4], least_gradient + extra - give_at)
    return [natural[0], expression, at, natural[3], gradient, natural[5]]


def table_lines(rows: Sequence[Cells], widths: Sequence[int]) -> list[Text]:
    """The header, its rule and every row's lines (a row is as tall as its tallest cell)."""
    gap = " " * GAP
    header = gap.join(_pad(name, widths[k], RIGHT[k]) for k, name in enumerate(HEADERS))
    lines = [Text(header.rstrip(), style="bold"),
             Text("─" * (sum(widths) + GAP * (len(HEADERS) - 1)))]
    for row in rows:
        columns = [[row.line], [shorten(row.expression, widths[1])], pairs(row.at, widths[2]),
                   [row.value], pairs(row.gradient, widths[4])]
        for i in range(max(map(len, columns))):
            plain = gap.join(_pad(column[i] if i < len(column) else "", widths[k], RIGHT[k])
                             for k, column in enumerate(columns))
            if i == 0 and row.note:
                plain += gap
                line = Text(plain + row.note)
                line.stylize(row.style, len(plain))
            else:
                line = Text(plain.rstrip())
            lines.append(line)
    return lines


def notes(records: Sequence[Record]) -> list[tuple[str, str, str]]:
    """(where, style, message) for every error, warning and failed check, in record order;
    escaped."""
    found: list[tuple[str, str, str]] = []
    for record in records:
        place = f"line {where(record)}"
        for style, message in _notes(record):
            found.append((place, style, message))
    return found


def block(record: Record, precision: int | None, wrap_width: int | None) -> list[Text]:
    """One record as lines of its own: where and what, the point, f and each partial, notes."""
    row = cells(record, precision)
    lines = [Text(f"line {row.line}: ", style="bold") +
             Text(_elide(row.expression, BLOCK_EXPRESSION))]
    if row.at:
        lines += [Text(line) for line in wrap("  at " + ", ".join(row.at), wrap_width, 5)]
    if "expect" in record:
        lines.append(Text("  " + row.note, style=row.style))
    elif "error" not in record:
        of = output_label(record)
        named = [(of, row.value)] + [(f"∂{of}/∂{one_line(n)}", fmt(v, precision))
                                      for n, v in record["gradient"].items()]
        left = max(len(name) for name, _ in named)
        right = max(len(value) for _, value in named)
        lines += [Text(f"  {name:<{left}}  {value:>{right}}") for name, value in named]
    for style, message in _notes(record):
        lines += [Text(line, style=style) for line in wrap("  " + message, wrap_width, 4)]
    return lines


def print_records(console: Console, records: Sequence[Record], precision: int | None) -> None:
    """A batch's records as one table and then its notes in full, or as blocks when the table
    cannot fit the console."""
    wrap_width = console.width if console.is_terminal else None
    rows = [cells(record, precision) for record in records]
    widths = fit(rows, console.width)
    if widths is None:
        print_blocks(console, records, precision)
        return
    print_lines(console, table_lines(rows, widths))
    lines: list[Text] = []
    for place, style, message in notes(records):
        for k, line in enumerate(wrap(f"{place}: {message}", wrap_width)):
            head = len(place) + 2 if k == 0 else 0
            lines.append(Text(line[:head], style="bold") + Text(line[head:], style=style))
    print_lines(console, lines)


def print_blocks(console: Console, records: Sequence[Record], precision: int | None) -> None:
    """Each record as a block, a blank line between two."""
    wrap_width = console.width if console.is_terminal else None
    lines: list[Text] = []
    for k, record in enumerate(records):
        if k:
            lines.append(Text())
        lines += block(record, precision, wrap_width)
    print_lines(console, lines)


def print_lines(console: Console, lines: Sequence[Text]) -> None:
    """Lines laid out already: printed as they are (rich wraps and crops nothing). Without
    colours and styles (a pipe, a file) they are written as plain text: rich's rendering would
    cost more than the whole batch."""
    if not lines:
        return
    if console.color_system is None and not console.record:
        console.file.write("\n".join(line.plain for line in lines) + "\n")
    else:
        console.print(Text("\n").join(lines), soft_wrap=True)


def pairs(items: Sequence[str], width: int) -> list[str]:
    """`x=1, y=2, z=3` cut into lines of at most `width` columns between two pairs."""
    lines: list[str] = []
    current = ""
    for k, item in enumerate(items):
        piece = item if k == len(items) - 1 else item + ","
        if current and len(current) + 1 + len(piece) > width:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    return [*lines, current] if current else [""]


def shorten(text: str, width: int) -> str:
    """`text` cut in the middle to `width` characters (whitespace kept, unlike _elide)."""
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[len(text) - (width - 1 - keep):]


def _notes(record: Record) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if "error" in record:
        error = record["error"]
        found.append(("red", printable(f"{error['kind']} error: {error['message']}")))
    found += [("yellow", printable(f"warning: {w['message']}")) for w in record.get("warnings", ())]
    check = record.get("check")
    if check is not None and not check.get("ok"):
        found.append(("red", printable("check failed: " + "; ".join(check.get("failures", ())))))
    for name, claim in (record.get("expect") or {}).get("claims", {}).items():
        mismatch = claim.get("mismatch")
        if mismatch is not None:
            at = ", ".join(f"{n} = {fmt(v)}" for n, v in mismatch["at"].items())
            claimed = "undefined" if mismatch["claimed"] is None else fmt(mismatch["claimed"])
            sympy = f" (SymPy: {claim['sympy']})" if claim.get("sympy") else ""
            of = record["expect"].get("output", "f")
            found.append(("red", printable(f"claim ∂{of}/∂{name} = {claim['claim']}: at {at} "
                                           f"claimed {claimed}, true {fmt(mismatch['true'])}"
                                           f"{sympy}")))
    return found


def _joined(items: Sequence[str]) -> int:
    return sum(map(len, items)) + 2 * (len(items) - 1) if items else 0


def _widest(items: Sequence[str]) -> int:
    """The narrowest column `pairs` can cut `items` into (a pair and its comma)."""
    if not items:
        return 0
    return max(len(item) + (k < len(items) - 1) for k, item in enumerate(items))


def _pad(text: str, width: int, right: bool) -> str:
    return text.rjust(width) if right else text.ljust(width)


def _elide(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[-keep:]
