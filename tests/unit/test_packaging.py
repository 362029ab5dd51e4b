"""What ships and how it is installed: the image and the Ansible role run the wheel, the README
names what an admin needs, the demo cleans up after itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commands.demo import demo_folder

#: The project's root folder.
ROOT = Path(__file__).resolve().parents[2]
#: Folders whose code may read environment variables.
CODE = ("pipeline", "commands", "tasks", "watcher", "models")


def test_the_image_installs_the_wheel_not_the_source() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip wheel" in dockerfile and "prepress-*.whl" in dockerfile
    assert "PYTHONPATH" not in dockerfile


def test_the_ansible_role_installs_the_wheel_and_no_unit_imports_the_checkout() -> None:
    role = ROOT / "ops" / "ansible" / "roles" / "prepress"
    tasks = (role / "tasks" / "main.yml").read_text()
    assert "pip wheel" in tasks and "prepress_wheels.files[0].path" in tasks
    for template in (role / "templates").glob("*.j2"):
        assert "PYTHONPATH" not in template.read_text(), template.name


def test_the_demo_installs_prepress_without_the_test_tools() -> None:
    script = (ROOT / "scripts" / "dev.sh").read_text()
    demo_branch = script.split("\n  demo)\n", 1)[1].split(";;", 1)[0]
    assert 'setup "[demo]"' in demo_branch


def test_every_environment_variable_is_in_the_readme() -> None:
    # Given every PREPRESS_ variable the code reads
    names = {
        name
        for folder in CODE
        for path in (ROOT / folder).rglob("*.py")
        for name in re.findall(r'"(PREPRESS_[A-Z_]+)"', path.read_text(encoding="utf-8"))
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # Then the README names each, and what an admin asks first
    assert names and sorted(n for n in names if f"`{n}`" not in readme) == []
    for needed in ("prepress-admin", ".venv/bin", "_PREPRESS_COMPLETE=bash_source", "--keep"):
        assert needed in readme, needed
    assert "Ghostscript" in readme and "PREPRESS_FLOWER_PASSWORD" in readme


@pytest.mark.parametrize("keep", [False, True])
def test_the_demo_folder_is_removed_unless_kept(keep: bool, capsys: pytest.CaptureFixture) -> None:
    # When the demo runs in a temporary folder
    with demo_folder(None, keep) as base:
        (base / "samples").mkdir()
    said = capsys.readouterr().out
    # Then it is gone afterwards, unless kept; either way the demo says where it was, and
    # says it is kept only when it is
    assert base.exists() is keep and str(base) in said
    assert ("kept in" in said) is keep and ("removed" in said) is not keep
    if keep:
        import shutil

        shutil.rmtree(base)


def test_the_demo_says_unknown_plates_for_a_rejected_file() -> None:
    from types import SimpleNamespace

    from commands.demo import job_facts

    rejected = SimpleNamespace(press="", outputter="", plates=None, error="not_pdf: not a PDF")
    assert job_facts(rejected) == "- / - / unknown plates  not_pdf: not a PDF"
    done = SimpleNamespace(press="Speedmaster", outputter="Leonov", plates=8, error="")
    assert job_facts(done) == "Speedmaster / Leonov / 8 plates"
