"""JSON Lines: one record per line, each handed to the stream whole (SPEC §4's batch output)."""

from __future__ import annotations

import json
from typing import TextIO

from exprdiff.errors import json_safe
from exprdiff.render.formats import Options, Record

#: One encoder for every record; the C encoder writes each float with repr, which round-trips.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode

#: The keys of a batch's common record (a point's value and gradient, no warning), in order.
_PLAIN = ("line", "expression", "at", "value", "gradient", "warnings")
_FILED = ("file", *_PLAIN)
#: expression text → (its variables, the record's text with `%` where the numbers go)
_templates: dict[str, tuple[tuple[str, ...], str]] = {}
_MOST_TEMPLATES = 4096
#: expressions seen once: a template pays from its second record on (a batch of distinct
#: lines, each seen once, would build one per line for nothing)
_seen: set[str] = set()
#: variables → the record's text with `%s` where the expression goes too: an expression's
#: first record (distinct lines share their variables far more often than their text)
_firsts: dict[tuple[str, ...], str] = {}


def dumps(record: Record) -> str:
    """One record as one line of JSON, control and bidi characters as `\\u` escapes."""
    text = _plain(record)
    return json_safe(_encode(record)) if text is None else text


def line(record: Record) -> str:
    """dumps(record) and its newline: what JsonLines writes for a record."""
    return dumps(record) + "\n"


def _plain(record: Record) -> str | None:
    """The text of a common record, from its expression's template: the same text as the
    encoder's (the numbers are written by float.__repr__, as json writes a float); None for
    any other record (an error, warnings, ints, numbers that are not finite), which the encoder
    then writes."""
    keys = tuple(record)
    if keys != _PLAIN and keys != _FILED:
        return None
    line, expression, at, value, gradient, warnings = (record[k] for k in _PLAIN)
    if (type(line) is not int or type(expression) is not str or type(at) is not dict
            or type(gradient) is not dict or type(warnings) is not list or warnings):
        return None
    names = tuple(at)
    if tuple(gradient) != names:
        return None
    file = record["file"] if len(keys) == len(_FILED) else None
    if file is not None and type(file) is not str:
        return None
    return plain(line, file, expression, names, (*at.values(), value, *gradient.values()))


def plain(line: int, file: str | None, expression: str, names: tuple[str, ...],
          numbers: tuple[float, ...]) -> str | None:
    """The text of the common record `{"line", "expression", "at", "value", "gradient",
    "warnings": []}` (after `"file"` when given) from its parts, without making the record:
    `numbers` are the point's values in `names` order, the value, then the partials in that
    order. None where the encoder must write it: numbers that are not finite floats. An
    expression's first record is written from its variables' template, the expression encoded
    on the spot (its own template pays from its second record)."""
    known = _templates.get(expression)
    first = None
    if known is None or known[0] != names:
        if expression not in _seen:
            if len(_seen) >= _MOST_TEMPLATES:
                _seen.clear()
            _seen.add(expression)
            first = _firsts.get(names) or _first(names)
            if first is None:
                return None
        else:
            known = _template(expression, names)
            if known is None:
                return None
    try:
        total = sum(numbers)
        if total - total != 0.0:  # inf or nan (or a sum beyond the doubles): the encoder
            return None
        if first is not None:
            text = first % (line, json_safe(_encode(expression)), *map(float.__repr__, numbers))
        else:
            text = known[1] % (line, *map(float.__repr__, numbers))  # type: ignore[index]
    except TypeError:  # not a float (an int, a bool, a string): the encoder
        return None
    if file is not None:
        text = '{"file": ' + json_safe(_encode(file)) + ", " + text[1:]
    return text


def _template(expression: str, names: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    """`{"line": %d, "expression": "x*y", "at": {"x": %s, "y": %s}, "value": %s, …}`."""
    if not all(type(name) is str for name in names):
        return None
    template = _written(_encoded(expression), names)
    if len(_templates) >= _MOST_TEMPLATES:
        _templates.clear()
    _templates[expression] = known = (names, template)
    return known


def _first(names: tuple[str, ...]) -> str | None:
    """`{"line": %d, "expression": %s, "at": {"x": %s, "y": %s}, "value": %s, …}`."""
    if not all(type(name) is str for name in names):
        return None
    if len(_firsts) >= _MOST_TEMPLATES:
        _firsts.clear()
    _firsts[names] = template = _written("%s", names)
    return template


def _encoded(text: str) -> str:
    """A string's JSON, as a `%` template holds it."""
    return json_safe(_encode(text)).replace("%", "%%")


def _written(expression: str, names: tuple[str, ...]) -> str:
    point = ", ".join(f"{_encoded(name)}: %s" for name in names)
    return (f'{{"line": %d, "expression": {expression}, "at": {{{point}}}, '
            f'"value": %s, "gradient": {{{point}}}, "warnings": []}}')


class Encode:
    """A record's text as JsonLines writes it (a batch's workers call it: batch/workers.py);
    `plain` writes a common record's text from its parts, the record unmade (batch/evaluate.py).
    An object, not a function, so that the two travel together to --jobs workers."""

    __slots__ = ()
    #: Records' texts joined are what writing them one by one writes (each ends its line): a
    #: --jobs worker may send a chunk's as one text (batch/evaluate.Block).
    joins = True

    def __call__(self, record: Record) -> str:
        return line(record)

    @staticmethod
    def plain(line: int, file: str | None, expression: str, names: tuple[str, ...],
              numbers: tuple[float, ...]) -> str | None:
        """The record's text from its template, else (numbers that are not finite floats)
        from the record made here for the encoder: never by way of `dumps`, whose template
        lookup would count this record's expression as seen twice."""
        text = plain(line, file, expression, names, numbers)
        if text is not None:
            return text + "\n"
        size = len(names)
        record: Record = {} if file is None else {"file": file}
        record |= {"line": line, "expression": expression,
                   "at": dict(zip(names, numbers, strict=False)), "value": numbers[size],
                   "gradient": dict(zip(names, numbers[size + 1:], strict=True)),
                   "warnings": []}
        try:
            return json_safe(_encode(record)) + "\n"
        except ValueError:  # not finite: the record is made and encoded (and refused) as ever
            return None


class JsonLines:
    """One JSON object per line, each handed to the stream whole; flushed per input line."""

    encode = Encode()

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream

    def write(self, record: Record) -> None:
        self.stream.write(line(record))

    def write_text(self, text: str) -> None:
        """A record as `encode` wrote it."""
        self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        self.stream.flush()
