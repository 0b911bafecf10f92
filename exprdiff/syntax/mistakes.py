"""A mistake the fast loop met (lalr.Mistake), worded from where it stopped as Lark's errors word
it (wording.py), without parsing again; Lark parses only what the loop cannot judge, and only a
short text. Loaded by parser.py on the error path only."""

from __future__ import annotations

from exprdiff.errors import ExprError
from exprdiff.syntax import lalr, wording

#: Longest text that Lark may parse again to word a mistake the fast loop cannot judge (a piece
#: of text that is no token on its own: not met with this grammar). Lark takes ~20 s a MB.
LARK_WORDING = 20_000


def worded(text: str, mistake: lalr.Mistake, tables: lalr.Tables) -> ExprError:
    """The ExprError for a mistake of the fast loop over `tables`, worded as Lark's errors are
    (wording.py)."""
    if mistake.error is not None:  # a callback's own: an unknown function, a huge number…
        assert isinstance(mistake.error, ExprError)  # noqa: S101 - the callbacks make these
        return wording.with_source(mistake.error, text)
    if not text.strip():
        return wording.empty(text)
    found = mistake.found
    start = lalr.start(found, mistake.piece)
    piece = found[mistake.piece]
    if mistake.state is not None and mistake.kind is not None:
        return wording.unexpected(mistake.kind, piece, start, lalr.expected(tables, mistake.state),
                                  text, _before(tables, found, mistake.piece))
    match = tables.scanner.match(text, start)
    if match is not None and match.lastgroup == "_BAD":  # no terminal matches here
        return wording.bad_character(text[start], start, text)
    if len(text) <= LARK_WORDING:
        from exprdiff.syntax.lark_errors import parse_with_lark

        try:
            parse_with_lark(text)
        except ExprError as error:
            return error
    return wording.with_source(ExprError("parse", f"cannot read '{wording.shorten(piece)}' "
                                         "here", column=start + 1), text)


def _before(tables: lalr.Tables, found: list[str], k: int) -> tuple[str, str] | None:
    """The token before piece k as (terminal, text), white space skipped; None at the start."""
    for j in range(k - 1, -1, -1):
        kind = lalr.terminal(tables, found[j])
        if kind is not None:
            return kind, found[j]
    return None
