"""`python -m benchmarks.program_chain`: one computation as a program and as one expression.

A d-deep chain tanh(0.9*z + 0.1) (cases.tanh_chain), written once as one nested expression and
once as a program of d statements, one a line: `z1 = tanh(0.9*x + 0.1)`, `z2 = tanh(0.9*z1 +
0.1)`, … Same tape, same gradient; the program has ~1.7× the pieces of text (names, `=`, white
space, line breaks). String → gradient (`exprdiff.grad`), the two taking turns call by call;
prints their medians and program ÷ expression (issue 16 asks for ≤ 1).

A second row is the network's pattern, a name used twice (`z2 = tanh(z1) + z1`): written as one
expression each use repeats the text (2^d copies of x at depth d; the tape still has one node
per statement), so there the program is the shorter text.
"""

from __future__ import annotations

import argparse
import statistics
import time

import exprdiff

from . import cases


def program(d: int) -> str:
    """The chain as d statements, one a line; its output is z{d}."""
    lines = ["z1 = tanh(0.9*z + 0.1)"]
    lines += [f"z{k} = tanh(0.9*z{k - 1} + 0.1)" for k in range(2, d + 1)]
    return "\n".join(lines)


def shared(d: int) -> tuple[str, str]:
    """(one expression, the program) of z_k = tanh(z_{k-1}) + z_{k-1}, z_0 = z: each name used
    twice, so the expression doubles its text at every level."""
    expression, lines = "z", []
    for k in range(1, d + 1):
        before = "z" if k == 1 else f"z{k - 1}"
        lines.append(f"z{k} = tanh({before}) + {before}")
        expression = f"tanh({expression}) + {expression}"
    return expression, "\n".join(lines)


def measure(d: int, rounds: int, texts: dict[str, str] | None = None) -> tuple[float, float]:
    """Median seconds of (expression, program), alternating, after one untimed call each."""
    texts = texts or {"expression": cases.tanh_chain(d), "program": program(d)}
    point = {"z": 0.3}
    first = [exprdiff.grad(text, point).gradient["z"] for text in texts.values()]
    if abs(first[0] - first[1]) > 1e-12 * max(1.0, abs(first[0])):
        raise RuntimeError(f"the program's gradient {first[1]} is not the expression's {first[0]}")
    times: dict[str, list[float]] = {name: [] for name in texts}
    for k in range(rounds):
        for name in (texts if k % 2 == 0 else reversed(list(texts))):
            start = time.perf_counter()
            exprdiff.grad(texts[name], point)
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["expression"]), statistics.median(times["program"])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.program_chain",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", type=int, default=1000, help="chain depth (default 1000)")
    parser.add_argument("--rounds", type=int, default=41, help="calls of each (default 41)")
    args = parser.parse_args()
    expression, program_time = measure(args.depth, args.rounds)
    print(f"| {args.depth}-deep tanh chain | one expression | {args.depth} statements | "
          f"program ÷ expression |")
    print("|---|---:|---:|---:|")
    print(f"| exprdiff {exprdiff.__version__} ({exprdiff.__file__}) | {expression * 1e3:.2f} ms "
          f"| {program_time * 1e3:.2f} ms | {program_time / expression:.3f} |")
    depth = 10
    text, lines = shared(depth)
    expression, program_time = measure(depth, args.rounds, {"expression": text, "program": lines})
    print(f"\n| each name used twice, depth {depth} | one expression ({len(text):,} characters) | "
          f"{depth} statements ({len(lines):,} characters) | program ÷ expression |")
    print("|---|---:|---:|---:|")
    print(f"| z_k = tanh(z_k-1) + z_k-1 | {expression * 1e3:.3f} ms | {program_time * 1e3:.3f} ms | "
          f"{program_time / expression:.3f} |")


if __name__ == "__main__":
    main()
