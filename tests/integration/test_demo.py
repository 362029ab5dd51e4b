"""The README's demo command runs the real pipeline and ends as it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(400)
def test_demo_with_embedded_broker_processes_every_sample(tmp_path: Path) -> None:
    # Given no Redis in the picture (the embedded broker)
    # When the demo runs
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "commands",
            "demo",
            "--dir",
            str(tmp_path),
            "--broker",
            "embedded",
            "--timeout",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=380,
    )
    # Then the good samples are delivered, the broken one rejected, and the SMS printed
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "demo finished as expected" in result.stdout
    delivered = sorted(
        p.relative_to(tmp_path / "ftp-ctp").as_posix()
        for p in (tmp_path / "ftp-ctp").rglob("*.pdf")
    )
    assert delivered == [
        "korol/0601_Flier_1030_3Plates_CM-ReflexBlueC.pdf",
        "leonov/_1030x770/0537_Technoyug_Flier_Leonov.pdf",
        "leonov/_ADAST/0602_Каталог (весна) $1;2_Leonov.pdf",
    ]
    assert list((tmp_path / "work" / "failed").glob("*_0603_Broken_Leonov.pdf.error.txt"))
    assert result.stdout.count("SMS to ") == 5
