"""Graphviz DOT text for a Picture, and svg/png/pdf drawn by the `dot` program.

Labels are Graphviz HTML-like labels: every piece of text derived from the user's expression
goes through `html_text` (quotes, <, >, & escaped; braces and | are plain characters there).
Node ids are `n<tape index>`, so no variable name can collide with a DOT keyword (`node`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from exprdiff import children
from exprdiff.errors import ExprError
from exprdiff.render.numbers import fmt
from exprdiff.tape import INPUT, format_number

if TYPE_CHECKING:
    from exprdiff.explain.picture import Edge, Node, Picture

FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
#: (fill, border) per node role.
COLORS = {
    "input": ("#dbeafe", "#1d4ed8"),
    "constant": ("#f3f4f6", "#6b7280"),
    "operation": ("#fef9c3", "#a16207"),
    "output": ("#dcfce7", "#15803d"),
    "kink": ("#ffedd5", "#c2410c"),
    "error": ("#fee2e2", "#b91c1c"),
}
ADJOINT_COLOR = "#b91c1c"
#: Beyond this many nodes, dot's layout passes are bounded (measured: 625 nodes took 292 s
#: unbounded, 17 s bounded; 300 nodes take 2 s either way).
BIG = 300
MUTED = "#4b5563"
INSTALL_HINT = ("install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), 'brew install "
                "graphviz' (macOS), or see https://graphviz.org/download/; DOT and Mermaid text "
                "need nothing: -o graph.dot, -o graph.mmd")


def html_text(text: str) -> str:
    """User-derived text made safe inside a Graphviz HTML-like label."""
    return html.escape(text, quote=True)


def quoted(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, one line."""
    text = " ".join(text.split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def role(node: Node) -> str:
    """Which colours a node gets: error and kink win over output, output over its kind."""
    if node.error is not None:
        return "error"
    if node.kink is not None:
        return "kink"
    if node.output:
        return "output"
    return node.kind


Number = Callable[[float], str]


def label_number(graph: Picture) -> Number:
    """How labels show a value: the picture's `precision` significant digits (None: exact)."""
    precision = graph.precision
    if precision is None:
        return format_number
    return lambda value: fmt(value, precision)


def node_lines(node: Node, number: Number = format_number) -> list[tuple[str, str]]:
    """(style, text) lines of a node's label: head, expression, value, adjoint, notes.

    Styles: "head", "muted", "plain", "adjoint", "warn". Shared by the DOT and Mermaid renderers.
    """
    head = node.name if node.operation == node.name else f"{node.name} = {node.operation}"
    named = node.of != "f"  # a program's output is named by its statement already
    lines = [("head", ("f = " if node.output and not named else "") + head)]
    if node.expression not in (node.name, node.operation):
        lines.append(("muted", node.expression))
    if node.value is not None:
        lines.append(("plain", f"value {number(node.value)}"))
    elif node.error is not None:
        lines.append(("plain", "value undefined"))
    if node.adjoint is not None and node.kind != "constant":
        lines.append(("adjoint", f"∂{node.of}/∂{node.name} = {number(node.adjoint)}"))
    if node.kink is not None:
        used = ", ".join(number(u) for u in node.kink.used)
        lines.append(("warn", f"⚠ {node.kink.reason}; used {used}"))
    if node.error is not None:
        lines += [("warn", text) for text in _wrap(f"✗ {node.note}", 36, 3)]
    return lines


def _wrap(text: str, width: int, most: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, max_lines=most, placeholder=" …") or [text]


#: At a point, an edge shows `formula = value` only for formulas this short (`x3 = 3`).
SHORT_FORMULA = 10


def edge_text(edge: Edge, number: Number = format_number) -> str:
    """An edge's label: the local partial's formula and, at a point, its value."""
    if edge.partial is None:
        return edge.formula
    value = number(edge.partial)
    short = len(edge.formula) <= SHORT_FORMULA and " if " not in edge.formula
    text = f"{edge.formula} = {value}" if short and edge.formula != value else value
    if is_kink_edge(edge):
        left, right = edge.one_sided or (None, None)
        text += f" (⚠ left {_side(left)}, right {_side(right)})"
    return text


def is_kink_edge(edge: Edge) -> bool:
    return edge.one_sided is not None and edge.one_sided[0] != edge.one_sided[1]


def _side(value: float | None) -> str:
    return "undefined" if value is None else format_number(value)


def _html_label(lines: list[tuple[str, str]]) -> str:
    parts = []
    for style, text in lines:
        text = html_text(text)
        if style == "head":
            parts.append(f"<B>{text}</B>")
        elif style == "muted":
            parts.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{text}</FONT>')
        elif style == "adjoint":
            parts.append(f'<FONT COLOR="{ADJOINT_COLOR}">{text}</FONT>')
        elif style == "warn":
            parts.append(f'<FONT POINT-SIZE="9" COLOR="{COLORS["error"][1]}">{text}</FONT>')
        else:
            parts.append(text)
    return "<" + "<BR/>".join(parts) + ">"


def to_dot(graph: Picture) -> str:
    """The whole graph as DOT: inputs on the first rank, the output marked, legend on top."""
    rankdir = "BT" if graph.direction == "up" else "LR"
    of = next((node.of for node in graph.nodes if node.output), "f")
    legend = (f"nodes: value and adjoint ∂{of}/∂node · edges: local partial ∂consumer/∂argument"
              if graph.at is not None else "edges: local partial ∂consumer/∂argument")
    title = _html_label([("head", graph.title), ("muted", graph.subtitle), ("muted", legend)])
    out = [
        "digraph exprdiff {",
        f'  graph [rankdir={rankdir}, label={title}, labelloc=t, fontname="{FONT}", '
        'nodesep=0.35, ranksep=0.45, charset="UTF-8"];',
        f'  node [fontname="{FONT}", fontsize=11, shape=box, style="rounded,filled", '
        'margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="#4b5563", arrowsize=0.7];',
    ]
    if len(graph.nodes) > BIG:  # bound dot's network-simplex passes, route edges as straight
        # lines. Measured on 501 nodes: 163 s with splines; straight, 2.2 s CPU with nslimit=2
        # and 0.8 s with 0.2 (the same drawing); 625 nodes took 292 s unbounded.
        out.append("  graph [nslimit=0.2, nslimit1=2, splines=line];")
    number = label_number(graph)
    for node in graph.nodes:
        out.append(f"  n{node.index} [{_node_attributes(node, number)}];")
    for edge in graph.edges:
        out.append(f"  n{edge.source} -> n{edge.target} [{_edge_attributes(edge, number)}];")
    inputs = [f"n{n.index}" for n in graph.nodes if n.kind == INPUT]
    if inputs:
        out.append(f"  {{ rank=min; {'; '.join(inputs)}; }}")
    out.append("}")
    return "\n".join(out) + "\n"


def _node_attributes(node: Node, number: Number) -> str:
    kind = role(node)
    fill, border = COLORS[kind]
    tip = node.expression  # exact numbers on hover (svg)
    if node.value is not None:
        tip += f" · value {format_number(node.value)}"
    if node.adjoint is not None:
        tip += f" · ∂{node.of}/∂{node.name} = {format_number(node.adjoint)}"
    attributes = [f"label={_html_label(node_lines(node, number))}", f'fillcolor="{fill}"',
                  f'color="{border}"', f"tooltip={quoted(tip)}"]
    if node.kind == INPUT:
        attributes.append("shape=ellipse")
    elif node.kind == "constant":
        attributes += ["shape=ellipse", "fontsize=9"]
    if node.output:
        attributes += ["peripheries=2", "penwidth=1.6"]
    if kind in ("kink", "error"):
        attributes.append('style="rounded,filled,bold"')
        attributes.append("penwidth=2.2")
    return ", ".join(attributes)


def _edge_attributes(edge: Edge, number: Number) -> str:
    text = edge_text(edge, number)
    value = "" if edge.partial is None else f" = {format_number(edge.partial)}"
    tip = f"{edge.symbol} = {edge.formula}{value}"
    attributes = [f"label=<{html_text(text)}>", f"tooltip={quoted(tip)}"]
    if is_kink_edge(edge):
        attributes += [f'color="{COLORS["kink"][1]}"', f'fontcolor="{COLORS["kink"][1]}"',
                       "style=dashed", "penwidth=1.6"]
    return ", ".join(attributes)


#: Seconds any one `dot` call may take; past it the call is killed and ends with a clear message.
DOT_TIMEOUT = 60.0


def run_dot(text: str, fmt: str, timeout: float = DOT_TIMEOUT) -> bytes:
    """Graphviz's `dot -T<fmt>` on `text`; a clear error when `dot` is missing or fails."""
    import shutil
    import subprocess  # noqa: S404 - a fixed argv, no shell

    if fmt not in ("svg", "png", "pdf", "json0"):
        raise ExprError("usage", f"dot cannot draw '{fmt}' here; use svg, png or pdf")
    program = shutil.which("dot")
    if program is None:
        raise ExprError("usage", f"drawing {fmt} needs Graphviz's 'dot' program, which is not "
                        "installed (or not on PATH)", hint=INSTALL_HINT)
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, text on stdin
            [program, f"-T{fmt}"], input=text.encode(), capture_output=True, timeout=timeout,
            check=False, preexec_fn=children.before_exec())  # dot dies with us (SPEC §8)
    except subprocess.TimeoutExpired:
        raise ExprError("limit", f"Graphviz's dot took longer than {timeout:g} s to draw the "
                        "graph", hint="write DOT text (-o graph.dot) and draw it yourself",
                        ) from None
    except OSError as problem:
        raise ExprError("usage", f"cannot run Graphviz's dot ({problem.strerror})",
                        hint=INSTALL_HINT) from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit status {done.returncode}"
        raise ExprError("usage", f"Graphviz's dot failed to draw {fmt}: {reason}")
    return done.stdout
