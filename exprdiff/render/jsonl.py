"""JSON Lines: one record per line, each handed to the stream whole (SPEC §4's batch output)."""

from __future__ import annotations

import json
from typing import TextIO

from exprdiff.errors import json_safe
from exprdiff.render.formats import Options, Record

#: One encoder for every record; the C encoder writes each float with repr, which round-trips.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode


def dumps(record: Record) -> str:
    """One record as one line of JSON, control and bidi characters as `\\u` escapes."""
    return json_safe(_encode(record))


class JsonLines:
    """One JSON object per line, each handed to the stream whole; flushed per input line."""

    def __init__(self, stream: TextIO, options: Options) -> None:
        self.stream = stream

    def write(self, record: Record) -> None:
        self.stream.write(dumps(record) + "\n")

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        self.stream.flush()
