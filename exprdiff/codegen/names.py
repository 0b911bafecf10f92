"""Identifiers for generated code: the tape's labels, made safe in Python, NumPy and C alike.

A label is already `[A-Za-z_][A-Za-z0-9_]*` (a variable, a statement's name, z1…zn); it is
checked again here, and one that is a keyword or builtin of either language (`lambda`, `int`,
`double`), a name the code itself uses (`fabs`, `value`, `strict`) or one beginning with `_`
(kept for the code's helpers) gets a trailing `_` (or a leading `v`) until it is free. The
same tape gets the same names in every language, so the three listings read alike.
"""

from __future__ import annotations

import builtins
import keyword
import re

from exprdiff.codegen.templates import BUILTINS, VOCABULARY
from exprdiff.tape import Tape

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

C_WORDS = (
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while bool true false NULL EOF FILE errno assert main "
    "stderr stdout stdin fprintf printf fmin fmax isinf isnan NAN INFINITY HUGE_VAL"
).split()
#: What the generated code names itself, in any language.
OURS = ("value_and_grad", "value_and_jvp", "value", "gradient", "grad", "tangent", "strict",
        "np", "math", "nan", "warn", "warnings", "DomainError", "NotDifferentiable",
        "NotDifferentiableWarning", "k")
RESERVED = frozenset((*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *C_WORDS, *OURS,
                      *VOCABULARY, *BUILTINS))


def valid_name(name: str) -> bool:
    """Whether `name` may be used as it is: an identifier, not reserved, not one of ours."""
    return _IDENTIFIER.fullmatch(name) is not None and name not in RESERVED


class Names:
    """Per node: its value's identifier (`value[i]`), its adjoint's (`adjoint(i)`, d_…) and
    its tangent's (`tangent(i)`, t_…); constants have none (they are written as numbers)."""

    __slots__ = ("value", "_taken", "_derived")

    def __init__(self, tape: Tape) -> None:
        self._taken: set[str] = set()
        self._derived: dict[tuple[str, int], str] = {}
        self.value: list[str | None] = [None] * len(tape)
        labels = tape.labels
        for i in [*tape.inputs.values(), *tape.operations]:
            self.value[i] = self._claim(labels[i])

    def _claim(self, wanted: str) -> str:
        if _IDENTIFIER.fullmatch(wanted) is None:
            wanted = "v" + wanted if re.fullmatch(r"_[A-Za-z0-9_]*", wanted) else "v"
        while wanted in RESERVED or wanted in self._taken:
            wanted += "_"
        self._taken.add(wanted)
        return wanted

    def _prefixed(self, prefix: str, i: int) -> str:
        found = self._derived.get((prefix, i))
        if found is None:
            found = self._derived[(prefix, i)] = self._claim(f"{prefix}_{self.value[i]}")
        return found

    def adjoint(self, i: int) -> str:
        """d_x1: ∂f/∂x1."""
        return self._prefixed("d", i)

    def tangent(self, i: int) -> str:
        """t_x1: the tangent (direction) of x1."""
        return self._prefixed("t", i)

    def partial(self, i: int) -> str:
        """p_z2: the local partial of node z2 (a one-argument row whose slope can underflow)."""
        return self._prefixed("p", i)
