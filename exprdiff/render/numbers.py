"""Number formatting shared by the human-readable renderers (tables, Markdown, LaTeX).

People read 12 significant digits by default: `1.9600000000000004` is float noise to a learner,
so it reads `1.96`. JSON and CSV are for programs and stay exact (shortest round-trip text);
`--precision N` chooses N digits for people instead.
"""

from __future__ import annotations

#: Significant digits a table shows when --precision is not given.
DEFAULT_DIGITS = 12


def fmt(value: float, precision: int | None = None) -> str:
    """`value` to `precision` significant digits (default 12), integers in full to 1e15."""
    if precision is None:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        precision = DEFAULT_DIGITS
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def count(n: int, noun: str) -> str:
    """`1 path`, `2 paths`."""
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"
