"""``prepress config push|show|diff`` against a real database (SQLite here)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from commands.cli import main
from testkit.shop import write_config

#: The main host's file: one press whose preview FTP has its password in the URL.
SHOP = {
    "presses.Speedmaster": {
        "plate_mm": [1030, 770],
        "gripper_mm": 10,
        "preview_url": "ftp://press:press-secret@10.0.0.7/preview",
    },
    "outputters.Leonov": {"dir_by_press": {"Speedmaster": "_1030x770"}},
    "sms": {"login": "shop", "password": "sms-secret"},
}


def _prepress(config: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), *args])


def test_push_stores_a_secret_free_version_and_diff_shows_a_change(tmp_path: Path) -> None:
    # Given a main host's prepress.toml with the database in its work folder
    config = write_config(
        tmp_path / "prepress.toml", {"paths": {"work_dir": str(tmp_path / "work")}, **SHOP}
    )

    # When it is pushed twice, then changed and compared
    first = _prepress(config, "config", "push")
    again = _prepress(config, "config", "push")
    shown = _prepress(config, "config", "show")
    same = _prepress(config, "config", "diff")
    text = config.read_text().replace("gripper_mm = 10", "gripper_mm = 12")
    config.write_text(text)
    changed = _prepress(config, "config", "diff")

    # Then one version is stored, without any password, and diff names the change
    assert first.exit_code == 0 and "version 1" in first.output, first.output
    assert "presses.Speedmaster.preview_url" in first.output  # told what was left out
    assert again.exit_code == 0 and "unchanged" in again.output
    assert shown.exit_code == 0 and "gripper_mm = 10" in shown.output
    assert "ftp://press@10.0.0.7/preview" in shown.output
    assert same.exit_code == 0 and "agrees" in same.output
    assert changed.exit_code == 1
    assert "-gripper_mm = 10" in changed.output and "+gripper_mm = 12" in changed.output
    with sqlite3.connect(tmp_path / "work" / "var" / "prepress.db") as db:
        rows = db.execute("SELECT version, document, pushed_by FROM shop_settings").fetchall()
    assert len(rows) == 1 and "@" in rows[0][2]
    assert "press-secret" not in rows[0][1] and "sms-secret" not in rows[0][1]


def test_show_without_a_push_says_hosts_use_their_own_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "prepress.toml", {"paths": {"work_dir": str(tmp_path / "work")}, **SHOP}
    )
    result = _prepress(config, "config", "show")
    assert result.exit_code == 1 and "no shop settings were pushed" in result.output
