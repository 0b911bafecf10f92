"""Reading a batch's input: lines of every source, and one line split into expression and points.

A line is `EXPR`, `EXPR ; x=1, y=2`, `EXPR ; x=1 ; x=2` or a JSON object
`{"expr": "...", "at": {...}}`; blank lines and `#` comments are skipped by the evaluator.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from exprdiff.errors import ExprError
from exprdiff.points import parse_assignments

_JSON_KEYS = ("expr", "at", "expect")


def read_point(text: str, variables: Sequence[str]) -> dict[str, float]:
    """`x=1, y=2.5` → {"x": 1.0, "y": 2.5}: a fast path for plain numbers; anything else
    (constants like `pi/4`, mistakes) goes to points.parse_assignments, with its messages."""
    point: dict[str, float] = {}
    parts = text.split(",")
    if not text.isascii():  # float() reads other scripts' digits: parse_assignments refuses
        return parse_assignments(text, variables)
    try:
        for part in parts:
            name, _, value = part.partition("=")
            if "_" in value:  # float() reads 1_000: parse_assignments refuses it
                raise ValueError(value)
            point[name.strip()] = float(value)
    except ValueError:
        return parse_assignments(text, variables)
    if len(point) == len(parts) and "" not in point and _finite(point.values()):
        return point
    return parse_assignments(text, variables)


def _finite(values: Any) -> bool:
    total = sum(values)
    return total - total == 0.0 or all(math.isfinite(v) for v in values)


def split_line(text: str) -> tuple[str, list[str | Mapping[str, Any]]]:
    """`EXPR ; x=1 ; x=2` → (EXPR, ["x=1", "x=2"]); a JSON object line → (expr, its points)."""
    if text.startswith("{"):
        return _json_line(text)
    text = text.partition("#")[0]  # a comment after the points (no '#' in the language)
    expression, _, rest = text.partition(";")
    expression = expression.strip()
    if not expression:
        raise ExprError("parse", "the line has points but no expression before ';'", column=1)
    points: list[str | Mapping[str, Any]] = [p for p in rest.split(";") if p.strip()]
    return expression, points


def _json_line(text: str) -> tuple[str, list[str | Mapping[str, Any]]]:
    expression, points, _ = json_line(text)
    return expression, points


def json_line(text: str) -> tuple[str, list[str | Mapping[str, Any]], str | None]:
    """A JSON object line → (expr, its points, its "expect" claims as `x=…, y=…` or None).

    "expect" is the text `--expect` takes, or an object {"x": "2*x*y", "y": 1.5}."""
    try:
        data = json.loads(text)
    except ValueError as problem:
        column = getattr(problem, "colno", None)
        reason = getattr(problem, "msg", str(problem))
        raise ExprError("parse", f"the line starts with '{{' but is not valid JSON: {reason}",
                        column=column) from None
    example = '{"expr": "x**2", "at": {"x": 1}}'
    if not isinstance(data, dict):
        raise ExprError("usage", f"a JSON line must be an object like {example}")
    unknown = [key for key in data if key not in _JSON_KEYS]
    if unknown:
        raise ExprError("usage", f"unknown key '{unknown[0]}' in the JSON line "
                        f'(it may hold "expr", "at" and "expect": {example})')
    if not isinstance(data.get("expr"), str):
        raise ExprError("usage", f'a JSON line needs "expr" as a string: {example}')
    at = data.get("at")
    points = at if isinstance(at, list) else [] if at is None else [at]
    for point in points:
        if not isinstance(point, dict):
            raise ExprError("usage", '"at" must be an object like {"x": 1} or a list of them')
    return data["expr"].strip(), [_json_point(p) for p in points], _claims(data.get("expect"))


def _claims(expect: Any) -> str | None:
    """The "expect" of a JSON line as `--expect` text: a string as it is, an object's entries
    joined (`{"x": "2*x", "y": 1}` → `x=2*x, y=1`)."""
    if expect is None or isinstance(expect, str):
        return expect
    example = '"expect": "x=2*x*y, y=x**2" or {"x": "2*x*y", "y": "x**2"}'
    if not isinstance(expect, dict) or not expect:
        raise ExprError("usage", f'"expect" must be a string or an object: {example}')
    parts = []
    for name, claim in expect.items():
        if isinstance(claim, bool) or not isinstance(claim, str | int | float):
            raise ExprError("usage", f'the claim for {name} in "expect" must be a formula or '
                            f"a number, not {claim!r}: {example}")
        if "," in str(name) or "=" in str(name):
            raise ExprError("usage", f'"expect" names a variable {name!r}: {example}')
        parts.append(f"{name}={claim!r}" if isinstance(claim, float) else f"{name}={claim}")
    return ", ".join(parts)


def _json_point(point: dict[str, Any]) -> Mapping[str, Any]:
    """Numbers stay numbers; a string value may be a constant expression (`"pi/4"`)."""
    values: dict[str, Any] = {}
    for name, value in point.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ExprError("usage", f"the value of {name} must be a number, not {value!r}")
        if isinstance(value, str):
            values[name] = parse_assignments(f"{name}={value}")[name]
        elif math.isfinite(value):
            values[name] = float(value)
        else:  # JSON's 1e999 reads as inf
            raise ExprError("usage", f"the value of {name} must be a finite number, not {value}")
    return values


# -- reading ------------------------------------------------------------------------------------

#: (file label or None, 1-based line number, raw bytes)
Line = tuple[str | None, int, bytes]
Chunk = list[Line]


def read_lines(sources: Sequence[str], *, label: bool) -> Iterator[Line]:
    """(file label or None, 1-based line number, raw bytes) for every line of every source."""
    import sys

    for source in sources:
        name = ("<stdin>" if source == "-" else source) if label else None
        if source == "-":
            yield from _numbered(name, sys.stdin.buffer)
        else:
            with open(source, "rb") as stream:
                yield from _numbered(name, stream)


#: The UTF-8 byte-order mark some editors (Notepad) put before a file's first line.
BOM = b"\xef\xbb\xbf"


def _numbered(name: str | None, stream: Any, first: int = 1) -> Iterator[Line]:
    for number, raw in enumerate(stream, first):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]  # a mark of the file's encoding, not part of line 1
        yield name, number, raw


@dataclass(frozen=True, slots=True)
class Block:
    """Whole lines of one source, bytes `start` to `end`, the first of them line `first`: read
    from `path` by whoever evaluates them, or carried in `data` (standard input). `index`
    counts blocks across all sources."""

    label: str | None
    path: str | None
    start: int
    end: int
    first: int
    index: int = 0
    data: bytes | None = None


def blocks(sources: Sequence[str], *, label: bool, size: int) -> Iterator[Block]:
    """Every source cut into blocks of about `size` bytes, each ending at a line's end."""
    import sys

    index = 0
    for source in sources:
        name = ("<stdin>" if source == "-" else source) if label else None
        with (open(source, "rb") if source != "-" else _unclosed(sys.stdin.buffer)) as stream:
            path = None if source == "-" else os.path.abspath(source)
            for block in _cut(stream, name, path, size, index):
                yield block
                index += 1


