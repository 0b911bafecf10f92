"""`exprdiff graph` and exprdiff.Graph: DOT (parsed back with pydot), Mermaid (checked by
structure), and svg/png/pdf drawn by the real Graphviz `dot`."""

from __future__ import annotations

import html
import re
import shutil
import struct
import xml.etree.ElementTree as ElementTree

import pytest
from conftest import SEED_001, SEED_002, point_text

import exprdiff
from exprdiff import ExprError, Graph
from exprdiff.cli.commands import main
from exprdiff.explain.picture import Picture, elide, expression_texts
from exprdiff.render.dot import html_text, quoted, to_dot
from exprdiff.render.mermaid import mermaid_text, to_mermaid
from exprdiff.render.picture import output_format
from exprdiff.tape import format_number

pydot = pytest.importorskip("pydot", reason="pydot (the `test` extra) parses the DOT output")
# pydot's parser calls pyparsing's old camelCase names
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated.*:DeprecationWarning")
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` is not installed (apt-get install graphviz)")


# ---- reading DOT back ------------------------------------------------------------------------


def label_lines(raw: str) -> list[str]:
    """A Graphviz HTML-like label `<<B>z1</B><BR/>value 1>` → ["z1", "value 1"]."""
    assert raw.startswith("<") and raw.endswith(">"), raw
    body = raw[1:-1].replace("<BR/>", "\n")
    return [html.unescape(re.sub(r"<[^>]*>", "", line)) for line in body.split("\n")]


def parse_dot(text: str) -> tuple[dict[str, dict[str, object]], list[dict[str, object]]]:
    """(nodes by id, edges) with attributes, labels turned into lists of lines."""
    (parsed,) = pydot.graph_from_dot_data(text)
    nodes = {}
    for node in parsed.get_nodes():
        name = node.get_name()
        if not re.fullmatch(r"n\d+", name):
            continue  # the `graph`/`node`/`edge` default statements
        attributes = dict(node.get_attributes())
        attributes["lines"] = label_lines(attributes["label"])
        nodes[name] = attributes
    edges = []
    for edge in parsed.get_edges():
        attributes = dict(edge.get_attributes())
        attributes["source"], attributes["target"] = edge.get_source(), edge.get_destination()
        attributes["lines"] = label_lines(attributes["label"])
        edges.append(attributes)
    return nodes, edges


def by_head(nodes: dict[str, dict[str, object]]) -> dict[str, str]:
    """Node label's first line's node name (`z3` from `z3 = z2 - z1`, `f = z5 = …`) → id."""
    heads = {}
    for node_id, attributes in nodes.items():
        first = attributes["lines"][0].removeprefix("f = ")  # type: ignore[index]
        heads[first.split(" = ")[0]] = node_id
    return heads


# ---- acceptance 1: seed 001 ------------------------------------------------------------------


def test_seed_001_dot_has_the_seeds_graph_and_numbers():
    text, point, value, gradient = SEED_001
    result = exprdiff.compile(text).grad(point, record=True)
    nodes, edges = parse_dot(Graph(result.tape, result).to_dot())
    inputs = [n for n in nodes.values() if n.get("shape") == "ellipse"]
    assert sorted(n["lines"][0] for n in inputs) == ["x1", "x2", "x3"]  # type: ignore[index]
    assert len(nodes) - len(inputs) == 5  # z1..z5, constants drawn inside labels
    heads = by_head(nodes)
    square = heads["z1"]
    assert nodes[square]["lines"][0] == "z1 = x1**2"  # type: ignore[index]
    consumers = sorted(e["target"] for e in edges if e["source"] == square)
    assert consumers == sorted([heads["z3"], heads["z5"]])  # drawn once, two consumers
    output = nodes[heads["z5"]]
    assert output.get("peripheries") == "2"  # the output is marked
    assert f"value {format_number(value)}" == "value 16"
    assert "value 16" in output["lines"]  # type: ignore[operator]
    assert "∂f/∂z1 = -2" in nodes[square]["lines"]  # type: ignore[operator]
    for name, partial in gradient.items():
        assert f"∂f/∂{name} = {format_number(partial)}" in nodes[heads[name]]["lines"]  # type: ignore[operator]
    # every node shows the sweeps' own value and adjoint
    tape = result.tape
    for node_id, attributes in nodes.items():
        i = int(node_id[1:])
        assert f"value {format_number(result.values[i])}" in attributes["lines"]  # type: ignore[operator]
        adjoint = f"∂f/∂{tape.labels[i]} = {format_number(result.adjoints[i])}"
        assert adjoint in attributes["lines"]  # type: ignore[operator]


def test_seed_001_edges_carry_the_recorded_partials():
    text, point, _, _ = SEED_001
    result = exprdiff.compile(text).grad(point, record=True)
    _, edges = parse_dot(Graph(result.tape, result).to_dot())
    assert len(edges) == 8  # constants 2 and 3 are not drawn as nodes
    tape = result.tape
    seen = {}
    for edge in edges:
        source, target = int(edge["source"][1:]), int(edge["target"][1:])  # type: ignore[index]
        position = tape.args[target].index(source)
        expected = format_number(result.partials[target][position])  # type: ignore[index]
        (label,) = edge["lines"]  # type: ignore[misc]
        assert label == expected or label.endswith(f" = {expected}"), (label, expected)
        seen[(tape.labels[source], tape.labels[target])] = label
    # the seed's hand-worked partials (∂z3/∂z1 = -1, ∂z4/∂z3 = 3, ∂z2/∂x2 = x3 = 3, ...)
    assert seen[("z1", "z3")] == "-1"
    assert seen[("z3", "z4")] == "3"
    assert seen[("x2", "z2")] == "x3 = 3"
    assert seen[("x3", "z2")] == "x2 = 2"
    assert seen[("x1", "z1")] == "2*x1 = 2"


def test_seed_002_dot():
    text, point, value, gradient = SEED_002
    nodes, edges = parse_dot(Graph.of(text, point).to_dot())
    heads = by_head(nodes)
    assert sorted(h for h in heads if not h.startswith("z")) == sorted(gradient)
    assert len(heads) == 8 and len(edges) == 7  # the 0 of max(0, …) is inside z3's label
    assert nodes[heads["z3"]]["lines"][0] == "z3 = max(0, z2)"  # type: ignore[index]
    assert "value 3" in nodes[heads["z3"]]["lines"]  # type: ignore[operator]
    assert f"value {format_number(value)}" in nodes[heads["z4"]]["lines"]  # type: ignore[operator]
    for name, partial in gradient.items():
        assert f"∂f/∂{name} = {format_number(partial)}" in nodes[heads[name]]["lines"]  # type: ignore[operator]


def test_structure_only_without_a_point():
    nodes, edges = parse_dot(Graph.of(SEED_001[0]).to_dot())
    assert len(nodes) == 8
    assert not any(line.startswith(("value", "∂f/∂")) for n in nodes.values()
                   for line in n["lines"])  # type: ignore[union-attr]
    heads = by_head(nodes)
    formulas = {(e["source"], e["target"]): e["lines"][0] for e in edges}  # type: ignore[index]
    assert formulas[(heads["x2"], heads["z2"])] == "x3"  # ∂(x2*x3)/∂x2, symbolic
    assert formulas[(heads["z1"], heads["z3"])] == "-1"


def test_constants_can_be_drawn():
    nodes, edges = parse_dot(Graph.of(SEED_001[0], constants=True).to_dot())
    assert len(nodes) == 10 and len(edges) == 10
    assert {n["lines"][0] for n in nodes.values()} >= {"2", "3"}  # type: ignore[index]


def test_left_to_right_and_inputs_on_the_first_rank():
    text = Graph.of(SEED_001[0], direction="right").to_dot()
    assert "rankdir=LR" in text
    (parsed,) = pydot.graph_from_dot_data(Graph.of(SEED_001[0]).to_dot())
    assert parsed.get_graph_defaults()[0]["rankdir"] == "BT"  # inputs at the bottom, output on top
    ranks = [s for s in parsed.get_subgraphs() if s.get_attributes().get("rank") == "min"]
    assert ranks and len(ranks[0].get_nodes()) == 3
    with pytest.raises(ValueError):
        Graph.of("x", direction="down")


# ---- kinks and domain errors -------------------------------------------------------------


def test_kink_is_highlighted():
    graph = Graph.of("relu(x) + y", {"x": 0, "y": 1})
    assert [w.node for w in graph.warnings] == ["z1"]
    nodes, edges = parse_dot(graph.to_dot())
    relu = nodes[by_head(nodes)["z1"]]
    assert relu["fillcolor"] != nodes[by_head(nodes)["z2"]]["fillcolor"]
    assert any(line.startswith("⚠ relu") for line in relu["lines"])  # type: ignore[union-attr]
    (kinked,) = [e for e in edges if e.get("style") == "dashed"]
    assert kinked["lines"] == ["0.5 (⚠ left 0, right 1)"]


def test_domain_error_draws_up_to_the_failing_node():
    graph = Graph.of("log(x - 1)*y", {"x": 1, "y": 2})
    assert graph.error is not None and graph.error.kind == "domain"
    assert [n.name for n in graph.nodes] == ["x", "z1", "z2"]  # y and z3 come after the failure
    failing = graph.nodes[-1]
    assert failing.error is graph.error and failing.value is None
    nodes, _ = parse_dot(graph.to_dot())
    lines = nodes[f"n{failing.index}"]["lines"]
    assert "value undefined" in lines  # type: ignore[operator]
    assert any("log is undefined" in line and "z1 = 0" in line for line in lines)  # type: ignore[union-attr]


def test_slope_error_draws_every_value_and_no_adjoint():
    graph = Graph.of("sqrt(x)*y", {"x": 0, "y": 2})
    assert graph.error is not None
    assert [(n.name, n.value) for n in graph.nodes] == [("x", 0), ("z1", 0), ("y", 2), ("z2", 0)]
    assert all(n.adjoint is None for n in graph.nodes)
    assert [n.name for n in graph.nodes if n.error is not None] == ["z1"]


def test_usage_errors_still_raise():
    with pytest.raises(ExprError) as caught:
        Graph.of("x + y", {"x": 1})
    assert caught.value.kind == "usage"


# ---- escaping and elision ----------------------------------------------------------------

HOSTILE = 'a"b<c>d|e{f}g&h\\i#j`k'


