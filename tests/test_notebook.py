"""Notebook display: `_repr_html_`/`_repr_markdown_` of a Result, `Result.tables()` (HTML in a
notebook, text on demand), the graph's inline SVG, and docs/tutorial.ipynb executed by nbclient."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from conftest import SEED_001

import exprdiff
from exprdiff.render.text import render

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed")


@pytest.fixture(scope="module")
def seed() -> exprdiff.Result:
    expression, at, _, _ = SEED_001
    return exprdiff.grad(expression, at, record=True)


def test_result_repr_html_is_a_table_of_the_numbers(seed):
    page = seed._repr_html_()
    assert page.startswith('<div class="exprdiff-result">') and "<table" in page
    for text in ("x1**2 + 3*(x2*x3 - x1**2)", "at x1 = 1, x2 = 2, x3 = 3", "∂f/∂x1", ">-4<",
                 ">16<"):
        assert text in page
    assert "<script" not in page


def test_result_repr_html_escapes_user_text(seed):
    hostile = seed.replace(expression="<script>alert(1)</script>\u202e")
    page = hostile._repr_html_()
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;\\u202e" in page


def test_result_repr_markdown_is_the_markdown_format(seed):
    assert seed._repr_markdown_() == render(seed, None)


def test_step_tables_as_text_and_html(seed):
    tables = seed.tables(path="x1")
    text = tables.text(width=90)
    assert str(tables) == tables.text()
    assert "∂f/∂z5·∂z5/∂z1 + ∂f/∂z3·∂z3/∂z1   1·1 + 3·(-1)" in text
    assert "sum over the 2 paths = -4" in text
    page = tables._repr_html_()
    assert "1·1 + 3·(-1)" in page and "z5 → z4 → z3 → z1 → x1" in page
    assert tables._repr_markdown_() == render(seed, seed.steps(path="x1"))
    assert tables.latex().startswith("% exprdiff output")
    assert repr(tables) == "<StepTables of f = x1**2 + 3*(x2*x3 - x1**2): 10 nodes>"


@needs_dot
def test_graph_displays_inline_as_svg():
    expression, at, _, _ = SEED_001
    svg = exprdiff.Graph.of(expression, at)._repr_svg_()
    assert svg is not None
    root = ElementTree.fromstring(svg.encode())  # noqa: S314 - dot's own output
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "∂f/∂z1 = -2" in texts


def test_graph_without_graphviz_falls_back_to_its_text_repr(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert exprdiff.Graph.of("x*y", {"x": 1, "y": 2})._repr_svg_() is None


def test_the_tutorial_runs():
    nbformat = pytest.importorskip("nbformat", reason="nbformat (the `test` extra)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient (the `test` extra)")
    pytest.importorskip("ipykernel", reason="ipykernel (the `test` extra) runs the notebook")
    notebook = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o.get("data", {}) for o in outputs if o.output_type == "execute_result"]
    assert any("1·1 + 3·(-1)" in d.get("text/html", "") for d in shown)
    assert any("one-sided" in d.get("text/html", "") for d in shown)  # the tie's warning
    if shutil.which("dot") is not None:
        assert sum("image/svg+xml" in d for d in shown) == 2


def test_tables_text_is_what_grad_steps_prints(seed, runner):
    from conftest import point_text

    from exprdiff.cli.commands import main

    expression, at, _, _ = SEED_001
    printed = runner.invoke(main, ["--no-color", "grad", expression, "--at", point_text(at),
                                   "--steps", "--path", "x1"], env={"COLUMNS": "80"})
    assert printed.exit_code == 0
    assert seed.tables(path="x1").text(width=80) == printed.stdout
