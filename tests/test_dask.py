"""Batches on a Dask cluster (issue 21): the same bytes as `--jobs 1`, a killed worker retried,
an unreachable scheduler refused quickly, no Dask without `--dask`, no process left behind.

One LocalCluster (2 worker processes) serves the module; the CLI runs reach it by its address.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Found, not imported: collecting this file must not cost Dask's import (a second of CPU).
pytestmark = pytest.mark.skipif(importlib.util.find_spec("distributed") is None
                                or importlib.util.find_spec("dask") is None,
                                reason="needs the [dask] extra")

BROKEN = ["x1 + ) ; x1=1", "sni(x) ; x=1", "log(x) ; x=-1", "x*y ; x=1",
          '{"expr": "x", "at": {"x": 1}', "1/(x - 1) ; x=1", "x ; x=1, zz=2"]
#: Lines whose claims are checked by the oracle (SymPy), one record of verdicts each.
CHECKED = ['{"expr": "x*y", "expect": {"x": "y", "y": "x"}, "at": {"x": 1, "y": 2}}',
           '{"expr": "sin(x)", "expect": "x=sin(x)", "at": {"x": 0.5}}']


def cli(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exprdiff", "grad", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **options)


@pytest.fixture(scope="module")
def lines_20k(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """20 000 lines, 10 % broken, two checked by SymPy; and what `--jobs 1` writes for them."""
    rng = random.Random(21)  # noqa: S311 - test data
    broken = set(rng.sample(range(1, 20_001), 2_000))
    lines = []
    for number in range(1, 20_001):
        if number in broken:
            lines.append(BROKEN[number % len(BROKEN)])
        elif number in (5_000, 5_001):  # one block: one worker imports SymPy, not both
            lines.append(CHECKED[number - 5_000])
        else:
            lines.append(f"x1**2 + {number % 31}*(x2*x3 - x1**2) ; x1={number}, x2=2, x3=-1")
    path = tmp_path_factory.mktemp("dask") / "big.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, cli("--file", str(path), "--format", "jsonl", "--jobs", "1")


def test_two_workers_give_the_bytes_of_one_job_even_when_one_is_killed(lines_20k, tmp_path):
    """Acceptance 1 and 2 and --output-dir, on one LocalCluster of two worker processes (one
    test, so that pytest-xdist never starts a second cluster: each costs seconds of CPU)."""
    import logging

    from click.testing import CliRunner
    from distributed import Client, LocalCluster

    from exprdiff.cli.commands import main

    path, one = lines_20k
    assert one.returncode == 1 and one.stderr.startswith("processed 20000 lines: ")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as local, Client(local) as client:
        address = local.scheduler.address
        # 1. the plain run: stdout, summary and exit status are --jobs 1's
        many = cli("--file", str(path), "--format", "jsonl", "--dask", address)
        assert (many.returncode, many.stderr) == (one.returncode, one.stderr)
        assert many.stdout == one.stdout
        verdicts = [json.loads(line)["expect"]["ok"] for line in many.stdout.splitlines()
                    if '"expect"' in line]
        assert verdicts == [True, False]
        # 2. --output-dir, on the first 2 000 lines: the parts, in the manifest's order, are
        # --jobs 1's output (run here, where Dask is imported already: a second import costs)
        head = tmp_path / "head.txt"
        head.write_text("".join(path.read_text().splitlines(keepends=True)[:2000]))
        expected = "".join(one.stdout.splitlines(keepends=True)[:2000])
        where = tmp_path / "out"
        done = CliRunner().invoke(main, ["grad", "--file", str(head), "--format", "jsonl",
                                         "--dask", address, "--output-dir", str(where)])
        assert (done.exit_code, done.stdout) == (1, ""), done.output
        manifest = json.loads((where / "manifest.json").read_text())
        failed = expected.count('"error"')
        assert done.stderr == f"processed 2000 lines: {2000 - failed} ok, {failed} failed\n"
        assert manifest["complete"] and (manifest["lines"], manifest["failed"]) == (2000, failed)
        parts = [where / part["file"] for part in manifest["parts"]]
        assert len(parts) > 1
        assert sorted(where.iterdir()) == sorted([*parts, where / "manifest.json"])
        assert "".join(part.read_text() for part in parts) == expected
        # the workers write each record's text (in one text a block with JSON Lines): the
        # other formats too give --jobs 1's bytes
        for kind in ("csv", "json"):
            alone = cli("--file", str(head), "--format", kind, "--jobs", "1")
            spread = cli("--file", str(head), "--format", kind, "--dask", address)
            assert (spread.returncode, spread.stderr) == (alone.returncode, alone.stderr)
            assert spread.stdout == alone.stdout and len(alone.stdout) > 100_000
        # 3. a worker killed mid-run: the client has stopped reading (a full pipe) while
        # blocks are finished on the workers; Dask computes the killed one's again
        _run_and_kill_a_worker(client, path, one)


def _run_and_kill_a_worker(client, path: Path, one: subprocess.CompletedProcess) -> None:
    process = subprocess.Popen([sys.executable, "-m", "exprdiff", "grad", "--file", str(path),
                                "--format", "jsonl", "--dask", client.scheduler.address],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    first = os.read(process.stdout.fileno(), 1)  # the run has begun writing
    deadline = time.monotonic() + 30
    while not any(client.has_what().values()):  # a worker holds a finished block
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pids = client.run(os.getpid)
    victim = max(client.has_what().items(), key=lambda item: len(item[1]))[0]
    os.kill(pids[victim], signal.SIGKILL)
    rest, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert err.decode() == one.stderr
    assert (first + rest).decode() == one.stdout
    assert victim not in client.scheduler_info()["workers"]


def test_the_records_api_takes_a_bag_of_lines_or_files(tmp_path):
    import dask.bag as db

    from exprdiff.batch.dask import file_records, records
    from exprdiff.batch.evaluate import Settings
    from exprdiff.batch.run import Batch

    text = "".join(f"x*y + {k} ; x={k}, y=2\n" if k % 7 else "sni(x) ; x=1\n"
                   for k in range(1, 301))
    path = tmp_path / "some.txt"
    path.write_text(text)
    with Batch([str(path)], Settings()) as batch:
        expected = list(batch)
    bag = db.from_sequence(text.splitlines(keepends=True), npartitions=4)
    assert records(bag, Settings()).compute(scheduler="sync") == expected
    assert file_records([str(path)], Settings(), block_bytes=1000).compute(
        scheduler="sync") == expected


def test_an_output_dir_used_before_is_refused_before_connecting(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("x ; x=1\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text("{}")
    done = cli("--file", str(path), "--format", "jsonl", "--dask", "tcp://127.0.0.1:1",
               "--output-dir", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "already holds a batch's output (manifest.json)" in done.stderr


def test_an_unreachable_scheduler_is_a_usage_error_within_seconds(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("x ; x=1\n")
    start = time.monotonic()
    done = cli("--file", str(path), "--dask", "tcp://127.0.0.1:1")
    assert time.monotonic() - start < 10
    assert done.returncode == 2
    assert done.stderr.startswith("error: --dask tcp://127.0.0.1:1: cannot reach a Dask "
                                  "scheduler there"), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


HIDDEN = """
import sys
sys.modules["dask"] = None  # as if the [dask] extra were not installed
sys.argv = ["exprdiff", *sys.argv[1:]]
from exprdiff.cli.commands import main
main(prog_name="exprdiff")
"""


def test_without_the_extra_dask_says_how_to_install_it(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("x ; x=1\n")
    done = subprocess.run([sys.executable, "-c", HIDDEN, "grad", "--file", str(path), "--dask",
                           "local"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("error: --dask needs the Python package dask, not installed here: "
                           "pip install 'exprdiff[dask]'\n")


WATCHED = """
import sys
sys.argv = ["exprdiff", *sys.argv[1:]]
from exprdiff.cli.commands import main
try:
    main(prog_name="exprdiff")
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")),
      file=sys.stderr)