def test_dot_escapes_survive_a_parser_round_trip():
    text = f"digraph g {{ n0 [label=<{html_text(HOSTILE)}>, tooltip={quoted(HOSTILE)}]; }}"
    (parsed,) = pydot.graph_from_dot_data(text)
    (node,) = [n for n in parsed.get_nodes() if n.get_name() == "n0"]
    assert label_lines(node.get("label")) == [HOSTILE]
    assert node.get("tooltip") == quoted(HOSTILE)
    assert quoted("a\nb") == '"a b"'


def test_mermaid_escapes_every_special_character():
    coded = mermaid_text(HOSTILE + "\nnext")
    assert not set(re.sub(r"#\d+;", "", coded)) & set('"<>|{}&#`\\\n')
    decoded = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), coded)
    assert decoded == HOSTILE + " next"


def test_multiline_source_gives_one_line_titles():
    graph = Graph.of("x1 *\n\t x2", {"x1": 2, "x2": 3})
    assert graph.title == "f = x1 * x2"
    parse_dot(graph.to_dot())
    assert mermaid_structure(graph.to_mermaid())


def test_expression_texts_match_the_full_text_elided():
    tape = exprdiff.compile(
        "sin(alpha*beta + gamma)**2 / (1 + exp(-(alpha - gamma))) - max(beta, 0, gamma*delta)"
        " + atan2(alpha, beta) - -gamma + 2**-delta").tape
    for width in (8, 12, 24, 60):
        texts = expression_texts(tape, width)
        for i in range(len(tape)):
            full = tape.expression(i)
            assert texts[i] == elide(full, width), (i, width, full)
            assert len(texts[i]) <= width


