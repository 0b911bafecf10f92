"""The `hessian` table of `python -m benchmarks`: exprdiff's Hessian (forward-over-reverse) and
H·v against one gradient, SymPy (symbolic Hessian, then evaluated), and PyTorch
(`torch.func.hessian`, jvp of grad) and JAX (jit of `jax.hessian`, jvp of grad) when they are
installed (their columns are left out otherwise).

Every peer is given our parsed tape (as in peers.py) and checked against exprdiff's numbers
before it is timed; SymPy runs under the budget's alarm.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import exprdiff

from . import cases, peers, timing


def rosenbrock(n: int) -> str:
    """Σ_i (1 - x_i)² + 100 (x_{i+1} - x_i²)², i = 1…n-1: n variables."""
    return " + ".join(f"(1-x{i})**2 + 100*(x{i + 1}-x{i}**2)**2" for i in range(1, n))


def _sympy(compiled: exprdiff.Compiled, point: dict[str, float],
           direction: list[float] | None) -> Callable[[], list[float]]:
    """SymPy's Hessian (or H·v as the gradient of ∇f·v), built and evaluated per call."""
    from exprdiff.oracle.symbolic import program, to_sympy

    def run() -> list[float]:
        import sympy as sp

        expr, symbols = to_sympy(program(compiled.tree))
        names = list(compiled.variables)
        xs = [symbols[n] for n in names]
        subs = {symbols[n]: point[n] for n in names}
        if direction is None:
            matrix = sp.hessian(expr, xs)
            return [float(e.evalf(subs=subs)) for e in matrix]
        slope = sum((sp.diff(expr, x) * d for x, d in zip(xs, direction, strict=True) if d),
                    sp.Integer(0))
        return [float(sp.diff(slope, x).evalf(subs=subs)) for x in xs]

    return run


def _torch(tape: Any, point: list[float], direction: list[float] | None) -> Callable[[], Any]:
    import torch

    table = peers.torch_table()

    def f(x: Any) -> Any:
        return peers._replay(tape, table, [x[k] for k in range(len(point))],
                             peers._float_constant)

    x = torch.tensor(point, dtype=torch.float64)
    if direction is None:
        return lambda: torch.func.hessian(f)(x).flatten().tolist()
    v = torch.tensor(direction, dtype=torch.float64)
    return lambda: torch.func.jvp(torch.func.grad(f), (x,), (v,))[1].tolist()


def _jax(tape: Any, point: list[float], direction: list[float] | None) -> Callable[[], Any]:
    jax = peers.jax_setup()
    import jax.numpy as jnp

    f = peers.jax_function(tape)
    x = jnp.asarray(point)
    if direction is None:
        h = jax.jit(jax.hessian(f))
        return lambda: h(x).block_until_ready().flatten().tolist()
    v = jnp.asarray(direction)
    hv = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
    return lambda: hv(x, v).block_until_ready().tolist()


def _close(found: list[float], expected: list[float]) -> bool:
    return all(abs(a - b) <= 1e-8 * max(1.0, abs(b)) for a, b in zip(found, expected,
                                                                         strict=True))


def _peer(make: Callable[[], Callable[[], Any]], expected: list[float],
          budget: float) -> float | None:
    """Seconds per call of a peer (None: over budget, failed, or wrong)."""
    try:
        with timing.deadline(budget):
            run = make()
            if not _close(run(), expected):
                return None
            return timing.timeit(run, warm=False, min_reps=1, max_reps=20)[0]
    except Exception:  # noqa: BLE001 - a peer that fails has no figure
        return None


def table(args: argparse.Namespace, out: list[str]) -> None:
    """Hessian of seed 001, of Rosenbrock over 10 and 100 variables and of the benchmarks'
    network loss (cases.network: 16 inputs × 32 tanh units, 576 weights); H·v on wide(N)."""
    from .__main__ import ratio, show

    width, many = (10, 10) if timing.SMOKE else (1000, 100)
    inputs, hidden = (2, 2) if timing.SMOKE else (16, 32)  # the harness's network: 576 weights
    seed_text, seed_point = cases.SEEDS["seed-001"]
    rows: list[tuple[str, str, dict[str, float] | None, bool]] = [
        ("seed-001 Hessian", seed_text, seed_point, False),
        ("Rosenbrock(10) Hessian", rosenbrock(10), None, False),
        (f"Rosenbrock({many}) Hessian", rosenbrock(many), None, False),
        (f"network({inputs}×{hidden}) Hessian", cases.network(inputs, hidden), None, False),
        (f"wide({width}) H·v", cases.wide(width), None, True),
    ]
    others = [(name, make) for name, make in (("PyTorch", _torch), ("JAX", _jax))
              if peers.available(name.lower().replace("pytorch", "torch"))]
    head = ["case", "exprdiff", "one gradient", "÷ gradient", "SymPy", "÷ SymPy"]
    for name, _ in others:
        head += [name, f"÷ {name}"]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, text, point, product in rows:
        compiled = exprdiff.compile(text, tree=True)
        at = point or cases.point_for(compiled.variables)
        values = list(at.values())
        direction = [(-1.0) ** k for k in range(len(values))] if product else None
        if direction is None:
            ours = compiled.hessian(at)
            expected = [v for row in ours.hessian for v in row]
            run: Callable[[], Any] = lambda c=compiled, a=at: c.hessian(a)  # noqa: E731
        else:
            v = dict(zip(compiled.variables, direction, strict=True))
            expected = list(compiled.hvp(at, v).hvp.values())
            run = lambda c=compiled, a=at, v=v: c.hvp(a, v)  # noqa: E731
        mine = timing.timeit(run)[0]
        gradient = timing.timeit(lambda c=compiled, a=at: c.grad(a))[0]
        symbolic = _peer(lambda c=compiled, a=at, d=direction: _sympy(c, a, d), expected,
                         args.budget)
        cells = [label, show(mine), show(gradient), f"{mine / gradient:.1f}", show(symbolic),
                 ratio(mine, symbolic)]
        for _, make in others:
            theirs = _peer(lambda m=make, c=compiled, p=values, d=direction: m(c.tape, p, d),
                           expected, args.budget)
            cells += [show(theirs), ratio(mine, theirs)]
        out.append("| " + " | ".join(cells) + " |")
        print(out[-1], file=sys.stderr, flush=True)
    out += ["", "exprdiff: Compiled.hessian / Compiled.hvp from a compiled tape (value and "
            "gradient included); SymPy: symbolic Hessian (H·v: the gradient of ∇f·v) built "
            "from the tape and evaluated, per call; PyTorch: torch.func.hessian, jvp of grad; "
            "JAX: jit of jax.hessian, jvp of grad, compiled once (steady state). — : over "
            f"the budget ({args.budget:g} s) or not installed."]
