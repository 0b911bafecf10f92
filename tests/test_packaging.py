"""The built wheel carries the grammar and works when installed non-editable in a fresh venv."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import missing_tool

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True)
    (built,) = out.glob("exprdiff-*.whl")
    return built


def test_wheel_contains_the_grammar(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "exprdiff/grammar/exprdiff.lark" in names
    packaged = zipfile.ZipFile(wheel).read("exprdiff/grammar/exprdiff.lark").decode()
    assert packaged == (ROOT / "grammar" / "exprdiff.lark").read_text()


def test_wheel_contains_the_page_assets(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for asset in ("explain.js", "explain.css", "dagre.min.js", "DAGRE-LICENSE.txt"):
        assert f"exprdiff/render/html/{asset}" in names


def test_non_editable_install_in_a_fresh_venv_runs_grad(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)  # this pip installs into it (--python): no ensurepip
    python = env_dir / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                              "-q", str(wheel)], capture_output=True, text=True)
    if install.returncode != 0 and "Could not find a version" in install.stderr:
        missing_tool(f"package index unreachable: {install.stderr.strip()[:200]}")
    assert install.returncode == 0, install.stderr
    exe = env_dir / "bin" / "exprdiff"
    result = subprocess.run(
        [str(exe), "grad", "x1**2 + 3*(x2*x3 - x1**2)", "--at", "x1=1,x2=2,x3=3",
         "--format", "json"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["value"] == 16.0
    assert data["gradient"] == {"x1": -4.0, "x2": 9.0, "x3": 6.0}
    where = subprocess.run([str(python), "-c", "import exprdiff; print(exprdiff.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    assert str(env_dir) in where.stdout  # the installed copy, not the source tree
