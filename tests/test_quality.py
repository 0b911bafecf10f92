"""Lint (ruff, with the flake8-bandit `S` rules) and types (mypy) over the package, as tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import missing_tool

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> list[str]:
    if shutil.which(name) is None and subprocess.run(
            [sys.executable, "-m", name, "--version"], capture_output=True).returncode != 0:
        missing_tool(f"{name} is not installed (pip install -e '.[test]')")
    return [sys.executable, "-m", name]


def test_ruff_is_clean():
    result = subprocess.run([*_tool("ruff"), "check", "exprdiff"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_security_rules_are_clean():
    result = subprocess.run([*_tool("ruff"), "check", "--select", "S", "exprdiff"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean():
    result = subprocess.run([*_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


#: The one exec allowed: compile_python runs the code exprdiff.codegen wrote from a tape and the
#: rows' templates (identifiers checked by codegen/names.py), never text a user typed.
EXEC_OF_OUR_OWN_CODE = {("exprdiff/codegen/__init__.py", "exec(")}


def test_no_evaluation_of_text_in_the_package():
    """User text must never reach eval/exec/sympify/parse_expr/lambdify."""
    banned = ("eval(", "exec(", "sympify(", "parse_expr(", "lambdify(")
    allowed = set()
    for path in (ROOT / "exprdiff").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            for word in banned:
                at = code.find(word)
                if at != -1 and (at == 0 or not (code[at - 1].isalnum() or code[at - 1] in "._")):
                    where = (path.relative_to(ROOT).as_posix(), word)
                    if where in EXEC_OF_OUR_OWN_CODE and where not in allowed:
                        allowed.add(where)  # once, where it is
                        continue
                    pytest.fail(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
