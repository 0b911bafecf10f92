"""Unicode look-alikes pasted from papers and word processors, with the ASCII to write instead.

A light module (no Lark): the parser's error wording and the `--at` reader both use it.
"""

from __future__ import annotations

import unicodedata

LOOKALIKES = {
    "−": "-", "–": "-", "—": "-", "×": "*", "·": "*", "⋅": "*", "∗": "*", "÷": "/",
    "²": "**2", "³": "**3", "π": "pi", "√": "sqrt(...)", "（": "(", "）": ")", "，": ",",
    "ℯ": "e", "＋": "+",
}


def lookalike_hint(text: str) -> str | None:
    """A hint for the first character of `text` that is not ASCII: its look-alike's ASCII, or
    its Unicode name (a digit of another script, a no-break space)."""
    for char in text:
        if char.isascii():
            continue
        if char in LOOKALIKES:
            return f"'{char}' looks like '{LOOKALIKES[char]}': write plain ASCII"
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        if char.isdigit() or char.isspace():
            return f"'{char}' ({name}) is not accepted: write digits 0-9 and plain spaces"
        return f"'{char}' ({name}) is not accepted: write plain ASCII"
    return None
