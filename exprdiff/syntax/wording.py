"""Every parse error's wording, from plain data: what was found where, what was expected.

The fast LALR loop (lalr.py) stops at a mistake knowing the piece of text it was reading, the
state it was in and so the terminals it expected; Lark, on the rare input the loop cannot judge,
knows the same things as its own objects. Both come here, so a message reads the same whichever
parser saw the mistake, and no text is parsed again to word it (issue 14). Nothing here imports
Lark; this module is loaded only when there is an error to word.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection

from exprdiff.errors import ExprError, line_and_column
from exprdiff.op import Op
from exprdiff.ops import CONSTANTS, FUNCTIONS
from exprdiff.syntax.lookalikes import LOOKALIKES

#: Unicode look-alikes people paste from papers, and the ASCII they stand for.

#: Characters that are not in the language, with a word on what to write instead.
FOREIGN = {
    "[": "use '(' and ')' for grouping",
    "]": "use '(' and ')' for grouping",
    "{": "use '(' and ')' for grouping",
    "}": "use '(' and ')' for grouping",
    "!": "there is no factorial; exprdiff differentiates smooth functions",
    "%": "there is no modulo operator",
}

TOKEN_WORDS = {
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "POW": "'**'",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "EQUAL": "'='", "SEMI": "';'",
    "NUMBER": "a number", "NAME": "a name",
    "$END": "the end of the expression",
}


# ---- a reduction's own mistakes (the callbacks of either parser) ----------------------------


def number_too_large(text: str, column: int) -> ExprError:
    return ExprError("parse", f"the number {shorten(text)} is too large for a double "
                     "(at most about 1.8e308)", column=column)


#: The hint for `a = x` then a line `(a + 1)**2`, read as the call x(a + 1).
NEWLINE_CALL = ("a line that begins with '(' continues the line above: end the statement above "
                "with ';' to start a new one")


def statement_mistake(message: str, column: int, hint: str) -> ExprError:
    """A program's statements badly put together: an empty one, two on one line."""
    return ExprError("parse", message, column=column, hint=hint)


def function_as_name(name: str, column: int) -> ExprError:
    return ExprError("parse", f"'{name}' is a function: call it as {name}(…)", column=column)


#: SymPy's names, as `exprdiff diff` prints them, pasted back: what to write in exprdiff.
SYMPY_NAMES = {
    "Heaviside": "SymPy's step function θ (θ(0) = 1/2): write (1 + sign(x))/2",
    "DiracDelta": "SymPy's Dirac delta has no value as a number: it is 0 wherever x ≠ 0",
    "Abs": "write abs(x)", "Max": "write max(…)", "Min": "write min(…)",
    "sec": "write 1/cos(x)", "csc": "write 1/sin(x)", "cot": "write 1/tan(x)",
    "Piecewise": "exprdiff has no Piecewise: max, min, relu, clamp and sign cover the "
                 "usual cases",
}


def unknown_function(name: str, column: int) -> ExprError:
    if name in SYMPY_NAMES:
        return ExprError("parse", f"unknown function '{name}' (a SymPy name, as `exprdiff diff` "
                         "prints it)", column=column, hint=SYMPY_NAMES[name])
    if name in CONSTANTS:
        return ExprError("parse", f"'{name}' is a constant, not a function; "
                         f"write {name}*(…) to multiply", column=column)
    close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.6)
    if close:
        return ExprError("parse", f"unknown function '{name}'; did you mean '{close[0]}'?",
                         column=column)
    hint = f"to multiply, write '{name}*(…)'; functions: {', '.join(sorted(FUNCTIONS))}"
    return ExprError("parse", f"unknown function '{name}'", column=column, hint=hint)


def wrong_arity(op: Op, count: int, column: int) -> ExprError:
    got = f"{count} argument" + ("" if count == 1 else "s")
    return ExprError("parse", f"{op.name} takes {op.arity_text()}, got {got}", column=column)


# ---- the parser's mistakes ---------------------------------------------------------------------


def empty(text: str) -> ExprError:
    return ExprError("parse", "empty expression", column=None, source=text,
                     hint="write an expression such as 'x**2 + 3*y'")


