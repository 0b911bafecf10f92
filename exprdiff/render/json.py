"""JSON output: full round-trip floats, one object per point (a list for several points)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import IO, Any, TextIO

from exprdiff.errors import json_safe
from exprdiff.render.formats import Options, Record
from exprdiff.render.jsonl import dumps as dumps_line


def dumps(data: Any, *, indent: int | None = 2) -> str:
    """JSON text; Python's float repr is the shortest string that reads back as the same double.

    The same text as `json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)`,
    written faster: Python's indenting encoder is pure Python (a few MB a second, most of the
    time of `--steps --format json` on a big graph), so every container that holds no container
    (a step table's row) is written by the C encoder in one call, its separators indenting.
    """
    if indent is None:
        return json_safe(json.dumps(data, ensure_ascii=False, allow_nan=False))
    return json_safe("".join(_indented(data, indent)))


def write(stream: IO[str], data: Any, *, indent: int = 2) -> None:
    """dumps(data) and a newline, written to `stream` a piece at a time: the whole text of a big
    step table (tens of MB, twice that as a str holding a `∂`) is never held at once."""
    for chunk in _indented(data, indent):
        stream.write(json_safe(chunk))  # character by character: a chunk's end cuts nothing
    stream.write("\n")
    stream.flush()


#: Pieces of text joined into one chunk by `_indented`.
_CHUNK = 4096


#: Types the C encoder writes as one token; a container holding only these is written whole.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = frozenset({dict, list, tuple})
_ANY = _SCALARS | _CONTAINERS

#: A container being written: its remaining (lead text, child) parts, its level, its closing.
_Frame = tuple[Iterator[tuple[str, Any]], int, str]


def _indented(data: Any, indent: int) -> Iterator[str]:
    """`data` indented by `indent`, in chunks: a stack of open containers, no recursion."""
    out: list[str] = []
    pads: list[str] = []
    frames: list[_Frame] = []
    opened = _write(data, 0, indent, out, pads)
    if opened is not None:
        frames.append(opened)
    while frames:
        parts, level, closing = frames[-1]
        for lead, child in parts:  # resumes where it stopped: `parts` is an iterator
            out.append(lead)
            if child is not _NOTHING:
                opened = _write(child, level + 1, indent, out, pads)
                if opened is not None:
                    frames.append(opened)
                    break
            if len(out) >= _CHUNK:
                yield "".join(out)
                out.clear()
        else:
            out.append(closing)
            frames.pop()
    yield "".join(out)


_NOTHING = object()  # a part that is all lead (a run of scalar items, already written)


def _write(value: Any, level: int, indent: int, out: list[str], pads: list[str]) -> _Frame | None:
    """Write `value` whole to `out`, or write its opening and return it as an open frame."""
    kind = type(value)
    if kind in _SCALARS:
        out.append(_encoder(None)(value))
        return None
    while len(pads) <= level + 2:
        pads.append("\n" + " " * (indent * len(pads)))
    inner, outer = pads[level + 1], pads[level]
    opening, closing = ("{", "}") if kind is dict else ("[", "]")
    types = set(map(type, value.values() if kind is dict else value))
    if kind not in _CONTAINERS or not types <= _ANY:
        out.append(_fallback(value, indent, level))  # subclasses of dict, list…: json itself
    elif not value:
        out.append(opening + closing)
    elif types <= _SCALARS:  # a row: the C encoder in one call, its separators indenting
        out.append(opening + inner + _encoder(inner)(value)[1:-1] + outer + closing)
    elif kind is dict and not set(map(type, value)) <= {str}:
        out.append(_fallback(value, indent, level))  # keys json turns into strings: json
    elif kind is not dict and types == {dict} and all(
            row and set(map(type, row.values())) <= _SCALARS for row in value):
        out.append("[")  # a step table: rows of scalars, one C call each
        return _table_parts(value, inner, pads[level + 2]), level, outer + "]"
    else:
        out.append(opening)
        parts = _dict_parts(value, inner) if kind is dict else _list_parts(value, inner)
        return parts, level, outer + closing
    return None


def _table_parts(rows: list[Any] | tuple[Any, ...], inner: str,
                 row_inner: str) -> Iterator[tuple[str, Any]]:
    """Each row of a list of non-empty dicts of scalars, written whole as a lead."""
    encode = _encoder(row_inner)
    lead = inner + "{" + row_inner
    for row in rows:
        yield lead + encode(row)[1:-1] + inner + "}", _NOTHING
        lead = "," + inner + "{" + row_inner


def _list_parts(value: list[Any] | tuple[Any, ...], inner: str) -> Iterator[tuple[str, Any]]:
    lead = inner
    for child in value:
        yield lead, child
        lead = "," + inner


def _dict_parts(value: dict[str, Any], inner: str) -> Iterator[tuple[str, Any]]:
    """(lead, child) per item; a run of scalar items is written by one C call, as a lead."""
    lead = inner
    run: dict[str, Any] = {}
    for key, child in value.items():
        if type(child) in _SCALARS:
            run[key] = child
            continue
        if run:
            yield lead + _encoder(inner)(run)[1:-1], _NOTHING
            lead = "," + inner
            run = {}
        yield lead + _encoder(None)(key) + ": ", child
        lead = "," + inner
    if run:
        yield lead + _encoder(inner)(run)[1:-1], _NOTHING


@lru_cache(maxsize=64)
def _encoder(inner: str | None) -> Callable[[Any], str]:
    """The C encoder, items separated by `,` and `inner` (a newline and the indentation).

    Made once per indentation and called directly: JSONEncoder.encode would build a new C
    encoder on every call, which costs more than writing a row. Our data holds no cycles.
    """
    item = "," if inner is None else "," + inner
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the pure encoder, same text
        return json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                                separators=(item, ": ")).encode
    chunks = make(None, _unserialisable, json.encoder.encode_basestring, None, ": ", item,
                  False, False, False)
    join = "".join

    def encode(value: Any) -> str:
        if type(value) is str:
            return json.encoder.encode_basestring(value)
        return join(chunks(value, 0))

    return encode


def _unserialisable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _fallback(value: Any, indent: int, level: int) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    return text.replace("\n", "\n" + " " * (indent * level))


class Json:
    """One JSON document. A batch's (or a point set's) records: one array, one element per line,
    streamed; `finish()` closes it. One expression's results: indented, one object for one
    point, else a list, as SPEC §4 says; written by `finish()`."""

    #: A streamed record's text (a batch's workers call it: batch/workers.py).
    encode = staticmethod(dumps_line)

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream
        self.count = 0
        self.document: list[Record] | None = [] if options.source == "single" else None

    def write(self, record: Record) -> None:
        if self.document is not None:
            self.document.append(record)
            return
        self.write_text(dumps_line(record))

    def write_text(self, text: str) -> None:
        """A streamed record as `encode` wrote it."""
        self.stream.write(("[\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def flush(self) -> None:
        if self.document is None:
            self.stream.flush()

    def finish(self) -> None:
        if self.document is not None:
            one = len(self.document) == 1
            write(self.stream, self.document[0] if one else self.document)  # in pieces
        else:
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()
