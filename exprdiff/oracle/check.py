"""The oracle's answers: check() compares a gradient with SymPy and finite differences (for
`grad --check`), check_points() the gradients of one expression at many points in one SymPy
job; symbolic_partials() gives SymPy's partials (for `exprdiff diff`).

SymPy's work (symbolic.py) runs in a bounded process (child.py: this process's oracle, unless
one is given); finite differences (finite.py) run here meanwhile. The records here
(PartialCheck, Check, Symbolic) are what the renderers read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from exprdiff import ast
from exprdiff.errors import ExprError, usage
from exprdiff.oracle.child import Oracle, shared
from exprdiff.oracle.finite import FD_RTOL, Study
from exprdiff.oracle.symbolic import Message, partials_job, points_job, program

RTOL = 1e-9  # reverse mode vs SymPy, relative to the scale of the chain-rule terms
# The smallest scale, times max(1, |f|): a partial that is 0 in exact arithmetic comes out as a
# rounding residue (d/dx sin(acos(x)) at 0 is cos(1.5707963267948966) = 6e-17), so "relative"
# turns absolute near zero: RTOL × ZERO_SCALE = 1e-14.
ZERO_SCALE = 1e-5


# ---- the check of one gradient ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartialCheck:
    """One variable: reverse mode against SymPy and finite differences."""

    variable: str
    reverse: float
    symbolic: str | None = None  # SymPy's partial, simplified when time allowed
    simplified: bool = False
    sympy: float | None = None  # its value at the point, 30 digits rounded to a double
    finite_difference: float | None = None
    relative_error: float | None = None  # |reverse − sympy| / scale
    fd_relative_error: float | None = None  # |finite difference − reference| / scale
    scale: float = 0.0  # max(|sympy|, Σ|chain-rule terms|, 1e-5·max(1, |f|)): what
    # "relative" is relative to
    one_sided: dict[str, dict[str, float | None]] | None = None  # at a kink: left/right
    ok: bool = True
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reverse": self.reverse,
            "symbolic": self.symbolic,
            "simplified": self.simplified,
            "sympy": self.sympy,
            "finite_difference": self.finite_difference,
            "relative_error": self.relative_error,
            "fd_relative_error": self.fd_relative_error,
            "one_sided": self.one_sided,
            "ok": self.ok,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """The oracle's verdict on one gradient."""

    partials: tuple[PartialCheck, ...]
    gave_up: str | None = None
    timeout: float = 5.0
    failures: list[str] = field(default_factory=list)
    output: str = "f"  # what the partials are of: a program's output statement, else f

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def max_relative_error(self) -> float | None:
        errors = [p.relative_error for p in self.partials if p.relative_error is not None]
        return max(errors) if errors else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON under "check"."""
        return {
            "ok": self.ok,
            "max_relative_error": self.max_relative_error,
            "gave_up": self.gave_up,
            "tolerance": {"sympy": RTOL, "finite_difference": FD_RTOL},
            "partials": {p.variable: p.to_dict() for p in self.partials},
            "failures": list(self.failures),
        }


def check(result: Any, tree: ast.Tree, *, timeout: float = 5.0, simplify: bool = True,
          oracle: Oracle | None = None) -> Check:
    """Compare `result` (an api.Result) with SymPy and finite differences, within `timeout` s.

    `tree` is the syntax tree of `result.expression`, from the caller's parse (the oracle never
    parses text)."""
    return check_points([result], tree, timeout=timeout, simplify=simplify, oracle=oracle)[0]


def check_points(results: Sequence[Any], tree: ast.Tree, *, timeout: float = 5.0,
                 simplify: bool = True, oracle: Oracle | None = None) -> list[Check]:
    """check() of each of `results`: api.Results of the expression `tree` at several points,
    the same variables asked. SymPy differentiates once and evaluates at every point in one
    job (symbolic.points_job); the limit holds for the first point with the differentiation,
    for each further point, and for the simplification. Finite differences, each point
    within `timeout` of its start, run here meanwhile."""
    if not results:
        return []
    for result in results:
        if result.tape is None:
            raise ExprError("oracle", "this result carries no tape to check")
    names = list(results[0].gradient)
    if any(list(result.gradient) != names for result in results):
        return [check(result, tree, timeout=timeout, simplify=simplify, oracle=oracle)
                for result in results]
    studies = [Study(r.tape, r.values, list(r.at.values()), r.warnings) for r in results]
    points = [dict(result.at) for result in results]
    messages, gave_up = (oracle or shared()).ask(
        points_job, (program(tree), names, points, simplify), timeout,
        meanwhile=_differences(studies, names, timeout))
    first: dict[str, Message] = {}
    later: dict[int, tuple[tuple[float | None, str | None], ...]] = {}
    simplified: dict[str, str] = {}
    for message in messages:
        if message[0] == "partial":
            first[message[1]] = message
        elif message[0] == "values":
            later[message[1]] = message[2]
        elif message[0] == "simplified":
            simplified[message[1]] = message[2]
    checks = []
    for k, (result, study) in enumerate(zip(results, studies, strict=True)):
        symbolic = dict(_at_point(k, names, first, later))
        reason = None if len(symbolic) == len(names) else gave_up  # only simplifying ran out
        output = next(iter(result.outputs)) if result.outputs else "f"
        partials = [_judge(name, result.gradient[name], symbolic.get(name),
                           simplified.get(name), study, output) for name in names]
        failures = [p.note or p.variable for p in partials if not p.ok]
        checks.append(Check(tuple(partials), reason, timeout, failures, output))
    return checks


def _differences(studies: list[Study], names: list[str], timeout: float) -> Iterator[None]:
    """Finite differences point by point (units of work between the oracle's messages), each
    point within `timeout` of its start."""
    for study in studies:
        study.run(names, time.monotonic() + timeout)
        yield None


def _at_point(k: int, names: list[str], first: dict[str, Message],
              later: dict[int, tuple[tuple[float | None, str | None], ...]],
              ) -> Iterator[tuple[str, Message]]:
    """SymPy's ("partial", name, text, value, note) messages for point k."""
    if k == 0:
        yield from first.items()
    elif k in later and len(first) == len(names):
        for name, (value, note) in zip(names, later[k], strict=True):
            yield name, ("partial", name, first[name][2], value, note)


def checked(results: Sequence[Any], *, timeout: float = 5.0) -> list[Any]:
    """`grad --check`: each api.Result of `results` with its check, those of one expression
    checked in one job; anything else (an ExprError of a point) as it is. A result whose tape
    kept no syntax tree is checked by its own `checked()` (which parses)."""
    groups: dict[int, list[int]] = {}
    found = list(results)
    for k, result in enumerate(results):
        if isinstance(result, ExprError):
            continue
        if result.tape is None or result.tape.tree is None:
            found[k] = result.checked(timeout=timeout)
        else:
            groups.setdefault(id(result.tape), []).append(k)
    for members in groups.values():
        tree = results[members[0]].tape.tree
        verdicts = check_points([results[k] for k in members], tree, timeout=timeout)
        for k, verdict in zip(members, verdicts, strict=True):
            found[k] = results[k].replace(check=verdict)
    return found


def _judge(name: str, reverse: float, message: Message | None, simple: str | None,
           study: Study, output: str = "f") -> PartialCheck:
    """One variable's verdict from SymPy's message and the finite-difference study."""
    text = simple if simple is not None else (message[2] if message else None)
    sym_value: float | None = message[3] if message else None
    sym_note: str | None = message[4] if message else "SymPy gave up before this partial"
    numeric_result = study.results.get(name)
    scale = max(abs(sym_value) if sym_value is not None else abs(reverse), study.magnitude(name),
                ZERO_SCALE * max(1.0, abs(study.values[study.tape.output])))
    error = None if sym_value is None else abs(reverse - sym_value) / scale
    base: dict[str, Any] = dict(variable=name, reverse=reverse, symbolic=text,
                                simplified=simple is not None, sympy=sym_value,
                                relative_error=error, scale=scale)
    problems: list[str] = []
    if numeric_result is not None and numeric_result.one_sided is not None:
        # At a kink SymPy's own convention (Heaviside(0) = 1/2, …) is shown, not judged.
        problems += numeric_result.problems
        return PartialCheck(**base, one_sided=numeric_result.one_sided,
                            ok=not problems,
                            note=_join(output, name, problems, numeric_result.note))
    if error is not None and error > RTOL:
        problems.append(f"reverse mode gives {reverse!r} but SymPy gives {sym_value!r} "
                        f"(relative error {error:.3g})")
    elif sym_value is None and message is not None and not study.warnings:
        problems.append(f"SymPy has no value here ({sym_note})")
    fd = numeric_result.estimate if numeric_result else None
    fd_error = None
    if fd is not None:
        reference = sym_value if sym_value is not None else reverse
        fd_error = abs(fd - reference) / scale
        noise = numeric_result.noise if numeric_result else 0.0
        if abs(fd - reference) > FD_RTOL * scale + noise:
            problems.append(f"finite differences give {fd!r} but "
                            f"{'SymPy' if sym_value is not None else 'reverse mode'} gives "
                            f"{reference!r}")
    note = numeric_result.note if numeric_result else None
    return PartialCheck(**base, finite_difference=fd, fd_relative_error=fd_error,
                        ok=not problems, note=_join(output, name, problems, note or sym_note))


def _join(output: str, name: str, problems: list[str], note: str | None) -> str | None:
    if problems:
        return f"∂{output}/∂{name}: " + "; ".join(problems)
    return note


# ---- symbolic partials for `exprdiff diff` --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Symbolic:
    """One symbolic partial derivative in three notations."""

    variable: str
    text: str
    latex: str
    pretty: tuple[str, int]  # 2-D text and its baseline line
    simplified: bool


def symbolic_partials(tree: ast.Tree, wrt: Sequence[str] | None = None, *,
                      timeout: float = 5.0) -> tuple[list[Symbolic], str | None]:
    """∂f/∂v of the expression `tree` for each variable (or `wrt`), simplified; plus a note when
    time ran short.

    Raises ExprError("usage") for a `wrt` name that is not a variable, ExprError("oracle") when
    SymPy could not even differentiate within `timeout`."""
    variables = ast.variables(tree)
    for name in wrt or ():
        if name not in variables:
            raise usage(f"--wrt names '{name}', which is not a variable of the expression",
                        variables)
    names = list(dict.fromkeys(wrt)) if wrt else list(variables)
    if not names:
        return [], None  # a constant: no partials, nothing to ask SymPy
    messages, gave_up = shared().ask(partials_job, (program(tree), names, None, True), timeout)
    raw = {m[1]: m for m in messages if m[0] == "partial"}
    simple = {m[1]: m for m in messages if m[0] == "simplified"}
    if len(raw) < len(names):
        raise ExprError("oracle", f"the symbolic derivative is not available: {gave_up}",
                        hint="try a larger --timeout")
    found = []
    for name in names:
        if name in simple:
            _, _, plain, latex, pretty = simple[name]
            found.append(Symbolic(name, plain, latex, pretty, True))
        else:
            _, _, plain, _, _, latex, pretty = raw[name]
            found.append(Symbolic(name, plain, latex, pretty, False))
    note = None if len(simple) == len(names) else f"not every partial was simplified: {gave_up}"
    return found, note
