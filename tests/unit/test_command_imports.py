"""A command loads only what it uses: ``prepress analyze`` on a shop file reads PDFs and the
configuration, and imports no database, queue or web code (its start-up time is the import
time of what it loads; benchmarks/startup.py measures it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from testkit.samples import signa_sheet, write_signa_pdf

#: Packages a command that needs no database, broker or dashboard must not import.
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "celery", "kombu", "flask")

#: Runs the CLI's main with the given arguments in this interpreter, then writes what it
#: imported and its exit status as JSON to the file named by the first argument.
RUN_AND_LIST_MODULES = """
import json, sys
from commands.cli import main
out, args = sys.argv[1], sys.argv[2:]
try:
    main(args)
except SystemExit as exit:
    status = exit.code
with open(out, "w") as file:
    json.dump({"status": status, "modules": sorted(sys.modules)}, file)
"""


def run_cli(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / "modules.json"
    command = [sys.executable, "-c", RUN_AND_LIST_MODULES, str(out), *args]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.exists(), done.stderr
    return done, json.loads(out.read_text())


def test_analyze_imports_no_database_queue_or_web_code(tmp_path: Path) -> None:
    # Given a shop file (it has [presses]: nothing to ask the database) and a Signa PDF
    config = tmp_path / "prepress.toml"
    config.write_text(
        "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\n[outputters.Leonov]\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    pdf = write_signa_pdf(tmp_path / "0537_Technoyug_Flier_Leonov.pdf", [signa_sheet()])
    # When prepress analyze reads it in a fresh interpreter
    done, result = run_cli(tmp_path, "analyze", "--config", str(config), str(pdf))
    # Then the file was analysed
    assert result["status"] == 0, done.stderr
    assert "ok" in done.stdout and "Speedmaster" in done.stdout
    # And none of the database, queue or web packages was imported
    loaded = {name.split(".")[0] for name in result["modules"]}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
