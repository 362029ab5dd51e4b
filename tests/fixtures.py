"""Small fixtures every test family may use; servers live in tests/servers.py and tests/sshd.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Config, config_from_dict

#: The configuration most tests run with: the shop's presses and bureaus, no network targets.
BASE_CONFIG = {
    "presses": {
        "Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10},
        "Planeta": {"plate_mm": [1010, 820], "gripper_mm": 10},
        "Dominant": {"plate_mm": [650, 550], "gripper_mm": 8},
    },
    "outputters": {
        "Leonov": {"dir_by_press": {"Speedmaster": "_1030x770", "Planeta": "_1010x820",
                                    "Dominant": "_ADAST"}},
        "Korol": {"filename": "{stem}_{plate_w}_{plates}Plates{inks_suffix}{ext}"},
        "Admin": {"notify": False},
        "Vonoel": {},
    },
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The shop's configuration with the work folder under tmp_path."""
    raw = dict(BASE_CONFIG, paths={"work_dir": str(tmp_path / "work")})
    return config_from_dict(raw, source=tmp_path / "prepress.toml")
