"""JSON output: full round-trip floats, one object per point (a list for several points)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from exprdiff.render.formats import Options, Record
from exprdiff.render.jsonl import dumps as dumps_line
from exprdiff.result import Result


def dumps(data: Any, *, indent: int | None = 2) -> str:
    """JSON text; Python's float repr is the shortest string that reads back as the same double."""
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)


def results(items: Sequence[Result], extra: Sequence[dict[str, Any]] | None = None) -> str:
    """One object for one point, else a list, as SPEC §4 says."""
    objects = [r.to_dict() for r in items]
    if extra is not None:
        for obj, more in zip(objects, extra, strict=True):
            obj.update(more)
    return dumps(objects[0] if len(objects) == 1 else objects)


class Json:
    """One JSON array, one element per line, streamed; `finish()` closes it."""

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream
        self.count = 0

    def write(self, record: Record) -> None:
        self.stream.write(("[\n" if self.count == 0 else ",\n") + dumps_line(record))
        self.count += 1

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()
