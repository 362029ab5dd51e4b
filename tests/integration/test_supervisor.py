"""`prepress up`'s supervisor: a part that fails at start is named once per try and backed off.

Real child processes; the dashboard test runs the real `prepress web` on a port another
socket holds.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands.supervisor import Child, Supervisor
from testkit.shop import write_config
from tests.fixtures import BASE_CONFIG
from tests.pipeline_harness import ROOT


def test_child_failing_at_start_is_backed_off_and_named_once_per_try(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a supervisor with a part that runs and a part that exits at once, every time
    broken = Child("web", [sys.executable, "-c", "import sys; sys.exit(3)"])
    steady = Child("worker-io", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor(tmp_path / "prepress.toml", [broken, steady])
    caplog.set_level(logging.INFO, logger="commands.supervisor")

    # When it watches them for 20 s
    supervisor.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            supervisor.watch_children()
            time.sleep(0.2)
        # Then the broken part is said not to be running, the steady one runs
        assert supervisor.not_running() in (["web"], [])
        assert steady.running
    finally:
        supervisor.stop()

    # And it was started again after growing pauses (3 s, 6 s, 12 s), not every 3 s
    starts = [r for r in caplog.records if r.getMessage().startswith("started web")]
    failures = [r.getMessage() for r in caplog.records if "web failed at start" in r.getMessage()]
    assert 2 <= len(starts) <= 3, [r.getMessage() for r in caplog.records]
    assert len(starts) - 1 <= len(failures) <= len(starts)
    assert "(status 3): it is not running; starting it again in 3 s" in failures[0]
    assert "starting it again in 6 s" in failures[1]


def test_dashboard_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    # Given a configuration and a port another program listens on
    config = write_config(
        tmp_path / "prepress.toml", dict(BASE_CONFIG, paths={"work_dir": str(tmp_path / "w")})
    )
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        # When the dashboard is started on it
        result = subprocess.run(
            [sys.executable, "-m", "commands", "--config", str(config), "web"]
            + ["--insecure-local", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    # Then it exits 1 with one clear line naming the address and the fix, no traceback
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr
