"""Straight-line code over virtual registers, the form the NumPy plan is built in.

A register holds a constant (folded as soon as every argument of a call is one) or an array
computed per block of rows; exprdiff.vector.plan turns registers into slots.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Array = Any  # numpy.ndarray of float64, one entry per row


class Builder:
    """Straight-line code over virtual registers; constants are folded as they appear."""

    __slots__ = ("steps", "const", "made_by", "literals")

    def __init__(self) -> None:
        self.steps: list[tuple[bool, Callable[..., Any], list[int], int]] = []
        self.const: list[Any] = []  # per register: its value, or ARRAY
        self.made_by: list[int] = []  # per register: the step that writes it (-1: none)
        self.literals: dict[tuple[float, float], int] = {}

    def register(self, value: Any = None) -> int:
        self.const.append(ARRAY if value is None else value)
        self.made_by.append(-1)
        return len(self.const) - 1

    def number(self, x: float) -> int:
        """The register of a plain number, shared (0.0 and -0.0 apart)."""
        key = (x, math.copysign(1.0, x))
        r = self.literals.get(key)
        if r is None:
            r = self.literals[key] = self.register(x)
        return r

    def is_const(self, r: int) -> bool:
        return self.const[r] is not ARRAY

    def emit(self, fn: Callable[..., Any], *ins: int | float, fresh: bool = False) -> int:
        """fn(*ins) into a new register: out= a buffer, or (`fresh`) whatever fn returns.

        `ins` are registers (int) or plain numbers (float).
        """
        const = self.const
        regs = [self.number(x) if isinstance(x, float) else x for x in ins]
        for r in regs:
            if const[r] is ARRAY:
                break
        else:  # every argument a constant: fold
            with np.errstate(all="ignore"):
                return self.register(fn(*[const[r] for r in regs]))
        const.append(ARRAY)
        self.made_by.append(len(self.steps))
        out = len(const) - 1
        self.steps.append((fresh, fn, regs, out))
        return out


ARRAY = object()  # the register holds an array computed per block
