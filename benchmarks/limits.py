"""The hostile shapes of issue 8 at their limits: seconds and peak memory, text → gradient.

    python -m benchmarks.limits [--runs 3] [--only NAME ...]

Each shape runs in a fresh process (`exprdiff.compile` + `.grad`, as the CLI does before it
prints), --runs times; the table shows the median seconds and the largest peak RSS. The numbers
back the defaults in exprdiff/limits.py and docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

SIZE = 1_000_000
#: name → Python expression building the text (evaluated in the child; trusted, ours).
SHAPES = {
    "1 MB x*y+x*y+…": f"'+'.join(['x*y'] * ({SIZE} // 4))",
    "1 MB nested ( )": f"'(' * ({SIZE} // 2 - 1) + 'x' + ')' * ({SIZE} // 2 - 1)",
    "1 MB unary minus": f"'-' * ({SIZE} - 2) + 'x'",
    "1 MB sin(sin(…))": f"'sin(' * ({SIZE} // 5) + 'x' + ')' * ({SIZE} // 5)",
    "1 MB x**x**…": f"'x**' * ({SIZE} // 3) + 'x'",
    "1 MB 1+1+…+x (folded)": f"'1+' * ({SIZE} // 2 - 1) + 'x'",
    "1 MB unclosed ((((": f"'(' * ({SIZE} - 1) + 'x'",
    "1 MB bad last char": f"'x+' * ({SIZE} // 2 - 1) + '$'",
    "1 MB ')' near the end": f"'x+' * ({SIZE} // 2 - 10) + 'x*)' + '+x' * 8",
    "depth 100 000 sin": "'sin(' * 100000 + 'x' + ')' * 100000",
    "100 000 variables": "'+'.join(f'v{i}' for i in range(100000))",
    "max(1 000 arguments)": "'max(' + ','.join(['x'] * 1000) + ')'",
    "9**9**9**9": "'9**9**9**9'",
}

CHILD = """
import json, resource, sys, time
import exprdiff
text = {build}
start = time.perf_counter()
try:
    compiled = exprdiff.compile(text)
    compiled.grad(dict.fromkeys(compiled.variables, 0.5))
    outcome = "result"
except exprdiff.ExprError as problem:
    outcome = problem.kind + " error"
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps([seconds, rss, outcome, len(text)]))
"""


def measure(build: str, runs: int) -> tuple[float, float, str, int]:
    times, peaks = [], []
    outcome, size = "", 0
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", CHILD.format(build=build)],
                              capture_output=True, text=True, timeout=600, check=True)
        seconds, rss, outcome, size = json.loads(done.stdout)
        times.append(seconds)
        peaks.append(rss)
    return statistics.median(times), max(peaks), outcome, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="substrings of the shape names to run")
    options = parser.parse_args()
    print("| input | characters | outcome | median s | peak RSS MB |")
    print("|---|---:|---|---:|---:|")
    for name, build in SHAPES.items():
        if options.only and not any(part in name for part in options.only):
            continue
        seconds, rss, outcome, size = measure(build, options.runs)
        print(f"| {name} | {size:,} | {outcome} | {seconds:.2f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
