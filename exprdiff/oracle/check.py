"""The independent oracle: SymPy built directly from our AST, plus finite differences.

SymPy is imported only inside the functions here. Our AST becomes SymPy objects through each
primitive's `sympy` builder in ops.py (never `sympify`, `parse_expr`, `eval` or `lambdify` on
user text), is differentiated symbolically and evaluated at 30 digits. SymPy cannot be
interrupted in a thread, so bounded work runs in a forked child process that is killed at the
deadline; the reverse-mode result stands either way. Finite differences (numeric.py) run in the
parent meanwhile.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from exprdiff import ast
from exprdiff.errors import ExprError
from exprdiff.ops import lookup
from exprdiff.oracle.finite import FD_RTOL, Study

DIGITS = 30  # significant digits for SymPy's evaluation of a partial
RTOL = 1e-9  # reverse mode vs SymPy, relative to the scale of the chain-rule terms
# The smallest scale, times max(1, |f|): a partial that is 0 in exact arithmetic comes out as a
# rounding residue (d/dx sin(acos(x)) at 0 is cos(1.5707963267948966) = 6e-17), so "relative"
# turns absolute near zero: RTOL × ZERO_SCALE = 1e-14.
ZERO_SCALE = 1e-5
MEMORY_LIMIT = 3 << 30  # bytes of address space for the SymPy child process

Message = tuple[Any, ...]


# ---- AST → SymPy ------------------------------------------------------------------------------


def to_sympy(tree: ast.Node) -> tuple[Any, dict[str, Any]]:
    """(SymPy expression, {variable name: real Symbol}) built node by node, without recursion."""
    import sympy as sp

    symbols: dict[str, Any] = {}
    stack: list[Any] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            count = len(node.args)
            args = stack[-count:]
            del stack[-count:]
            stack.append(lookup(node.op).sympy(sp, *args))
        elif isinstance(node, ast.Variable):
            if node.name not in symbols:
                symbols[node.name] = sp.Symbol(node.name, real=True)
            stack.append(symbols[node.name])
        elif isinstance(node, ast.Constant):
            stack.append(sp.pi if node.name == "pi" else sp.E)
        else:
            stack.append(_number(sp, node))
    return stack.pop(), symbols


def _number(sp: Any, node: ast.Number) -> Any:
    """The literal exactly as written (2.5 is 5/2), so printed partials stay exact."""
    try:
        q = Fraction(node.text) if len(node.text) <= 40 else Fraction(node.value)
    except (ValueError, ZeroDivisionError):
        q = Fraction(node.value)
    return sp.Rational(q.numerator, q.denominator)


def _text(sp: Any, expr: Any) -> str:
    return str(expr)


def evaluate(sp: Any, expr: Any, subs: dict[Any, Any]) -> tuple[float | None, str | None]:
    """(value rounded to a double, None) or (None, why SymPy has no finite real value there)."""
    # Floats of DIGITS + 10 digits put in place make SymPy evaluate each function on the way
    # (much faster than evalf(subs=...)); evalf then settles what is left (pi, sqrt(2), …).
    value = expr.xreplace(subs).evalf(DIGITS)
    if not value.is_Number:  # δ(g), H(g) of an unevaluated g (atan2(…)): evaluate g first
        value = value.replace(
            lambda e: isinstance(e, (sp.DiracDelta, sp.Heaviside)),
            lambda e: e.func(*(a.evalf(DIGITS + 10) for a in e.args))).evalf(DIGITS)
    if not value.is_Number:
        real, imaginary = value.as_real_imag()
        if not (real.is_Number and imaginary.is_Number):
            return None, f"SymPy gives {_short(str(value))} here"
        if abs(imaginary) > 1e-20 * (abs(real) + 1e-300):
            return None, f"SymPy gives the complex value {_short(str(value))}"
        value = real
    if value.is_finite is False or value is sp.nan:
        return None, f"SymPy gives {value} here"
    number = float(value)
    if not math.isfinite(number):
        return None, f"SymPy's value {_short(str(value))} overflows a double"
    return number, None


def derivative(sp: Any, expr: Any, symbol: Any) -> Any:
    """∂expr/∂symbol. SymPy leaves d sign(g)/dx unevaluated unless it can prove g real; every
    value exprdiff accepts is real, so the real chain rule 2·δ(g)·g' is applied (cbrt's
    sign(x)·|x|^(1/3) and sign need it). SymPy 1.14 also turns d/dz Max(0, -z²/m²)² into nan: then
    Max/Min are rewritten as Piecewise (equal away from ties) and differentiated again."""
    partial = sp.diff(expr, symbol)
    if partial is sp.nan and expr.has(sp.Max, sp.Min):
        partial = sp.diff(expr.rewrite(sp.Piecewise), symbol)
    if not expr.has(sp.sign):  # the (smaller) expression, not its derivative, is searched
        return partial

    def held(e: Any) -> bool:
        return isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign)

    def chain(e: Any) -> Any:
        g = e.expr.args[0]  # g' may hold a sign(h) of its own (nested cbrt): chain it too
        return 2 * sp.DiracDelta(g) * derivative(sp, g, *e.variables)

    return partial.replace(held, chain)


def _pretty(sp: Any, expr: Any) -> tuple[str, int]:
    """SymPy's 2-D Unicode form and the line its baseline is on (to align `∂f/∂x = ` with)."""
    try:
        from sympy.printing.pretty.pretty import PrettyPrinter

        form = PrettyPrinter({"use_unicode": True, "wrap_line": False})._print(expr)
        return str(form.render(wrap_line=False)), int(form.baseline)
    except (AttributeError, TypeError):  # a SymPy without these internals: no alignment
        return str(sp.pretty(expr, use_unicode=True, wrap_line=False)), 0


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def partials_job(
    tree: ast.Node, names: Sequence[str], point: dict[str, float] | None, simplify: bool,
    texts: bool = True,
) -> Iterator[Message]:
    """SymPy's work as messages: ("partial", name, text, value, note[, latex, pretty]), then
    ("simplified", name, text, latex, pretty) for each when `simplify`. Runs in the child."""
    import sympy as sp

    expr, symbols = to_sympy(tree)
    subs = {symbols[n]: sp.Float(v, DIGITS + 10) for n, v in (point or {}).items() if n in symbols}
    found: list[tuple[str, Any]] = []
    for name in names:
        partial = derivative(sp, expr, symbols[name]) if name in symbols else sp.Integer(0)
        if point is not None:
            text = _text(sp, partial) if texts else ""
            yield ("partial", name, text, *evaluate(sp, partial, subs))
        else:  # for `diff`: every notation, in case simplification runs out of time
            yield ("partial", name, _text(sp, partial), None, None, sp.latex(partial),
                   _pretty(sp, partial))
        found.append((name, partial))
    if simplify:
        for name, partial in found:
            simple = sp.simplify(partial)
            yield ("simplified", name, _text(sp, simple), sp.latex(simple), _pretty(sp, simple))


