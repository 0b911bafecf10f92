"""`python -m benchmarks`: exprdiff against SymPy (always) and PyTorch / JAX (when installed).

Prints markdown tables of medians and ratios (exprdiff ÷ peer), all measured in this one run:
string → gradient in process, the tape sweeps alone, many points at once, a fresh process,
peak memory. Options: --quick (smaller sizes), --budget SECONDS (a peer slower than this at
one size is not run at the next), --runs N (fresh-process runs), --output FILE (also write).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import exprdiff
from exprdiff.forward import forward
from exprdiff.reverse import reverse

from . import (
    batch_peers,
    cases,
    dask_throughput,
    hessian,
    oracle_batch,
    peers,
    timing,
    versus_symengine,
)
from .steps_render import steps_render


def show(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None:
        return "—"
    value = ours / theirs
    return f"{value:.3f}" if value >= 0.01 else f"{value:.2g}"


class Peer:
    """A peer's timings per family, skipping sizes past the budget.

    The next size of a family is not run when this one took over budget ÷ `headroom`: 10 for
    a peer whose time grows about linearly, 100 for one whose time grows about with the square
    of the size (a symbolic gradient: one derivative of the whole expression per variable) and
    that runs in compiled code, which the budget's alarm cannot interrupt.
    """

    def __init__(self, name: str, run: Callable[[Any, list[float]], list[float]], budget: float,
                 warm: bool = True, headroom: float = 10) -> None:
        self.name = name
        self.run = run
        self.budget = budget
        self.warm = warm
        self.headroom = headroom
        self.too_slow: set[str] = set()
        self.notes: list[str] = []

    def time(self, family: str, label: str, tape: Any, point: list[float],
             expected: list[float], *, repeat: bool = True, last: bool = False) -> float | None:
        """Seconds per call (None: over budget or failed): one checked call, then, when it took
        under a second and `repeat`, a median of more. `last`: no larger size of the family
        follows (the notes then say nothing of skipping one)."""
        if family in self.too_slow:
            return None
        try:
            start = time.perf_counter()
            with timing.deadline(self.budget):
                got = self.run(tape, point)
            seconds = time.perf_counter() - start
            if not peers.close(got, expected):
                self.notes.append(f"{self.name} disagrees with exprdiff on {label}")
            if repeat and seconds < 1.0:  # else the one checked call is the measurement
                seconds, _ = timing.timeit(lambda: self.run(tape, point), min_total=0.3,
                                           warm=False)
        except timing.OverBudget:
            self.notes.append(f"{self.name} did not finish {label} within the budget "
                              f"({self.budget:.0f} s)" + ("" if last else
                                                          ": not run on larger sizes"))
            self.too_slow.add(family)
            return None
        except Exception as problem:  # noqa: BLE001 - a peer failing is a result, not a crash
            self.notes.append(f"{self.name} failed on {label}: {type(problem).__name__}: "
                              f"{str(problem)[:80]}")
            self.too_slow.add(family)
            return None
        if seconds > self.budget / self.headroom and not last:
            self.too_slow.add(family)
            self.notes.append(f"{self.name} took {show(seconds)} on {label}: larger sizes of "
                              f"this family not run (budget {self.budget:.0f} s)")
        return seconds


def string_to_gradient(args: argparse.Namespace, out: list[str]) -> dict[str, float]:
    """Table 1: text → full gradient, in process."""
    budget = args.budget
    runners: list[Peer] = []
    if peers.available("torch"):
        runners.append(Peer("PyTorch", peers.torch_grad, budget))
    if peers.available("jax"):
        runners.append(Peer("JAX jit (incl. compile)", peers.jax_grad_compiled, budget))
    if peers.available("symengine"):
        runners.append(Peer("SymEngine", peers.symengine_grad, budget, headroom=100))
    runners.append(Peer("SymPy", peers.sympy_grad, budget))
    sizes = ([10] if timing.SMOKE else [10, 100, 1000] if args.quick
             else [10, 100, 1000, 10000])
    rows: list[tuple[str, str, str]] = [(name, text, "seed") for name, (text, _) in
                                        cases.SEEDS.items()]
    rows += [(f"wide({n})", cases.wide(n), "wide") for n in sizes]
    rows += [(f"deep({d})", cases.deep(d), "deep") for d in sizes]
    # (10 000 deep, ∂/∂z is about 1e-1717: exprdiff says so, as an error; no time to compare)
    rows += [(f"tanh chain({d})", cases.tanh_chain(d), "chain") for d in sizes if d <= 1000]
    rows.append(("network 16×32 (576 weights)", cases.network(), "network"))
    head = ["case", "tape nodes", "exprdiff"] + [p.name for p in runners] + [
        f"÷ {p.name.split()[0]}" for p in runners]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    ours: dict[str, float] = {}
    theirs: dict[str, dict[str, float | None]] = {label: {} for label, _, _ in rows}
    last = {label for k, (label, _, family) in enumerate(rows)
            if all(later[2] != family for later in rows[k + 1:])}
    prepared = []
    for label, text, family in rows:
        seeds = cases.SEEDS.get(label)
        compiled = exprdiff.compile(text)
        point = seeds[1] if seeds else cases.point_for(compiled.variables)
        expected = list(exprdiff.grad(text, point).gradient.values())
        prepared.append((label, text, family, compiled.tape, point, list(point.values()),
                         expected))
    # First every exprdiff figure, with PyTorch and SymEngine (when under a second a call)
    # taking turns of ~20 ms, each turn after an untimed call (see timing.round_robin). JAX
    # and SymPy, whose calls compile or build much (SymPy leaves a great deal of garbage, JAX
    # its compilation caches) and would reshape the heap the next rows run in, come after, in
    # a second pass.
    turns = [p for p in runners if p.name in ("PyTorch", "SymEngine")]
    for label, text, family, tape, point, values, expected in prepared:
        runs: dict[str, Callable[[], Any]] = {
            "exprdiff": lambda text=text, point=point: exprdiff.grad(text, point)}
        for p in turns:
            seconds = theirs[label][p.name] = p.time(family, label, tape, values, expected,
                                                     repeat=False, last=label in last)
            if seconds is not None and seconds < 1.0:
                runs[p.name] = lambda p=p, tape=tape, values=values: p.run(tape, values)
        gc.collect()
        medians = timing.round_robin(runs, min_rounds=7, turn=0.02)
        ours[label] = medians.pop("exprdiff")
        theirs[label].update(medians)
        print(f"{label}: exprdiff {show(ours[label])}", file=sys.stderr, flush=True)
    for label, _, family, tape, _, values, expected in prepared:
        for p in runners:
            if p not in turns:
                theirs[label][p.name] = p.time(family, label, tape, values, expected,
                                               last=label in last)
        mine = ours[label]
        times = [theirs[label][p.name] for p in runners]
        cells = [label, str(len(tape)), show(mine), *map(show, times),
                 *(ratio(mine, t) for t in times)]
        out.append("| " + " | ".join(cells) + " |")
        print(out[-1], file=sys.stderr, flush=True)
    for p in runners:
        out.extend(f"- {note}" for note in p.notes)
    out.append("- exprdiff, PyTorch and SymEngine take turns of ~20 ms (each after an untimed "
               "call), in a shuffled order, row after row; then JAX and SymPy, row after row (a "
               "call over 1 s: one call)")
    out.append("- SymEngine parses the text itself (`sympify`, then `diff` by every variable and "
               "`subs`); PyTorch, JAX and SymPy are given exprdiff's parsed tape")
    if max(sizes) > 1000:
        out.append("- no tanh chain(10000): its ∂/∂z is about 1e-1717, below the doubles; exprdiff "
                   "says so (an error naming z), where a float sweep would give 0")
    return ours


def _exponent(points: list[tuple[int, float]]) -> float:
    """k of the least-squares fit of time ∝ N^k."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def _growth(family: str, points: list[tuple[int, float]], out: list[str]) -> None:
    """The fitted exponent and the 10 000 ÷ 1 000 ratio of one family."""
    if len(points) >= 2:
        sizes = ", ".join(str(n) for n, _ in points)
        out.append(f"- {family}: time ∝ N^{_exponent(points):.3f} (least squares over "
                   f"N = {sizes})")
    big = dict(points)
    if 10000 in big and 1000 in big:
        out.append(f"- {family}: time({family} 10000) ÷ time({family} 1000) = "
                   f"{big[10000] / big[1000]:.2f}")


