"""A fresh process stays light: which modules `exprdiff grad` loads (structure, never timing).

Issue 7 wants a fresh `exprdiff grad SEED --format json` in ≤ 100 ms. What keeps it there is
what it does not import: each test runs the real command (or the API) in a fresh interpreter
and reads `sys.modules` at its end. Timings are printed by `python -m benchmarks --only start`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED_001, point_text

#: Runs `python -m exprdiff ARGS...` in this interpreter, then prints a marker and the modules.
_COMMAND = """
import json, runpy, sys
sys.argv = ["exprdiff", *json.loads(sys.argv[1])]
try:
    runpy.run_module("exprdiff", run_name="__main__", alter_sys=True)
except SystemExit as stop:
    code = stop.code
sys.stdout.flush()
print("\\n@@modules@@", json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

#: Modules a gradient never needs, whatever the output format. (`inspect`, `uuid`, `datetime`
#: and `gettext` are not listed: click 8 imports them itself, so only the API path avoids them.)
NEVER = ("sympy", "numpy", "lark", "exprdiff.syntax.lark_errors", "exprdiff.oracle",
         "exprdiff.explain.steps", "exprdiff.batch", "exprdiff.cli.batch",
         "exprdiff.explain.picture", "exprdiff.drawing", "exprdiff.render.picture",
         "exprdiff.render.dot", "exprdiff.vector", "exprdiff.cli.points", "multiprocessing",
         "difflib", "dataclasses", "exprdiff.codegen", "exprdiff.cli.others",
         # the rows' NumPy, wide-number, second-order and code rules (ops.load: their users only)
         "exprdiff.array_rules", "exprdiff.scaled", "exprdiff.second_rules", "exprdiff.careful",
         "exprdiff.modes", "exprdiff.code_rules")


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private XDG cache holding the parse table, as after a first run on a user's machine."""
    home = tmp_path_factory.mktemp("xdg-cache")
    text, point, _, _ = SEED_001
    run_command(home, "grad", text, "--at", point_text(point), "--format", "json")  # builds it
    return home


def run_command(cache: Path, *args: str) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the loaded modules of a fresh `python -m exprdiff ARGS`."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1"}
    env.pop("EXPRDIFF_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", _COMMAND, json.dumps(args)], capture_output=True,
                          text=True, env=env, check=False)
    output, marker, tail = done.stdout.rpartition("\n@@modules@@ ")
    assert marker, f"no module list printed; stderr: {done.stderr[-2000:]}"
    report = json.loads(tail)
    return report["code"], output, set(report["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The names among `names` that are loaded, themselves or any of their submodules."""
    return sorted(m for m in modules for name in names if m == name or m.startswith(name + "."))


def test_json_path_loads_no_rich_and_nothing_heavy(cache_home: Path) -> None:
    text, point, value, gradient = SEED_001
    code, output, modules = run_command(cache_home, "grad", text, "--at", point_text(point),
                                        "--format", "json")
    assert code == 0
    result = json.loads(output)
    assert (result["value"], result["gradient"]) == (value, gradient)
    assert "exprdiff.render.json" in modules and "click" in modules  # the path really ran
    assert loaded(modules, ("rich", "exprdiff.render.table", *NEVER)) == []
    # what only a program (its statements, its outputs' names) or a warning (its wrapping)
    # needs; and zlib, which the parse table's checksum does without
    assert loaded(modules, ("exprdiff.outputs", "exprdiff.render.prose", "exprdiff.statements",
                            "exprdiff.syntax.program", "zlib")) == []


@pytest.mark.parametrize("output", ["json", "jsonl", "csv"])
def test_the_registry_loads_only_the_chosen_format(cache_home: Path, output: str) -> None:
    """render/formats.py imports a writer's module on first use: json, jsonl and csv load no
    rich, and only csv loads the csv machinery."""
    text, point, _, _ = SEED_001
    code, output_text, modules = run_command(cache_home, "grad", text, "--at",
                                             point_text(point), "--format", output)
    assert code == 0 and "-4.0" in output_text
    assert "exprdiff.render.formats" in modules and f"exprdiff.render.{output}" in modules
    others = [f"exprdiff.render.{name}" for name in ("json", "jsonl", "csv") if name != output
              and not (output == "json" and name == "jsonl")]  # json writes its lines with jsonl's
    unwanted = ("rich", "exprdiff.render.table", "exprdiff.render.text", "exprdiff.render.latex",
                *others, *(["csv", "_csv"] if output != "csv" else []), *NEVER)
    assert loaded(modules, unwanted) == []


def test_table_path_loads_only_the_rich_parts_it_needs(cache_home: Path) -> None:
    text, point, _, _ = SEED_001
    code, output, modules = run_command(cache_home, "grad", text, "--at", point_text(point))
    assert code == 0 and "∂f/∂x1" in output
    assert {"rich.console", "rich.table"} <= modules
    heavy = ("rich.progress", "rich.live", "rich.syntax", "rich.markdown", "rich.pretty",
             "rich.traceback", "rich._emoji_codes", "pygments")
    ours = tuple(name for name in NEVER if name != "dataclasses")  # rich uses dataclasses
    assert loaded(modules, heavy + ours) == []


def test_library_gradient_loads_no_cli_and_no_dataclass_machinery() -> None:
    code = ("import sys, exprdiff; r = exprdiff.grad('x1*x2 + sin(x1)', {'x1': 1, 'x2': 2}); "
            "names = sorted(sys.modules); import json; print(r.value); print(json.dumps(names))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    value, modules_text = done.stdout.splitlines()
    assert float(value) == pytest.approx(2 + math.sin(1))
    modules = set(json.loads(modules_text))
    assert "exprdiff.api" in modules
    # the API needs neither click nor what click itself loads (inspect, uuid, ...)
    assert loaded(modules, ("click", "rich", "inspect", "uuid", *NEVER)) == []


def test_the_lists_above_are_real_module_names() -> None:
    """A typo in NEVER would make the tests above pass vacuously: every name must exist."""
    import importlib.util

    for name in (*NEVER, "rich.console", "rich.table", "rich.progress", "rich.pretty"):
        assert importlib.util.find_spec(name) is not None, name
