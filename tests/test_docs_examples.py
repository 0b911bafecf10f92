"""Every `$ exprdiff …` example in README.md and docs/*.md, run as written, prints what the docs
show. A line `...` (or `…`) in the shown output stands for any number of lines; trailing spaces
and a trailing `# comment` on the command line are ignored. Commands run in a folder holding the
samples and a small `points.csv` (header x,y), with an 80-column terminal and no colour.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples() -> list[tuple[str, int, str, list[str]]]:
    """(file name, line number, command, shown output lines) for every `$ ` line in a fence."""
    found = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        inside = False
        k = 0
        while k < len(lines):
            line = lines[k]
            if line.startswith("```"):
                inside = not inside
            elif inside and line.startswith("$ "):
                command, start = line[2:], k + 1
                output: list[str] = []
                k += 1
                while k < len(lines) and not lines[k].startswith(("$ ", "```")):
                    output.append(lines[k])
                    k += 1
                while output and not output[-1].strip():
                    output.pop()
                found.append((path.name, start, command, output))
                continue
            k += 1
    return found


def matches(shown: list[str], printed: list[str]) -> bool:
    """`printed` fits `shown`, where a `...` line in `shown` stands for any lines."""
    pattern = "\n".join(".*?" if line.strip() in ("...", "…") else re.escape(line.rstrip())
                        for line in shown)
    return re.fullmatch(pattern, "\n".join(line.rstrip() for line in printed),
                        flags=re.DOTALL) is not None


EXAMPLES = examples()


def test_the_docs_have_examples():
    assert len(EXAMPLES) >= 15
    assert any(name == "steps.md" for name, *_ in EXAMPLES)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("examples")
    shutil.copytree(ROOT / "samples", where / "samples")
    (where / "points.csv").write_text("x,y\n0.5,2\n1,3\n2,4\n", encoding="utf-8")
    return where


@pytest.mark.parametrize(("name", "line", "command", "shown"), EXAMPLES,
                         ids=[f"{n}:{k}" for n, k, _, _ in EXAMPLES])
def test_example_prints_what_the_docs_show(folder, name, line, command, shown):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80", TERM="dumb",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    env.pop("EXPRDIFF_DEBUG", None)
    # The file's earlier examples that show no output set the scene (`printf … > semi.csv`):
    # run them first, since pytest-xdist may have sent them to another worker's folder.
    for other, earlier, setup, output in EXAMPLES:
        if other == name and earlier < line and not output:
            subprocess.run(["bash", "-c", setup], cwd=folder, env=env, capture_output=True,
                           timeout=120, check=False)
    done = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)
    printed = (done.stdout + done.stderr).splitlines()
    assert "Traceback" not in done.stderr
    if not shown:  # an example without output shown: it must run cleanly
        assert done.returncode == 0, f"{name}:{line}: {done.stderr}"
        return
    assert matches(shown, printed), (
        f"{name}:{line}: `{command}` printed\n" + "\n".join(printed) +
        "\n\nwhere the docs show\n" + "\n".join(shown))
