"""`exprdiff codegen` and exprdiff.codegen: the generated Python, NumPy and C give the tape's own
sweeps' value and gradient (within 1e-12), for random expressions and for every row of the
primitive table at its sample points, and fail, warn or raise where `exprdiff grad` does (a grid
of points on and around every row's kinks, poles and domain edges)."""

from __future__ import annotations

import ctypes
import itertools
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import SEED_001, missing_tool
from strategies import random_cases
from test_ops import DOMAIN_POINTS, _text

import exprdiff
from exprdiff import ops
from exprdiff.cli.commands import main
from exprdiff.codegen import c_source, compile_python, numpy_source, python_source

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ("h1 = relu(w11*x1 + w12*x2 + b1)\nh2 = relu(w21*x1 + w22*x2 + b2)\n"
           "yhat = v1*h1 + v2*h2 + c\nL = (yhat - y)**2 / 2\n")
RANDOM = [(text, point) for text, point, _ in random_cases(20, 60, max_depth=6)]
ROWS = [(_text(name, len(args)), {f"a{k}": v for k, v in enumerate(args)})
        for name, points in DOMAIN_POINTS.items() for args in points]
#: Every row at every point of {-1, 0, 1}ⁿ: its kinks, jumps, poles and domain edges.
GRID = [(_text(op.name, n), dict(zip([f"a{k}" for k in range(n)], args, strict=True)))
        for op in ops.TABLE for n in sorted({op.arity[0], min(op.arity[0] + 1, 3)})
        if op.accepts(n) for args in itertools.product((-1.0, 0.0, 1.0), repeat=n)]


def close(got: float, want: float, scale: float) -> bool:
    return abs(got - want) <= 1e-12 * max(abs(want), scale, 1e-300)


def expect_same(text: str, point: dict[str, float], value: float, gradient: tuple[float, ...],
                where: str) -> None:
    result = exprdiff.grad(text, point)
    want = tuple(result.gradient.values())
    scale = max((abs(g) for g in want), default=0.0)
    assert close(value, result.value, abs(result.value)), (where, text, point, value, result.value)
    assert all(close(g, w, scale) for g, w in zip(gradient, want, strict=True)), (
        where, text, point, gradient, want)


def at(text: str, point: dict[str, float]) -> list[float]:
    """The point's values in the order of the generated function's parameters."""
    return [point[name] for name in exprdiff.compile(text).variables]


def loaded(source: str, name: str) -> object:
    namespace: dict[str, object] = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - our own code
    return namespace[name]