def unexpected(kind: str, value: str, start: int, expected: Collection[str], text: str,
               before: tuple[str, str] | None) -> ExprError:
    """Terminal `kind` (text `value`, at 0-based offset `start`) where the parser expected one
    of `expected`; `before` is the token just before it as (terminal, text), if any."""
    if kind == "$END":
        column = len(text.rstrip()) + 1
        message = "unexpected end of expression"
        hint = expected_words(expected)
        unclosed = unclosed_paren(text)
        if unclosed is not None:
            column = unclosed
            message = "this '(' is never closed"
            hint = "add ')' where the group ends"
        return with_source(ExprError("parse", message, column=column, hint=hint), text)
    column = start + 1
    message = f"unexpected '{shorten(value)}'"
    hint = suggest(kind, value, before) or _statement_hint(kind) or expected_words(expected)
    if kind == "RPAR" and unclosed_paren(text[: column - 1]) is None:
        hint = "this ')' has no matching '('"
    return with_source(ExprError("parse", message, column=column, hint=hint), text)


def _statement_hint(kind: str) -> str | None:
    if kind == "EQUAL":
        return ("a statement is NAME = EXPR, one name on the left; exprdiff writes no "
                "equations")
    if kind == "SEMI":
        return ("';' ends a statement NAME = EXPR; only the last one may be a bare expression")
    return None


def bad_character(char: str, offset: int, text: str) -> ExprError:
    """A character that no terminal of the language matches, at 0-based `offset`."""
    try:
        label = f" ({unicodedata.name(char)})"
    except ValueError:
        label = f" (U+{ord(char):04X})"
    printable = char if char.isprintable() else repr(char)[1:-1]
    message = f"unexpected character '{printable}'{label}"
    if char in LOOKALIKES:
        hint = f"did you mean '{LOOKALIKES[char]}'? exprdiff reads plain ASCII operators"
    elif char in FOREIGN:
        hint = FOREIGN[char]
    else:
        hint = "expected a number, a variable, a function call, an operator or a parenthesis"
    return with_source(ExprError("parse", message, column=offset + 1, hint=hint), text)


def with_source(error: ExprError, text: str) -> ExprError:
    """`error` with its source text, and the line and column in its message."""
    error.source = text
    if error.column is not None and " at line " not in error.message:
        line, col = line_and_column(text, error.column)
        head, sep, tail = error.message.partition("; ")
        error.message = f"{head} at line {line}, column {col}{sep}{tail}"
    return error


def suggest(kind: str, value: str, before: tuple[str, str] | None) -> str | None:
    """Implicit multiplication and friends: `2x`, `2(x)`, `)(`, `x y`, `sin x`."""
    if before is None:
        return None
    before_kind, before_value = before
    if before_kind in ("NUMBER", "NAME", "RPAR") and kind in ("NAME", "NUMBER", "LPAR"):
        if before_kind == "NAME" and before_value in FUNCTIONS and kind != "LPAR":
            return f"did you mean '{before_value}({value})'?"
        return f"did you mean '{before_value}*{value}'?"
    return None


def expected_words(expected: Collection[str]) -> str:
    if {"NUMBER", "NAME", "LPAR"} <= set(expected):
        return "expected a number, a variable, a function call or '('"
    words = [TOKEN_WORDS.get(name, name) for name in sorted(expected) if name != "$END"]
    if not words:
        return "expected the end of the expression"
    if {"PLUS", "MINUS", "STAR", "SLASH", "POW"} <= set(expected):
        rest = [w for w in words if w not in ("'+'", "'-'", "'*'", "'/'", "'**'")]
        words = ["an operator"] + rest
    if "$END" in expected:
        words.append("the end of the expression")
    if len(words) == 1:
        return "expected " + words[0]
    return "expected " + ", ".join(words[:-1]) + " or " + words[-1]


def unclosed_paren(text: str) -> int | None:
    """1-based column of the innermost '(' left open in `text`, or None."""
    opened: list[int] = []
    for paren in re.finditer(r"[()]", text):  # only the parentheses are visited, not a MB
        if paren.group() == "(":
            opened.append(paren.start())
        elif opened:
            opened.pop()
    return opened[-1] + 1 if opened else None


def shorten(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width // 2] + "…" + text[-width // 2 :]
