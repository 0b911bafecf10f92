"""Step tables (SPEC §5, issue 3): rows read off the sweeps, --path, four formats, goldens."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import missing_tool
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import exprdiff
from exprdiff.cli.commands import main
from exprdiff.errors import ExprError
from exprdiff.explain.steps import build, count_paths, find_paths
from exprdiff.ops import OPERATORS, lookup

GOLDEN = Path(__file__).parent / "golden"


def _make_golden():
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_golden = _make_golden()


def cli(*args: str, columns: int = 80):
    runner = CliRunner(env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    return runner.invoke(main, ["--no-color", "grad", *args])


def cli_json(*args: str) -> dict:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---- acceptance 1 and 2: the seeds, number by number, on the JSON rows ----------------------


def test_seed_001_rows_match_the_hand_worked_example():
    data = cli_json("x1**2 + 3*(x2*x3 - x1**2)", "--at", "x1=1,x2=2,x3=3", "--steps")
    steps = data["steps"]
    forward = {row["node"]: row for row in steps["forward"]}
    assert [forward[f"z{k}"]["value"] for k in range(1, 6)] == [1, 6, 5, 15, 16]
    assert forward["z3"]["op"] == "z2 - z1"
    assert forward["z4"]["expression"] == "3*(x2*x3 - x1**2)"
    assert (forward["x1"]["kind"], forward["3"]["kind"]) == ("input", "constant")
    backward = {row["node"]: row for row in steps["backward"]}
    expected = {"z5": 1, "z4": 1, "z3": 3, "z1": -2, "z2": 3, "x1": -4, "x2": 9, "x3": 6}
    assert {node: row["adjoint"] for node, row in backward.items()} == expected
    # SPEC §5's own example row; the shared node z1 shows both of its consumers.
    assert backward["z1"]["formula"] == "∂f/∂z5·∂z5/∂z1 + ∂f/∂z3·∂z3/∂z1"
    assert backward["z1"]["substituted"] == "1·1 + 3·(-1)"
    assert [row["node"] for row in steps["backward"]][0] == "z5"  # reverse order
    edges = {(e["from"], e["to"]): e for e in steps["edges"]}
    assert edges[("z1", "z3")]["partial"] == -1 and edges[("z3", "z4")]["partial"] == 3
    assert edges[("x3", "z2")]["formula"] == "x2" and edges[("x2", "z2")]["formula"] == "x3"
    assert not any(e["from"] in ("2", "3") for e in steps["edges"])  # constants' edges left out
    assert steps["gradient"] == {"x1": -4, "x2": 9, "x3": 6}


def test_seed_002_forward_values_and_the_single_path_to_w():
    data = cli_json("y - max(0, w*x + b)", "--at", "y=5,w=2,x=1,b=1", "--steps", "--path", "w")
    forward = {row["expression"]: row["value"] for row in data["steps"]["forward"]}
    assert forward["w*x"] == 2 and forward["w*x + b"] == 3
    assert forward["max(0, w*x + b)"] == 3 and forward["y - max(0, w*x + b)"] == 2
    paths = data["steps"]["paths"]
    assert paths["total"] == 1 and paths["complete"]
    (path,) = paths["paths"]
    assert path["nodes"] == ["z4", "z3", "z2", "z1", "w"]
    assert path["partials"] == [-1, 1, 1, 1] and path["product"] == -1
    assert paths["sum"] == paths["adjoint"] == data["gradient"]["w"] == -1


def test_path_alone_adds_only_the_paths():
    data = cli_json("x1**2 + 3*(x2*x3 - x1**2)", "--at", "x1=1,x2=2,x3=3", "--path", "x1")
    assert list(data["steps"]) == ["paths"]
    products = sorted(p["product"] for p in data["steps"]["paths"]["paths"])
    assert products == [-6, 2] and data["steps"]["paths"]["sum"] == -4


def test_path_to_an_unknown_variable_is_a_usage_error():
    result = cli("x*y", "--at", "x=1,y=2", "--path", "q")
    assert result.exit_code == 2
    assert "--path names 'q'" in result.output and "x, y" in result.output


def test_steps_in_jsonl_and_not_in_csv_or_batch():
    result = cli("x*y", "--at", "x=1,y=2", "--at", "x=3,y=1", "--steps", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["steps"]["backward"][-1]["adjoint"] for r in records] == [2, 1]  # ∂f/∂x
    csv = cli("x*y", "--at", "x=1,y=2", "--steps", "--format", "csv")
    assert csv.exit_code == 2 and "--steps and --path need" in csv.output
    runner = CliRunner()
    batch = runner.invoke(main, ["grad", "-", "--steps"], input="x*y ; x=1, y=2\n")
    assert batch.exit_code == 2 and "not in batch mode" in batch.output


# ---- acceptance 3: golden files in four formats, and LaTeX that compiles --------------------


GOLDEN_CASES = sorted(make_golden.golden_files().items())


@pytest.mark.parametrize(("path", "text"), GOLDEN_CASES, ids=[p.name for p, _ in GOLDEN_CASES])
def test_golden_files(path, text):
    assert path.exists(), f"{path} is missing: run python tests/golden/make_golden.py"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, rerun tests/golden/make_golden.py "
        "and read the new file")


def _latex_engine() -> str | None:
    return shutil.which("pdflatex") or shutil.which("lualatex") or shutil.which("xelatex")


def test_latex_output_compiles(tmp_path):
    engine = _latex_engine()
    if engine is None:
        missing_tool("no LaTeX engine (pdflatex/lualatex/xelatex) on PATH; .ci/run installs "
                     "texlive-latex-base when it runs as root")
    kink = cli("abs(x) + max(x, y) + theta_2*log(y + 2, 3) + hypot(x, y, 1)", "--at",
               "x=0,y=0,theta_2=1e-7", "--steps", "--path", "x", "--format", "latex")
    assert kink.exit_code == 0, kink.output
    failed = cli("log(x - 1) + sqrt(y)", "--at", "x=1,y=1", "--steps", "--format", "latex")
    assert failed.exit_code == 1 and "longtable" in failed.stdout
    bodies = [p.read_text(encoding="utf-8") for p in sorted((GOLDEN / "steps").glob("*.tex"))]
    document = "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,longtable}",
                          r"\begin{document}", *bodies, kink.stdout, failed.stdout,
                          r"\end{document}"])
    (tmp_path / "steps.tex").write_text(document, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "steps.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "steps.pdf").stat().st_size > 0


# ---- kinks, formulas, the API -----------------------------------------------------------------


def test_kink_rows_are_marked_with_one_sided_derivatives():
    data = cli_json("abs(x) + max(x, y)", "--at", "x=0,y=0", "--steps")
    forward = {row["node"]: row for row in data["steps"]["forward"]}
    assert forward["z1"]["kink"]["one_sided"] == [[-1, 1]]
    assert forward["z2"]["kink"]["used"] == [0.5, 0.5]
    assert "kink" not in forward["z3"]
    edges = {(e["from"], e["to"]): e for e in data["steps"]["edges"]}
    assert edges[("x", "z1")]["one_sided"] == [-1, 1] and edges[("x", "z1")]["partial"] == 0
    assert edges[("y", "z2")]["partial"] == 0.5
    for output in ("table", "markdown"):
        text = cli("abs(x) + max(x, y)", "--at", "x=0,y=0", "--steps", "--format", output).stdout
        assert "⚠" in text and "left -1, right 1" in text


def test_a_domain_error_shows_the_forward_table_up_to_the_failing_node():
    text = "log(x - 1) + sqrt(y)"
    result = cli(text, "--at", "x=1,y=1", "--at", "x=3,y=0", "--steps", "--format", "json")
    assert result.exit_code == 1
    undefined, slope = json.loads(result.stdout)
    rows = undefined["steps"]["forward"]
    assert [r["node"] for r in rows] == ["x", "1", "z1", "z2"]  # stops at the failing node
    assert rows[-1]["value"] is None and "log is undefined" in rows[-1]["error"]
    assert undefined["error"]["node"] == "z2"
    rows = slope["steps"]["forward"]
    assert rows[-1]["node"] == "z3" and rows[-1]["value"] == 0 and "slope" in rows[-1]["error"]
    assert {r["node"]: r["value"] for r in rows}["z1"] == 2
    for output in ("table", "markdown", "latex"):
        shown = cli(text, "--at", "x=1,y=1", "--steps", "--format", output)
        assert shown.exit_code == 1 and "z2" in shown.stdout and "undefined" in shown.stdout
    assert "✗" in cli(text, "--at", "x=1,y=1", "--steps").stdout


@pytest.mark.parametrize(("text", "edge", "formula"), [
    ("log(x)", ("x", "z1"), "1/x"),
    ("log(x, y)", ("y", "z1"), "-log(x, y)/(y*ln(y))"),
    ("hypot(x, y, z)", ("z", "z1"), "z/z1"),
    ("max(x, y, z)", ("y", "z1"), "1 if y is the largest else 0"),
    ("x/y", ("y", "z1"), "-x/y**2"),
    ("x*(-2)", ("x", "z1"), "(-2)"),
])
def test_edge_formulas_name_the_nodes(text, edge, formula):
    compiled = exprdiff.compile(text)
    r = compiled.grad({n: v for n, v in {"x": 2, "y": 3, "z": 4}.items()
                       if n in compiled.variables})
    edges = {(e.source, e.target): e for e in r.steps().edges}
    assert edges[edge].formula == formula


def test_result_steps_without_record_reads_the_same_sweep():
    text, point = "sin(x*y) + x**y - tanh(y/x)", {"x": 1.5, "y": 0.5}
    plain = exprdiff.grad(text, point).steps(path="x")
    recorded = exprdiff.grad(text, point, record=True).steps(path="x")
    assert plain.to_dict() == recorded.to_dict()
    assert {row.node: row.adjoint for row in plain.backward}["x"] == plain.gradient["x"]


def test_paths_are_capped_and_counted_without_enumerating():
    text = "x"
    for _ in range(12):  # hash-consed: 12 nodes, 2**12 paths
        text = f"({text})*({text})"
    r = exprdiff.grad(text, {"x": 1.0}, record=True)
    steps = r.steps(path="x")
    assert steps.paths is not None
    assert (steps.paths.total, len(steps.paths.listed)) == (4096, 64)
    assert not steps.paths.complete and steps.paths.adjoint == 4096
    out = cli(text, "--at", "x=1", "--path", "x").stdout
    assert "64 of 4096 paths listed" in out and "∂f/∂x = 4096" in out


def test_deep_chains_do_not_recurse():
    depth = 20_000
    text = "sin(" * depth + "x" + ")" * depth
    r = exprdiff.grad(text, {"x": 0.1}, record=True)
    assert r.partials is not None and r.tape is not None
    paths = find_paths(r.tape, r.partials, r.tape.inputs["x"], r.adjoints)
    assert paths.total == 1 and len(paths.listed[0].nodes) == depth + 1
    assert math.isclose(paths.listed[0].product, r.gradient["x"], rel_tol=1e-12)


# ---- acceptance 4: hypothesis -----------------------------------------------------------------

NAMES = ("x", "y", "z")
UNARY = ("sin", "exp", "tanh", "neg")
BINARY = ("add", "sub", "mul")


def _render(op: str, parts: list[str]) -> str:
    if op in UNARY:
        return f"-({parts[0]})" if op == "neg" else f"{op}({parts[0]})"
    return f"({parts[0]}) {OPERATORS[op].infix} ({parts[1]})"


leaves = st.one_of(st.sampled_from(NAMES), st.integers(1, 3).map(str))
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: _render(t[0], [t[1]])),
        st.tuples(st.sampled_from(BINARY), inner, inner).map(
            lambda t: _render(t[0], [t[1], t[2]])),
    ),
    max_leaves=14,
)
coordinates = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, st.tuples(coordinates, coordinates, coordinates))
def test_paths_sum_to_the_adjoint_and_rows_re_evaluate(text, xyz):
    try:
        compiled = exprdiff.compile(text)
        point = {n: v for n, v in zip(NAMES, xyz, strict=True) if n in compiled.variables}
        result = compiled.grad(point, record=True)
    except ExprError:
        assume(False)  # exp(exp(...)) overflowing: not what this test is about
        return
    tape = result.tape
    for name in compiled.variables:
        steps = build(result, path=name, cap=10_000)
        paths = steps.paths
        assert paths is not None
        assert paths.total == count_paths(tape, tape.inputs[name])[tape.output]
        if paths.complete:
            scale = sum(abs(p.product) for p in paths.listed) or 1.0
            assert math.isclose(paths.listed_sum, paths.adjoint,
                                rel_tol=1e-9, abs_tol=1e-12 * scale), (text, point, name)
        assert paths.adjoint == result.gradient[name]
    for row in build(result).backward:
        text_numbers = row.substituted().replace("·", "*")
        # Our own parser, never eval: the sum folds with the same IEEE ops as the sweep.
        assert exprdiff.compile(text_numbers).value({}) == row.adjoint, (text, row)


# ---- acceptance 5: 80 columns -----------------------------------------------------------------


def test_a_200_node_expression_fits_80_columns():
    text = " + ".join(f"sin(x*{k} + y)*exp(-z/{k + 1})" for k in range(1, 30))
    assert len(exprdiff.compile(text).tape) >= 200
    result = cli(text, "--at", "x=0.1,y=0.2,z=0.3", "--steps", "--path", "x", columns=80)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, too_wide[:3]
    assert any("…" in line for line in lines)  # long subexpressions elided in the middle
    assert any(line.startswith("z203 ") for line in lines)  # the output row is there


def test_op_formulas_exist_for_every_argument():
    for name in ("add", "sub", "mul", "div", "pow", "atan2", "log"):
        op = lookup(name)
        assert len(op.formulas) == (op.arity[1] or 1)


# ---- issue 14 item 5: step output linear in the tape, every limit saying so -------------------

DEEP = 25_000  # the issue's sizes: `sin(` × 25 000 … `)`, and a 60 001-term sum
TERMS = 60_001


def _chain(depth: int) -> str:
    return "sin(" * depth + "x" + ")" * depth


def _sum(terms: int) -> str:
    return "+".join(["x"] * terms)


def test_json_subexpressions_are_bounded_and_the_rows_say_so():
    from exprdiff.explain.steps import TEXT_BOUND

    depth = 2_000
    data = cli_json(_chain(depth), "--at", "x=0.1", "--steps")
    rows = {row["node"]: row for row in data["steps"]["forward"]}
    assert all(len(row["expression"]) <= TEXT_BOUND for row in rows.values())
    for k in (1, 39, 40, 1_000, depth):  # z_k = sin(z_{k-1}) stands for 5k + 1 characters
        row, full = rows[f"z{k}"], "sin(" * k + "x" + ")" * k
        if len(full) <= TEXT_BOUND:
            assert row["expression"] == full and "elided" not in row
        else:  # elided in the middle: its first 99 and last 100 characters, and the length
            assert row["expression"] == full[:99] + "…" + full[-100:]
            assert row["elided"] is True and row["expression_length"] == len(full)
    assert rows[f"z{depth}"]["op"] == f"sin(z{depth - 1})"  # rows refer to nodes, in full


def test_path_lists_a_bounded_number_of_edges_and_says_so():
    from exprdiff.explain.steps import PATH_EDGES

    terms = 4_001  # x+x+…: 4 001 paths to x, the first ones 4 001 edges long
    data = cli_json(_sum(terms), "--at", "x=1", "--path", "x")
    paths = data["steps"]["paths"]
    assert paths["total"] == terms and not paths["complete"]
    lengths = [len(p["nodes"]) - 1 for p in paths["paths"]]
    assert lengths[0] == terms - 1 and sum(lengths) <= PATH_EDGES < sum(lengths) + terms - 2
    assert "at most 10,000 edges" in paths["limit"] and paths["adjoint"] == terms
    shown = cli(_sum(terms), "--at", "x=1", "--path", "x").stdout
    assert f"{len(lengths)} of {terms} paths listed" in shown
    assert "--path lists at most 10,000 edges in all" in shown
    assert f"({terms:,} nodes)" in shown  # a long path is elided in the table, and says so


def _doubling(levels: int):  # z1 = x*x, z2 = z1*z1, …: 2**levels paths, one node per level
    from exprdiff.forward import forward
    from exprdiff.lowering import TapeBuilder
    from exprdiff.reverse import reverse

    builder = TapeBuilder("x")
    node = builder.variable("x", 1)
    for _ in range(levels):
        node = builder.apply(OPERATORS["mul"], (node, node), 1)
    tape = builder.finish(node)
    values = forward(tape, [1.0])
    partials: dict[int, tuple[float, ...]] = {}
    adjoints = reverse(tape, values, partials)
    return tape, partials, adjoints


def test_path_counts_beyond_the_cap_say_more_than():
    from exprdiff.explain.paths import PATH_COUNT_CAP

    tape, partials, adjoints = _doubling(59)  # 2**59 ≈ 5.8e17 paths: counted exactly
    paths = find_paths(tape, partials, tape.inputs["x"], adjoints)
    assert (paths.total, paths.capped, paths.limit) == (2**59, False, "paths")
    assert len(paths.listed) == 64 and "at most 64 paths" in paths.to_dict()["limit"]
    tape, partials, adjoints = _doubling(200)  # 2**200 paths: counted up to the cap
    paths = find_paths(tape, partials, tape.inputs["x"], adjoints)
    assert paths.capped and paths.total == PATH_COUNT_CAP and not paths.complete
    assert paths.total_text == "more than 10^18"
    assert paths.to_dict()["total_capped"] is True and paths.to_dict()["total"] == 10**18
    assert max(count_paths(tape, tape.inputs["x"])) == PATH_COUNT_CAP + 1  # small ints only


def test_a_deep_table_shows_a_bounded_number_of_rows_and_says_how_to_get_them_all():
    from exprdiff.render.steps_table import ROWS

    depth = 3_000
    result = cli(_chain(depth), "--at", "x=0.1", "--steps", "--path", "x", columns=100)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) < 5 * ROWS + 200  # four tables of ROWS rows, titles, captions, a path
    assert result.stdout.count("rows left out") == 3  # forward, edges, backward
    assert f"{depth + 1 - ROWS:,} of {depth + 1:,} rows left out after row {ROWS // 2}" in \
        " ".join(result.stdout.split())
    assert "--format markdown or --format json lists every row" in " ".join(
        result.stdout.split())
    assert any(line.startswith(f"z{depth} ") for line in lines)  # the output row is there
    assert max(len(line) for line in lines) <= 100


@pytest.mark.parametrize(("name", "text"), [("depth 25 000", _chain(DEEP)),
                                            ("60 001 terms", _sum(TERMS))])
def test_steps_as_json_on_the_issues_sizes_within_10_s_and_500_mb(name, text):
    from measure import run_measured

    done = run_measured(["grad", text, "--at", "x=0.1", "--steps", "--format", "json"])
    print(name, done)
    assert done.code == 0 and not done.timed_out, str(done)
    # CPU time, which a busy machine does not inflate as it does wall time (10 s in the issue)
    assert done.cpu <= 10.0 and done.rss_mb < 500, str(done)
    assert done.stdout.rstrip().endswith(b"}") and b'"elided": true' in done.stdout


def test_path_on_a_60001_term_sum_within_10_s_and_500_mb():
    from measure import run_measured

    done = run_measured(["grad", _sum(TERMS), "--at", "x=0.1", "--path", "x"])
    print(done)
    assert done.code == 0 and not done.timed_out, str(done)
    assert done.cpu <= 10.0 and done.rss_mb < 500, str(done)
    assert b"1 of 60001 paths listed" in done.stdout and b"60001" in done.stdout


# ---- the step tables' own layout: the same characters as rich's, a hundred times faster -----


@pytest.mark.parametrize("width", [60, 100, 200])
def test_fast_tables_lay_out_exactly_as_rich_does(width):
    import io

    from rich.console import Console
    from rich.text import Text

    from exprdiff.render.steps_table import FastTable

    table = FastTable()
    table.add_column("node")
    table.add_column("formula", overflow="fold", ratio=2)
    table.add_column("value", justify="right", no_wrap=True)
    for k in range(30):
        value = Text(f"{k * 1.5:g}")
        if k % 7 == 0:
            value.append(" ⚠", style="bold yellow")
        table.add_row(f"z{k}", "∂f/∂z" + "·∂z".join(str(j) for j in range(k % 9)), value)
    table.caption = "a caption that says how many rows were left out, long enough to wrap"

    def render(renderable: object) -> str:
        out = io.StringIO()
        Console(file=out, width=width, no_color=True).print(renderable)
        return out.getvalue()

    assert render(table) == render(table._rich())
