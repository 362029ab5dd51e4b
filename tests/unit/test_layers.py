"""The layers of the tree hold: no import cycles, and the domain imports no Celery.

Every import counts, also those inside functions (they hide cycles, they do not remove them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

#: The project root.
ROOT = Path(__file__).resolve().parents[2]
#: The project's own top-level packages.
PACKAGES = ("pipeline", "commands", "tasks", "models", "watcher", "web")
#: What each layer must not import (prefixes of module names).
FORBIDDEN = {
    "pipeline": ("celery", "kombu", "tasks", "commands", "watcher", "web", "models"),
    "models": ("celery", "tasks", "commands", "watcher", "web"),
    "tasks": ("commands", "web"),
    "watcher": ("commands", "web"),
}


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {m for m in imports_of(path, name) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_import_cycle_between_the_projects_modules() -> None:
    edges = graph()
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    modules = project_modules()
    wrong = []
    for name, path in modules.items():
        if name.split(".")[0] != layer:
            continue
        for imported in imports_of(path, name):
            top = imported.split(".")[0]
            if top in FORBIDDEN[layer] and not imported.startswith(f"{layer}."):
                wrong.append(f"{name} imports {imported}")
    assert wrong == []
