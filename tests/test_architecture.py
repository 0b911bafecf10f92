"""The package's shape, read from its source: no import cycles, data flowing one way, small
modules, renderers that only format.

Every `import` counts, wherever it stands (module level, inside a function, under
`if TYPE_CHECKING:`): a lazy or type-only import is still an arrow between two modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "exprdiff"

#: Modules may grow past this only with a reason written here.
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules that `name` imports (a name imported from a package counts as the
    submodule when there is one, else as the package itself)."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 30  # the walk really read the package
    assert cycles(graph) == []


def test_import_exprdiff_alone_has_no_cycle_at_run_time():
    """`import exprdiff` in a fresh interpreter, with every partly-initialised import refused."""
    import subprocess
    import sys

    code = ("import sys, exprdiff, exprdiff.cli, exprdiff.api;"
            "print(sorted(m for m in sys.modules if m.startswith('exprdiff')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert "exprdiff.api" in done.stdout


#: Who may import whom: nothing imports the CLI; the library never imports click.
NOBODY_IMPORTS = ("exprdiff.cli",)


def test_nothing_below_the_cli_imports_it_or_click():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("exprdiff.cli") or name == "exprdiff.__main__":
            continue
        assert not any(t.startswith(NOBODY_IMPORTS) for t in targets), (name, targets)
        source = modules()[name].read_text(encoding="utf-8")
        assert "import click" not in source and "from click" not in source, name


RENDERER_MUST_NOT_IMPORT = ("exprdiff.syntax", "exprdiff.lowering", "exprdiff.forward",
                            "exprdiff.reverse", "exprdiff.api", "exprdiff.oracle.symbolic",
                            "exprdiff.oracle.child", "exprdiff.vector")


@pytest.mark.parametrize("name", sorted(n for n in modules() if n.startswith("exprdiff.render")))
def test_renderers_only_format(name):
    """A renderer formats data: it never parses, builds a tape or runs a sweep."""
    targets = import_graph()[name]
    bad = sorted(t for t in targets if t.startswith(RENDERER_MUST_NOT_IMPORT))
    assert bad == [], f"{name} imports {bad}"


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_stay_small(name):
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines"
