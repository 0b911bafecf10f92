"""The output formats of a picture of the graph, and which one a path or --format names.

Text formats (DOT, Mermaid) are written by render/dot.py and render/mermaid.py; image formats
are drawn from the DOT text by Graphviz's `dot`.
"""

from __future__ import annotations

from pathlib import Path

from exprdiff.errors import ExprError

#: Text formats need nothing; image formats are drawn by Graphviz's `dot`.
TEXT_FORMATS = ("dot", "mermaid")
IMAGE_FORMATS = ("svg", "png", "pdf")
FORMATS = TEXT_FORMATS + IMAGE_FORMATS
SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
            ".svg": "svg", ".png": "png", ".pdf": "pdf"}
#: Images of more nodes than this are refused (dot would take minutes; nobody can read them).
IMAGE_NODE_LIMIT = 1000


def output_format(path: str | None, fmt: str | None) -> str:
    """The format asked for, else the one -o's suffix names (dot for stdout)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ExprError("usage", f"unknown graph format '{fmt}'",
                            hint=f"formats: {', '.join(FORMATS)}")
        return fmt
    if path is None or path == "-":
        return "dot"
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(SUFFIXES)
        raise ExprError("usage", f"cannot tell the graph format from '{path}'",
                        hint=f"use a suffix ({known}) or --format {'|'.join(FORMATS)}")
    return SUFFIXES[suffix]
