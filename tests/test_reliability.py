"""Small promises of docs/reliability.md: a byte-order mark, the cache folder's place, LaTeX
of names made of underscores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import missing_tool

from exprdiff.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_a_byte_order_mark_does_not_cost_line_one(tmp_path):
    batch = tmp_path / "windows.txt"
    batch.write_bytes("\ufeffx*y ; x=1, y=2\r\nx + 1 ; x=3\r\n".encode())
    done = CliRunner().invoke(main, ["grad", "--file", str(batch), "--format", "jsonl"])
    assert done.exit_code == 0, done.output
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["expression"] for r in records] == ["x*y", "x + 1"]
    assert records[0]["gradient"] == {"x": 2.0, "y": 1.0}


def test_a_byte_order_mark_on_stdin_too():
    done = CliRunner().invoke(main, ["grad", "-", "--format", "jsonl"],
                              input="\ufeffsin(x) ; x=0\n".encode())
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["gradient"] == {"x": 1.0}


def test_a_relative_xdg_cache_home_is_ignored(tmp_path):
    """The XDG spec: a relative $XDG_CACHE_HOME is invalid and must be ignored."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME="relative-cache",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "exprdiff", "grad", "x*y", "--at", "x=1,y=2",
                           "--format", "json"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not (work / "relative-cache").exists()
    assert (home / ".cache" / "exprdiff").is_dir()


@pytest.mark.parametrize("name", ["_", "__", "__x", "a_b_c", "x_", "_1"])
def test_latex_of_underscore_names_shows_and_compiles(name, tmp_path):
    done = CliRunner().invoke(main, ["grad", f"{name}*2", "--at", f"{name}=1", "--steps",
                                     "--format", "latex"])
    assert done.exit_code == 0, done.output
    assert r"\mathit{" in done.stdout or "_{" in done.stdout
    assert r"\frac{\partial f}{\partial }" not in done.stdout  # a name that prints nothing
    engine = shutil.which("pdflatex")
    if engine is None:
        missing_tool("no pdflatex (.ci/run installs texlive-latex-base as root)")
    document = "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,longtable}",
                          r"\begin{document}", done.stdout, r"\end{document}"])
    (tmp_path / "names.tex").write_text(document, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "names.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def _grad_in(cache: Path, text: str, point: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "exprdiff", "grad", text, "--at", point,
                           "--format", "json"], env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("recompute_digest", [False, True])
def test_a_tampered_parse_table_cache_is_rebuilt_not_used(tmp_path, recompute_digest):
    from exprdiff.syntax import parser

    first = _grad_in(tmp_path, "x + 1", "x=1")
    assert first.returncode == 0 and json.loads(first.stdout)["value"] == 2.0
    (cached,) = (tmp_path / "exprdiff").glob("lalr-*.json")
    digest, _, body = cached.read_text(encoding="utf-8").partition("\n")
    table = json.loads(body)
    names = table["names"]
    a, b = names.index("add"), names.index("sub")
    names[a], names[b] = names[b], names[a]  # x+1 would parse as x-1
    body = json.dumps(table)
    if recompute_digest:  # a careful forger: the digest passes, the probe parse does not
        digest = parser._digest(body)
    cached.write_text(digest + "\n" + body, encoding="utf-8")
    again = _grad_in(tmp_path, "x + 1", "x=1")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["value"] == 2.0
    assert cached.read_text(encoding="utf-8").partition("\n")[2] != body  # rebuilt


def test_two_grammars_never_share_a_cache_file(tmp_path):
    """The cache file is named by version, format and grammar: versions side by side (a
    checkout and an installed copy) do not overwrite each other's table."""
    from exprdiff.syntax import parser
    from exprdiff.syntax.grammar import grammar_text

    assert parser._cache_key(grammar_text()) != parser._cache_key(grammar_text() + "\n")
