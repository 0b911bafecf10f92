"""`grad --file F --dask ADDRESS|local[:N]` (issue 21): the batch on a Dask cluster.

Records stream to stdout through the same writers as a local batch (cli/batch.py); with
`--output-dir DIR` each worker writes its block's records to a part file of its own
(`part-00000.jsonl`, …) and this process writes `manifest.json`: the output never passes
through here. Importing Dask happens in this module only, when `--dask` is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from exprdiff.batch.evaluate import Processed, Settings
from exprdiff.batch.lines import Block
from exprdiff.batch.run import Summary
from exprdiff.errors import ExprError

INSTALL = "pip install 'exprdiff[dask]'"
CONNECT_SECONDS = 3.0  # as batch/dask.py's: a scheduler that does not answer by then is refused
MANIFEST = "manifest.json"


def cluster(address: str, output_dir: str | None = None) -> AbstractContextManager[Any]:
    """The Cluster for `--dask ADDRESS` (not yet connected); a usage error without Dask, for
    a TCP scheduler that refuses or does not answer, or an --output-dir already used."""
    if output_dir is not None:
        _empty_directory(output_dir)
    if address != "local" and not address.startswith("local:"):
        _reachable(address, CONNECT_SECONDS)
    try:
        from exprdiff.batch.dask import Cluster
    except ImportError as problem:
        missing = (problem.name or "dask").partition(".")[0]
        raise ExprError("usage", f"--dask needs the Python package {missing}, not installed "
                                 f"here: {INSTALL}") from None
    return Cluster(address)


def _reachable(address: str, timeout: float) -> None:
    """Nothing listening at a tcp:// address is said at once, without importing Dask."""
    import socket

    rest = address.removeprefix("tcp://")
    host, _, port = rest.rpartition(":")
    if "://" in rest or not host or not port.isdigit():
        return  # another protocol, or not an address: Dask says what is wrong with it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as problem:
        reason = problem.strerror or str(problem) or type(problem).__name__
        raise ExprError("usage", f"--dask {address}: cannot reach a Dask scheduler there "
                                 f"({reason})") from None


def refuse_typed(live: bool) -> None:
    """Lines typed at a terminal are shown one by one as they come: not a cluster's work."""
    if live:
        raise ExprError("usage", "--dask runs a file or a pipe, not lines typed at a terminal: "
                                 "give --file, or pipe the lines in")


# -- --output-dir: part files written by the workers ------------------------------------------

def write_parts(engine: Any, sources: Sequence[str], settings: Settings, output: str,
                directory: str) -> Summary:
    """Every block's records into its part file, by the worker that evaluated it; the
    manifest lists the parts in input order. Returns the batch's summary."""
    summary = Summary()
    parts: list[dict[str, Any]] = []
    where = os.path.abspath(directory)
    try:
        for block, counts in engine.run(sources, settings, lambda: False, write_part, output,
                                        where):
            if isinstance(counts, Exception):  # a block that killed every worker it ran on
                raise ExprError("usage", f"--dask: Dask gave up on the block at line "
                                         f"{block.first} ({counts}); no part was written "
                                         "for it") from None
            parts.append(counts | {"source": block.label, "first_line": block.first})
            summary.lines += counts["lines"]
            summary.records += counts["records"]
            summary.failed += counts["failed"]
            summary.last = (block.label, counts["last"])
            summary.bytes_done += block.end - block.start
    except KeyboardInterrupt:
        summary.interrupted = True
    _write_manifest(where, output, summary, parts)
    return summary


def write_part(block: Block, settings: Settings, output: str,
               directory: str) -> dict[str, Any]:
    """On a worker: evaluate `block`, write its records to its part file (whole, or not at
    all: a retried block rewrites it), and return the counts the manifest needs."""
    from exprdiff.batch.dask import evaluate_block
    from exprdiff.render.formats import Options, writer

    processed: list[Processed] = evaluate_block(block, settings)
    name = f"part-{block.index:06d}.{output}"
    path = os.path.join(directory, name)
    partial = f"{path}.{os.getpid()}.partial"
    lines = records = failed = 0
    last = block.first
    with open(partial, "w", encoding="utf-8", newline="") as stream:
        out = writer(output, stream, Options("batch"))
        for _, number, _, outcome in processed:
            last = number
            if outcome is None:
                continue
            for record in outcome[0]:
                out.write(record)
            lines, records, failed = lines + 1, records + len(outcome[0]), failed + outcome[1]
        out.finish()
    os.replace(partial, path)
    return {"file": name, "lines": lines, "records": records, "failed": failed, "last": last}


def _empty_directory(directory: str) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
        held = [n for n in os.listdir(directory) if n == MANIFEST or n.startswith("part-")]
    except OSError as problem:
        raise ExprError("usage", f"--output-dir {directory}: {problem.strerror}") from None
    if held:
        raise ExprError("usage", f"--output-dir {directory} already holds a batch's output "
                                 f"({held[0]}): give an empty or new directory")


def _write_manifest(where: str, output: str, summary: Summary,
                    parts: list[dict[str, Any]]) -> None:
    manifest = {"format": output, "complete": not summary.interrupted,
                "lines": summary.lines, "records": summary.records, "failed": summary.failed,
                "parts": parts}
    with open(os.path.join(where, MANIFEST), "w", encoding="utf-8") as stream:
        json.dump(manifest, stream, indent=1, ensure_ascii=False)
        stream.write("\n")


def blocks_text(engine: Any) -> Callable[[], str]:
    """`3/16 blocks` for the progress bar (`3 blocks` while the input is still being cut)."""
    def text() -> str:
        total = f"/{engine.total}" if engine.total is not None else ""
        return f"{engine.done}{total} blocks"

    return text
