"""Where the page draws each node and edge: Graphviz's `dot -Tjson0` when it is installed,
bounded in time; otherwise None, and the page lays the graph out itself with the vendored
dagre library (dagre.min.js, MIT). No layout algorithm is written here.

Every box's size is decided here from its label lines, so both layouts place the same boxes.
"""

from __future__ import annotations

import json
from typing import Any

from exprdiff.errors import ExprError

#: px per character of the page's 12 px monospace labels, and per line.
CHAR = 7.3
LINE = 16
#: Past this many nodes, edges are straight lines (dot's spline routing takes minutes).
STRAIGHT = 150
#: dot gets this long to lay a page out; past it the page uses dagre.
PAGE_TIMEOUT = 8.0


def box(lines: list[str]) -> tuple[float, float]:
    """Width and height in px of a node box holding `lines`."""
    longest = max((len(line) for line in lines), default=1)
    return round(longest * CHAR + 18, 1), len(lines) * LINE + 10


def dot_text(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> str:
    """A DOT graph of fixed-size boxes (sizes in inches), inputs on the bottom rank."""
    out = ["digraph page {", "  graph [rankdir=BT, nodesep=0.3, ranksep=0.55];",
           '  node [shape=box, fixedsize=true, label=""];']
    if len(nodes) > STRAIGHT:
        out.append("  graph [splines=line, nslimit=0.2, nslimit1=2];")
    for node in nodes:
        out.append(f"  n{node['id']} [width={node['w'] / 72:.3f}, height={node['h'] / 72:.3f}];")
    for edge in edges:
        out.append(f"  n{edge['source']} -> n{edge['target']};")
    inputs = [f"n{n['id']}" for n in nodes if n["kind"] == "input"]
    if inputs:
        out.append(f"  {{ rank=min; {'; '.join(inputs)}; }}")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_layout(nodes: list[dict[str, Any]], edges: list[dict[str, Any]],
               timeout: float = PAGE_TIMEOUT) -> tuple[dict[str, Any] | None, str]:
    """({"width", "height", "nodes": {id: [x, y]}, "edges": [svg path]}, "") from dot, or
    (None, why) when dot is missing, fails or takes longer than `timeout` seconds."""
    from exprdiff.render.dot import run_dot

    try:
        drawn = json.loads(run_dot(dot_text(nodes, edges), "json0", timeout=timeout))
    except ExprError as problem:
        return None, problem.message
    except ValueError:
        return None, "Graphviz's dot wrote no JSON"
    _, _, width, height = (float(v) for v in drawn["bb"].split(","))
    placed, ids = {}, {}
    for item in drawn.get("objects", []):
        if "pos" not in item:  # the rank=min subgraph
            continue
        x, y = (float(v) for v in item["pos"].split(","))
        ids[item["_gvid"]] = index = int(item["name"][1:])
        placed[index] = [round(x, 1), round(height - y, 1)]
    routed: dict[tuple[int, int], list[str]] = {}  # dot lists edges in its own order
    for edge in drawn.get("edges", []):
        key = (ids[edge["tail"]], ids[edge["head"]])
        routed.setdefault(key, []).append(_path(edge["pos"], height))
    paths = [routed[(e["source"], e["target"])].pop(0) for e in edges]
    return {"width": width, "height": height, "nodes": placed, "edges": paths}, ""


def _path(pos: str, height: float) -> str:
    """An SVG path from dot's edge `pos` ("e,x,y p0 p1 p2 p3 …"), y flipped to point down."""
    end = None
    points = []
    for part in pos.split():
        fields = part.split(",")
        if fields[0] == "e":
            end = (float(fields[1]), float(fields[2]))
        elif fields[0] != "s":
            points.append((float(fields[0]), float(fields[1])))
    text = [f"{x:.1f},{height - y:.1f}" for x, y in points]
    if len(text) >= 4 and len(text) % 3 == 1:  # p0, then bezier triples
        path = f"M{text[0]} " + " ".join(f"C{' '.join(text[k:k + 3])}"
                                          for k in range(1, len(text), 3))
    else:
        path = "M" + " L".join(text)
    if end is not None:  # the arrow's tip
        path += f" L{end[0]:.1f},{height - end[1]:.1f}"
    return path
