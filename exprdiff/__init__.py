"""exprdiff: from a math expression to its value and every partial derivative, with proof."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Compiled, Result, compile, grad  # noqa: E402
from .errors import ExprError  # noqa: E402

__all__ = ["Compiled", "ExprError", "Result", "__version__", "compile", "grad"]