def scaling(args: argparse.Namespace, ours: dict[str, float], out: list[str]) -> None:
    """Fit time ∝ N^k: over the rows of table 1, and in a process of exprdiff's own with the
    sizes taking turns (benchmarks/scaling.py says why both)."""
    out.append("Scaling of exprdiff, from the rows above (the sizes one after another, each "
               "taking turns with PyTorch):")
    for family in ("wide", "deep"):
        _growth(family, [(int(re.findall(r"\d+", k)[0]), v) for k, v in ours.items()
                         if k.startswith(family) and int(re.findall(r"\d+", k)[0]) >= 100],
                out)
    sizes = "10,100" if timing.SMOKE else "100,1000" if args.quick else "100,1000,10000"
    command = [sys.executable, "-m", "benchmarks.scaling", "--sizes", sizes]
    if timing.SMOKE:
        command.append("--smoke")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout)
    out += ["", "Scaling of exprdiff in a process of its own (`python -m benchmarks.scaling`: "
            "only exprdiff loaded, every size taking turns, at least 15 rounds and 2 s of "
            "timed calls per size):", "",
            "| case | tape nodes | source characters | median | per tape node | "
            "÷ the size 10× smaller |", "|---|---|---|---|---|---|"]
    for label, row in rows.items():
        smaller = rows.get(f"{row['family']}({row['n'] // 10})")
        growth = f"{row['median'] / smaller['median']:.2f}" if smaller else "—"
        out.append(f"| {label} | {row['nodes']} | {row['characters']:,} | "
                   f"{show(row['median'])} | {row['median'] / row['nodes'] * 1e6:.2f} µs | "
                   f"{growth} |")
    out.append("")
    for family in ("wide", "deep"):
        _growth(family, [(row["n"], row["median"]) for row in rows.values()
                         if row["family"] == family], out)


