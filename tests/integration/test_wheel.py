"""The wheel is complete: installed into a fresh virtualenv, prepress runs without the source.

The wheel is built from a copy of the project's files, installed without its dependencies into
a venv made without pip; the dependencies come from this interpreter's site-packages through a
``.pth`` line (a directory added that way has its own ``.pth`` files ignored, so the editable
install of the checkout stays out). Commands run from a folder outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.pipeline_harness import ROOT
from tests.services import require

#: What a wheel is built from: the metadata, the top-level module and the packages.
SOURCES = (
    "setup.cfg",
    "pyproject.toml",
    "README.md",
    "celeryconfig.py",
    "pipeline",
    "commands",
    "tasks",
    "models",
    "watcher",
    "web",
    "testkit",
)


def _build_wheel(workspace: Path) -> Path:
    source = workspace / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(workspace), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=240,
    )
    wheels = list(workspace.glob("prepress-*.whl"))
    require(bool(wheels), f"pip could not build the wheel (no build backend?): {built.stderr}")
    return wheels[0]


def _fresh_venv(workspace: Path, wheel: Path) -> Path:
    venv = workspace / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies only: this interpreter's site-packages, appended after the venv's own
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return venv


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREPRESS_", "CELERY_", "PYTHON")) and k != "VIRTUAL_ENV"
    }


@pytest.mark.timeout(300)
def test_installed_wheel_runs_prepress_on_a_new_database(tmp_path: Path) -> None:
    # Given prepress installed from its wheel into a fresh venv, and a folder outside the checkout
    venv = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    elsewhere = tmp_path / "shop"
    elsewhere.mkdir()
    (elsewhere / "prepress.toml").write_text(
        "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\n[outputters.Leonov]\n"
    )
    prepress = str(venv / "bin" / "prepress")

    # When it lists the jobs of a database that does not exist yet
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import commands, models.db, web; from pathlib import Path; "
            "templates = sorted(Path(web.__file__).parent.glob('templates/*.html')); "
            "print(models.db.__file__, *templates[:1])",
        ],
        cwd=elsewhere,
        env=_env(),
        capture_output=True,
        text=True,
    )
    listed = subprocess.run(
        [prepress, "jobs", "--config", "prepress.toml"],
        cwd=elsewhere,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    version = subprocess.run([prepress, "--version"], env=_env(), capture_output=True, text=True)

    # Then prepress comes from the venv, migrates the new database quietly and says so
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    assert len(where.stdout.split()) == 2  # the dashboard's templates came along
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "no jobs" in listed.stdout
    assert "alembic" not in listed.stdout + listed.stderr
    database = elsewhere / "work" / "var" / "prepress.db"
    with sqlite3.connect(database) as db:
        (revision,) = db.execute("select version_num from alembic_version").fetchone()
    head = ScriptDirectory(str(ROOT / "models" / "migrations")).get_current_head()
    assert revision == head
    assert version.returncode == 0 and "0.1.0" in version.stdout
