"""The expression families the harness times: seeds, wide(N), deep(D), a tanh network loss."""

from __future__ import annotations

import random

SEEDS = {
    "seed-000": ("(a - b)**2", {"a": 2.0, "b": 0.0}),
    "seed-001": ("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1.0, "x2": 2.0, "x3": 3.0}),
    "seed-002": ("y - max(0, w*x + b)", {"y": 5.0, "w": 2.0, "x": 1.0, "b": 1.0}),
}

#: The 3-variable expression evaluated at many points.
POINTS_EXPR = "sin(x*y) + exp(-z**2)*x + sqrt(x**2 + y**2 + 1)"


def wide(n: int) -> str:
    """Σ_i sin(x_i·x_{i+1}) + x_i², i = 1…n (indices wrap): n variables, 6n tape nodes."""
    return " + ".join(f"sin(x{i}*x{i % n + 1}) + x{i}**2" for i in range(1, n + 1))


def deep(d: int) -> str:
    """sqrt(z**2 + 1) nested d times: a chain 3d operations long, depth d in the source."""
    text = "z"
    for _ in range(d):
        text = f"sqrt({text}**2 + 1)"
    return text


def tanh_chain(d: int) -> str:
    """tanh(0.9*z + 0.1) nested d times: 3d operations that no simplifier can collapse (unlike
    deep(d), where SymEngine turns sqrt(u)**2 into u), depth d in the source."""
    text = "z"
    for _ in range(d):
        text = f"tanh(0.9*{text} + 0.1)"
    return text


def network(inputs: int = 16, hidden: int = 32, seed: int = 1) -> str:
    """(Σ_j v_j·tanh(Σ_i w_j_i·x_i + b_j) - y)² with data x, y as numbers: 576 weights."""
    rng = random.Random(seed)
    xs = [round(rng.uniform(-1, 1), 3) for _ in range(inputs)]
    units = []
    for j in range(hidden):
        terms = " + ".join(f"w{j}_{i}*{x}" for i, x in enumerate(xs))
        units.append(f"v{j}*tanh({terms} + b{j})")
    return f"({' + '.join(units)} - {round(rng.uniform(-1, 1), 3)})**2"


def point_for(names: tuple[str, ...], seed: int = 2) -> dict[str, float]:
    """A reproducible point: every variable in [0.1, 0.9] (inside every family's domain)."""
    rng = random.Random(seed)
    return {name: rng.uniform(0.1, 0.9) for name in names}
