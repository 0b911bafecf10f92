"""A picture of the graph written out: its formats, which one a path or --format names, the
text, the image, the file.

Text formats (DOT, Mermaid) are written by render/dot.py and render/mermaid.py; image formats
are drawn from the DOT text by Graphviz's `dot`. Every function takes a finished
`explain.picture.Picture`: nothing here compiles or evaluates.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from exprdiff.errors import ExprError
from exprdiff.render.dot import run_dot, to_dot
from exprdiff.render.mermaid import to_mermaid

if TYPE_CHECKING:
    from exprdiff.explain.picture import Picture

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


def text(picture: Picture, fmt: str) -> str:
    """dot or mermaid text."""
    return to_dot(picture) if fmt == "dot" else to_mermaid(picture)


def image(picture: Picture, fmt: str) -> bytes:
    """The drawing as svg, png or pdf bytes, by Graphviz's `dot` program."""
    if len(picture.nodes) > IMAGE_NODE_LIMIT:
        raise ExprError("limit", f"the graph has {len(picture.nodes)} nodes; images are drawn "
                        f"for at most {IMAGE_NODE_LIMIT}",
                        hint="write DOT or Mermaid text instead (-o graph.dot, -o graph.mmd)")
    return run_dot(to_dot(picture), fmt)


def write(picture: Picture, path: str | Path, fmt: str | None = None) -> Path:
    """Write the drawing to `path`, in `fmt` or the format its suffix names."""
    path = Path(path)
    fmt = output_format(str(path), fmt)
    data = text(picture, fmt).encode() if fmt in TEXT_FORMATS else image(picture, fmt)
    try:
        path.write_bytes(data)
    except OSError as problem:
        raise ExprError("usage", f"cannot write {path}: {problem.strerror}") from None
    return path
