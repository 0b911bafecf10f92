"""JSON output: full round-trip floats, one object per point (a list for several points)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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
