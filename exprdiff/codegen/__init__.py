"""Readable straight-line code for a tape's value and gradient (`exprdiff codegen`, issue 20).

    >>> import exprdiff
    >>> from exprdiff.codegen import compile_python
    >>> f = compile_python(exprdiff.compile("x1**2 + 3*(x2*x3 - x1**2)").tape)
    >>> f(1.0, 2.0, 3.0)
    (16.0, (-4.0, 9.0, 6.0))

The code is written from the tape and the rows' code templates (op.Code), never from the
user's text; its names are the tape's labels made safe (names.py). Nothing here is imported
by `import exprdiff` or `exprdiff grad`: only by `exprdiff codegen` and by whoever calls this
module. See docs/codegen.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exprdiff.codegen.names import valid_name
from exprdiff.codegen.plan import plan
from exprdiff.errors import ExprError
from exprdiff.tape import Tape

__all__ = ["LANGUAGES", "MODES", "c_source", "compile_python", "load", "numpy_source",
           "python_source", "source"]

LANGUAGES = ("python", "numpy", "c")
MODES = ("reverse", "forward")


def _function_name(mode: str, name: str | None) -> str:
    if mode not in MODES:
        raise ExprError("usage", f"unknown mode {mode!r}: reverse or forward")
    default = "value_and_grad" if mode == "reverse" else "value_and_jvp"
    if name is None or name == default:
        return default
    if not valid_name(name):
        raise ExprError("usage", f"{name!r} cannot name the generated function: give an "
                        "identifier that is not a keyword or a name the code uses")
    return name


def python_source(tape: Tape, mode: str = "reverse", *, name: str | None = None,
                  strict: bool = False, imported: bool = False) -> str:
    """A Python module defining `value_and_grad(x1, …, strict=False) -> (value, gradient)`
    (reverse) or `value_and_jvp(x1, …, t_x1, …, strict=False) -> (value, tangent)` (forward);
    `imported`: its errors imported from exprdiff.codegen.runtime rather than defined in it."""
    from exprdiff.codegen.python import PythonWriter

    function = _function_name(mode, name)
    return PythonWriter(plan(tape, mode), function, strict, imported).source()


def numpy_source(tape: Tape, mode: str = "reverse", *, name: str | None = None,
                 strict: bool = False) -> str:
    """As python_source, over NumPy arrays (one entry per point; scalars broadcast)."""
    from exprdiff.codegen.arrays import ArrayWriter

    function = _function_name(mode, name)
    return ArrayWriter(plan(tape, mode), function, strict).source()


def c_source(tape: Tape, mode: str = "reverse", *, name: str | None = None) -> str:
    """A C99 function `int value_and_grad(double x1, …, double *value, double *grad,
    int strict)` (or `value_and_jvp(…, double t_x1, …, double *value, double *tangent, int
    strict)`): 0 done, 1 a domain error, 2 a kink with strict; messages on stderr."""
    from exprdiff.codegen.c import CWriter

    function = _function_name(mode, name)
    return CWriter(plan(tape, mode), function).source()


def source(tape: Tape, lang: str = "python", mode: str = "reverse") -> str:
    """The code in `lang` (python, numpy or c)."""
    writers = {"python": python_source, "numpy": numpy_source, "c": c_source}
    if lang not in writers:
        raise ExprError("usage", f"unknown language {lang!r}: python, numpy or c")
    return writers[lang](tape, mode)


def compile_python(tape: Tape, mode: str = "reverse", *, strict: bool = True) -> Callable[..., Any]:
    """python_source's function, compiled: `f(*point)` → (value, gradient tuple) in
    `tape.variables` order (forward mode: `f(*point, *direction)` → (value, tangent)).

    Any trouble (a domain error, a kink when `strict`, a slope beyond the doubles) raises an
    ArithmeticError; exprdiff's own sweep gives the full diagnosis there.
    """
    text = python_source(tape, mode, strict=strict, imported=True)
    return load(text, _function_name(mode, None))


def load(text: str, name: str, names: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The function `name` defined by `text`, code this package wrote from a tape (never the
    user's text), run with `names` as its globals."""
    namespace: dict[str, Any] = {"__name__": "exprdiff_codegen", **(names or {})}
    # Our own source, written from the tape (never the user's text): running it is the point.
    code = compile(text, "<exprdiff codegen>", "exec")
    exec(code, namespace)  # noqa: S102 # reviewed: code we wrote from a tape, never user text
    return namespace[name]
