"""The Python API: text → AST → tape → forward → reverse. No I/O.

    >>> r = grad("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3})
    >>> r.value, r.gradient
    (16.0, {'x1': -4.0, 'x2': 9.0, 'x3': 6.0})
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from exprdiff import ast, result
from exprdiff.errors import ExprError, usage
from exprdiff.forward import KinkWarning, forward, kinks
from exprdiff.frozen import draft
from exprdiff.points import validate
from exprdiff.result import Directional
from exprdiff.reverse import reverse
from exprdiff.syntax.limits import DEFAULT, Limits, check_tape, check_text
from exprdiff.syntax.parser import parse, parse_tape, parse_with_tree
from exprdiff.tape import Tape

if TYPE_CHECKING:
    from exprdiff.explain.steps import Steps
    from exprdiff.modes.hessian import Hessian, HessianVector
    from exprdiff.render.notebook import StepTables
    from exprdiff.vector.runtime import Batch


class Result(result.Result):
    """Value and gradient at one point (see result.Result), with the step tables and the
    oracle's check one call away."""

    __slots__ = ()

    def checked(self, *, timeout: float = 5.0) -> Result:
        """This result with the oracle's verdict attached (SymPy and finite differences)."""
        from exprdiff.oracle.check import check

        tape = self.tape
        tree = tape.tree if tape is not None and tape.tree is not None else parse(self.expression)
        return self.replace(check=check(self, tree, timeout=timeout))

    def steps(self, *, path: str | None = None, width: int | None = None,
              tables: bool = True) -> Steps:
        """SPEC §5's step tables read off this result's sweeps; `path` adds --path's table.

            >>> grad("x*y", {"x": 2, "y": 3}).steps().backward[-1].adjoint
            3.0
        """
        from exprdiff.explain.steps import build

        return build(self, path=path, width=width, tables=tables)

    def tables(self, *, path: str | None = None, precision: int | None = None) -> StepTables:
        """The step tables rendered: HTML in a notebook, `.text()` (or `str()`) as the terminal
        shows them, `.markdown()`, `.latex()` (read off this result's sweeps, as steps())."""
        from exprdiff.render.notebook import StepTables

        return StepTables(self, self.steps(path=path), precision)

    def _repr_html_(self) -> str:  # Jupyter: the value and gradient as a table
        from exprdiff.render.notebook import result_html

        return result_html(self)

    def _repr_markdown_(self) -> str:
        from exprdiff.render.notebook import result_markdown

        return result_markdown(self)


#: Result's twin with assignable fields (frozen.draft), for Compiled.grad's hot path.
_ResultDraft = draft(Result)


