"""The layers of the tree hold: no import cycles, and each package imports only what its
``__init__`` docstring says it may (``May import:``) and nothing it says it never does
(``Never imports:``); the rules are read from the docstrings, so they cannot drift apart.

Every import counts, also those inside functions (they hide cycles, they do not remove them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

#: The project root.
ROOT = Path(__file__).resolve().parents[2]
#: The project's own top-level packages.
PACKAGES = ("pipeline", "commands", "tasks", "models", "watcher", "web")
#: Rules every package's docstring must state (the rules read from them are checked below).
RULE_LINES = ("May import:", "Never imports:")


def stated_rules(package: str) -> tuple[set[str], set[str]]:
    """(project packages it may import, names it never imports) from its docstring."""
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text("utf-8"))) or ""
    lines = {line.split(":")[0] + ":": line for line in doc.splitlines() if ":" in line}
    may = re.findall(r"\b([a-z_]+)/", lines.get("May import:", "").split("(")[0])
    never = re.findall(r"([a-z_]+)/?[,.]", lines.get("Never imports:", ""))
    return set(may), set(never)


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


@pytest.mark.parametrize("layer", PACKAGES)
def test_package_docstring_states_its_rules(layer: str) -> None:
    doc = ast.get_docstring(ast.parse((ROOT / layer / "__init__.py").read_text("utf-8"))) or ""
    assert all(line in doc for line in RULE_LINES), f"{layer}/__init__.py: state {RULE_LINES}"
    may, never = stated_rules(layer)
    assert never and not (may & never)


@pytest.mark.parametrize("layer", PACKAGES)
def test_layer_imports_only_what_its_docstring_allows(layer: str) -> None:
    may, never = stated_rules(layer)
    modules = project_modules()
    wrong = []
    for name, path in modules.items():
        if name.split(".")[0] != layer:
            continue
        for imported in imports_of(path, name):
            top = imported.split(".")[0]
            if top == layer:
                continue
            if top in never or (top in PACKAGES and top not in may):
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_the_domain_and_the_records_import_no_celery() -> None:
    # the rules the whole layout rests on, whatever a docstring says
    assert {"celery", "kombu", "tasks"} <= stated_rules("pipeline")[1]
    assert {"celery", "kombu", "tasks"} <= stated_rules("models")[1]
    assert {"watcher", "commands"} <= stated_rules("web")[1]