# ---- bounded execution in a child process ----------------------------------------------------


def run_bounded(
    job: Callable[..., Iterator[Message]], args: tuple[Any, ...], timeout: float,
    meanwhile: Callable[[float], None] | None = None,
) -> tuple[list[Message], str | None]:
    """Run `job(*args)` in a forked child; its messages and, if it did not finish, the reason.

    `meanwhile(deadline)` runs in the parent while the child works (finite differences). The
    limit counts from the call: importing SymPy (once per process) is inside it."""
    deadline = time.monotonic() + timeout
    import sympy  # noqa: F401 - imported once in the parent, inherited by every forked child

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, job, args), daemon=True)
    process.start()
    sender.close()
    messages: list[Message] = []
    reason: str | None = None
    try:
        if meanwhile is not None:
            meanwhile(deadline)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receiver.poll(remaining):
                reason = f"SymPy did not finish within the time limit ({timeout:g} s)"
                break
            try:
                message = receiver.recv()
            except EOFError:
                process.join(0.5)
                reason = f"the SymPy process stopped unexpectedly (exit code {process.exitcode})"
                break
            if message[0] == "done":
                break
            if message[0] == "error":
                reason = message[1]
                break
            messages.append(message)
    finally:
        if process.is_alive():
            process.kill()
        process.join(2.0)
        receiver.close()
    return messages, reason