class Compiled:
    """An expression parsed and lowered once, to be evaluated at many points."""

    __slots__ = ("source", "_tree", "tape")

    def __init__(self, source: str, tree: ast.Tree | None, tape: Tape) -> None:
        self.source = source
        self._tree = tree
        self.tape = tape

    @property
    def tree(self) -> ast.Tree:
        """The syntax tree (for the oracle): from the parse itself with compile(text,
        tree=True); otherwise parsed on first use (compile() builds the tape directly)."""
        if self._tree is None:
            self._tree = self.tape.tree if self.tape.tree is not None else parse(self.source)
        return self._tree

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in order of first appearance."""
        return self.tape.variables

    def __repr__(self) -> str:
        count = len(self.tape.program)
        return f"<Compiled {self.source!r}: {count} operation{'' if count == 1 else 's'}>"

    def value(self, at: Mapping[str, object]) -> float:
        """The expression's value at a point (forward sweep only)."""
        values = forward(self.tape, validate(at, self.variables))
        return values[self.tape.output]

    def grad_points(
        self, arrays: Mapping[str, object], *, wrt: Sequence[str] | None = None,
        strict: bool = False,
    ) -> Batch:
        """Value and gradient at every row of `arrays` (name → 1-D array), swept with NumPy.

        Rows with a domain error or a kink are redone by `grad` and listed in the Batch.
        """
        try:
            from exprdiff.vector.runtime import grad_points
        except ImportError:  # NumPy is an extra
            raise usage("many points at once need NumPy: pip install 'exprdiff[points]'",
                        self.variables) from None

        chosen = self._wrt(wrt)
        return grad_points(self.tape, self.variables, arrays, chosen=chosen,
                           scalar=lambda point: self.grad(point, wrt=chosen, strict=strict))

    def jvp(self, at: Mapping[str, Any], direction: Mapping[str, Any], *,
            strict: bool = False) -> Directional:
        """Value and directional derivative along `direction` (name → component; names left
        out are 0) in one tangent sweep: forward mode, a Jacobian-vector product.

        At a kink the derivative is the exact one-sided one along `direction` (abs at 0 along
        ±1 gives 1); across a jump there is none, which is an ExprError of kind 'kink'.

            >>> compile("x*y").jvp({"x": 2, "y": 3}, {"x": 1, "y": -1}).derivative
            1.0
        """
        from exprdiff.modes.tangent import tangent

        tape = self.tape
        names = self.variables
        point = validate(at, names)
        seed = _direction(direction, names)
        values = forward(tape, point)
        warnings = self._warnings(values, strict)
        at_kink = {tape.labels.index(w.node): w for w in warnings}
        partials: dict[int, tuple[float, ...]] = {}
        dots = tangent(tape, values, seed, at_kink, partials)
        if dots is None:
            jump = next(w for w in warnings if w.kind == "jump")
            raise ExprError("kink", f"no directional derivative along this direction: "
                            f"{jump.message}", column=jump.column, source=self.source,
                            node=jump.node)
        _finite_or_raise(tape, values, dots)
        return Directional(self.source, dict(zip(names, point, strict=True)),
                           dict(zip(names, seed, strict=True)), values[tape.output],
                           dots[tape.output], warnings, tape, values, dots, partials)

    def forward_gradient(self, at: Mapping[str, Any], *, wrt: Sequence[str] | None = None,
                         strict: bool = False) -> Result:
        """The gradient by forward mode: one tangent sweep per input (reverse mode does it in
        one sweep; the numbers agree wherever the expression is differentiable).

        At a kink each partial is the exact one-sided derivative along +x (reverse mode uses
        the mean of the two sides); across a jump, the partials reverse mode uses.
        """
        from exprdiff.modes.tangent import tangent

        tape = self.tape
        names = self.variables
        point = validate(at, names)
        chosen = self._wrt(wrt)
        values = forward(tape, point)
        warnings = self._warnings(values, strict)
        at_kink = {tape.labels.index(w.node): w for w in warnings}
        gradient: dict[str, float] = {}
        for name in chosen:
            seed = [1.0 if n == name else 0.0 for n in names]
            dots = tangent(tape, values, seed, at_kink) or tangent(tape, values, seed)
            assert dots is not None  # noqa: S101 - without kinks the sweep always answers
            _finite_or_raise(tape, values, dots)
            gradient[name] = dots[tape.output]
        return Result(expression=self.source, at=dict(zip(names, point, strict=True)),
                      value=values[tape.output], gradient=gradient, warnings=warnings,
                      tape=tape, values=values)

    def hessian(self, at: Mapping[str, Any], *, wrt: Sequence[str] | None = None,
                strict: bool = False) -> Hessian:
        """Value, gradient and Hessian by forward-over-reverse: one tangent sweep and one
        reverse sweep of adjoint tangents per variable (modes/hessian.py).

            >>> compile("x**2*y").hessian({"x": 1, "y": 2}).hessian
            ((4.0, 2.0), (2.0, 0.0))
        """
        from exprdiff.modes import hessian as second
        from exprdiff.modes.hvp import product

        tape, point, values, adjoints, warnings = self._second(at, strict)
        chosen = tuple(self._wrt(wrt))
        names = self.variables
        rows = second.matrix(names, chosen, lambda d: product(tape, values, adjoints, d))
        if rows is None:  # not finite: the general sweep names the node
            local = second.Locals(tape, values)
            rows = second.matrix(names, chosen,
                                 lambda d: second.product(tape, local, adjoints, d))
            assert rows is not None  # noqa: S101 - the general sweep always answers
            second.finite_or_raise(tape, local, values, [h for row in rows for h in row])
        return second.Hessian(self.source, dict(zip(self.variables, point, strict=True)),
                              chosen, values[tape.output],
                              {n: adjoints[tape.inputs[n]] for n in chosen}, rows, warnings,
                              self._outputs(values))

    def hvp(self, at: Mapping[str, Any], direction: Mapping[str, Any], *,
            strict: bool = False) -> HessianVector:
        """The Hessian times `direction` (names left out are 0) in one forward-over-reverse
        sweep, without building the Hessian.

            >>> compile("x**2*y").hvp({"x": 1, "y": 2}, {"x": 1}).hvp
            {'x': 4.0, 'y': 2.0}
        """
        from exprdiff.modes import hessian as second
        from exprdiff.modes.hvp import product as lean_product

        tape, point, values, adjoints, warnings = self._second(at, strict)
        names = self.variables
        seed = _direction(direction, names)
        found = lean_product(tape, values, adjoints, seed)
        if found is None:  # not finite: the general sweep names the node
            local = second.Locals(tape, values)
            found = second.product(tape, local, adjoints, seed)
            second.finite_or_raise(tape, local, values, found)
        return second.HessianVector(self.source, dict(zip(names, point, strict=True)),
                                    dict(zip(names, seed, strict=True)), values[tape.output],
                                    {n: adjoints[tape.inputs[n]] for n in names},
                                    dict(zip(names, found, strict=True)), warnings,
                                    self._outputs(values))

    def _outputs(self, values: list[float]) -> dict[str, float] | None:
        """A program's output statement and its value (None for one expression)."""
        tape = self.tape
        if tape.statements is None:
            return None
        from exprdiff.outputs import output_name  # (programs only: a fresh process skips it)

        return {output_name(tape): values[tape.output]}

    def _second(self, at: Mapping[str, Any], strict: bool) -> tuple[Any, ...]:
        """What every second-order result starts from: the point, values, adjoints, and a
        warning per kink or jump (second order)."""
        from exprdiff.modes.hessian import SecondWarning

        tape = self.tape
        point = validate(at, self.variables)
        values = forward(tape, point)
        warnings = self._warnings(values, strict)
        adjoints = reverse(tape, values)
        return tape, point, values, adjoints, tuple(SecondWarning.of(w) for w in warnings)

    def _warnings(self, values: list[float], strict: bool) -> tuple[KinkWarning, ...]:
        warnings = tuple(kinks(self.tape, values)) if self.tape.kink_nodes else ()
        if strict and warnings:
            first = warnings[0]
            raise ExprError("kink", first.message, column=first.column,
                            source=self.source, node=first.node,
                            hint="--strict is on; without it the derivative used is reported")
        return warnings

    @overload
    def grad(self, at: Mapping[str, float | int | str], *, wrt: Sequence[str] | None = None,
             strict: bool = False, record: bool = False,
             of: Sequence[str] | None = None) -> Result: ...

    @overload
    def grad(self, at: Mapping[str, Any], *, wrt: Sequence[str] | None = None,
             strict: bool = False, record: bool = False,
             of: Sequence[str] | None = None) -> Result | Batch: ...

    def grad(
        self,
        at: Mapping[str, Any],
        *,
        wrt: Sequence[str] | None = None,
        strict: bool = False,
        record: bool = False,
        of: Sequence[str] | None = None,
    ) -> Result | Batch:
        """Value and gradient at `at`; `wrt` picks and orders the partials reported.

        `strict` turns kink warnings into an ExprError of kind 'kink'; `record` keeps every local
        partial (for the step tables). Arrays as values (`{"x": [1, 2, 3]}`) give a Batch:
        see grad_points. `of` names a program's outputs (statements): with several, the
        Result's `jacobian` holds every output's gradient (outputs.py).
        """
        if of is not None:
            from exprdiff.outputs import jacobian

            return jacobian(self.tape, of, lambda view: Compiled(self.source, self._tree, view)
                            .grad(at, wrt=wrt, strict=strict, record=record))
        for raw in at.values():
            if type(raw) is not float and type(raw) is not int and _is_array(raw):
                return self.grad_points(at, wrt=wrt, strict=strict)
        tape = self.tape
        names = tape.variables
        point = validate(at, names)
        chosen = None if wrt is None else self._wrt(wrt)
        values = forward(tape, point)
        warnings = self._warnings(values, strict) if tape.kink_nodes else ()
        partials: dict[int, tuple[float, ...]] | None = {} if record else None
        adjoints = reverse(tape, values, partials)
        if chosen is None:
            gradient = {name: adjoints[i] for name, i in tape.inputs.items()}
        else:
            gradient = {name: adjoints[tape.node(name)]  # type: ignore[index]
                        for name in chosen}
        # Result(...) as a draft filled in (frozen.draft): `_set` per field cost a 5-node
        # gradient 7 % of its instructions; tests/test_api_result.py holds the two equal
        made: Any = object.__new__(_ResultDraft)
        made.expression = self.source
        made.at = dict(zip(names, point, strict=True))
        made.value = values[tape.output]
        made.gradient = gradient
        made.warnings = warnings
        made.tape = tape
        made.values = values
        made.adjoints = adjoints
        made.partials = partials
        made.check = None
        made.outputs = None if tape.statements is None else self._outputs(values)
        made.jacobian = None
        made.__class__ = Result
        return made  # (a Result now)

    def _wrt(self, wrt: Sequence[str] | None) -> Sequence[str]:
        if wrt is None:
            return self.variables
        for name in wrt:  # an input, or a program's statement name (∂L/∂h1)
            if self.tape.node(name) is None:
                raise usage(f"--wrt names '{name}', which is not a variable of the expression",
                            self.variables)
        return list(dict.fromkeys(wrt))


