"""The one registry of output formats (STYLE §11): the CLI names a format, `writer()` finds its
writer, and single results, batches and point sets all hand that writer records.

A record is the dict of SPEC §4: a result's JSON object (`expression`, `at`, `value`,
`gradient`, `warnings`, and `check` or `steps` when asked for) or an `error`; a batch's records
carry `line` (and `file`), a point set's carry `row` instead of `expression` (and `at` only
for a row that could be read); a batch JSON line with "expect" gives `expect` instead of a
value and gradient. Every
writer has the same constructor, `(stream, options)`, and the same three methods: `write(record)`,
`flush()` (an input line is done: a streaming writer pushes it out) and `finish()` (the end: a
writer that needs every record first prints them now). A writer formats; it never parses,
compiles or evaluates. As in pygments' `formatters/_mapping.py`, the table names each writer's
module and class and the module is imported on first use, so `grad --format json` loads neither
rich nor csv.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, Protocol, TextIO

from exprdiff.frozen import Value, _set

Record = dict[str, Any]

#: Who hands a writer its records: one expression at its --at points, a batch of lines
#: (`grad -`, `--file`), a point set (`--points`).
SOURCES = ("single", "batch", "points")


class Writer(Protocol):
    """What every writer class in FORMATS is."""

    def write(self, record: Record) -> None: ...

    def flush(self) -> None: ...

    def finish(self) -> None: ...


class Options(Value):
    """What every writer is told besides its stream.

    `names`: the partials every record holds, when they are known before the first record (a
    point set's), so that a writer needing its columns first can stream. `console`: makes the
    rich console of people's output (it knows --no-color), called only by a writer that draws
    with rich. `precision`: significant digits for people; JSON and CSV always round-trip.
    `live`: the records come as someone types the lines (stdin is a terminal): a writer for
    people shows each one when it is written, not at `finish()`.
    """

    __slots__ = ("source", "names", "console", "precision", "live")
    source: str
    names: tuple[str, ...] | None
    console: Callable[[], Any] | None
    precision: int | None
    live: bool

    def __init__(self, source: str, names: tuple[str, ...] | None = None,
                 console: Callable[[], Any] | None = None, precision: int | None = None,
                 live: bool = False) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
        _set(self, "source", source)
        _set(self, "names", names)
        _set(self, "console", console)
        _set(self, "precision", precision)
        _set(self, "live", live)


class Format(Value):
    """One format: the module it lives in, its writer class there, the sources it takes records
    from, and whether `grad --steps/--path` can print in it.

    `writer` is None for a format drawn from the Result and step objects themselves (its
    module's `render_all`), never from records.
    """

    __slots__ = ("name", "module", "writer", "sources", "steps")
    name: str
    module: str
    writer: str | None
    sources: tuple[str, ...]
    steps: bool

    def __init__(self, name: str, module: str, writer: str | None, sources: tuple[str, ...],
                 steps: bool) -> None:
        _set(self, "name", name)
        _set(self, "module", module)
        _set(self, "writer", writer)
        _set(self, "sources", sources)
        _set(self, "steps", steps)


_ALL = ("single", "batch", "points")

FORMATS: dict[str, Format] = {f.name: f for f in (
    # rich tables for people; a batch as one table, then its notes in full
    Format("table", "exprdiff.render.table", "Table", ("single", "batch"), steps=True),
    # one document: an object per point (a list for several); a batch's array, streamed
    Format("json", "exprdiff.render.json", "Json", ("single", "batch"), steps=True),
    # one record per line, streamed
    Format("jsonl", "exprdiff.render.jsonl", "JsonLines", _ALL, steps=True),
    # one row per record; streamed when the columns are known up front (a point set)
    Format("csv", "exprdiff.render.csv", "Csv", _ALL, steps=False),
    # results and step tables drawn by render_all
    Format("markdown", "exprdiff.render.text", None, ("single",), steps=True),
    Format("latex", "exprdiff.render.latex", None, ("single",), steps=True),
    # one self-contained interactive page: graph, sweep stepper, paths, step tables
    Format("html", "exprdiff.render.html", None, ("single",), steps=True),
)}


def names(source: str) -> tuple[str, ...]:
    """The formats whose writer takes records from `source`, in registry order."""
    return tuple(f.name for f in FORMATS.values() if f.writer is not None and source in f.sources)


def writer(name: str, stream: TextIO, options: Options) -> Writer:
    """The writer of format `name` on `stream` (a KeyError names an unknown format)."""
    found = FORMATS[name]
    if found.writer is None or options.source not in found.sources:
        raise ValueError(f"format {name} takes no records from {options.source}")
    writer_class: Callable[[TextIO, Options], Writer] = getattr(import_module(found.module),
                                                                found.writer)
    return writer_class(stream, options)
