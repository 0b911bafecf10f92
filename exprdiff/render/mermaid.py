"""A Mermaid flowchart for a Picture (renders on GitHub, in Markdown and in mermaid.live).

Every label is a double-quoted Mermaid string. Text derived from the user's expression goes
through `mermaid_text`, which writes the characters Mermaid (or the HTML it produces) would read
as syntax as numeric entity codes: `"` → `#34;`, `<` → `#60;`, `|` → `#124;`, `{` → `#123;`...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exprdiff.render.dot import (
    COLORS,
    Number,
    edge_text,
    is_kink_edge,
    label_number,
    node_lines,
    role,
)
from exprdiff.tape import INPUT

if TYPE_CHECKING:
    from exprdiff.explain.picture import Node, Picture

#: Characters written as Mermaid entity codes (`#<decimal>;`) inside labels.
SPECIAL = frozenset('"#&<>|{}`\\')


def mermaid_text(text: str) -> str:
    """User-derived text made safe inside a Mermaid quoted label: one line, specials coded."""
    text = " ".join(text.split())
    return "".join(f"#{ord(c)};" if c in SPECIAL else c for c in text)


def _yaml_string(text: str) -> str:
    """A one-line YAML double-quoted string, for the front-matter title."""
    text = " ".join(text.split()).replace("<", "‹").replace(">", "›")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(node: Node, number: Number) -> str:
    parts = []
    for style, text in node_lines(node, number):
        text = mermaid_text(text)
        parts.append(f"<b>{text}</b>" if style == "head" else
                     f"<i>{text}</i>" if style in ("muted", "warn") else text)
    return '"' + "<br/>".join(parts) + '"'


def _shape(node: Node, label: str) -> str:
    if node.kind == INPUT or node.kind == "constant":
        return f"([{label}])"  # stadium: inputs and constants
    if node.output:
        return f"[[{label}]]"  # framed: the output
    return f"[{label}]"


def to_mermaid(graph: Picture) -> str:
    """`flowchart BT` (or LR): nodes n<index> with labels, edges with local partials."""
    direction = "BT" if graph.direction == "up" else "LR"
    out = [
        "---",
        f"title: {_yaml_string(graph.title + ' — ' + graph.subtitle)}",
        "---",
        f"flowchart {direction}",
    ]
    number = label_number(graph)
    for node in graph.nodes:
        out.append(f"  n{node.index}{_shape(node, _label(node, number))}")
    kink_links = []
    for k, edge in enumerate(graph.edges):
        text = mermaid_text(edge_text(edge, number))
        out.append(f'  n{edge.source} -->|"{text}"| n{edge.target}')
        if is_kink_edge(edge):
            kink_links.append(str(k))
    for name, (fill, border) in COLORS.items():
        width = "3px" if name in ("output", "kink", "error") else "1px"
        out.append(f"  classDef {name} fill:{fill},stroke:{border},stroke-width:{width},"
                   "color:#111827")
    by_role: dict[str, list[str]] = {}
    for node in graph.nodes:
        by_role.setdefault(role(node), []).append(f"n{node.index}")
    for name, ids in by_role.items():
        out.append(f"  class {','.join(ids)} {name}")
    if kink_links:
        out.append(f"  linkStyle {','.join(kink_links)} stroke:{COLORS['kink'][1]},"
                   "stroke-width:2px,stroke-dasharray:5 3")
    return "\n".join(out) + "\n"
