"""The README's demo command runs the real pipeline and ends as it says."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from commands.demo import SERVING, SINKS_GONE
from testkit.samples import signa_sheet, write_signa_pdf


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
    # and the kept prepress.toml says that its local servers are gone
    assert (tmp_path / "prepress.toml").read_text(encoding="utf-8").startswith(SINKS_GONE)


@pytest.mark.timeout(600)
def test_demo_serve_keeps_its_servers_for_prepress_up(tmp_path: Path) -> None:
    # Given the demo run with --serve, its samples done
    base = tmp_path / "demo"
    demo = _start([*_commands(), "demo", "--dir", str(base), "--broker", "embedded", "--serve"])
    said = _lines(demo)
    up = None
    try:
        _wait(lambda: any(SERVING in line for line in said), 380, lambda: "".join(said))
        sms_before = sum("SMS to" in line for line in said)
        toml = base / "prepress.toml"
        assert not toml.read_text(encoding="utf-8").startswith("#")  # its servers still run
        # When `prepress up` runs on the kept folder and a file is dropped into its hotfolder
        with (tmp_path / "up.log").open("wb") as log:
            up = _start([*_commands(), "--config", str(toml), "up", "--no-web"], stdout=log)
        # (a new file: the demo's own samples are done, the same bytes again would be held
        # as a duplicate drop)
        tryout = write_signa_pdf(tmp_path / "0701_Tryout_Leonov.pdf", [signa_sheet()])
        shutil.move(tryout, base / "work" / "hotfolder" / tryout.name)
        # Then the plate lands on the demo's bureau FTP and its SMS on the demo's SMS server
        _wait(
            lambda: list((base / "ftp-ctp").rglob("0701_Tryout*.pdf")),
            180,
            lambda: (tmp_path / "up.log").read_text(errors="replace")[-3000:],
        )
        _wait(lambda: sum("SMS to" in line for line in said) > sms_before, 60, str)
    finally:
        if up is not None:
            os.killpg(up.pid, signal.SIGINT)
            up.wait(timeout=60)
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=60)
    # and Ctrl-C stops the servers, and the kept prepress.toml then says so
    assert demo.returncode == 0, "".join(said)[-3000:]
    assert (base / "prepress.toml").read_text(encoding="utf-8").startswith(SINKS_GONE)


def _commands() -> list[str]:
    return [sys.executable, "-m", "commands"]


def _start(argv: list[str], stdout=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        argv, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True, text=True
    )


def _lines(process: subprocess.Popen) -> list[str]:
    """Lines of ``process``'s output, collected as they come."""
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        with process.stdout:  # closed at the end of the output
            for line in process.stdout:
                lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait(condition, seconds: float, explain) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, explain()
        time.sleep(0.5)
