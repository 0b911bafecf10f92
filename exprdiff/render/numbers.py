"""Number formatting shared by the human-readable renderers."""

from __future__ import annotations

from exprdiff.tape import format_number


def fmt(value: float, precision: int | None = None) -> str:
    """Shortest round-trip text, or `precision` significant digits when asked."""
    if precision is None:
        return format_number(value)
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text