def _cut(stream: Any, name: str | None, path: str | None, size: int,
         index: int) -> Iterator[Block]:
    """One pass over the stream: where each block ends and its first line's number."""
    start, first = 0, 1
    while data := stream.read(size):
        if not data.endswith(b"\n"):
            data += stream.readline()  # lines are never cut
        end = start + len(data)
        yield Block(name, path, start, end, first, index, data if path is None else None)
        start, index = end, index + 1
        first += data.count(b"\n") + (not data.endswith(b"\n"))


@contextmanager
def _unclosed(stream: Any) -> Iterator[Any]:
    yield stream


def read_block(block: Block) -> Iterator[Line]:
    """The lines of `block`, numbered as read_lines numbers them."""
    import io

    data = block.data
    if data is None:
        with open(str(block.path), "rb") as stream:
            stream.seek(block.start)
            data = stream.read(block.end - block.start)
        if len(data) != block.end - block.start:
            raise OSError(f"{block.path} is shorter than when it was cut into blocks")
    return _numbered(block.label, io.BytesIO(data), block.first)


def known_size(sources: Sequence[str]) -> int | None:
    """Total bytes when every source is a regular file (stdin redirected from one counts)."""
    import stat
    import sys

    total = 0
    for source in sources:
        try:
            info = os.fstat(sys.stdin.fileno()) if source == "-" else os.stat(source)
        except (OSError, ValueError, AttributeError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        total += info.st_size
    return total
