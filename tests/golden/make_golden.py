"""(Re)write the step-table golden files: `python tests/golden/make_golden.py`, then read them.

Each seed example (../shared/seeds/ 001 and 002) is run through `exprdiff grad --steps --path`
in all four formats at 80 columns without colour; tests/test_steps.py compares the same runs
against these files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from exprdiff.cli.commands import main

HERE = Path(__file__).parent / "steps"

#: name → the grad arguments (SPEC §5's two worked examples).
CASES: dict[str, list[str]] = {
    "seed001": ["x1**2 + 3*(x2*x3 - x1**2)", "--at", "x1=1,x2=2,x3=3", "--path", "x1"],
    "seed002": ["y - max(0, w*x + b)", "--at", "y=5,w=2,x=1,b=1", "--path", "w"],
    # The same two seeds written as programs in their own notation (SPEC §9, issue 16).
    "program001": ["z1 = x1**2; z2 = x2*x3; z3 = z2 - z1; z4 = 3*z3; y = z1 + z4", "--at",
                   "x1=1,x2=2,x3=3", "--path", "x1"],
    "program002": ["w5 = w*x; w6 = w5 + b; w7 = max(0, w6); w8 = y - w7", "--at",
                   "y=5,w=2,x=1,b=1", "--path", "w"],
}
FORMATS = {"table": "txt", "markdown": "md", "latex": "tex", "json": "json"}
#: Forward mode's tangent tables of seed 001 (tests/test_modes.py): for ẋ1 = 1 and ẋ2 = 1.
FORWARD = HERE.parent / "forward"
FORWARD_CASES: dict[str, list[str]] = {
    "seed001-x1": ["x1**2 + 3*(x2*x3 - x1**2)", "--at", "x1=1,x2=2,x3=3", "--direction", "x1=1"],
    "seed001-x2": ["x1**2 + 3*(x2*x3 - x1**2)", "--at", "x1=1,x2=2,x3=3", "--direction", "x2=1"],
}

#: `exprdiff hessian` of Rosenbrock (tests/test_hessian.py), at its minimum and at the classic
#: start, in every format.
HESSIAN = HERE.parent / "hessian"
ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"
HESSIAN_CASES: dict[str, list[str]] = {
    "rosenbrock-minimum": [ROSENBROCK, "--at", "x=1,y=1"],
    "rosenbrock-start": [ROSENBROCK, "--at", "x=-1.2,y=1"],
    "rosenbrock-hvp": [ROSENBROCK, "--at", "x=-1.2,y=1", "--times", "x=1,y=-1"],
}
HESSIAN_FORMATS = {"table": "txt", "markdown": "md", "latex": "tex", "json": "json", "csv": "csv"}


def run(args: list[str], output: str) -> str:
    """The CLI's stdout for one case and format (exit 0 required)."""
    runner = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"})
    result = runner.invoke(main, ["--no-color", "grad", *args, "--steps", "--format", output])
    if result.exit_code != 0:
        raise RuntimeError(f"exit {result.exit_code}: {result.output}")
    return result.stdout


def golden_files() -> dict[Path, str]:
    """Every golden file's path and the text it should hold."""
    return {HERE / f"{name}.{ext}": run(args, output)
            for name, args in CASES.items() for output, ext in FORMATS.items()}


def forward_files() -> dict[Path, str]:
    """The forward-mode golden files and the text each should hold."""
    return {FORWARD / f"{name}.{ext}": run(args, output)
            for name, args in FORWARD_CASES.items() for output, ext in FORMATS.items()}


def run_hessian(args: list[str], output: str) -> str:
    """`exprdiff hessian`'s stdout for one case and format (exit 0 required)."""
    runner = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"})
    result = runner.invoke(main, ["--no-color", "hessian", *args, "--format", output])
    if result.exit_code != 0:
        raise RuntimeError(f"exit {result.exit_code}: {result.output}")
    return result.stdout


def hessian_files() -> dict[Path, str]:
    """The Hessian golden files and the text each should hold."""
    return {HESSIAN / f"{name}.{ext}": run_hessian(args, output)
            for name, args in HESSIAN_CASES.items() for output, ext in HESSIAN_FORMATS.items()}


def main_() -> int:
    HERE.mkdir(parents=True, exist_ok=True)
    FORWARD.mkdir(parents=True, exist_ok=True)
    HESSIAN.mkdir(parents=True, exist_ok=True)
    for path, text in {**golden_files(), **forward_files(), **hessian_files()}.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
