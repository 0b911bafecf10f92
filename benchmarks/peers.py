"""The tools a user would pick instead. PyTorch (eager autograd), JAX (jit of value_and_grad)
and SymPy (expression, diff per variable, evaluation) are given our parsed tape (their parse
time is not counted, which favours them); SymEngine parses the text itself (its own `sympify`,
then diff per variable and subs). Each is optional except SymPy."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from exprdiff.tape import Tape


def available(name: str) -> bool:
    """Whether `name` imports; a broken install (torch's missing shared libraries raise
    OSError) counts as absent, so the harness still runs without that peer."""
    try:
        __import__(name)
    except Exception:  # noqa: BLE001 - any failure to import means: not available
        return False
    return True


def _replay(tape: Tape, table: dict[str, Callable[..., Any]], inputs: list[Any],
            constant: Callable[[Tape, int], Any]) -> Any:
    values: list[Any] = [constant(tape, i) if kind == "constant" else None
                         for i, kind in enumerate(tape.kinds)]
    for i, x in zip(tape.inputs.values(), inputs, strict=True):
        values[i] = x
    for i, _, _, args in tape.program:
        op = tape.ops[i]
        values[i] = table[op.name](*[values[a] for a in args])  # type: ignore[union-attr]
    return values[tape.output]


def _float_constant(tape: Tape, i: int) -> float:
    return tape.constants[i]


_BASIC = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": operator.truediv, "neg": operator.neg, "pow": operator.pow}


def torch_table() -> dict[str, Callable[..., Any]]:
    import torch

    def both(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda a, b: f(torch.as_tensor(a, dtype=torch.float64),
                              torch.as_tensor(b, dtype=torch.float64))

    return {**_BASIC, "sin": torch.sin, "cos": torch.cos, "exp": torch.exp, "tanh": torch.tanh,
            "sqrt": torch.sqrt, "max": both(torch.maximum), "min": both(torch.minimum),
            "relu": torch.relu, "abs": torch.abs, "log": torch.log, "ln": torch.log}


def torch_grad(tape: Tape, point: list[float]) -> list[float]:
    """Scalar tensors, eager ops, one backward()."""
    import torch

    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = _replay(tape, torch_table(), xs, _float_constant)
    out.backward()
    return [x.grad.item() for x in xs]  # type: ignore[union-attr]


def torch_points(tape: Tape, columns: list[Any]) -> tuple[Any, list[Any]]:
    """Vectorised: one tensor per variable over all rows; sum().backward() gives each row's."""
    import torch

    xs = [torch.from_numpy(c).requires_grad_(True) for c in columns]
    out = _replay(tape, torch_table(), xs, _float_constant)
    out.sum().backward()
    return out.detach().numpy(), [x.grad.numpy() for x in xs]  # type: ignore[union-attr]


def jax_setup() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def jax_table() -> dict[str, Callable[..., Any]]:
    import jax.numpy as jnp

    return {**_BASIC, "sin": jnp.sin, "cos": jnp.cos, "exp": jnp.exp, "tanh": jnp.tanh,
            "sqrt": jnp.sqrt, "max": jnp.maximum, "min": jnp.minimum,
            "relu": lambda x: jnp.maximum(x, 0.0), "abs": jnp.abs, "log": jnp.log,
            "ln": jnp.log}


def jax_function(tape: Tape) -> Callable[..., Any]:
    """f(x) with x the vector of inputs, traced op by op from the tape."""
    table = jax_table()
    count = len(tape.inputs)

    def f(x: Any) -> Any:
        return _replay(tape, table, [x[k] for k in range(count)], _float_constant)

    return f


def jax_grad_compiled(tape: Tape, point: list[float]) -> list[float]:
    """A fresh jit(value_and_grad) each call: tracing and XLA compilation included."""
    jax = jax_setup()
    import jax.numpy as jnp

    g = jax.jit(jax.value_and_grad(jax_function(tape)))
    _, grad = g(jnp.asarray(point))
    return list(grad.block_until_ready().tolist())


def jax_points(tape: Tape) -> Callable[[list[Any]], Any]:
    """jit(vmap(value_and_grad)) over rows; call it once to compile, then time steady state."""
    jax = jax_setup()
    import jax.numpy as jnp

    names = len(tape.inputs)
    table = jax_table()

    def f(*xs: Any) -> Any:
        return _replay(tape, table, list(xs), _float_constant)

    g = jax.jit(jax.vmap(jax.value_and_grad(f, argnums=tuple(range(names)))))

    def run(columns: list[Any]) -> Any:
        value, grads = g(*[jnp.asarray(c) for c in columns])
        value.block_until_ready()
        return value, grads

    return run


def sympy_grad(tape: Tape, point: list[float]) -> list[float]:
    """Build the expression from the tape, diff by every variable, evaluate each partial."""
    import sympy as sp

    symbols = [sp.Symbol(name) for name in tape.inputs]

    def constant(t: Tape, i: int) -> Any:
        label = t.labels[i]
        if label == "pi":
            return sp.pi
        if label == "e":
            return sp.E
        value = t.constants[i]
        return sp.Integer(int(value)) if value.is_integer() else sp.Float(value)

    values: list[Any] = [constant(tape, i) if kind == "constant" else None
                         for i, kind in enumerate(tape.kinds)]
    for i, s in zip(tape.inputs.values(), symbols, strict=True):
        values[i] = s
    for i, _, _, args in tape.program:
        values[i] = tape.ops[i].sympy(sp, *[values[a] for a in args])  # type: ignore[union-attr]
    expr = values[tape.output]
    subs = dict(zip(symbols, point, strict=True))
    return [float(sp.diff(expr, s).evalf(subs=subs)) for s in symbols]


#: Function names SymEngine's parser spells otherwise (its `max` is an undefined function).
SYMENGINE_NAMES = {"max": "Max", "min": "Min"}


def symengine_text(text: str) -> str:
    """Our text in SymEngine's spelling of the functions (SYMENGINE_NAMES); nothing else
    changes: `^`, `ln`, `abs`, numbers and names are SymEngine's own syntax too."""
    import re

    return re.sub(r"\b(max|min)(?=\s*\()", lambda m: SYMENGINE_NAMES[m.group(1)], text)


def symengine_own(text: str, names: list[str], point: list[float]) -> list[float]:
    """SymEngine's own pipeline from the text: its parser (`sympify`), `diff` by every
    variable, each partial substituted at the point (the expression simplifies as SymEngine
    builds it: `sqrt(u)**2` becomes `u`)."""
    import symengine as se

    expr = se.sympify(symengine_text(text))
    symbols = [se.Symbol(name) for name in names]
    subs = dict(zip(symbols, point, strict=True))
    return [float(se.diff(expr, s).subs(subs)) for s in symbols]


def symengine_grad(tape: Tape, point: list[float]) -> list[float]:
    """symengine_own on the tape's source text (SymEngine parses it; the tape gives only the
    variables' order)."""
    return symengine_own(tape.source, list(tape.inputs), point)


def close(a: list[float], b: list[float]) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b, strict=True))