def sweeps(args: argparse.Namespace, out: list[str]) -> None:
    """Table 2: on a compiled tape, forward alone vs forward + reverse; and where time goes."""
    from exprdiff.syntax import lalr
    from exprdiff.syntax.parser import _tables, parse_tape

    n = 10 if timing.SMOKE else 1000 if args.quick else 10000
    rows = [(f"wide({n})", cases.wide(n)), (f"deep({n})", cases.deep(n)),
            ("network", cases.network())]
    out.append("| case | tokens | text → tape | forward | forward + reverse | "
               "(fwd+rev) ÷ fwd | reverse ÷ fwd |")
    out.append("|---|---|---|---|---|---|---|")
    for label, text in rows:
        tape = parse_tape(text)
        point = list(cases.point_for(tape.variables).values())
        gc.collect()
        times = timing.round_robin({  # taking turns: a burst of load hits all four alike
            "lex": lambda text=text: lalr.pieces(_tables(), text),
            "build": lambda text=text: parse_tape(text),
            "fwd": lambda tape=tape, point=point: forward(tape, point),
            "both": lambda tape=tape, point=point: reverse(tape, forward(tape, point))},
            min_rounds=7)
        lex, build, fwd, both = times["lex"], times["build"], times["fwd"], times["both"]
        out.append(f"| {label} | {show(lex)} | {show(build)} | {show(fwd)} | {show(both)} | "
                   f"{both / fwd:.2f} | {(both - fwd) / fwd:.2f} |")
        print(out[-1], file=sys.stderr, flush=True)


