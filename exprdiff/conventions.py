"""What PyTorch, JAX and SymPy return at a kink or a jump, from their documented rules.

Nothing here imports them: each entry restates the derivative rule the tool itself declares
(PyTorch's tools/autograd/derivatives.yaml, JAX's jvp rules in jax/_src/lax/lax.py and
jax/_src/nn/functions.py, SymPy's `fdiff` methods; docs/oracle.md cites each one), applied to the
arguments at the point. One entry per primitive of ops.py that has a `kink` check (a test holds
the two lists together). A rule returns, per argument, the partial that tool's backward pass
gives there: a number, NAN where its formula divides 0 by 0, or None where the tool has no
number at all (SymPy's DiracDelta(0)) or no single documented rule (JAX's composite hypot).

`peers(warning, arguments)` → a Convention per argument of the node: exprdiff's one-sided
derivatives and the value it uses, beside the three tools'.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from exprdiff.forward import KinkWarning
from exprdiff.frozen import Value, _set

TOOLS = ("PyTorch", "JAX", "SymPy")
NAN = math.nan
Partials = tuple[float | None, ...]
Rule = Callable[..., dict[str, Partials]]


class Convention(Value):
    """One argument of one node at a kink or jump: what each tool says its partial is."""

    __slots__ = ("node", "expression", "op", "argument", "reason", "kind", "left", "right",
                 "exprdiff", "tools")
    node: str
    expression: str
    op: str
    argument: int
    reason: str
    kind: str
    left: float | None
    right: float | None
    exprdiff: float
    tools: dict[str, float | None]

    def __init__(self, warning: KinkWarning, argument: int, tools: dict[str, float | None]):
        _set(self, "node", warning.node)
        _set(self, "expression", warning.expression)
        _set(self, "op", warning.op)
        _set(self, "argument", argument)
        _set(self, "reason", warning.reason)
        _set(self, "kind", warning.kind)
        left, right = warning.one_sided[argument]
        _set(self, "left", left)
        _set(self, "right", right)
        _set(self, "exprdiff", warning.used[argument])
        _set(self, "tools", tools)

    def to_dict(self) -> dict[str, object]:
        return {"node": self.node, "expression": self.expression, "op": self.op,
                "argument": self.argument + 1, "kind": self.kind, "reason": self.reason,
                "left": self.left, "right": self.right, "exprdiff": self.exprdiff,
                **{tool.lower(): value for tool, value in self.tools.items()}}


def _abs(x: float) -> dict[str, Partials]:
    # PyTorch: grad * self.sgn(); JAX: select(x >= 0, g, -g); SymPy: Abs'(x) = sign(x).
    return {"PyTorch": (_sign(x),), "JAX": (1.0 if x >= 0 else -1.0,), "SymPy": (_sign(x),)}


def _relu(x: float) -> dict[str, Partials]:
    # PyTorch: threshold_backward(grad, result, 0); JAX: select(x > 0, g, 0) (jax.nn.relu);
    # SymPy: exprdiff's relu is Max(0, x), whose derivative is Heaviside(x), and H(0) = 1/2.
    step = 1.0 if x > 0 else 0.0
    return {"PyTorch": (step,), "JAX": (step,), "SymPy": (_heaviside(x),)}


def _sign(x: float) -> float:
    return 0.0 if x == 0 else math.copysign(1.0, x)


def _heaviside(x: float) -> float:
    """SymPy's Heaviside, H(0) = 1/2 (its default since SymPy 1.9)."""
    return 0.5 if x == 0 else (1.0 if x > 0 else 0.0)


def _sign_rule(x: float) -> dict[str, Partials]:
    # PyTorch: zeros_like(grad); JAX: defjvp_zero(sign_p); SymPy: 2·DiracDelta(x), no number
    # at 0 (and 0 elsewhere).
    return {"PyTorch": (0.0,), "JAX": (0.0,), "SymPy": (None if x == 0 else 0.0,)}


def _extremum(pick: Callable[..., float], toward: int) -> Rule:
    """max (toward = 1) or min (toward = -1) of two or more arguments."""

    def rule(*args: float) -> dict[str, Partials]:
        best = pick(args)
        tied = [a == best for a in args]
        # PyTorch: maximum/minimum split a tie of two evenly (grad / 2), and torch.max of a
        # stacked tensor, evenly_distribute_backward, splits a tie of k evenly; JAX's max_p
        # (_balanced_eq) and jnp.max's reduction do the same.
        share = 1.0 / sum(tied)
        even = tuple(share if t else 0.0 for t in tied)
        # SymPy: ∂Max(a, b, …)/∂a = Heaviside(a - Max(b, …)): 1/2 for EACH tied argument.
        sympy = tuple(_heaviside(toward * (a - pick(args[:i] + args[i + 1:])))
                      for i, a in enumerate(args))
        return {"PyTorch": even, "JAX": even, "SymPy": sympy}

    return rule


def _clamp(x: float, low: float, high: float) -> dict[str, Partials]:
    # PyTorch: clamp_backward: grad where low <= x <= high (the subgradient 1 at a bound); the
    # bounds get clamp_backward_min_max's where(x < low) and where(x > high): 0 at a bound.
    torch = (1.0 if low <= x <= high else 0.0, 1.0 if x < low else 0.0,
             1.0 if x > high else 0.0)
    # JAX: jnp.clip is minimum(max, maximum(min, x)): a tie splits evenly (_balanced_eq).
    # SymPy: Min(Max(x, low), high): Heaviside at the tie, H(0) = 1/2. Both give the same here.
    inner = max(x, low)
    at_low = (_heaviside(x - low), _heaviside(low - x))
    outer = _heaviside(high - inner)
    jax = (outer * at_low[0], outer * at_low[1], _heaviside(inner - high))
    return {"PyTorch": torch, "JAX": jax, "SymPy": jax}


def _hypot(*args: float) -> dict[str, Partials]:
    # PyTorch: grad * self / result; SymPy: sqrt(a² + b² + …)' = a / sqrt(…): 0/0 at the origin.
    size = math.hypot(*args)
    formula = tuple(a / size if size else NAN for a in args)
    # JAX's jnp.hypot is a composite (abs, maximum, minimum, sqrt, where): no one rule to cite.
    return {"PyTorch": formula, "JAX": tuple(None for _ in args), "SymPy": formula}


def _atan2(y: float, x: float) -> dict[str, Partials]:
    # All three differentiate the formula, continuous across the branch cut where the value
    # jumps: ∂/∂y = x / (x² + y²), ∂/∂x = -y / (x² + y²) (PyTorch atan2_backward, JAX's
    # atan2_p jvp, SymPy's atan2.fdiff); 0/0 at the origin.
    size = x * x + y * y
    formula = (x / size, -y / size) if size else (NAN, NAN)
    return {"PyTorch": formula, "JAX": formula, "SymPy": formula}


RULES: dict[str, Rule] = {
    "abs": _abs, "relu": _relu, "sign": _sign_rule, "max": _extremum(max, 1),
    "min": _extremum(min, -1), "clamp": _clamp, "hypot": _hypot, "atan2": _atan2,
}


def peers(warning: KinkWarning, arguments: Sequence[float]) -> list[Convention]:
    """What exprdiff and the three tools give for each argument of the node `warning` names."""
    found = RULES[warning.op](*arguments)
    return [Convention(warning, i, {tool: found[tool][i] for tool in TOOLS})
            for i in range(len(arguments))]