def _child(sender: Any, job: Callable[..., Iterator[Message]], args: tuple[Any, ...]) -> None:
    try:
        _limit_memory()
        for message in job(*args):
            sender.send(message)
        sender.send(("done",))
    except RecursionError:
        sender.send(("error", "the expression is nested too deeply for SymPy"))
    except MemoryError:
        sender.send(("error", f"SymPy ran out of memory (limit {MEMORY_LIMIT >> 30} GiB)"))
    except Exception as problem:  # SymPy's own failures become the oracle's reason to give up
        sender.send(("error", f"SymPy failed: {type(problem).__name__}: {_short(str(problem))}"))
    finally:
        sender.close()


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


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


def check(result: Any, *, timeout: float = 5.0, simplify: bool = True,
          tree: ast.Node | None = None) -> Check:
    """Compare `result` (an api.Result) with SymPy and finite differences, within `timeout` s."""
    from exprdiff.syntax.parser import parse

    tape = result.tape
    if tape is None:
        raise ExprError("oracle", "this result carries no tape to check")
    if tree is None:
        tree = parse(result.expression)
    names = list(result.gradient)
    study = Study(tape, result.values, list(result.at.values()), result.warnings)
    messages, gave_up = run_bounded(
        partials_job, (tree, names, dict(result.at), simplify), timeout,
        meanwhile=lambda deadline: study.run(names, deadline))
    symbolic: dict[str, Message] = {}
    simplified: dict[str, str] = {}
    for message in messages:
        if message[0] == "partial":
            symbolic[message[1]] = message
        elif message[0] == "simplified":
            simplified[message[1]] = message[2]
    if gave_up and len(symbolic) == len(names):
        gave_up = None  # every value arrived: only the simplification ran out of time
    partials = [_judge(name, result.gradient[name], symbolic.get(name), simplified.get(name),
                       study) for name in names]
    failures = [p.note or p.variable for p in partials if not p.ok]
    return Check(tuple(partials), gave_up, timeout, failures)


def _judge(name: str, reverse: float, message: Message | None, simple: str | None,
           study: Study) -> PartialCheck:
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
                            ok=not problems, note=_join(name, problems, numeric_result.note))
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
                        ok=not problems, note=_join(name, problems, note or sym_note))


def _join(name: str, problems: list[str], note: str | None) -> str | None:
    if problems:
        return f"∂f/∂{name}: " + "; ".join(problems)
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


def symbolic_partials(text: str, wrt: Sequence[str] | None = None, *,
                      timeout: float = 5.0) -> tuple[list[Symbolic], str | None]:
    """∂f/∂v for each variable (or `wrt`), simplified; plus a note when time ran short.

    Raises ExprError("oracle") when SymPy could not even differentiate within `timeout`."""
    from exprdiff.errors import usage
    from exprdiff.syntax.parser import parse

    tree = parse(text)
    variables = ast.variables(tree)
    for name in wrt or ():
        if name not in variables:
            raise usage(f"--wrt names '{name}', which is not a variable of the expression",
                        variables)
    names = list(dict.fromkeys(wrt)) if wrt else list(variables)
    if not names:
        return [], None  # a constant: no partials, nothing to ask SymPy
    messages, gave_up = run_bounded(partials_job, (tree, names, None, True), timeout)
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
