"""`python -m benchmarks.rss N`: one wide(N) string → gradient, for /usr/bin/time -v."""

from __future__ import annotations

import sys

import exprdiff

from . import cases

if __name__ == "__main__":
    n = int(sys.argv[1])
    text = cases.wide(n)
    result = exprdiff.grad(text, cases.point_for(tuple(f"x{i}" for i in range(1, n + 1))))
    print(len(result.gradient))