def outcome(call) -> tuple[str, object]:
    """("ok", result), ("kink", result) or ("error", the exception's class name)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except (ArithmeticError, exprdiff.ExprError) as problem:
            return "error", type(problem).__name__
    return ("kink" if caught else "ok"), result


# ---- Python and NumPy ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "point"), RANDOM + ROWS, ids=range(len(RANDOM + ROWS)))
def test_python_matches_the_sweeps(text, point):
    tape = exprdiff.compile(text).tape
    value, gradient = compile_python(tape)(*at(text, point))
    expect_same(text, point, value, gradient, "python")
    function = loaded(python_source(tape, "forward"), "value_and_jvp")
    for k in range(len(point)):
        direction = [float(j == k) for j in range(len(point))]
        value, tangent = function(*at(text, point), *direction)
        assert close(tangent, gradient[k], max(map(abs, gradient))), (text, point, k)


@pytest.mark.parametrize(("text", "point"), RANDOM + ROWS, ids=range(len(RANDOM + ROWS)))
def test_numpy_matches_the_sweeps(text, point):
    np = pytest.importorskip("numpy")
    tape = exprdiff.compile(text).tape
    function = loaded(numpy_source(tape), "value_and_grad")
    arrays = [np.array([v, v]) for v in at(text, point)]
    value, gradient = function(*arrays)
    assert value.shape == (2,) and all(g.shape == (2,) for g in gradient)
    expect_same(text, point, float(value[1]), tuple(float(g[1]) for g in gradient), "numpy")
    forward = loaded(numpy_source(tape, "forward"), "value_and_jvp")
    ones = [np.ones(2) for _ in point]
    value, tangent = forward(*arrays, *ones)
    assert close(float(tangent[0]), math.fsum(float(g[0]) for g in gradient),
                 sum(abs(float(g[0])) for g in gradient)), (text, point)


@pytest.mark.parametrize(("text", "point"), GRID, ids=[f"{t} {p}" for t, p in GRID])
def test_python_fails_and_warns_where_exprdiff_does(text, point):
    """exprdiff's verdict (a gradient, one with a kink warning, a domain error) is the code's."""
    kind, want = outcome(lambda: exprdiff.grad(text, point))
    if kind == "ok" and want.warnings:
        kind = "kink"
    tape = exprdiff.compile(text).tape
    function = loaded(python_source(tape), "value_and_grad")
    got_kind, got = outcome(lambda: function(*at(text, point)))
    expected = "DomainError" if kind == "error" else kind
    assert (got_kind if got_kind != "error" else got) == expected, (text, point, want, got)
    if kind != "error":
        expect_same(text, point, got[0], got[1], "python at a kink")
        if kind == "kink":
            with pytest.raises(ArithmeticError, match="not (differentiable|continuous) at node"):
                function(*at(text, point), strict=True)


def test_a_domain_error_names_the_node_as_exprdiff_does():
    function = compile_python(exprdiff.compile("log(x - 1)*y").tape)
    with pytest.raises(ArithmeticError, match=r"log is undefined at node z2 = log\(x - 1\), "
                                              r"where x - 1 = 0\.0"):
        function(1.0, 2.0)
    numpy = pytest.importorskip("numpy")
    arrays = loaded(numpy_source(exprdiff.compile("log(x - 1)*y").tape), "value_and_grad")
    with pytest.raises(ArithmeticError, match=r"x - 1 = -1\.0 .*\(first at row 2\)"):
        arrays(numpy.array([3.0, 2.5, 0.0]), 1.0)


def test_kinks_warn_with_the_node_and_raise_when_strict():
    function = loaded(python_source(exprdiff.compile("abs(x - 1)*y").tape), "value_and_grad")
    with pytest.warns(UserWarning, match=r"not differentiable at node z2 = abs\(x - 1\): abs has "
                                         "a corner at 0"):
        assert function(1.0, 2.0) == (0.0, (0.0, 0.0))
    with pytest.warns(UserWarning, match="abs has a corner"):
        assert compile_python(exprdiff.compile("abs(x - 1)*y").tape, strict=False)(1.0, 2.0)[0] == 0
    with pytest.raises(ArithmeticError):
        compile_python(exprdiff.compile("abs(x - 1)*y").tape)(1.0, 2.0)


def test_seed_and_network_read_as_the_docs_show():
    text, point, value, gradient = SEED_001
    source = python_source(exprdiff.compile(text).tape)
    assert "d_z1 -= d_z3  # ∂z3/∂z1 = -1" in source
    assert compile_python(exprdiff.compile(text).tape)(*point.values()) == (
        value, tuple(gradient.values()))
    network = python_source(exprdiff.compile(NETWORK).tape)
    assert "h1 = z4 if z4 > 0 else 0.0  # h1 = relu(z4)" in network
    assert "d_h1 = d_z9 * v1  # ∂z9/∂h1 = v1" in network
    docs = (ROOT / "docs" / "codegen.md").read_text(encoding="utf-8")
    assert source.split("def ")[1] in docs  # the docs show today's code


def test_names_that_are_keywords_or_ours_are_renamed():
    text = "lambda + int*double + value*strict + d_x*x + _p"
    tape = exprdiff.compile(text).tape
    source = python_source(tape)
    assert "def value_and_grad(lambda_, int_, double_, value_, strict_, d_x, x, v_p, " in source
    assert "d_x_ = " in source  # x's adjoint, since d_x is a variable
    point = {n: float(k + 2) for k, n in enumerate(tape.variables)}
    value, gradient = compile_python(tape)(*at(text, point))
    expect_same(text, point, value, gradient, "renamed")


def test_codegen_is_not_loaded_by_import_or_grad():
    code = ("import sys, exprdiff, exprdiff.cli.commands; exprdiff.grad('x*y', {'x': 1, 'y': 2});"
            "print([m for m in sys.modules if m.startswith('exprdiff.codegen')])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


# ---- C -------------------------------------------------------------------------------------


def c_library(tmp_path: Path, cases: list[tuple[str, dict[str, float]]]) -> ctypes.CDLL:
    """Every case's reverse and forward functions (f0, t0, f1, …) built by `cc -O2 -Wall -Werror`
    into one shared library."""
    compiler = shutil.which("cc")
    if compiler is None:
        missing_tool("no C compiler (cc)")
    parts = []
    for k, (text, _) in enumerate(cases):
        tape = exprdiff.compile(text).tape
        parts += [c_source(tape, name=f"f{k}"), c_source(tape, "forward", name=f"t{k}")]
    (tmp_path / "generated.c").write_text("\n".join(parts), encoding="utf-8")
    done = subprocess.run([compiler, "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o",
                           str(tmp_path / "generated.so"), str(tmp_path / "generated.c"), "-lm"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return ctypes.CDLL(str(tmp_path / "generated.so"))


def call_c(library: ctypes.CDLL, name: str, args: list[float], outputs: int,
           strict: int = 0) -> tuple[int, float, list[float]]:
    value, results = ctypes.c_double(), (ctypes.c_double * max(outputs, 1))()
    function = getattr(library, name)
    function.restype = ctypes.c_int
    status = function(*map(ctypes.c_double, args), ctypes.byref(value), results,
                      ctypes.c_int(strict))
    return status, value.value, list(results)[:outputs]


def test_c_compiles_and_matches_the_sweeps(tmp_path):
    cases = RANDOM + ROWS
    library = c_library(tmp_path, cases)
    for k, (text, point) in enumerate(cases):
        status, value, gradient = call_c(library, f"f{k}", at(text, point), len(point))
        assert status == 0, (text, point)
        expect_same(text, point, value, tuple(gradient), "c")
        status, _, (tangent,) = call_c(library, f"t{k}", [*at(text, point), *[1.0] * len(point)],
                                       1)
        assert status == 0 and close(tangent, math.fsum(gradient), sum(map(abs, gradient)))


def test_c_fails_and_warns_where_exprdiff_does(tmp_path, capfd):
    library = c_library(tmp_path, GRID)
    for k, (text, point) in enumerate(GRID):
        kind, want = outcome(lambda: exprdiff.grad(text, point))  # noqa: B023 - called at once
        if kind == "ok" and want.warnings:
            kind = "kink"
        status, value, gradient = call_c(library, f"f{k}", at(text, point), len(point),
                                         strict=1)
        assert status == {"ok": 0, "error": 1, "kink": 2}[kind], (text, point, want, status)
        if kind == "ok":
            expect_same(text, point, value, tuple(gradient), "c")
    assert "error: " in capfd.readouterr().err


# ---- the command ---------------------------------------------------------------------------


def test_codegen_command_prints_each_language(runner, tmp_path):
    (tmp_path / "net.txt").write_text(NETWORK, encoding="utf-8")
    done = runner.invoke(main, ["codegen", "-f", str(tmp_path / "net.txt")])
    assert done.exit_code == 0, done.output
    assert "def value_and_grad(w11, x1, w12, x2, b1, w21, w22, b2, v1, v2, c, y, " in done.output
    assert "d_yhat = d_z12  # ∂z12/∂yhat = 1" in done.output
    same = runner.invoke(main, ["codegen", "@" + str(tmp_path / "net.txt")])
    assert same.output == done.output
    for lang, mark in (("numpy", "np.where(z4 > 0, z4, 0.0)"), ("c", "int value_and_grad(")):
        done = runner.invoke(main, ["codegen", "-f", str(tmp_path / "net.txt"), "--lang", lang])
        assert done.exit_code == 0 and mark in done.output, done.output
    done = runner.invoke(main, ["codegen", "x*y", "--mode", "forward"])
    assert "def value_and_jvp(x, y, t_x, t_y, strict=False):" in done.output


def test_codegen_help_has_examples(runner):
    done = runner.invoke(main, ["codegen", "--help"])
    assert done.exit_code == 0
    assert "exprdiff codegen \"x1**2 + 3*(x2*x3 - x1**2)\" --lang c" in done.output


@pytest.mark.parametrize(("args", "message"), [
    (["codegen", "x", "--lang", "java"], "Invalid value for '--lang'"),
    (["codegen", "x", "--mode", "sideways"], "Invalid value for '--mode'"),
    (["codegen"], "give EXPR or -f FILE"),
    (["codegen", "x", "-f", "net.txt"], "give EXPR or -f FILE"),
    (["codegen", "x1 + )"], "unexpected ')'"),
    (["codegen", "sni(x)"], "did you mean 'sin'"),
    (["codegen", "-f", "no-such-file.txt"], "no such file"),
])
def test_codegen_usage_errors_exit_2_without_a_traceback(args, message):
    done = subprocess.run([sys.executable, "-m", "exprdiff", *args], capture_output=True,
                          text=True, check=False, env={"NO_COLOR": "1", "PATH": ""})
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
