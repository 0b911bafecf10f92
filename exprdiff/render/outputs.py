"""How a record names its output: f for one expression, a program's statement name (SPEC §9)."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def output_label(record: Record) -> str:
    """What a record calls its output: a program's output statement, else f."""
    outputs = record.get("outputs")
    return next(iter(outputs)) if outputs else "f"


def heading(record: Record) -> tuple[str, str]:
    """("f = ", the expression), or for a program ("program: ", its lines joined by '; ')."""
    text = record["expression"]
    if record.get("outputs") is None:
        return "f = ", text
    return "program: ", "; ".join(line.strip().rstrip(";") for line in text.splitlines()
                                  if line.strip())
