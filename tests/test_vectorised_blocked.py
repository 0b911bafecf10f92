"""The blocked, threaded sweep (vector.blocks.evaluate) is bitwise the plain whole-array sweep.

`sweep` keeps one array per node over all rows; `evaluate` runs the same ufuncs block by block
in reused buffers, over several threads. Every value and partial must be the same float, and
the rows handed to the scalar path must be exactly those where some node's value or adjoint is
not finite or a kinked op sits on its kink.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

import exprdiff
from exprdiff.ops import FUNCTIONS, OPERATORS
from exprdiff.tape import CONSTANT, Tape

np = pytest.importorskip("numpy", reason="numpy is needed for the vectorised path")
blocks = pytest.importorskip("exprdiff.vector.blocks", reason="numpy is needed")
plans = pytest.importorskip("exprdiff.vector.plan", reason="numpy is needed")
rules = pytest.importorskip("exprdiff.vector.rules", reason="numpy is needed")


def _texts() -> list[str]:
    """Every op at every arity it takes (up to 3), plus mixes that share and reuse nodes."""
    texts = []
    for name, op in {**OPERATORS, **FUNCTIONS}.items():
        low, high = op.arity
        if name in OPERATORS and name != "pow":
            texts.append("-x" if name == "neg" else f"x {op.infix} y")
            continue
        for k in range(max(low, 1), (high or 3) + 1):
            texts.append(f"{name}({', '.join(['x', 'y', 'x*y'][:k])})")
    return texts + [
        "x**2", "x**3", "x**0.5", "x**-1", "x**0", "2**x", "x**y", "log(x, 2)", "log(2, x)",
        "3*x + 2*y", "2*x*y*3", "x", "-x", "x - x", "x*x*x*x", "exp(x)*exp(x)", "sign(x)*y",
        "1/(x - y)", "exp(exp(100*x))", "exp(-x**2)*y", "exp(-x**2)/y + 0*y",
        "sin(x*y) + exp(-z**2)*x + sqrt(x**2 + y**2 + 1)",
        "abs(x) + relu(y) + max(x, y, 0.5) + min(x, 1)", "tanh(x)*tanh(y)*sigmoid(x*y)",
        "hypot(x, y)*erf(x) + softplus(y)/cbrt(x)", "atan2(y, x)**2 + asin(x/4)*acos(y/4)",
    ]


def _columns(rng: object, names: tuple[str, ...], rows: int) -> list[object]:
    """Uniform values salted with 0, 1, 800 and ±1e200: kinks, poles, overflow, domain edges."""
    out = []
    for _ in names:
        column = rng.uniform(-3, 3, rows)  # type: ignore[attr-defined]
        for value, share in ((0.0, 0.1), (1.0, 0.05), (800.0, 0.05), (1e200, 0.04),
                             (-1e200, 0.04)):
            column[rng.random(rows) < share] = value  # type: ignore[attr-defined]
        out.append(column)
    return out


# ---- the reference: the plain whole-array sweep ------------------------------------------


def sweep(tape: Tape, inputs: Sequence[Any], rows: int) -> tuple[list[Any], list[Any]]:
    """Forward and reverse over arrays: (values, adjoints), one array (or scalar) per node.

    The plain form of the sweep, one whole array per node, with the ops of vector.rules:
    `evaluate` must give these floats bit for bit.
    """
    values: list[Any] = list(tape.constants)
    for i, column in zip(tape.inputs.values(), inputs, strict=True):
        values[i] = column
    ops = tape.ops
    with np.errstate(all="ignore"):
        for i, _, _, args in tape.program:
            values[i] = rules.NUMPY_OPS[ops[i].name][0](*[values[a] for a in args])  # type: ignore[union-attr]
        adjoint: list[Any] = [None] * len(tape)
        owned = [False] * len(tape)  # adjoint[i] is an array of its own, safe to add into
        adjoint[tape.output] = np.ones(rows)
        constant = [kind == CONSTANT for kind in tape.kinds]
        for i, _, _, args in reversed(tape.program):
            g = adjoint[i]
            local = rules.NUMPY_OPS[ops[i].name][1](values[i], *[values[a] for a in args])  # type: ignore[union-attr]
            for a, d in zip(args, local, strict=True):
                if not constant[a]:
                    _accumulate(adjoint, owned, a, g, d)
    return values, [0.0 if x is None else x for x in adjoint]


def _accumulate(adjoint: list[Any], owned: list[bool], a: int, g: Any, d: Any) -> None:
    """adjoint[a] += g·d, in place where adjoint[a] is its own array; ±1 partials multiply not."""
    sign = 1.0
    if type(d) is float and d in (1.0, -1.0):
        term, fresh, sign = g, False, d
    else:
        term, fresh = g * d, True
    current = adjoint[a]
    if current is None:
        if sign < 0:
            adjoint[a], owned[a] = np.negative(term), True
        else:
            adjoint[a], owned[a] = term, fresh
    elif owned[a]:
        (np.add if sign > 0 else np.subtract)(current, term, out=current)
    else:
        adjoint[a], owned[a] = (current + term if sign > 0 else current - term), True


def _bits(a: object, rows: int) -> object:
    """The float64 bit patterns (every NaN counted as one pattern)."""
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), (rows,))
    return np.where(np.isnan(a), np.nan, a).view(np.uint64)


def _reference(tape: object, inputs: list[object], rows: int,
               chosen: list[str]) -> tuple[object, dict[str, object], list[int]]:
    values, adjoints = sweep(tape, inputs, rows)
    value = _bits(values[tape.output], rows)
    gradient = {n: _bits(adjoints[tape.inputs[n]], rows) for n in chosen}
    bad = np.zeros(rows, dtype=bool)
    for i, kind in enumerate(tape.kinds):
        if kind != CONSTANT:
            bad |= ~np.isfinite(values[i]) | ~np.isfinite(adjoints[i])
    for i in tape.kink_nodes:
        args = [values[a] for a in tape.args[i]]
        bad |= rules.KINKS[tape.ops[i].name](values[i], *args)
    return value, gradient, np.flatnonzero(bad).tolist()


@pytest.mark.parametrize("text", _texts())
def test_blocked_and_threaded_sweeps_are_bitwise_the_plain_sweep(text: str) -> None:
    compiled = exprdiff.compile(text)
    rng = np.random.default_rng(11)
    chosen = list(compiled.variables)[::-1]  # --wrt order differs from the variables'
    for rows in (1, 7, 257):
        inputs = _columns(rng, compiled.variables, rows)
        value, gradient, suspect = _reference(compiled.tape, inputs, rows, chosen)
        for block, threads in ((None, None), (1, 1), (3, 2), (16, 3), (64, 2)):
            got_value, got_gradient, got_suspect = blocks.evaluate(
                compiled.tape, inputs, rows, chosen, block=block, threads=threads)
            where = (text, rows, block, threads)
            assert np.array_equal(_bits(got_value, rows), value), where
            for name in chosen:
                assert np.array_equal(_bits(got_gradient[name], rows), gradient[name]), where
            assert got_suspect == suspect, where
            assert list(got_gradient) == chosen


def test_salted_columns_reach_the_scalar_path() -> None:
    """The data above does produce non-finite nodes and kinks (else the test proves little)."""
    rng = np.random.default_rng(11)
    for text in ("exp(-x**2)*y", "abs(x) + relu(y)", "1/(x - y)"):
        compiled = exprdiff.compile(text)
        inputs = _columns(rng, compiled.variables, 257)
        _, _, suspect = blocks.evaluate(compiled.tape, inputs, 257, list(compiled.variables))
        assert 0 < len(suspect) < 257, text


def test_threads_and_blocks_change_nothing_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "sqrt(x) + abs(y - 1) + max(x, y)*exp(-x**2) + log(y)"
    compiled = exprdiff.compile(text)
    rng = np.random.default_rng(5)
    rows = 5000
    arrays = {"x": rng.uniform(-0.5, 3, rows), "y": rng.uniform(-0.5, 3, rows)}
    arrays["y"][::97] = 1.0  # abs kinks
    arrays["x"][::89] = arrays["y"][::89]  # max ties
    plain = compiled.grad_points(arrays)  # one block, one thread
    assert plain.errors and plain.warnings
    monkeypatch.setattr(blocks, "BLOCK_ROWS", 300)
    monkeypatch.setattr(blocks, "ROWS_PER_THREAD", 1000)
    monkeypatch.setattr(blocks, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(blocks, "_cores", lambda: 4)
    blocked = compiled.grad_points(arrays)
    assert np.array_equal(_bits(blocked.value, rows), _bits(plain.value, rows))
    for name in ("x", "y"):
        assert np.array_equal(_bits(blocked.gradient[name], rows),
                              _bits(plain.gradient[name], rows))
    assert sorted(blocked.errors) == sorted(plain.errors)
    assert {r: [w.op for w in ws] for r, ws in blocked.warnings.items()} == {
        r: [w.op for w in ws] for r, ws in plain.warnings.items()}
    for row in list(plain.errors)[:3] + list(plain.warnings)[:3]:
        point = {name: float(arrays[name][row]) for name in compiled.variables}
        try:
            scalar = compiled.grad(point)
        except exprdiff.ExprError as problem:
            assert blocked.errors[row].message == problem.message
        else:
            assert blocked.value[row] == scalar.value
            assert [w.op for w in blocked.warnings[row]] == [w.op for w in scalar.warnings]


def test_a_huge_tape_gets_short_blocks_and_the_same_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = "x" + "".join(f" + sin(x*{k}.5)*y" for k in range(60))
    compiled = exprdiff.compile(text)
    rng = np.random.default_rng(2)
    inputs = [rng.uniform(-1, 1, 3000) for _ in compiled.variables]
    chosen = list(compiled.variables)
    value, gradient, suspect = _reference(compiled.tape, inputs, 3000, chosen)
    monkeypatch.setattr(blocks, "BUFFER_BYTES", 256 * 1024)
    monkeypatch.setattr(blocks, "MIN_BLOCK_ROWS", 16)
    buffers = len(plans.cached_plan(compiled.tape, chosen).buffers)
    block, threads = blocks.block_and_threads(buffers, 3000, None, None)
    assert 16 <= block < 3000 // 8 and threads == 1
    assert 8 * block * buffers <= 256 * 1024
    assert blocks.block_and_threads(buffers, 3000, None, 2) == (block // 2, 2)
    monkeypatch.setattr(blocks, "BUFFER_BYTES", 1024)
    assert blocks.block_and_threads(buffers, 3000, None, None) == (16, 1)  # the floor
    got_value, got_gradient, got_suspect = blocks.evaluate(compiled.tape, inputs, 3000, chosen)
    assert np.array_equal(_bits(got_value, 3000), value)
    for name in chosen:
        assert np.array_equal(_bits(got_gradient[name], 3000), gradient[name])
    assert got_suspect == suspect == []


def test_buffers_are_reused_not_one_per_node() -> None:
    text = "x" + "".join(f" + sin(x*{k}.5)*y" for k in range(60))
    compiled = exprdiff.compile(text)
    plan = plans.plan(compiled.tape, list(compiled.variables))
    operations = len(compiled.tape.program)
    assert len(plan.steps) > 2 * operations  # forward and reverse steps ...
    assert len(plan.buffers) < operations  # ... in fewer buffers than nodes


def test_a_plan_is_made_once_per_tape_and_choice_of_partials() -> None:
    first = exprdiff.compile("x*2 + y")
    again = exprdiff.compile("x*2 + y")
    assert plans.cached_plan(first.tape, ["x", "y"]) is plans.cached_plan(first.tape, ["x", "y"])
    assert plans.cached_plan(first.tape, ["x"]) is not plans.cached_plan(first.tape, ["x", "y"])
    assert (plans.cached_plan(again.tape, ["x", "y"])
            is not plans.cached_plan(first.tape, ["x", "y"]))
    columns = {"x": [1.0, 2.0], "y": [0.0, 0.0]}
    assert list(first.grad_points(columns).gradient["x"]) == [2.0, 2.0]
    assert list(first.grad_points(columns, wrt=["y"]).gradient["y"]) == [1.0, 1.0]


def test_a_worker_thread_failure_is_raised_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    def kink_here(out: object, x: object) -> object:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("worker failed")
        return x == 0  # type: ignore[operator]

    monkeypatch.setitem(rules.KINKS, "abs", kink_here)
    compiled = exprdiff.compile("abs(x)")
    inputs = [np.linspace(-1, 1, 100)]
    with pytest.raises(RuntimeError, match="worker failed"):
        blocks.evaluate(compiled.tape, inputs, 100, ["x"], block=10, threads=2)


def test_no_rows() -> None:
    compiled = exprdiff.compile("x*y")
    batch = compiled.grad_points({"x": np.zeros(0), "y": np.zeros(0)})
    assert len(batch) == 0 and batch.gradient["y"].shape == (0,)


@pytest.mark.parametrize("text", ["relu(x) + y", "exp(-x**2)*y", "sign(x) + y", "max(x, 0)*y"])
def test_a_non_finite_input_is_refused_even_where_the_sweep_hides_it(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "BLOCK_ROWS", 64)
    monkeypatch.setattr(blocks, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(blocks, "ROWS_PER_THREAD", 100)
    compiled = exprdiff.compile(text)
    x = np.linspace(-1, 1, 1000)
    x[700], x[900] = -np.inf, np.nan  # relu(-inf) = 0, exp(-inf) = 0: nothing downstream shows
    with pytest.raises(exprdiff.ExprError, match="value of x in row 701 must be a finite number"):
        compiled.grad_points({"x": x, "y": np.ones(1000)})


def test_a_partial_that_returns_its_argument_keeps_that_buffer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Buffers are reused once their last reader ran; a view handed on must extend that."""
    for name in ("cbrt", "asinh", "log2"):
        monkeypatch.setitem(rules.NUMPY_OPS, name, (rules.NUMPY_OPS[name][0], lambda out, x: (x,)))
    rng = np.random.default_rng(0)
    for text in ("cbrt(x*y) + asinh(x+y)*log2(y*y) + cbrt(x-y)*x",
                 "asinh(sin(x)*y)*cbrt(cos(y)*x) + log2(x*x + y)"):
        compiled = exprdiff.compile(text)
        inputs = [rng.uniform(0.5, 1, 50) for _ in compiled.variables]
        chosen = list(compiled.variables)
        value, gradient, _ = _reference(compiled.tape, inputs, 50, chosen)
        got_value, got_gradient, _ = blocks.evaluate(compiled.tape, inputs, 50, chosen)
        assert np.array_equal(_bits(got_value, 50), value)
        for name in chosen:
            assert np.array_equal(_bits(got_gradient[name], 50), gradient[name]), (text, name)