"""


def test_a_batch_without_dask_never_imports_it(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("x ; x=1\nsin(x) ; x=0\n")
    done = subprocess.run([sys.executable, "-c", WATCHED, "grad", "--file", str(path),
                           "--format", "jsonl"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stderr.splitlines()[-1] == "[]", done.stderr
    assert len(done.stdout.splitlines()) == 2


def test_a_local_cluster_dies_with_exprdiff(tmp_path):
    """SIGTERM to exprdiff alone: its LocalCluster's worker ends within the grace period and
    held none of its output (tests/test_processes.py's check; one worker: the mechanism is
    the same for N, and each costs a second of CPU to start)."""
    from test_processes import _kill_parent_alone

    path = tmp_path / "long.txt"
    path.write_text("".join(f"x*y + {k} ; x={k}, y=2\n" for k in range(100_000)))
    args = ["grad", "--file", str(path), "--format", "jsonl", "--dask", "local:1"]
    _kill_parent_alone(args, signal.SIGTERM, children=1, ready=lambda drain: drain.size > 20_000)


def test_ctrl_c_closes_the_local_cluster_and_keeps_the_output_whole(tmp_path):
    """SIGINT: the records so far are whole and in order, exit 130, and every process the
    LocalCluster started (the worker, multiprocessing's resource tracker) is gone."""
    from test_processes import GRACE, _alive, _descendants

    path = tmp_path / "long.txt"
    path.write_text("".join(f"x*y + {k} ; x={k}, y=2\n" for k in range(100_000)))
    out = tmp_path / "out.jsonl"
    with open(out, "wb") as stream:
        process = subprocess.Popen([sys.executable, "-m", "exprdiff", "grad", "--file",
                                    str(path), "--format", "jsonl", "--dask", "local:1"],
                                   cwd=ROOT, stdout=stream, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while out.stat().st_size < 20_000:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        started = _descendants(process.pid)
        assert started
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    deadline = time.monotonic() + GRACE  # the resource tracker ends when its pipe closes
    while any(map(_alive, started)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [pid for pid, start in started if _alive((pid, start))] == []
    found = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["line"] for r in found] == list(range(1, len(found) + 1))
    assert f"interrupted after line {len(found)}; " in err.decode()
    assert "Traceback" not in err.decode()


@pytest.mark.parametrize("kind", ["jsonl", "json"])
def test_a_workers_block_comes_back_as_the_writers_texts(tmp_path, kind):
    """A Dask worker sends a block's records as the writer's texts (for JSON Lines one text
    with the summary's counts, as a --jobs worker sends a chunk): the client only writes
    them. The texts are those the writer would make of the records. (CSV's writer has no
    `encode`: its records travel as they are, as with --jobs.)"""
    import io
    import pickle

    from exprdiff.batch import dask as engine
    from exprdiff.batch.evaluate import Block as Joined
    from exprdiff.batch.evaluate import Settings
    from exprdiff.batch.lines import blocks
    from exprdiff.render.formats import Options, writer

    path = tmp_path / "lines.txt"
    path.write_text("".join(f"x*y + {k} ; x={k}, y=2\n" for k in range(300))
                    + "x + ) ; x=1\n\n# a comment\nlog(x) ; x=-1\n")
    encode = writer(kind, io.StringIO(), Options("batch")).encode  # type: ignore[attr-defined]
    [block] = blocks([str(path)], label=False, size=1 << 20)
    found = pickle.loads(engine.packed_block(block, Settings(), encode))  # noqa: S301
    plain = [outcome for *_, outcome in engine.evaluate_block(block, Settings()) if outcome]
    texts = [encode(record) for records, _ in plain for record in records]
    if kind == "jsonl":
        assert isinstance(found, Joined)
        assert found.text == "".join(texts)
        assert (found.lines, found.records, found.failed) == (302, 302, 2)
    else:
        outcomes = [outcome for *_, outcome in found if outcome]
        assert [text for records, _ in outcomes for text in records] == texts
        assert [failed for _, failed in outcomes] == [failed for _, failed in plain]


@pytest.mark.parametrize(("kind", "encodes"), [("jsonl", True), ("json", True), ("csv", False)])
def test_the_cli_gives_the_cluster_the_writers_encode(tmp_path, monkeypatch, kind, encodes):
    """`grad --file F --dask …` hands the cluster the writer's `encode` (as `--jobs` hands it
    to its workers): without it the workers send records and the client encodes every one
    beside the scheduler, which made --dask 2.4x slower than --jobs 2 on 2 cores."""
    from click.testing import CliRunner

    from exprdiff.batch.evaluate import evaluate_lines
    from exprdiff.batch.lines import read_lines
    from exprdiff.cli import dask as cli_dask
    from exprdiff.cli.commands import main

    given = []

    class Engine:
        done, total = 0, None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def outcomes(self, sources, settings, stopping, encode=None):
            given.append(encode)
            return evaluate_lines(read_lines(sources, label=False), settings, encode)

    monkeypatch.setattr(cli_dask, "cluster", lambda address, output_dir=None: Engine())
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"x*y + {k} ; x={k}, y=2\n" for k in range(20)) + "log(x) ; x=-1\n")
    done = CliRunner().invoke(main, ["grad", "--file", str(path), "--format", kind,
                                     "--dask", "local:2"])
    alone = cli("--file", str(path), "--format", kind, "--jobs", "1")
    assert (done.exit_code, done.stdout) == (alone.returncode, alone.stdout), done.output
    [encode] = given
    assert (encode is not None) == encodes


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_block_that_killed_every_worker_gives_error_records_as_the_writer_writes(
        tmp_path, kind):
    """A block Dask gave up on (KilledWorker: it killed every worker it ran on) comes back as
    one `internal` error record per expression line, blank and comment lines none, as the
    writer's texts when the CLI handed the cluster its `encode` (records for CSV)."""
    import io

    from distributed import KilledWorker

    from exprdiff.batch import dask as engine
    from exprdiff.batch.evaluate import Settings
    from exprdiff.batch.lines import blocks
    from exprdiff.render.formats import Options, writer

    path = tmp_path / "lines.txt"
    path.write_text("x*y ; x=1, y=2\n\n# a comment\nsin(x) ; x=0.5\n")
    encode = getattr(writer(kind, io.StringIO(), Options("batch")), "encode", None)
    cluster = engine.Cluster("local:1")
    cluster.run = lambda sources, settings, stopping, task, *extra: iter(
        [(block, KilledWorker("exprdiff-block-0", None, 3)) for block in
         blocks(sources, label=False, size=1 << 20)])
    found = list(cluster.outcomes([str(path)], Settings(), lambda: False, encode))
    assert [(number, outcome is None) for _, number, _, outcome in found] == [
        (1, False), (2, True), (3, True), (4, False)]
    for _, number, _, outcome in found:
        if outcome is None:
            continue
        [record], failed = outcome
        assert failed
        if encode is None:
            assert record["error"]["kind"] == "internal"
            assert "every Dask worker" in record["error"]["message"]
        else:
            parsed = json.loads(record)
            assert (parsed["line"], parsed["error"]["kind"]) == (number, "internal")
            assert "every Dask worker" in parsed["error"]["message"]