def test_labels_stay_short_for_a_big_expression():
    terms = " + ".join(f"sin(w{k}*x{k} + b{k})**2" for k in range(10))
    graph = Graph.of(terms, width=20)
    assert len(graph.nodes) >= 50
    for node in graph.nodes:
        assert len(node.expression) <= 20 and len(node.operation) <= 20
    nodes, _ = parse_dot(graph.to_dot())
    assert len(nodes) == len(graph.nodes)


def test_deep_input_draws_without_recursion():
    # 20 000 levels is 20 times Python's recursion limit; the code has no recursion at all, and
    # 100 000 levels (timed by hand: about 25 s end to end) would only make the suite slower.
    depth = 20_000
    text = "(" * depth + "x" + " + 1)*x" * depth
    graph = Graph.of(text, {"x": 0.5})
    assert len(graph.nodes) == 2 * depth + 1
    assert graph.nodes[-1].expression == "(" * 13 + "…" + " + 1)*x" * 2  # head … tail
    assert max(len(n.expression) for n in graph.nodes) <= 28
    assert graph.to_dot().count(" -> ") == len(graph.edges)
    assert graph.to_mermaid().count(" -->|") == len(graph.edges)


# ---- acceptance 2: Mermaid by structure ---------------------------------------------------

NODE = re.compile(r'^  (n\d+)(\(\["[^"]*"\]\)|\[\["[^"]*"\]\]|\["[^"]*"\])$')
EDGE = re.compile(r'^  (n\d+) -->\|"[^"]*"\| (n\d+)$')
CLASS_DEF = re.compile(r"^  classDef [a-z]+ [a-z-]+:#?[\w.-]+(,[a-z-]+:#?[\w.-]+)*$")
CLASS = re.compile(r"^  class (n\d+(?:,n\d+)*) [a-z]+$")
LINK_STYLE = re.compile(r"^  linkStyle \d+(?:,\d+)* [a-z-]+:[^;]+$")


