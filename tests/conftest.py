"""Shared fixtures: the seeds' worked examples, and a CLI runner."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest
from click.testing import CliRunner

#: The hand-worked examples of ../shared/seeds/: (expression, point, value, gradient).
SEED_001 = ("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1.0, "x2": 2.0, "x3": 3.0},
            16.0, {"x1": -4.0, "x2": 9.0, "x3": 6.0})
SEED_002 = ("y - max(0, w*x + b)", {"y": 5.0, "w": 2.0, "x": 1.0, "b": 1.0},
            2.0, {"y": 1.0, "w": -1.0, "x": -2.0, "b": -1.0})
SEED_000 = ("(a-b)**2", {"a": 2.0, "b": 0.0}, 4.0, {"a": 4.0, "b": -4.0})
SEEDS = [SEED_000, SEED_001, SEED_002]


def point_text(point: dict[str, float]) -> str:
    """{"x": 1.0} → "x=1.0" as typed after --at."""
    return ",".join(f"{k}={v!r}" for k, v in point.items())


def missing_tool(message: str) -> NoReturn:
    """A system tool a test needs is not installed: skipped (saying why) on a developer's
    machine, but a failure under CI, where .ci/run installs it: there a missing tool means a
    broken CI, and its tests must not pass by being skipped."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI installs it, so under CI this is a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