def many_points(args: argparse.Namespace, out: list[str]) -> None:
    """Table 3: one 3-variable expression, value + gradient at n points.

    The tools take short turns (round-robin, the order shuffled each round), so a burst of load
    from elsewhere on the machine slows them alike rather than whichever ran then.
    """
    import numpy as np

    from exprdiff.vector.blocks import block_and_threads
    from exprdiff.vector.plan import cached_plan

    text = cases.POINTS_EXPR
    compiled = exprdiff.compile(text)
    rng = np.random.default_rng(3)
    have_torch = peers.available("torch")
    have_jax = peers.available("jax")
    jax_run = peers.jax_points(compiled.tape) if have_jax else None
    notes = []
    sympy_run, sympy_compile = _sympy_lambdified(compiled)
    head = ["points", "exprdiff", "PyTorch", "JAX jit steady", "SymPy lambdify",
            "÷ PyTorch", "÷ JAX"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    sizes = ([1000] if timing.SMOKE else [1000, 10_000, 100_000] if args.quick
             else [1000, 10_000, 100_000, 1_000_000])
    jax_compile = None
    threads_used = []
    for n in sizes:
        columns = [rng.uniform(0.1, 0.9, n) for _ in compiled.variables]
        arrays = dict(zip(compiled.variables, columns, strict=True))
        batch = compiled.grad_points(arrays)
        runs: dict[str, Callable[[], Any]] = {
            "exprdiff": lambda arrays=arrays: compiled.grad_points(arrays)}
        if have_torch:
            value, grads = peers.torch_points(compiled.tape, columns)
            assert np.allclose(value, batch.value)
            assert all(np.allclose(g, batch.gradient[name])
                       for name, g in zip(compiled.variables, grads, strict=True))
            runs["torch"] = lambda columns=columns: peers.torch_points(compiled.tape, columns)
        if jax_run is not None:
            try:  # an alarm of the first table may have stopped JAX half-way through a compile
                start = time.perf_counter()
                jax_run(columns)  # compiles for this shape
                took = time.perf_counter() - start
            except Exception as problem:  # noqa: BLE001 - a peer failing is a result
                notes.append(f"- JAX failed at {n:,} points: {type(problem).__name__}: "
                             f"{str(problem)[:80]}; not run on more")
                jax_run = None
            else:
                jax_compile = took if jax_compile is None else jax_compile
                runs["jax"] = lambda columns=columns, run=jax_run: run(columns)
        runs["sympy"] = lambda columns=columns: sympy_run(columns)
        gc.collect()
        times = timing.round_robin(runs, turn=0.02)
        mine, torch_t, jax_t = times["exprdiff"], times.get("torch"), times.get("jax")
        out.append(f"| {n:,} | {show(mine)} | {show(torch_t)} | {show(jax_t)} "
                   f"| {show(times['sympy'])} | {ratio(mine, torch_t)} | {ratio(mine, jax_t)} |")
        print(out[-1], file=sys.stderr, flush=True)
        plan = cached_plan(compiled.tape, compiled.variables)
        threads_used.append(f"{block_and_threads(len(plan.buffers), n, None, None)[1]} at {n:,}")
    out.extend(notes)
    start = time.perf_counter()
    exprdiff.compile(text).grad_points(dict.fromkeys(compiled.variables, [0.5]))
    ours_compile = time.perf_counter() - start
    out.append(f"- expression: `{text}`, compiled once (as `Compiled.grad_points` is meant to "
               f"be used); exprdiff's compile + NumPy plan + a first 1-row call took "
               f"{show(ours_compile)}; JAX's first call (trace + compile) took "
               f"{show(jax_compile)}; SymPy's diff + lambdify took {show(sympy_compile)}")
    torch_threads = "not installed"
    if have_torch:
        import torch

        torch_threads = f"{torch.get_num_threads()} (its default, left as found)"
    out.append(f"- threads: PyTorch torch.get_num_threads() = {torch_threads}; exprdiff "
               f"{', '.join(threads_used)} rows; JAX as XLA's CPU client chooses; the tools "
               f"take turns of ~20 ms (after an untimed call), in a shuffled order")


def _sympy_lambdified(compiled: Any) -> tuple[Callable[[list[Any]], Any], float]:
    """SymPy's partials, lambdified to NumPy once (timed apart); then called on columns."""
    import sympy as sp

    start = time.perf_counter()
    expr = sp.sympify(0)  # built from our tape below, never from text
    symbols = [sp.Symbol(n) for n in compiled.variables]
    values: list[Any] = [None] * len(compiled.tape)
    tape = compiled.tape
    for i, kind in enumerate(tape.kinds):
        if kind == "constant":
            v = tape.constants[i]
            values[i] = sp.Integer(int(v)) if v.is_integer() else sp.Float(v)
    for i, s in zip(tape.inputs.values(), symbols, strict=True):
        values[i] = s
    for i, _, _, args in tape.program:
        values[i] = tape.ops[i].sympy(sp, *[values[a] for a in args])
    expr = values[tape.output]
    f = sp.lambdify(symbols, [expr, *(sp.diff(expr, s) for s in symbols)], "numpy")
    took = time.perf_counter() - start
    return (lambda columns: f(*columns)), took


def cold_start(args: argparse.Namespace, out: list[str]) -> None:
    """Table 4: a fresh process, seed gradient."""
    text, point = cases.SEEDS["seed-001"]
    at = ",".join(f"{k}={v:g}" for k, v in point.items())
    py = sys.executable
    script = shutil.which("exprdiff")
    commands = [
        ("python -m exprdiff grad SEED --format json", [py, "-m", "exprdiff", "grad", text,
                                                        "--at", at, "--format", "json"]),
        ("python -m exprdiff grad SEED (table)", [py, "-m", "exprdiff", "grad", text, "--at",
                                                 at]),
    ]
    if script:
        commands.insert(1, ("exprdiff grad SEED --format json", [script, "grad", text, "--at",
                                                                at, "--format", "json"]))
    commands += [("python -c 'import sympy'", [py, "-c", "import sympy"]),
                 ("python -c pass (interpreter alone)", [py, "-c", "pass"])]
    # Byte-compile the package first, as `pip install` does: an editable checkout run with
    # PYTHONDONTWRITEBYTECODE=1 (this sandbox sets it) would otherwise compile every module
    # from source at each start. Stale .pyc files are never used (Python checks mtimes).
    import compileall

    compileall.compile_dir(os.path.dirname(exprdiff.__file__), quiet=1)
    for _, command in commands:  # once each first: the OS's file cache is warm for all
        subprocess.run(command, check=True, capture_output=True)
    runs = {label: lambda command=command: subprocess.run(command, check=True,
                                                          capture_output=True)
            for label, command in commands}
    results = timing.round_robin(runs, min_total=math.inf, max_reps=args.runs)
    out.append(f"| command ({args.runs} runs each, taking turns) | median |")
    out.append("|---|---|")
    for label, _ in commands:
        out.append(f"| {label} | {show(results[label])} |")
        print(out[-1], file=sys.stderr, flush=True)
    json_time = results[commands[0][0]]
    sympy_time = results["python -c 'import sympy'"]
    out.append(f"- seed gradient --format json ÷ `import sympy`: {json_time / sympy_time:.3f}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        out.append("- PYTHONDONTWRITEBYTECODE is set here: exprdiff's bytecode was compiled "
                   "first, as `pip install` does")


def memory(args: argparse.Namespace, out: list[str]) -> None:
    """Peak RSS by /usr/bin/time -v of a process doing one wide(N) gradient."""
    if not os.path.exists("/usr/bin/time"):
        out.append("- /usr/bin/time is missing (apt-get install time): memory not measured")
        return
    out.append("| process | peak RSS (/usr/bin/time -v) |")
    out.append("|---|---|")
    for n in (10, 10000):
        done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "benchmarks.rss",
                               str(n)], capture_output=True, text=True, check=True)
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        rss = f"{int(found.group(1)) / 1024:.1f} MB" if found else "?"
        out.append(f"| wide({n}) string → gradient | {rss} |")
        print(out[-1], file=sys.stderr, flush=True)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith(
                "model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}", f"exprdiff {exprdiff.__version__}"]
    for name in ("lark", "numpy", "sympy", "symengine", "torch", "jax"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            versions.append(f"{name} not installed")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"{'; '.join(versions)}; load average at start {load:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a minute or so)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiniest sizes, one call each: only checks that the harness runs")
    parser.add_argument("--budget", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--runs", type=int, default=15, help="fresh-process runs per command")
    parser.add_argument("--only", choices=["text", "symengine", "sweeps", "points", "start",
                                            "memory", "steps", "oracle", "hessian", "dask",
                                            "batch"],
                        action="append", help="run only these tables (repeatable)")
    parser.add_argument("--output", metavar="FILE", help="also write the markdown here")
    args = parser.parse_args()
    timing.SMOKE = args.smoke
    if args.smoke:
        args.runs = 1
    wanted = set(args.only or ["text", "symengine", "sweeps", "points", "start", "memory",
                               "steps", "oracle", "hessian", "dask", "batch"])
    out = [f"Machine: {machine()}", ""]
    if "text" in wanted:
        out += ["### String → full gradient, in process (median)", ""]
        ours = string_to_gradient(args, out)
        out.append("")
        scaling(args, ours, out)
        out.append("")
    tables: list[tuple[str, str, Callable[[argparse.Namespace, list[str]], None]]] = [
        ("symengine", "String → gradient on small expressions: exprdiff vs SymEngine's own "
         "parser + diff + subs (median)", versus_symengine.table),
        ("sweeps", "The tape alone: forward vs forward + reverse (median)", sweeps),
        ("points", "One expression at many points, value + gradient (median)", many_points),
        ("start", "Fresh process (median wall time)", cold_start),
        ("memory", "Peak memory", memory),
        ("steps", "Step tables of a 1 002-node expression: rich table vs JSON", steps_render),
        ("oracle", "The oracle: --check on a batch, at many points, and once", oracle_batch.table),
        ("hessian", "Second order: Hessian and H·v (median)", hessian.table),
        ("dask", "A batch on Dask: --jobs 2 vs --dask local:2 on this machine",
         dask_throughput.table),
        ("batch", "Batches against SymEngine: repeated and distinct expressions",
         batch_peers.table),
    ]
    failed = []
    for name, title, table in tables:
        if name in wanted:
            out += [f"### {title}", ""]
            try:
                table(args, out)
            except Exception as problem:  # noqa: BLE001 - the other tables still run
                traceback.print_exc()
                failed.append(name)
                out.append(f"- **this table failed**: {type(problem).__name__}: {problem}")
            out.append("")
    text = "\n".join(out) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    if "torch" in sys.modules and "jax" in sys.modules:
        # With both loaded, this machine's interpreter crashes while tearing them down (exit
        # status 139) after everything above is written; leave without the teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1 if failed else 0)
    if failed:
        sys.exit(f"benchmarks: these tables failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
