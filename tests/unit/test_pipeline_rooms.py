"""Each room of the domain imports only what its ``__init__.py`` docstring says it may."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

#: The project's root folder.
ROOT = Path(__file__).resolve().parents[2]
#: The siblings each subpackage of pipeline/ may import, as its docstring states them.
ALLOWED = {
    "pipeline.config": {"pipeline.errors"},
    "pipeline.pdf": {"pipeline.config", "pipeline.errors", "pipeline.json_values"},
    "pipeline.preview": {
        "pipeline.config",
        "pipeline.pdf",
        "pipeline.errors",
        "pipeline.text",
        "pipeline.budget",
        "pipeline.inkmap",
        "pipeline.children",
    },
    "pipeline.delivery": {"pipeline.config", "pipeline.errors", "pipeline.text"},
    "pipeline.invoice": {
        "pipeline.config",
        "pipeline.errors",
        "pipeline.text",
        "pipeline.accounting",
    },
    "pipeline.preflight": {
        "pipeline.config",
        "pipeline.pdf",
        "pipeline.errors",
        "pipeline.text",
        "pipeline.budget",
        "pipeline.inkmap",
    },
}


def _imports(package: str) -> set[str]:
    """The pipeline modules outside ``package`` that its modules import (also in functions)."""
    found = set()
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            found |= {
                ".".join(n.split(".")[:2])
                for n in names
                if n.startswith("pipeline.") and not n.startswith(package)
            }
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_room_imports_what_its_docstring_allows(package: str) -> None:
    # Given the rule a subpackage's docstring states
    docstring = importlib.import_module(package).__doc__ or ""
    assert "May import" in docstring or "may import" in docstring.lower()
    for sibling in ALLOWED[package]:
        assert sibling in docstring, f"{package} docstring does not name {sibling}"
    # Then its modules import no other part of the domain
    assert _imports(package) <= ALLOWED[package]
