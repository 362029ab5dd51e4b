"""The migration files sort in the order alembic runs them: each file's name starts with its
place in the revision chain (the revision ids stay those deployed databases hold)."""

from __future__ import annotations

import ast
from pathlib import Path

#: The alembic revisions, one file each.
VERSIONS = Path(__file__).resolve().parents[2] / "models" / "migrations" / "versions"


def revision_of(path: Path) -> tuple[str, str | None]:
    """(revision, down_revision) as the migration file assigns them."""
    found: dict[str, str | None] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            assert isinstance(value, ast.Constant), f"{path.name}: {target.id} is not a literal"
            found[target.id] = value.value
    return found["revision"], found["down_revision"]


def chain_order(files: list[Path]) -> list[str]:
    """The file names from the first migration to the head, walking down_revision from it."""
    by_revision = {}
    down = {}
    for path in files:
        revision, down_revision = revision_of(path)
        assert revision not in by_revision, f"revision {revision} twice"
        by_revision[revision] = path.name
        down[revision] = down_revision
    heads = set(down) - set(down.values())
    assert len(heads) == 1, f"the chain must have one head, it has {sorted(heads)}"
    order, revision = [], heads.pop()
    while revision is not None:
        order.append(by_revision[revision])
        revision = down[revision]
    assert len(order) == len(files), "a migration is not on the chain from the head"
    return order[::-1]


def test_the_files_sort_in_the_order_of_the_revision_chain() -> None:
    # Given every migration file
    files = sorted(VERSIONS.glob("*.py"))
    # Then sorting them by name gives the order alembic runs them in
    assert [path.name for path in files] == chain_order(files)


def test_each_place_in_the_chain_has_one_number() -> None:
    # Given every migration file
    numbers = [path.name.split("_")[0] for path in sorted(VERSIONS.glob("*.py"))]
    # Then each starts with its place in the chain: 0001, 0002, ... without gaps or twins
    assert numbers == [f"{place:04d}" for place in range(1, len(numbers) + 1)]
