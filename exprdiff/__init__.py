"""exprdiff: from a math expression to its value and every partial derivative, with proof."""

from __future__ import annotations

from exprdiff.api import Compiled, Result, compile, grad, hessian  # noqa: E402
from exprdiff.errors import ExprError  # noqa: E402
from exprdiff.version import __version__

__all__ = ["Compiled", "ExprError", "Graph", "Result", "__version__", "compile", "grad", "hessian"]


def __getattr__(name: str) -> object:
    """`exprdiff.Graph` is imported on first use: drawing is not on the gradient path."""
    if name == "Graph":
        from exprdiff.drawing import Graph

        return Graph
    raise AttributeError(f"module 'exprdiff' has no attribute {name!r}")
