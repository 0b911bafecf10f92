"""A batch on Dask against `--jobs 2` on this machine (issue 21), measured in one run.

    python -m benchmarks.dask_throughput [--lines 200000] [--smoke]

Three commands on the same `--lines` distinct seed-sized lines (batch_throughput.py's), JSON
Lines to /dev/null, taking turns:
  jobs    `grad --file F --format jsonl --jobs 2`;
  local   `grad --file F --format jsonl --dask local:2` (starts and stops a LocalCluster of two
          worker processes: start-up included);
  running `… --dask tcp://…`, a LocalCluster of two worker processes started beforehand (what a
          user with a cluster sees: no start-up).
Each row: wall time, lines/s, the CPU seconds of the command and the processes it waited for
(a LocalCluster's workers are among them; a running cluster's are not), and wall ÷ jobs's.
Target (issue 21): local within 1.3× of jobs. Then the per-block cost: the median round trip
of a one-line block through the running cluster (submit, evaluate, result), and how many
blocks the run had. Without the [dask] extra the table says so and measures nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import timing
from .batch_throughput import distinct_lines

TARGET = 1.3



def _run(command: list[str]) -> tuple[float, float]:
    before = timing.children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[3:])} failed: {done.stderr.strip()[-300:]}")
    return time.perf_counter() - start, timing.children_cpu() - before


def _block_round_trip(client: object, path: Path, count: int) -> float:
    """Median seconds for one one-line block: submit, evaluate on a worker, result back."""
    from exprdiff.batch.dask import evaluate_block
    from exprdiff.batch.evaluate import Settings
    from exprdiff.batch.lines import blocks

    block = next(blocks([str(path)], label=False, size=1))
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.submit(evaluate_block, block, Settings(), pure=False).result()  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(lines: int, runs: int) -> list[str]:
    import logging

    from distributed import Client, LocalCluster

    from exprdiff.batch.dask import BLOCKS_PER_THREAD, MAX_BLOCK, MIN_BLOCK

    folder = Path(tempfile.mkdtemp(prefix="exprdiff-dask-"))
    path = folder / "lines.txt"
    path.write_text("\n".join(distinct_lines(lines)) + "\n")
    size = path.stat().st_size
    base = [sys.executable, "-m", "exprdiff", "grad", "--file", str(path), "--format", "jsonl"]
    out = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as local, Client(local) as client:
        commands = {"`--jobs 2`": [*base, "--jobs", "2"],
                    "`--dask local:2` (start-up included)": [*base, "--dask", "local:2"],
                    "`--dask tcp://…` (a running LocalCluster of 2)":
                        [*base, "--dask", local.scheduler.address]}
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                wall, cpu = _run(command)
                times[name].append(wall)
                cpus[name].append(cpu)
        trip = _block_round_trip(client, path, 5 if runs == 1 and lines < 10_000 else 50)
    jobs = statistics.median(times["`--jobs 2`"])
    out.append(f"| command ({lines:,} lines, {runs} run{'s' if runs > 1 else ''} each, taking "
               "turns) | wall | lines/s | CPU (command + processes it waited for) | "
               "÷ `--jobs 2` |")
    out.append("|---|---|---|---|---|")
    for name in commands:
        wall = statistics.median(times[name])
        out.append(f"| {name} | {wall:.2f} s | {lines / wall:,.0f} | "
                   f"{statistics.median(cpus[name]):.2f} s | {wall / jobs:.3f}× |")
        print(out[-1], file=sys.stderr, flush=True)
    local_ratio = statistics.median(times["`--dask local:2` (start-up included)"]) / jobs
    block = max(MIN_BLOCK, min(MAX_BLOCK, size // (2 * BLOCKS_PER_THREAD)))
    judged = lines == 200_000
    verdict = (f"target ≤ {TARGET}×: {'met' if local_ratio <= TARGET else 'MISSED'}" if judged
               else "not judged (the target is for 200 000 lines)")
    out.append(f"- `--dask local:2` ÷ `--jobs 2`: {local_ratio:.3f}× ({verdict})")
    out.append(f"- per-block cost: a one-line block's round trip through the running cluster "
               f"(submit, evaluate, result) takes {trip * 1e3:.1f} ms (median); this input "
               f"({size / 2**20:.1f} MiB) runs as about {max(1, size // block)} blocks of "
               f"{block / 2**10:.0f} KiB")
    return out


def table(args: argparse.Namespace, out: list[str]) -> None:
    """The harness's table (python -m benchmarks): full, --quick or --smoke sizes."""
    if importlib.util.find_spec("distributed") is None or importlib.util.find_spec(
            "dask") is None:
        out.append("- Dask is not installed (pip install 'exprdiff[dask]'): not measured")
        return
    if getattr(args, "smoke", False):
        out += measure(2_000, 1)
    elif getattr(args, "quick", False):
        out += measure(20_000, 1)
    else:
        out += measure(200_000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="2 000 lines, 1 run")
    options = parser.parse_args()
    if options.smoke:
        options.lines, options.runs = 2_000, 1
    print("\n".join(measure(options.lines, options.runs)))


if __name__ == "__main__":
    main()
