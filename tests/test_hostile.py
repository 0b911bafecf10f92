"""The hand-picked hostile corpus (tests/data/hostile.txt), in full on every run, and the
injection payloads: user text never runs as code.

Each corpus case goes through the API and the CLI (JSON output, two points) and must keep the
contract in tests/hostile.py; the expressions also go through batch mode as one file, which must
answer every line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import Case, assert_api_clean, corpus, run_cli

import exprdiff

CASES = corpus()
AT_EXPRESSION = "x*y + sin(x)"


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 100, f"only {len(CASES)} hostile inputs in tests/data/hostile.txt"


def _points(text: str) -> list[str]:
    """Two --at points for `text`'s variables (0.5 each, then 0 each); one dummy if it has none
    or does not compile (the error comes first anyway)."""
    try:
        names = exprdiff.compile(text).variables
    except exprdiff.ExprError:
        return ["x=1"]
    if not names:
        return []
    return [",".join(f"{n}={v}" for n in names) for v in ("0.5", "0")]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_input(case: Case):
    if case.kind == "at":
        run_cli(["grad", "--format", "json", "--at", case.text, "--", AT_EXPRESSION])
        return
    assert_api_clean(case.text)
    args = ["grad", "--format", "json"]
    for point in _points(case.text):
        args += ["--at", point]
    run_cli([*args, "--", case.text])
    run_cli(["grad", "--at", "x=2", "--", case.text])  # table output too


def test_batch_answers_every_hostile_line(tmp_path: Path):
    """Batch over the corpus' one-line expressions: one record per line, none lost."""
    lines = [c.text for c in CASES if c.kind == "expr" and "\n" not in c.text
             and "\r" not in c.text and "\x85" not in c.text and "\u2028" not in c.text]
    data = tmp_path / "hostile.txt"
    # lone surrogates become bytes that are not UTF-8: the batch must say so, line by line
    data.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    result = run_cli(["grad", "--file", str(data), "--at", "x=0.5", "--format", "jsonl"],
                     seconds=120, batch=True)
    answered = {json.loads(record)["line"] for record in result.stdout.splitlines()}
    expected = {k for k, text in enumerate(lines, 1)
                if text.strip() and not text.strip().startswith("#")}
    assert expected <= answered, f"lines without an answer: {sorted(expected - answered)}"


# ---- injection: payloads that would create a marker file if any of them ran -------------------

PAYLOADS = [
    "__import__('os').system('touch {m}')",
    "__import__('pathlib').Path('{m}').touch()",
    "open('{m}', 'w')",
    "eval(\"open('{m}', 'w')\")",
    "exec(\"open('{m}', 'w')\")",
    "compile(\"open('{m}','w')\", 'x', 'exec')",
    "$(touch {m})",
    "`touch {m}`",
    "x; touch {m}",
    "x && touch {m}",
    "x | touch {m}",
    "Symbol('x').__class__.__init__.__globals__['__builtins__']['open']('{m}', 'w')",
    "lambda: open('{m}', 'w')",
    "x if open('{m}', 'w') else x",
    "[open('{m}', 'w') for x in (1,)]",
    "Function('f')(x).subs(x, open('{m}', 'w'))",
    "x + open('{m}','w').write('1')",
]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "INJECTED"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payload_never_runs(payload: str, marker: Path, tmp_path: Path):
    text = payload.format(m=marker)
    assert_api_clean(text)
    assert_api_clean("x", {"x": text})  # type: ignore[dict-item]
    run_cli(["grad", "--format", "json", "--at", "x=1", "--", text])
    run_cli(["grad", "--format", "json", "--at", f"x={text}", "--", "x*2"])
    run_cli(["grad", "--check", "--at", "x=1", "--", text], seconds=60)
    run_cli(["diff", "--", text], seconds=60)
    line = json.dumps({"expr": text, "at": {"x": 1}})
    run_cli(["grad", "-", "--format", "jsonl"], stdin=f"{text}\n{text} ; x=1\n{line}\n",
            batch=True)
    assert not marker.exists(), f"{payload!r} created {marker}"


def test_injection_through_a_real_process(marker: Path, tmp_path: Path):
    """The installed entry point, as a shell-less child process, with every payload at once."""
    texts = [p.format(m=marker) for p in PAYLOADS]
    stdin = "\n".join(texts) + "\n"
    done = subprocess.run([sys.executable, "-m", "exprdiff", "grad", "-", "--format", "jsonl",
                           "--at", "x=1"], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # every line fails to parse
    assert "Traceback" not in done.stderr
    assert len(done.stdout.splitlines()) == len(texts)
    for text in texts[:4]:
        one = subprocess.run([sys.executable, "-m", "exprdiff", "grad", "--at", "x=1", "--", text],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert one.returncode == 2 and one.stderr.startswith("error:"), one.stderr
    assert not marker.exists()
