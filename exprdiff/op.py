"""The record of one primitive (`Op`) and of a non-differentiable point (`Kink`).

The rows themselves are in ops.py, the one table every other module reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from exprdiff.frozen import Value, _set

Partials = Callable[..., tuple[float, ...]]

#: Kink.kind: a corner (one-sided derivatives exist and differ) or a jump (not continuous).
KINK, JUMP = "kink", "jump"


class Kink(Value):
    """Where a primitive is not differentiable at the given arguments.

    `one_sided[i]` is (left, right) for argument i (None for an infinite or missing one-sided
    derivative); `used[i]` is the derivative exprdiff uses; `reason` says what happens there.
    `kind` is KINK (a corner: abs at 0) or JUMP (the value itself jumps: sign at 0, atan2 on
    its branch cut), where finite differences across the point say nothing.
    """

    __slots__ = ("reason", "one_sided", "used", "kind")
    reason: str
    one_sided: tuple[tuple[float | None, float | None], ...]
    used: tuple[float, ...]
    kind: str

    def __init__(self, reason: str, one_sided: tuple[tuple[float | None, float | None], ...],
                 used: tuple[float, ...], kind: str = KINK) -> None:
        _set(self, "reason", reason)
        _set(self, "one_sided", one_sided)
        _set(self, "used", used)
        _set(self, "kind", kind)


KinkCheck = Callable[..., "Kink | None"]


class Later:
    """A row's rule that lives in a module only some sweeps load (NumPy's, the wide numbers',
    the second order's: a plain `grad` needs none of them): `module.name`, or what
    `module.name(*args)` makes when the row writes a call. ops.load() puts every row's own rule
    in its place; the sweeps that read these fields call it when they are imported."""

    __slots__ = ("module", "name", "args")

    def __init__(self, module: str, name: str, args: tuple[Any, ...] | None = None) -> None:
        self.module, self.name, self.args = module, name, args

    def __call__(self, *args: Any) -> Later:  # a factory's arguments, as the row writes them
        return Later(self.module, self.name, args)

    def __repr__(self) -> str:
        return f"Later({self.module}.{self.name}{'' if self.args is None else self.args})"

    def resolve(self) -> Any:
        from importlib import import_module

        rule = getattr(import_module(self.module), self.name)
        return rule if self.args is None else rule(*self.args)


class Rules:
    """A module of rules named without loading it: `Rules("exprdiff.scaled").tanh` is
    `Later("exprdiff.scaled", "tanh")`."""

    __slots__ = ("_module",)

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:  # Any: a row's field is typed as the rule it names
        return Later(self._module, name)


#: The fields a row may give as a Later (see ops.load).
LATE_FIELDS = ("array", "array_partials", "array_kink", "scaled", "second", "code")


def _no_repair(margin: float, *args: float) -> int | None:
    return None


class Code(Value):
    """A row's rules as code templates, which `exprdiff codegen` writes out (exprdiff/codegen/).

    Each is one expression in Python's syntax over the arguments `a`, `b`, `c` (`args`: all of
    them, in a variadic row's calls), the row's value `out`, and the math library's names
    (sin, fabs, copysign, hypot, pow, floor, nan, …; `count(out, args)`: how many arguments
    equal out); codegen translates it to NumPy and C. `value` and `partials` are the rule
    itself (a variadic row: one partial, for the argument `a`), in the row's stable forms;
    `defined` says where the value exists (None: everywhere), `slopes[i]` where the partial
    in argument i is finite (None: wherever the value is), and `kink` is (where the row is not
    differentiable, why, KINK or JUMP) as its Op.kink reports it.
    """

    __slots__ = ("value", "partials", "defined", "slopes", "kink")
    value: str
    partials: tuple[str, ...]
    defined: str | None
    slopes: tuple[str | None, ...]
    kink: tuple[str, str, str] | None

    def __init__(self, value: str, partials: tuple[str, ...], *, defined: str | None = None,
                 slopes: tuple[str | None, ...] = (),
                 kink: tuple[str, str, str] | None = None) -> None:
        _set(self, "value", value)
        _set(self, "partials", partials)
        _set(self, "defined", defined)
        _set(self, "slopes", slopes)
        _set(self, "kink", kink)

    def slope(self, position: int) -> str | None:
        return self.slopes[position] if position < len(self.slopes) else None


class Op(Value):
    """One primitive: everything about it, in one row of ops.py.

    Scalar: `forward(*args)`, `partials(out, *args)` → ∂out/∂arg_i, `kink(out, *args)` → a
    Kink where it is not differentiable, `side(out, *args)` → which side of its kinks the
    point is on (finite differences must not cross one), `domain` (words for errors),
    `overflows` (finite arguments can give ±inf), `directional(out, args, tangents)` → the
    one-sided slope of out when the arguments move along `tangents` from a kink (None: each
    argument's one-sided derivative on the side it moves to, summed).
    NumPy (many points; the module is passed in, never imported here): `array` names a ufunc
    or is `(np, *args) -> array`; `array_partials(np, out, *args)`; `array_kink(np, out,
    *args)` → the rows on a kink or jump; `propagates` (a non-finite argument always gives a
    non-finite value, so a bad input shows up downstream).
    Text: `infix` and `precedence` (how it prints), `latex` (a template: "{0}", "{1}", "{*}"
    for all arguments), `formulas` (∂out/∂arg_i in exprdiff syntax with a, b, c for the
    arguments and out, for step tables) and `formulas_latex` (the same as LaTeX templates),
    `sympy(sp, *args)` (the oracle's counterpart), `doc`.
    Tests: `sample` (an interval per argument, the last one repeating, inside the domain and
    away from saturation) and `repair(margin, *args)` → an argument to move, when the point is
    within `margin` of a kink, jump or pole (None: fine).
    `flat(constant, out, *args)` → for each argument, whether the value does not depend on it
    anywhere near the point (max's strict losers, relu below 0, a factor times a locally
    constant 0), given which arguments are locally constant themselves (None: no argument
    ever is); the careful sweep reads it (exprdiff/careful.py).
    `scaled(out, *args)` → the partials as scaled.Wide numbers (m·2**e), for a row whose
    `partials` can underflow (return rules.UNDERFLOW): the careful sweep asks it there.
    `second(out, *args)` → the second partials ∂²out/∂arg_i∂arg_j as a tuple of rows, one per
    argument (symmetric; n×n for a variadic row), 0 at a kink or jump (where they are a Dirac
    delta, which the Hessian reports): the Hessian's forward-over-reverse sweep reads them
    (second_rules.py, modes/hessian.py).
    `code`: the rules as code templates for `exprdiff codegen` (Code), one per accepted
    argument count from the lowest, the last repeating (a one-argument `log` is `ln`).
    """

    __slots__ = ("name", "arity", "forward", "partials", "sympy", "latex", "formulas",
                 "formulas_latex", "domain", "kink", "side", "infix", "precedence", "doc",
                 "aliases", "overflows", "array", "array_partials", "array_kink", "propagates",
                 "sample", "repair", "directional", "flat", "scaled", "second", "code")
    name: str
    arity: tuple[int, int | None]  # (min, max); max None means "or more"
    forward: Callable[..., float]
    partials: Partials
    sympy: Callable[..., Any]  # (sympy_module, *args) -> sympy expression
    latex: str
    formulas: tuple[str, ...]
    formulas_latex: tuple[str, ...]
    domain: str  # where the forward function is defined, for error messages
    kink: KinkCheck | None  # None: differentiable wherever defined
    side: Callable[..., object] | None  # None: the signs of the arguments
    infix: str | None  # "+" for operators, None for calls
    precedence: int  # binding strength when printed: + 1, * 2, unary 3, ** 4, calls 9
    doc: str
    aliases: tuple[str, ...]
    overflows: bool
    array: str | Callable[..., Any]
    array_partials: Callable[..., tuple[Any, ...]]
    array_kink: Callable[..., Any] | None
    propagates: bool
    sample: tuple[tuple[float, float], ...]
    repair: Callable[..., int | None]
    directional: Callable[..., float | None] | None
    flat: Callable[..., tuple[bool, ...]] | None
    scaled: Callable[..., tuple[tuple[float, int], ...]] | None
    second: Callable[..., tuple[tuple[float, ...], ...]]
    code: tuple[Code, ...]

    def __init__(self, name: str, arity: tuple[int, int | None], forward: Callable[..., float],
                 partials: Partials, sympy: Callable[..., Any], latex: str,
                 formulas: tuple[str, ...], formulas_latex: tuple[str, ...], *,
                 array: str | Callable[..., Any], array_partials: Callable[..., tuple[Any, ...]],
                 sample: tuple[tuple[float, float], ...],
                 second: Callable[..., tuple[tuple[float, ...], ...]],
                 code: Code | tuple[Code, ...], domain: str = "",
                 kink: KinkCheck | None = None, side: Callable[..., object] | None = None,
                 array_kink: Callable[..., Any] | None = None, infix: str | None = None,
                 precedence: int = 9, doc: str = "", aliases: tuple[str, ...] = (),
                 overflows: bool = False, propagates: bool = False,
                 repair: Callable[..., int | None] = _no_repair,
                 directional: Callable[..., float | None] | None = None,
                 flat: Callable[..., tuple[bool, ...]] | None = None,
                 scaled: Callable[..., tuple[tuple[float, int], ...]] | None = None) -> None:
        _set(self, "name", name)
        _set(self, "arity", arity)
        _set(self, "forward", forward)
        _set(self, "partials", partials)
        _set(self, "sympy", sympy)
        _set(self, "latex", latex)
        _set(self, "formulas", formulas)
        _set(self, "formulas_latex", formulas_latex)
        _set(self, "domain", domain)
        _set(self, "kink", kink)
        _set(self, "side", side)
        _set(self, "infix", infix)
        _set(self, "precedence", precedence)
        _set(self, "doc", doc)
        _set(self, "aliases", aliases)
        _set(self, "overflows", overflows)
        _set(self, "array", array)
        _set(self, "array_partials", array_partials)
        _set(self, "array_kink", array_kink)
        _set(self, "propagates", propagates)
        _set(self, "sample", sample)
        _set(self, "repair", repair)
        _set(self, "directional", directional)
        _set(self, "flat", flat)
        _set(self, "scaled", scaled)
        _set(self, "second", second)
        _set(self, "code", code if isinstance(code, tuple | Later) else (code,))

    def arity_text(self) -> str:
        """'1 argument', '1 or 2 arguments', '2 or more arguments'."""
        low, high = self.arity
        noun = "argument" if (high == low == 1) else "arguments"
        if high is None:
            return f"{low} or more {noun}"
        if high == low:
            return f"{low} {noun}"
        return f"{low} or {high} {noun}"

    def accepts(self, count: int) -> bool:
        low, high = self.arity
        return count >= low and (high is None or count <= high)

    def code_for(self, count: int) -> Code:
        """The code templates for a call with `count` arguments."""
        return self.code[min(count - self.arity[0], len(self.code) - 1)]

    def interval(self, position: int) -> tuple[float, float]:
        """The sample interval of argument `position` (the last one repeats)."""
        return self.sample[min(position, len(self.sample) - 1)]


#: A name in a formula (compiled by re on first use: step tables only, not every process).
_FORMULA_NAMES = r"[A-Za-z_][A-Za-z0-9_]*"


def _formula_parts(op: Op, position: int, operands: list[str]) -> tuple[int, dict[str, str]]:
    """Which formula of `op` gives ∂out/∂(argument `position`), and what a, b, c stand for.

    A variadic op (max, hypot) has one formula in which `a` is the argument in question; a
    one-argument `log` is the natural logarithm.
    """
    if op.arity[1] is None:
        return 0, {"a": operands[position]}
    if op.name == "log" and len(operands) == 1:
        return -1, {"a": operands[0]}
    return position, dict(zip("abc", operands, strict=False))


def formula_text(op: Op, position: int, operands: list[str], out: str) -> str:
    """∂out/∂(argument `position`) as text, with the operands' names put in for a, b and out."""
    if op.name == "pow" and position == 0 and _is_number(operands[1].strip("()")):
        return _power_rule(operands[0], float(operands[1].strip("()")))
    which, names = _formula_parts(op, position, operands)
    text = "1/a" if which < 0 else op.formulas[which]
    names["out"] = out
    return re.sub(_FORMULA_NAMES, lambda m: names.get(m.group(0), m.group(0)), text)


def formula_latex(op: Op, position: int, operands: list[str], out: str,
                  latex: Callable[[str], str], number: Callable[[float], str]) -> str:
    """∂out/∂(argument `position`) as LaTeX, from the row's template: `operands` and `out`
    are node labels, which `latex` writes (names, numbers); `number` writes worked-out
    numbers (the power rule's c - 1)."""
    if op.name == "pow" and position == 0 and _is_number(operands[1].strip("()")):
        exponent = float(operands[1].strip("()"))
        if exponent in (0.0, 1.0):
            return number(exponent)
        base = latex(operands[0])
        if exponent == 2:
            return f"{number(exponent)} \\cdot {base}"
        return f"{number(exponent)} \\cdot {{{base}}}^{{{number(exponent - 1)}}}"
    which, names = _formula_parts(op, position, [latex(o) for o in operands])
    template = r"\frac{{1}}{{{a}}}" if which < 0 else op.formulas_latex[which]
    names = {k: rf"\left({v}\right)" if v.startswith("-") else v for k, v in names.items()}
    names["out"] = latex(out)
    return template.format(**names)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _power_rule(base: str, exponent: float) -> str:
    """∂/∂a a**c for a constant c, with c - 1 worked out: 2*x1 rather than 2*x1**(2 - 1)."""
    def number(v: float) -> str:
        text = str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
        return f"({text})" if v < 0 else text

    if exponent == 0:
        return "0"
    if exponent == 1:
        return "1"
    if exponent == 2:
        return f"2*{base}"
    return f"{number(exponent)}*{base}**{number(exponent - 1)}"
