"""`grad --format html` without a browser: the page is one self-contained file, its data is the
step tables' own, every user text is escaped, and both layouts place the same graph.
(tests/test_html_browser.py drives the page in a real Chromium.)"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SEED_001, point_text

import exprdiff
from exprdiff.cli.commands import main
from exprdiff.explain.page import page_data
from exprdiff.render.html import _json, asset, esc, render_all
from exprdiff.render.html.layout import dot_layout

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "exprdiff" / "render" / "html"


def seed_page(**options: object) -> str:
    expression, at, _, _ = SEED_001
    result = exprdiff.grad(expression, at, record=True)
    return render_all([(result, result.steps())], None, **options)  # type: ignore[arg-type]


def embedded(page: str) -> list[dict]:
    found = re.findall(r'<script type="application/json" class="page-data">(.*?)</script>',
                       page, re.S)
    return [json.loads(text) for text in found]


def test_the_seed_page_holds_the_numbers_of_the_tables():
    (data,) = embedded(seed_page())
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["z1"]["sum"] == "∂f/∂z1 = 1·1 + 3·(-1) = -2"
    assert nodes["z5"]["sum"] == "∂f/∂z5 = 1"
    assert [nodes[n]["adjoint"] for n in ("x1", "x2", "x3")] == ["-4", "9", "6"]
    assert data["paths"]["x1"]["sum"] == "-4"
    assert [p["product"] for p in data["paths"]["x1"]["paths"]] == ["2", "-6"]
    names = {n["id"]: n["name"] for n in data["nodes"]}
    assert [names[i] for i in data["sweep"]] == ["z5", "z4", "z3", "z2", "x3", "x2", "z1", "x1"]
    edges = {(names[e["source"]], names[e["target"]]): e["partial"] for e in data["edges"]}
    assert edges[("z1", "z3")] == "-1" and edges[("x1", "z1")] == "2"


def test_the_page_is_self_contained():
    page = seed_page(layout=False)
    assert "<link" not in page and not re.search(r"<script[^>]*\ssrc=", page)
    assert not re.search(r"""\s(src|href)=["']?(https?:|//)""", page)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # a namespace name, never fetched
    assert "default-src 'none'" in page  # the browser refuses any request the page could make
    assert "var dagre=" in page and "MIT" in page  # the vendored layout, with its licence


def test_no_eval_in_the_scripts():
    for name in ("explain.js", "dagre.min.js"):
        text = asset(name)
        assert not re.search(r"\beval\s*\(|new\s+Function|innerHTML|document\.write", text), name
    assert "unsafe-eval" not in seed_page()


def test_user_text_is_escaped():
    hostile = '</script><img src=x onerror=alert(1)>\u202e"&'
    assert esc(hostile) == ("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;\\u202e"
                            "&quot;&amp;")
    text = _json({"expression": hostile})
    assert "</" not in text and "<" not in text and "\u202e" not in text
    assert json.loads(text)["expression"].startswith("</script><img")
    result = exprdiff.grad("x*2", {"x": 1}, record=True).replace(expression=hostile)
    page = render_all([(result, result.steps())], None)
    assert "<img" not in page and "onerror=alert(1)>" not in page.replace("&gt;", "")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_dot_places_each_edge_between_its_own_nodes():
    (data,) = embedded(seed_page())
    layout = data["layout"]
    assert layout is not None and data["layout_note"] == ""
    boxes = {n["id"]: n for n in data["nodes"]}
    for edge, path in zip(data["edges"], layout["edges"], strict=True):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)]
        (x0, y0), (x1, y1) = numbers[:2], numbers[-2:]
        for (x, y), node in (((x0, y0), boxes[edge["source"]]), ((x1, y1), boxes[edge["target"]])):
            cx, cy = layout["nodes"][str(node["id"])]
            assert abs(x - cx) <= node["w"] / 2 + 2 and abs(y - cy) <= node["h"] / 2 + 12, edge


def test_without_dot_the_page_lays_out_itself(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    layout, why = dot_layout([{"id": 0, "w": 50, "h": 20, "kind": "input"}], [])
    assert layout is None and "dot" in why


def test_cli_writes_one_page_for_several_points(runner):
    expression, at, _, _ = SEED_001
    result = runner.invoke(main, ["grad", expression, "--at", point_text(at), "--at",
                                  "x1=2,x2=0,x3=0", "--format", "html", "--precision", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>")
    assert result.stdout.count('<section class="explainer"') == 2
    assert [d["gradient"]["x1"] for d in embedded(result.stdout)] == ["-4", "-8"]


def test_a_failed_point_shows_its_forward_table(runner):
    result = runner.invoke(main, ["grad", "log(x) + y", "--at", "x=0,y=1", "--at", "x=1,y=1",
                                  "--format", "html"])
    assert result.exit_code == 1
    assert 'class="explainer failed"' in result.stdout and "✗" in result.stdout
    assert len(embedded(result.stdout)) == 1


def test_a_huge_graph_gets_tables_only():
    terms = " + ".join(f"sin(x*{k})" for k in range(1, 801))  # 1 600 operation nodes
    result = exprdiff.grad(terms, {"x": 0.5}, record=True)
    page = render_all([(result, result.steps())], None)
    (data,) = embedded(page)
    assert data["draw"] is False and "draws at most" in data["layout_note"]
    assert "var dagre=" not in page


def test_page_data_needs_the_recorded_sweep():
    result = exprdiff.grad("x*y", {"x": 1, "y": 2})
    with pytest.raises(ValueError, match="record=True"):
        page_data(result, result.steps())


def test_a_program_page_names_its_output_statement():
    result = exprdiff.grad("h = x*y; L = h**2 + x", {"x": 1, "y": 2}, record=True)
    page = render_all([(result, result.steps())], None)  # type: ignore[arg-type]
    (data,) = embedded(page)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert data["output"] == "L"
    assert nodes["h"]["sum"] == "∂L/∂h = 1·4 = 4" and nodes["L"]["sum"] == "∂L/∂L = 1"
    assert "<th>∂L/∂x</th>" in page and "∂f/" not in page