def _direction(direction: Mapping[str, Any], names: Sequence[str]) -> list[float]:
    """The direction's components in `names` order (a name left out is 0)."""
    known = set(names)
    for name in direction:
        if name not in known:
            raise usage(f"the direction names '{name}', which is not a variable of the "
                        "expression", names)
    return validate({n: direction.get(n, 0.0) for n in names}, names)


def _finite_or_raise(tape: Tape, values: list[float], dots: list[float]) -> None:
    """A tangent that is not finite is the reverse sweep's error too: let it word it."""
    if all(math.isfinite(d) for d in dots):
        return
    reverse(tape, values)  # raises the domain error naming the node
    raise ExprError("domain", "forward mode cannot carry the derivative at this point: a "
                    "tangent is undefined or beyond the range of doubles",
                    source=tape.source, hint="reverse mode (without --mode forward) carries "
                    "numbers beyond the doubles' range edge by edge")


def _is_array(value: object) -> bool:
    """A list, tuple or array of values (a NumPy 0-d array or a string is one value)."""
    return (hasattr(value, "__len__") and not isinstance(value, str)
            and getattr(value, "ndim", 1) != 0)


def compile(text: str, *, limits: Limits | None = None,  # noqa: A001 - SPEC §6
            tree: bool = False) -> Compiled:
    """Parse and lower `text` once (within `limits`); evaluate the result at many points.

    `tree=True` keeps the syntax tree of that same parse (for `checked()` and `diff`).
    """
    return compile_with(text, parse_with_tree if tree else parse_tape, limits or DEFAULT)


def compile_with(text: str, parse: Callable[[str], Tape], bounds: Limits = DEFAULT) -> Compiled:
    """compile(text)'s steps with another parser of the same tapes (a batch's shapes:
    syntax/shapes.py): the text's limits, the parse, the tape's limits."""
    check_text(text, bounds)
    tape = parse(text)
    check_tape(tape, bounds)
    return Compiled(text, tape.tree, tape)


def grad(text: str, at: Mapping[str, Any], **options: Any) -> Result:
    """Value and every partial derivative of `text` at the point `at` (see Compiled.grad)."""
    return compile(text).grad(at, **options)


def hessian(text: str, at: Mapping[str, Any], **options: Any) -> Hessian:
    """Value, gradient and Hessian of `text` at the point `at` (see Compiled.hessian)."""
    return compile(text).hessian(at, **options)
