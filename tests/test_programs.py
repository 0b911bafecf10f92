"""Programs (SPEC §9, issue 16): statements NAME = EXPR, the user's names in every table, the
seeds in their own notation, several outputs and their Jacobian. Hand-worked values only."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner

import exprdiff
from exprdiff.cli import main
from exprdiff.errors import ExprError

SEED001 = "z1 = x1**2; z2 = x2*x3; z3 = z2 - z1; z4 = 3*z3; y = z1 + z4"
SEED002 = "w5 = w*x; w6 = w5 + b; w7 = max(0, w6); w8 = y - w7"
NETWORK = ("h1 = relu(w11*x1 + w12*x2 + b1)\n"
           "h2 = relu(w21*x1 + w22*x2 + b2)\n"
           "yhat = v1*h1 + v2*h2 + c\n"
           "L = (yhat - y)**2 / 2\n")
NETWORK_AT = {"x1": 1, "x2": 2, "w11": 0.5, "w12": -0.25, "b1": 0.1, "w21": -0.3, "w22": 0.8,
              "b2": 0, "v1": 1.5, "v2": -2, "c": 0.2, "y": 1}
NETWORK_ARG = ",".join(f"{k}={v}" for k, v in NETWORK_AT.items())


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


# ---- acceptance 1: seed 001 in its own notation -----------------------------------------------


def test_seed001_forward_rows_are_the_statements():
    result = exprdiff.compile(SEED001).grad({"x1": 1, "x2": 2, "x3": 3}, record=True)
    steps = result.steps()
    operations = [(row.node, row.value) for row in steps.forward if row.kind == "operation"]
    assert operations == [("z1", 1.0), ("z2", 6.0), ("z3", 5.0), ("z4", 15.0), ("y", 16.0)]
    assert result.gradient == {"x1": -4.0, "x2": 9.0, "x3": 6.0}


def test_seed001_backward_table():
    steps = exprdiff.compile(SEED001).grad({"x1": 1, "x2": 2, "x3": 3}, record=True).steps()
    rows = {row.node: row for row in steps.backward}
    assert steps.output == "y"
    assert rows["z4"].adjoint == 1 and rows["z3"].adjoint == 3 and rows["z2"].adjoint == 3
    assert rows["z1"].adjoint == -2 and len(rows["z1"].terms) == 2  # y = z1 + z4 and z3 = z2 - z1
    assert rows["z1"].formula == "∂y/∂y·∂y/∂z1 + ∂y/∂z3·∂z3/∂z1"
    assert rows["z1"].substituted() == "1·1 + 3·(-1)"


def test_seed001_str_tape_is_the_program():
    assert str(exprdiff.compile(SEED001).tape) == SEED001.replace("; ", "\n")


# ---- acceptance 2: seed 002's node table -------------------------------------------------------


def test_seed002_node_table_and_single_path():
    result = exprdiff.compile(SEED002).grad({"y": 5, "w": 2, "x": 1, "b": 1}, record=True)
    steps = result.steps(path="w")
    operations = [(row.node, row.value) for row in steps.forward if row.kind == "operation"]
    assert operations == [("w5", 2.0), ("w6", 3.0), ("w7", 3.0), ("w8", 2.0)]
    assert steps.paths is not None and steps.paths.total == 1
    (only,) = steps.paths.listed
    assert tuple(only.nodes) == ("w8", "w7", "w6", "w5", "w")
    assert only.product == -1.0  # 1·(-1)·1·1·x with x = 1
    done = run("grad", SEED002, "--at", "y=5,w=2,x=1,b=1", "--path", "w")
    assert done.exit_code == 0, done.output
    assert "w8 → w7 → w6 → w5 → w" in done.stdout


# ---- acceptance 3: the network ------------------------------------------------------------------

NETWORK_GRADIENT = {"w11": -4.875, "w12": -9.75, "b1": -4.875, "w21": 6.5, "w22": 13.0,
                    "b2": 6.5, "v1": -0.325, "v2": -4.225, "c": -3.25}


def test_network_values_and_gradient():
    compiled = exprdiff.compile(NETWORK)
    result = compiled.grad(NETWORK_AT, wrt=[*NETWORK_GRADIENT, "h1"], record=True)
    values = {row.node: row.value for row in result.steps().forward}
    assert close(values["h1"], 0.1) and close(values["h2"], 1.3)
    assert close(values["yhat"], -2.25) and close(values["L"], 5.28125)
    for name, expected in NETWORK_GRADIENT.items():
        assert close(result.gradient[name], expected), (name, result.gradient[name])
    assert close(result.gradient["h1"], -4.875)


def test_network_steps_show_the_shared_factor_once():
    done = run("grad", NETWORK, "--at", NETWORK_ARG, "--steps", "--format", "markdown")
    assert done.exit_code == 0, done.output
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ∂L/∂yhat |")]
    assert len(rows) == 1 and rows[0].rstrip(" |").endswith("-3.25")
    assert "∂L/∂yhat·∂yhat/∂" in done.stdout  # the layers below sum through it


def test_wrt_an_intermediate_on_the_command_line():
    done = run("grad", NETWORK, "--at", NETWORK_ARG, "--wrt", "h1", "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert close(data["gradient"]["h1"], -4.875) and data["outputs"] == {"L": 5.28125}


def test_a_program_from_a_file(tmp_path):
    path = tmp_path / "net.txt"
    path.write_text(NETWORK, encoding="utf-8")
    done = run("grad", f"@{path}", "--at", NETWORK_ARG, "--format", "json")
    assert done.exit_code == 0, done.output
    assert close(json.loads(done.stdout)["gradient"]["w22"], 13.0)
    missing = run("grad", f"@{tmp_path / 'nope.txt'}", "--at", "x=1")
    assert missing.exit_code == 2 and "no such file" in missing.stderr


# ---- acceptance 5: several outputs --------------------------------------------------------------

#: ∂yhat/∂·: yhat = v1*h1 + v2*h2 + c with h1 = 0.1, h2 = 1.3, both relus active.
YHAT_ROW = {"w11": 1.5, "w12": 3.0, "b1": 1.5, "w21": -2.0, "w22": -4.0, "b2": -2.0, "v1": 0.1,
            "v2": 1.3, "c": 1.0}


def test_jacobian_of_two_outputs_by_api():
    result = exprdiff.compile(NETWORK).grad(NETWORK_AT, of=["L", "yhat"], wrt=list(YHAT_ROW))
    assert result.outputs is not None and result.jacobian is not None
    assert close(result.outputs["L"], 5.28125) and close(result.outputs["yhat"], -2.25)
    for name, expected in NETWORK_GRADIENT.items():
        assert close(result.jacobian["L"][name], expected)
    for name, expected in YHAT_ROW.items():
        assert close(result.jacobian["yhat"][name], expected), name


def test_jacobian_equals_sympy():
    sp = pytest.importorskip("sympy")
    from exprdiff.oracle.symbolic import to_sympy

    tree = exprdiff.compile(NETWORK, tree=True).tree
    loss, symbols = to_sympy(tree)
    yhat_tree = exprdiff.compile(NETWORK + "yhat\n", tree=True).tree
    yhat, _ = to_sympy(yhat_tree)
    subs = {symbols[n]: sp.nsimplify(v) for n, v in NETWORK_AT.items()}
    result = exprdiff.compile(NETWORK).grad(NETWORK_AT, of=["L", "yhat"])
    for output, expr in (("L", loss), ("yhat", yhat)):
        for name in NETWORK_AT:
            exact = float(sp.diff(expr, symbols[name]).subs(subs))
            assert close(result.jacobian[output][name], exact), (output, name)


@pytest.mark.parametrize("output", ["table", "json", "csv", "markdown"])
def test_jacobian_in_every_format(output):
    done = run("grad", NETWORK, "--at", NETWORK_ARG, "--of", "L,yhat", "--wrt", "w11,c",
               "--format", output)
    assert done.exit_code == 0, done.output
    text = done.stdout
    if output == "json":
        data = json.loads(text)
        assert data["jacobian"] == {"L": {"w11": -4.875, "c": -3.25},
                                    "yhat": {"w11": 1.5, "c": 1.0}}
        assert data["outputs"] == {"L": 5.28125, "yhat": -2.25}
    elif output == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["output"], r["value"], r["df/dw11"], r["df/dc"]) for r in rows] == [
            ("L", "5.28125", "-4.875", "-3.25"), ("yhat", "-2.25", "1.5", "1.0")]
    elif output == "markdown":
        assert "| L | 5.28125 | -4.875 | -3.25 |" in text
        assert "| yhat | -2.25 | 1.5 | 1 |" in text
    else:
        lines = [line.split() for line in text.splitlines()]
        assert ["L", "5.28125", "-4.875", "-3.25"] in lines
        assert ["yhat", "-2.25", "1.5", "1"] in lines


def test_steps_print_a_backward_table_per_output():
    done = run("grad", NETWORK, "--at", NETWORK_ARG, "--of", "L,yhat", "--steps",
               "--format", "markdown")
    assert done.exit_code == 0, done.output
    text = done.stdout
    assert text.count("### Backward") == 2
    assert text.index("| ∂L/∂L | 1 | 1 | 1 |") < text.index("| ∂yhat/∂yhat | 1 | 1 | 1 |")
    assert "| ∂yhat/∂c | ∂yhat/∂yhat·∂yhat/∂c | 1·1 | 1 |" in text


def test_of_names_an_unknown_output():
    done = run("grad", NETWORK, "--at", NETWORK_ARG, "--of", "L,q")
    assert done.exit_code == 2 and "--of names 'q'" in done.stderr


# ---- names ---------------------------------------------------------------------------------------


def test_unnamed_nodes_never_take_a_users_name():
    tape = exprdiff.compile("z1 = x*y; z3 = sin(x) + z1; z3*z2").tape
    labels = [tape.labels[i] for i in tape.operations]
    # x*y is z1 and z3 is named by the user, z2 is an input: sin(x) is z4, the output z5
    assert labels == ["z1", "z4", "z3", "z5"]


def test_same_right_hand_side_is_one_node_and_the_table_says_so():
    result = exprdiff.compile("a = x*y; b = x*y; L = a + b").grad({"x": 2, "y": 3}, record=True)
    forward = [row for row in result.steps().forward if row.kind == "operation"]
    assert [row.node for row in forward] == ["a", "L"]
    assert "also b" in forward[0].op
    assert result.gradient == {"x": 6.0, "y": 4.0}


def test_final_bare_expression_is_the_output():
    result = exprdiff.grad("h = x*y\nh + 1", {"x": 2, "y": 3})
    assert result.value == 7.0 and result.gradient == {"x": 3.0, "y": 2.0}


def test_unused_statement_is_a_warning():
    done = run("grad", "a = x*2; b = x*3; L = a + 1", "--at", "x=1")
    assert done.exit_code == 0, done.output
    assert "warning: 'b' (line 1, column 10) is never used" in done.stderr


def test_newlines_inside_a_statement_are_white_space():
    assert exprdiff.grad("h = x +\n  y\nL = h*2", {"x": 1, "y": 2}).value == 6.0
    assert exprdiff.grad("x\n+ y", {"x": 1, "y": 2}).value == 3.0  # as before programs


def test_batch_json_line_carries_a_program():
    line = json.dumps({"expr": "h = x*y; L = h + x", "at": {"x": 2, "y": 3}})
    done = run("grad", "-", "--format", "jsonl", input=f"{line}\nx*y ; x=1, y=2\n")
    assert done.exit_code == 0, done.output
    first, second = (json.loads(text) for text in done.stdout.splitlines())
    assert first["value"] == 8.0 and first["outputs"] == {"L": 8.0}
    assert second["value"] == 2.0 and "outputs" not in second


# ---- mistakes: the caret on the right statement and line ----------------------------------------

MISTAKES = [
    ("b = a\na = x", "used before it is assigned", 2, 1, 5),
    ("a = x; a = 2*x", "assigned twice", 1, 8, 8),
    ("h = h + 1", "used in its own definition", 1, 5, 5),
    ("sin = x", "it is a function", 1, 1, 1),
    ("pi = 3", "it is a constant", 1, 1, 1),
    ("e = x", "it is a constant", 1, 1, 1),
    ("a = x;; L = a", "empty statement", 1, 7, 7),
    ("; a = x", "empty statement", 1, 1, 1),
    ("a = x b = a", "without a ';' or a line break", 1, 7, 7),
    ("a = x\nb = a\n\nc = b c", "without a ';' or a line break", 4, 7, 20),
    ("a = x; a*2; L = a", "only the last one may be a bare expression", 1, 11, 11),
    ("x + 1 = 2", "no equations", 1, 7, 7),
]


@pytest.mark.parametrize(("text", "fragment", "line", "column", "absolute"), MISTAKES)
def test_program_mistakes(text, fragment, line, column, absolute):
    with pytest.raises(ExprError) as caught:
        exprdiff.compile(text)
    error = caught.value
    assert error.kind == "parse" and error.column == absolute, error.render()
    assert fragment in error.message + (error.hint or ""), error.render()
    assert f"line {line}" in error.message, error.render()
    done = run("grad", text, "--at", "x=1")
    assert done.exit_code == 2 and done.stderr.startswith("error:"), done.output
    assert "Traceback" not in done.output


# ---- limits ---------------------------------------------------------------------------------------


def test_ten_thousand_statements_work():
    lines = ["a0 = sin(x)"] + [f"a{k} = a{k - 1}*w + x" for k in range(1, 10_000)]
    result = exprdiff.compile("\n".join(lines)).grad({"x": 0.0, "w": 0.5})
    # a0 = 0 and a_k = a_(k-1)/2 + 0: every statement is 0; ∂/∂x sums the chain 2 - 2^-(n-1)
    assert result.value == 0.0 and result.outputs == {"a9999": 0.0}
    assert close(result.gradient["x"], 2.0)


def test_more_statements_than_the_cap_is_a_clear_error(monkeypatch):
    from exprdiff import statements

    monkeypatch.setattr(statements, "MAX_STATEMENTS", 100)
    text = "; ".join(f"a{k} = x + {k}" for k in range(101))
    with pytest.raises(ExprError) as caught:
        exprdiff.compile(text)
    assert caught.value.kind == "limit" and "more than 100 statements" in caught.value.message
    assert caught.value.column == text.index("a100") + 1


def test_output_named_by_an_alias_of_an_input():
    assert exprdiff.grad("a = x", {"x": 1}).outputs == {"a": 1.0}


def test_the_picture_uses_the_statement_names():
    done = run("graph", SEED002, "--at", "y=5,w=2,x=1,b=1", "--format", "mermaid")
    assert done.exit_code == 0, done.output
    assert 'title: "program: w5 = w*x;' in done.stdout
    assert "<b>w8 = y - w7</b>" in done.stdout and "∂w8/∂w = -1" in done.stdout
    assert "z1" not in done.stdout and "f = " not in done.stdout


def test_forward_mode_names_the_output():
    done = run("grad", "h = x*y; L = sin(h) + x", "--at", "x=1,y=2", "--mode", "forward",
               "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["outputs"] == {"L": math.sin(2) + 1}
    table = run("grad", "h = x*y; L = sin(h) + x", "--at", "x=0,y=2", "--mode", "forward")
    assert "program: h = x*y; L = sin(h) + x" in table.stdout
    assert "∂L/∂x = 3  (forward mode)" in table.stdout  # y·cos(0) + 1


# ---- the output's own name in every report -----------------------------------------------------


def test_check_tables_name_the_output_statement():
    out = run("grad", "h = x*y; L = h**2 + x", "--at", "x=1,y=2", "--check").output
    assert "∂L/∂x = 2*x*y**2 + 1" in out and "∂L/∂y" in out
    assert "∂f/" not in out


def test_check_of_a_jacobian_says_which_row_it_checked():
    out = run("grad", "h = x*y; L = h**2 + x", "--at", "x=1,y=2", "--of", "L,h",
              "--check").output
    assert "the check is of L's row of the Jacobian; check h with --of h --check" in out


def test_hessian_of_a_program_names_its_output():
    result = run("hessian", "h = x*y; L = h**2 + x", "--at", "x=1,y=2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("program: h = x*y; L = h**2 + x\n")
    assert "∂L/∂x = 9" in result.output and "∂f/" not in result.output
    record = json.loads(run("hessian", "h = x*y; L = h**2 + x", "--at", "x=1,y=2",
                            "--format", "json").output)
    assert record["outputs"] == {"L": 5.0} and record["hessian"] == [[8.0, 8.0], [8.0, 2.0]]
    assert "outputs" not in json.loads(run("hessian", "x*y", "--at", "x=1,y=2",
                                           "--format", "json").output)


def test_expect_on_a_program_names_its_output():
    out = run("grad", "h = x*y; L = h**2 + x", "--at", "x=1,y=2",
              "--expect", "x=2*h*y+1,y=2*h").output
    assert "∂L/∂x = 2*h*y+1: right (at the one point)" in out
    assert "∂L/∂y = 2*h: right" in out and "∂f/" not in out


def test_latex_writes_the_statements_and_every_row_of_the_jacobian():
    out = run("grad", NETWORK, "--at", NETWORK_ARG, "--of", "L,yhat", "--wrt", "w11,v1",
              "--format", "latex").output
    assert r"h_{1} &= \operatorname{relu}\left(w_{11} \cdot x_{1} + w_{12} \cdot x_{2}" in out
    assert r"L &= \frac{{\left(\mathit{yhat} - y\right)}^{2}}{2} \\" in out
    assert r"\frac{\partial L}{\partial w_{11}} &= -4.875" in out
    assert r"\frac{\partial \mathit{yhat}}{\partial v_{1}} &= 0.1" in out
    assert "z_{" not in out  # no intermediate is named in place of the statements


def test_a_wide_jacobian_is_split_into_tables_that_fit_the_terminal():
    result = CliRunner().invoke(main, ["grad", NETWORK, "--at", NETWORK_ARG, "--of", "L,yhat"],
                                env={"COLUMNS": "80"})
    lines = result.output.splitlines()
    table = lines[lines.index(next(line for line in lines if "value" in line)):]
    assert max(map(len, table)) <= 80, table
    assert "…" not in "".join(table)  # no cell cut short
    for name in NETWORK_AT:
        assert sum(f"∂/∂{name} " in line + " " for line in table) == 1, name
    assert sum(line.startswith("yhat ") for line in table) >= 2  # each part names its rows


def test_graph_legend_names_the_output_statement():
    out = run("graph", "h = x*y; L = h**2 + x", "--at", "x=1,y=2", "--format", "dot").output
    assert "adjoint ∂L/∂node" in out and "∂L/∂h = " in out and "∂f/" not in out


def test_batch_blocks_name_the_output_statement():
    from exprdiff.render.batch_table import block

    line = json.dumps({"expr": "h = x*y; L = h**2 + x", "at": {"x": 1, "y": 2}})
    record = json.loads(run("grad", "-", "--format", "jsonl", input=line + "\n").stdout)
    text = "\n".join(str(part) for part in block(record, None, 80))
    assert "∂L/∂x  9" in text and "∂f/" not in text
