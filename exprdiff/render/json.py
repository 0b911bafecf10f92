"""JSON output: full round-trip floats, one object per point (a list for several points)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from exprdiff.errors import json_safe
from exprdiff.render.formats import Options, Record
from exprdiff.render.jsonl import dumps as dumps_line


def dumps(data: Any, *, indent: int | None = 2) -> str:
    """JSON text; Python's float repr is the shortest string that reads back as the same double."""
    return json_safe(json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False))


class Json:
    """One JSON document. A batch's (or a point set's) records: one array, one element per line,
    streamed; `finish()` closes it. One expression's results: indented, one object for one
    point, else a list, as SPEC §4 says; written by `finish()`."""

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream
        self.count = 0
        self.document: list[Record] | None = [] if options.source == "single" else None

    def write(self, record: Record) -> None:
        if self.document is not None:
            self.document.append(record)
            return
        self.stream.write(("[\n" if self.count == 0 else ",\n") + dumps_line(record))
        self.count += 1

    def flush(self) -> None:
        if self.document is None:
            self.stream.flush()

    def finish(self) -> None:
        if self.document is not None:
            one = len(self.document) == 1
            self.stream.write(dumps(self.document[0] if one else self.document) + "\n")
        else:
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()
