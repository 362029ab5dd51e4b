"""The local shop: presses and bureaus whose every target is a local sink, as prepress.toml.

Used by the demo, the pipeline tests and the benchmarks, so all three run the same shop.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pipeline.config.shared import toml_text

#: The SMS numbers of the local shop: the staff, and the Speedmaster's operator.
STAFF_PHONE, SPEEDMASTER_PHONE = "+380670000000", "+380501112233"
#: Leonov's folder per press (DOMAIN.md).
LEONOV_DIRS = {"Speedmaster": "_1030x770", "Planeta": "_1010x820", "Dominant": "_ADAST"}


def local_shop(
    work_dir: Path,
    broker: str,
    bureau: Any,
    press: Any,
    sms: Any,
    stable_seconds: float = 1,
    ticket: str = "none",
) -> dict[str, dict[str, Any]]:
    """The shop's presses and bureaus with every target a local sink (demo, tests, benchmarks).

    ``bureau`` and ``press`` are FtpSinks, ``sms`` an SmsSink (testkit/sinks.py). ``ticket``
    is Leonov's plate order beside each plate file (the demo's: ``jdf``).
    """
    leonov: dict[str, Any] = {"url": bureau.url("leonov"), "dir_by_press": LEONOV_DIRS}
    if ticket != "none":
        leonov.update(ticket=ticket, lead_hours=24)
    return {
        "paths": {"work_dir": str(work_dir)},
        "celery": {"broker_url": broker},
        "watcher": {"stable_seconds": stable_seconds},
        "presses.Speedmaster": {
            "plate_mm": [1030, 770],
            "gripper_mm": 10,
            "preview_url": press.url("speedmaster"),
            "sms": [SPEEDMASTER_PHONE],
        },
        "presses.Planeta": {"plate_mm": [1010, 820], "gripper_mm": 10},
        "presses.Dominant": {
            "plate_mm": [650, 550],
            "gripper_mm": 8,
            "preview_url": press.url("dominant"),
        },
        "outputters.Leonov": leonov,
        "outputters.Korol": {
            "url": bureau.url("korol"),
            "filename": "{stem}_{plate_w}_{plates}Plates{inks_suffix}{ext}",
        },
        "outputters.Admin": {"notify": False},
        "sms": {
            "api_url": sms.url,
            "login": sms.login,
            "password": sms.password,
            "sender": "Typography",
            "recipients": [STAFF_PHONE],
        },
    }


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """Write ``sections`` as prepress.toml at ``path``, readable by the owner only."""
    path.write_text(toml_text(sections), encoding="utf-8")
    os.chmod(path, 0o600)
    return path