def mermaid_structure(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Check every line's syntax; return node ids and edges (fails on any stray line)."""
    lines = text.splitlines()
    assert lines[0] == "---" and lines[1].startswith('title: "') and lines[2] == "---"
    assert lines[3] in ("flowchart BT", "flowchart LR")
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []
    for line in lines[4:]:
        if match := NODE.match(line):
            nodes.append(match.group(1))
        elif match := EDGE.match(line):
            edges.append((match.group(1), match.group(2)))
        elif match := CLASS.match(line):
            assert set(match.group(1).split(",")) <= set(nodes), line
        else:
            assert CLASS_DEF.match(line) or LINK_STYLE.match(line), f"bad Mermaid line: {line!r}"
    assert len(set(nodes)) == len(nodes)
    assert {n for edge in edges for n in edge} <= set(nodes)
    return nodes, edges


def test_mermaid_seed_001_structure():
    text, point, _, _ = SEED_001
    graph = Graph.of(text, point)
    nodes, edges = mermaid_structure(graph.to_mermaid())
    assert len(nodes) == 8 and len(edges) == 8
    square = f"n{next(n.index for n in graph.nodes if n.name == 'z1')}"
    assert sum(1 for source, _ in edges if source == square) == 2
    out = graph.to_mermaid()
    assert "∂f/∂z1 = -2" in out and "value 16" in out
    assert re.search(r'^  n\d+\[\["<b>f = z5 = z1 \+ z4</b>', out, re.M)  # the output, framed


def test_mermaid_kink_and_error_styles():
    kinked = Graph.of("abs(x)*y", {"x": 0, "y": 1}).to_mermaid()
    _, edges = mermaid_structure(kinked)
    assert re.search(r"^  class n\d+ kink$", kinked, re.M)
    assert re.search(r"^  linkStyle 0 stroke:", kinked, re.M)
    failed = Graph.of("sqrt(x - 2)", {"x": 1}).to_mermaid()
    mermaid_structure(failed)
    assert re.search(r"^  class n\d+ error$", failed, re.M)


# ---- acceptance 2: real rendering ----------------------------------------------------------


@needs_dot
def test_svg_rendered_by_dot(runner, tmp_path):
    text, point, _, _ = SEED_001
    target = tmp_path / "graph.svg"
    outcome = runner.invoke(main, ["graph", text, "--at", point_text(point), "-o", str(target)])
    assert outcome.exit_code == 0, outcome.output
    root = ElementTree.fromstring(target.read_bytes())  # noqa: S314 - our own dot's output
    ns = {"svg": "http://www.w3.org/2000/svg"}
    groups = root.findall(".//svg:g[@class='node']", ns)
    assert len(groups) == 8
    assert len(root.findall(".//svg:g[@class='edge']", ns)) == 8
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "value 16" in texts and "∂f/∂z1 = -2" in texts


@needs_dot
@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_png_and_pdf_rendered_by_dot(runner, tmp_path, suffix):
    text, point, _, _ = SEED_002
    target = tmp_path / f"graph{suffix}"
    outcome = runner.invoke(main, ["graph", text, "--at", point_text(point), "-o", str(target)])
    assert outcome.exit_code == 0, outcome.output
    data = target.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width > 200 and height > 200
    else:
        assert data.startswith(b"%PDF")


@needs_dot
def test_image_to_stdout_when_asked(runner):
    outcome = runner.invoke(main, ["graph", "x*y", "--format", "svg"])
    assert outcome.exit_code == 0
    assert outcome.stdout_bytes.lstrip().startswith(b"<?xml")


def test_missing_dot_says_how_to_install(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    with pytest.raises(ExprError) as caught:
        Graph.of("x*y").image("svg")
    assert "Graphviz" in caught.value.message and "apt-get install graphviz" in caught.value.hint
    outcome = runner.invoke(main, ["graph", "x*y", "-o", str(tmp_path / "g.png")])
    assert outcome.exit_code == 2
    assert "dot" in outcome.stderr and "install" in outcome.stderr
    assert not (tmp_path / "g.png").exists()
    # text formats never need Graphviz
    for name in ("g.dot", "g.mmd"):
        outcome = runner.invoke(main, ["graph", "x*y", "-o", str(tmp_path / name)])
        assert outcome.exit_code == 0, outcome.output
        assert (tmp_path / name).read_text().strip()


# ---- the command ---------------------------------------------------------------------------


def test_format_from_suffix_and_option(runner, tmp_path):
    text = SEED_001[0]
    for name, start in (("g.gv", "digraph"), ("g.mmd", "---"), ("g.mermaid", "---")):
        outcome = runner.invoke(main, ["graph", text, "-o", str(tmp_path / name)])
        assert outcome.exit_code == 0, outcome.output
        assert (tmp_path / name).read_text().startswith(start)
    outcome = runner.invoke(main, ["graph", text, "-o", str(tmp_path / "g.txt"),
                                   "--format", "mermaid"])
    assert outcome.exit_code == 0
    assert (tmp_path / "g.txt").read_text().startswith("---")
    outcome = runner.invoke(main, ["graph", text, "-o", str(tmp_path / "g.txt")])
    assert outcome.exit_code == 2 and "cannot tell the graph format" in outcome.stderr
    assert output_format(None, None) == "dot" and output_format("a.SVG", None) == "svg"


def test_stdout_dot_by_default(runner):
    outcome = runner.invoke(main, ["graph", SEED_002[0], "--at", point_text(SEED_002[1])])
    assert outcome.exit_code == 0
    nodes, _ = parse_dot(outcome.stdout)
    assert len(nodes) == 8


def test_domain_error_exit_1_and_the_drawing(runner, tmp_path):
    target = tmp_path / "g.dot"
    outcome = runner.invoke(main, ["graph", "log(x - 1)*y", "--at", "x=1,y=2", "-o", str(target)])
    assert outcome.exit_code == 1
    assert "error: log is undefined at node z2" in outcome.stderr
    nodes, _ = parse_dot(target.read_text())
    assert len(nodes) == 3


def test_kink_warning_on_stderr(runner):
    outcome = runner.invoke(main, ["graph", "abs(x)", "--at", "x=0"])
    assert outcome.exit_code == 0
    assert "warning:" in outcome.stderr and "abs" in outcome.stderr
    assert outcome.stdout.startswith("digraph")


def test_bad_input_is_a_usage_error_without_traceback(runner):
    for args in (["graph", "x +"], ["graph", "x", "--at", "y=1"],
                 ["graph", "x", "--format", "gif"]):
        outcome = runner.invoke(main, args)
        assert outcome.exit_code == 2, args
        assert "Traceback" not in outcome.output and "error" in outcome.stderr.lower()


def test_help_has_an_example(runner):
    outcome = runner.invoke(main, ["graph", "--help"])
    assert outcome.exit_code == 0
    assert 'exprdiff graph "x1**2 + 3*(x2*x3 - x1**2)"' in outcome.output


def test_public_api():
    assert exprdiff.Graph is Graph
    graph = Graph.of(exprdiff.compile("a*b"), {"a": 2, "b": 3})
    assert repr(graph).startswith("<Graph 3 nodes, 2 edges")
    assert Graph.of("2 + 3").nodes[0].value == 5.0  # a constant expression gets its value


def test_the_renderers_draw_the_plain_model():
    """exprdiff.Graph is the model plus compiling and writing out; renderers need only the model."""
    text, point, _, _ = SEED_001
    result = exprdiff.compile(text).grad(point, record=True)
    model = Picture(result.tape, result, constants=True, precision=None)
    public = Graph(result.tape, result, constants=True, precision=None)
    assert type(model) is Picture and isinstance(public, Picture)
    assert (model.nodes, model.edges) == (public.nodes, public.edges)
    assert to_dot(model) == public.to_dot() and to_mermaid(model) == public.to_mermaid()


def test_the_drawing_model_sits_below_the_api_and_the_renderers():
    from test_architecture import import_graph

    graph = import_graph()
    above = ("exprdiff.api", "exprdiff.render", "exprdiff.drawing", "exprdiff.cli")
    assert sorted(t for t in graph["exprdiff.explain.picture"] if t.startswith(above)) == []
    users = sorted(name for name, targets in graph.items() if "exprdiff.drawing" in targets)
    assert users == ["exprdiff", "exprdiff.cli.others"]  # nothing else draws through the API


def test_precision_of_labels_and_exact_tooltips(runner):
    third = 1 / 3
    nodes, edges = parse_dot(Graph.of("x/3", {"x": 1}).to_dot())
    (quotient,) = [n for n in nodes.values() if n["lines"][0].startswith("f = ")]  # type: ignore[index]
    assert f"value {third:.6g}" in quotient["lines"]  # type: ignore[operator]
    assert repr(third) in str(quotient["tooltip"])  # exact on hover
    assert edges[0]["lines"] == [f"1/3 = {third:.6g}"]
    nodes, _ = parse_dot(Graph.of("x/3", {"x": 1}, precision=None).to_dot())
    assert any(f"value {third!r}" in n["lines"] for n in nodes.values())  # type: ignore[operator]
    outcome = runner.invoke(main, ["graph", "x/3", "--at", "x=1", "--precision", "2"])
    assert "value 0.33<" in outcome.stdout


def test_docs_show_both_seeds_and_current_mermaid():
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    page = (docs / "graph.md").read_text(encoding="utf-8")
    for name in ("graph-seed-001.png", "graph-seed-002.png"):
        assert f"(images/{name})" in page
        assert (docs / "images" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    block = page.split("```mermaid\n", 1)[1].split("```", 1)[0]
    text, point, _, _ = SEED_002
    assert block == Graph.of(text, point).to_mermaid()  # the page shows what the code writes


def test_huge_images_are_refused_but_text_is_written(runner, tmp_path):
    terms = " + ".join(f"w{k}*x{k}" for k in range(400))  # 1199 nodes
    outcome = runner.invoke(main, ["graph", terms, "-o", str(tmp_path / "g.svg")])
    assert outcome.exit_code == 2 and "at most 1000" in outcome.stderr
    outcome = runner.invoke(main, ["graph", terms, "-o", str(tmp_path / "g.dot")])
    assert outcome.exit_code == 0
    assert "nslimit=0.2" in (tmp_path / "g.dot").read_text()  # big graphs bound dot's passes


@needs_dot
def test_a_500_node_svg_is_drawn_within_10_seconds(runner, tmp_path):
    import time

    terms = " + ".join(f"sin(x*{k} + y)*{k}" for k in range(1, 101))  # 501 nodes
    start = time.perf_counter()
    outcome = runner.invoke(main, ["graph", terms, "--at", "x=0.5,y=0.25",
                                   "-o", str(tmp_path / "g.svg")])
    elapsed = time.perf_counter() - start
    assert outcome.exit_code == 0, outcome.output
    assert elapsed <= 10, f"{elapsed:.1f} s"
    svg = (tmp_path / "g.svg").read_text()
    assert svg.count('class="node"') == 501


def test_big_graphs_get_straight_edges():
    terms = " + ".join(f"w{k}*x{k}" for k in range(120))  # 359 nodes
    assert "splines=line" in to_dot(Graph.of(terms))
    assert "splines" not in to_dot(Graph.of("w*x + b"))


def test_a_50000_node_image_ends_at_once_with_a_message(runner, tmp_path):
    import time

    start = time.perf_counter()
    outcome = runner.invoke(main, ["graph", "x" + "*x" * 49_999, "--at", "x=1",
                                   "-o", str(tmp_path / "g.svg")])
    assert outcome.exit_code == 2  # a limit, as `exprdiff graph --help` documents
    assert "the graph has 50000 nodes; images are drawn for at most 1000" in outcome.stderr
    assert time.perf_counter() - start < 30 and not (tmp_path / "g.svg").exists()


@needs_dot
def test_dot_past_its_time_limit_ends_with_a_message():
    from exprdiff.render.dot import run_dot

    terms = " + ".join(f"sin(x*{k} + y)*{k}" for k in range(1, 101))
    with pytest.raises(ExprError) as caught:
        run_dot(to_dot(Graph.of(terms, {"x": 0.5, "y": 0.25})), "svg", timeout=0.05)
    assert caught.value.kind == "limit" and caught.value.exit_code == 2
    assert "Graphviz's dot took longer than 0.05 s" in caught.value.message
