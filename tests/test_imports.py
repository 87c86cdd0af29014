"""The house's floors: every seqlab import resolves, and packages only import downwards.

Ruff cannot see a dangling `from seqlab.x import name` inside a function (one such
import turned Ctrl-C during a Ray sweep's set-up into an ImportError traceback), so
every seqlab-internal import, at any depth, is checked here against the real modules.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

import seqlab

ROOT = Path(seqlab.__file__).parent
# Floors, bottom to top: a package imports only from its own floor or below, and two
# packages never import each other (README, "Layout").
FLOORS = {
    "errors": 0,
    "registry": 0,
    "schema": 1,
    "data": 2,
    "backends": 2,
    "models": 2,
    "records": 3,
    "training": 4,
    "config": 5,
    "runs": 6,
    "reports": 7,
    "examples": 7,
    "sweeps": 8,
    "cli": 9,
    "__main__": 10,
}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every seqlab import in the file, functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seqlab"):
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("seqlab"):
                    found.append((node.lineno, alias.name, []))
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(seqlab)"


OPTIONAL = {"seqlab.sweeps.ray_cluster": "ray"}


@pytest.mark.parametrize("module", [name for name, _ in _modules() if name != "seqlab.__main__"])
def test_every_module_imports(module):
    needs = OPTIONAL.get(module)
    if needs:
        pytest.importorskip(needs)
    importlib.import_module(module)


def test_every_seqlab_import_names_something_that_exists():
    dangling = []
    for _name, path in _modules():
        for line, module, names in _imports(path):
            try:
                target = importlib.import_module(module)
            except ImportError as exc:
                dangling.append(f"{path.name}:{line}: {module} ({exc})")
                continue
            for item in names:
                if hasattr(target, item):
                    continue
                try:
                    importlib.import_module(f"{module}.{item}")
                except ImportError:
                    dangling.append(f"{path.name}:{line}: {module} has no {item}")
    assert not dangling, "\n".join(dangling)


def _package_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in _modules():
        for _, module, _names in _imports(path):
            mine, theirs = _package(name), _package(module)
            if mine != theirs and theirs != "(seqlab)":
                edges[mine].add(theirs)
    return edges


def test_packages_import_only_downwards_and_never_each_other():
    edges = _package_edges()
    upward = [
        f"{a} (floor {FLOORS[a]}) imports {b} (floor {FLOORS[b]})"
        for a, targets in edges.items()
        for b in targets
        if FLOORS[b] > FLOORS[a]
    ]
    mutual = sorted(
        {tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, ())}
    )
    assert not upward and not mutual, (upward, mutual)


def test_no_module_imports_itself_back_at_import_time():
    """No cycle among the modules' top-level imports (function-level ones run later)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in _modules():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            seqlab_import = isinstance(node, ast.ImportFrom) and node.module
            if seqlab_import and node.module.startswith("seqlab") and node.module != name:
                graph[name].add(node.module)  # (a package importing its own submodule: no)
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in graph.get(module, ()):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in list(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


def test_every_module_is_in_a_known_floor():
    packages = {_package(name) for name, _ in _modules()} - {"(seqlab)"}
    assert packages <= set(FLOORS), packages - set(FLOORS)
    assert all(
        len([p for p in (ROOT / pkg).glob("*.py") if p.name != "__init__.py"]) <= 15
        for pkg in packages
        if (ROOT / pkg).is_dir()
    )


def test_pkgutil_sees_every_module():  # a package without __init__.py would hide modules
    seen = {m.name for m in pkgutil.walk_packages(seqlab.__path__, "seqlab.")}
    assert {name for name, _ in _modules() if name != "seqlab"} <= seen | {"seqlab.__main__"}
