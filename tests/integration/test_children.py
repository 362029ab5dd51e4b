"""The children of a budgeted step: held to the wall time, dead with their parent, and given
none of its secrets. Real processes: the ``prepress preflight`` command, its budget child and
Ghostscript, found through /proc."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.budget import run_within_budget
from pipeline.config import Limits
from pipeline.config.shared import toml_text
from tests import hostile
from tests.fixtures import SMALL_SHOP
from tests.preflight_sheets import SheetWriter
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]


#: The shop of these tests, with the budget the test gives in ``[limits]``; the checks' own
#: cooperative budget is set far above it, so only the wall time can stop a slow file.
def config_toml(wall: float) -> str:
    """The small shop with a preflight budget and a wall-clock limit of ``wall`` seconds."""
    limits = {"wall_seconds": wall, "cpu_seconds": 400}
    return toml_text({**SMALL_SHOP, "preflight": {"budget_seconds": 3000}, "limits": limits})


#: Seconds a child may take to be gone once its parent is killed.
GONE_WITHIN = 5.0


def slow_sheet(path: Path, pages: int = 3, paths: int = 2_000_000) -> Path:
    """``pages`` sheets of ``paths`` tiny stroked paths each (55 KB a page, flate): seconds of
    preflight per page (about 7 s here), so the whole file takes far longer than the budget."""
    writer = SheetWriter()
    content = "0 0 0 1 K\n" + "0 0 m 1 1 l S\n" * paths
    for _ in range(pages):
        writer.page(content)
    return writer.write(path)


def gs_slow_sheet(path: Path) -> Path:
    """One sheet of 1,500,000 wide strokes across the plate (160 KB): Ghostscript works on it
    for minutes and writes its first byte after about half a minute, so an orphan would not
    soon die of writing to a pipe nobody reads."""
    return hostile.many_paths_pdf(path, paths=1_500_000)


def write_config(tmp_path: Path, wall: float) -> Path:
    config = tmp_path / "prepress.toml"
    config.write_text(config_toml(wall), encoding="utf-8")
    return config


def start_cli(config: Path, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "commands", "--config", str(config), *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- /proc ---------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """State and parent pid of ``pid``; None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper is dead)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def argv(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def children(pid: int) -> list[int]:
    """The living processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def budget_child_of(pid: int) -> int | None:
    for child in children(pid):
        if any(b"_child_main" in arg for arg in argv(child)):
            return child
    return None


def ghostscript_of(pid: int) -> int | None:
    for child in children(pid):
        words = argv(child)
        if words and Path(os.fsdecode(words[0])).name == "gs":
            return child
    return None


def wait_for(find: Callable[[], int | None], seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = find()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no such process within {seconds} s")


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def end(pids: list[int]) -> None:
    """Kill what a failed test left running: only the processes it started."""
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --- the wall time -------------------------------------------------------------------------


def test_the_preflight_command_stops_a_slow_file_at_the_wall_budget(tmp_path: Path) -> None:
    # Given a file whose checks take about 20 s, and a 2 s wall budget in [limits]
    pdf = slow_sheet(tmp_path / "0540_Slow_Leonov.pdf")
    config = write_config(tmp_path, wall=2)
    # When `prepress preflight` checks it
    started = time.monotonic()
    cli = start_cli(config, "preflight", "--json", pdf)
    try:
        stdout, stderr = cli.communicate(timeout=60)
    finally:
        end([cli.pid])
    elapsed = time.monotonic() - started
    # Then it answers within the budget and the start-up of two interpreters, with the
    # finding that says the sheet is unchecked and why; a warning, so exit status 0
    assert elapsed < 2 + 6, (elapsed, stderr)
    document = json.loads(stdout)
    assert [f["code"] for f in document["findings"]] == ["preflight_timeout"], stderr
    assert "limits.wall_seconds = 2 s" in document["findings"][0]["message"]
    assert cli.returncode == 0 and document["ok"] is True


# --- a child dies with its parent ----------------------------------------------------------


def test_a_killed_preflight_command_leaves_no_budget_child(tmp_path: Path) -> None:
    # Given `prepress preflight` checking a slow file in its budget child (a 300 s budget)
    pdf = slow_sheet(tmp_path / "0541_Slow_Leonov.pdf")
    cli = start_cli(write_config(tmp_path, wall=300), "preflight", pdf)
    left: list[int] = [cli.pid]
    try:
        child = wait_for(lambda: budget_child_of(cli.pid), 30)
        left.append(child)
        time.sleep(0.5)  # the child is past its start, in the checks
        assert alive(child)
        # When the command is killed from outside
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(timeout=10)
        # Then its child is gone within seconds, not at the end of its budget
        assert gone_within([child], GONE_WITHIN)
    finally:
        end(left)
        cli.communicate()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_ink_pass_leaves_no_ghostscript(tmp_path: Path, signum: int) -> None:
    require(shutil.which("gs") is not None, "Ghostscript (gs) is not installed")
    # Given `prepress preflight --ink` on a file Ghostscript works on for minutes, and its
    # Ghostscript running under the budget child
    pdf = gs_slow_sheet(tmp_path / "0542_Wide_Leonov.pdf")
    cli = start_cli(write_config(tmp_path, wall=300), "preflight", "--ink", pdf)
    left: list[int] = [cli.pid]
    try:
        child = wait_for(lambda: budget_child_of(cli.pid), 30)
        left.append(child)
        gs = wait_for(lambda: ghostscript_of(child), 30)
        left.append(gs)
        time.sleep(0.5)
        assert alive(gs)
        # When the command is killed from outside
        os.kill(cli.pid, signum)
        cli.wait(timeout=10)
        # Then the budget child and its Ghostscript are gone within seconds
        assert gone_within([child, gs], GONE_WITHIN)
    finally:
        end(left)
        cli.communicate()


def test_ghostscript_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    require(shutil.which("gs") is not None, "Ghostscript (gs) is not installed")
    # Given a process measuring ink itself (no budget child between it and Ghostscript)
    pdf = gs_slow_sheet(tmp_path / "0543_Wide_Leonov.pdf")
    code = "import sys; from pipeline.preview.inkcov import read_ink; read_ink(sys.argv[1])"
    parent = subprocess.Popen([sys.executable, "-c", code, str(pdf)], cwd=ROOT)
    left: list[int] = [parent.pid]
    try:
        gs = wait_for(lambda: ghostscript_of(parent.pid), 30)
        left.append(gs)
        time.sleep(0.5)
        assert alive(gs)
        # When that process is killed
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        # Then its Ghostscript is gone within seconds
        assert gone_within([gs], GONE_WITHIN)
    finally:
        end(left)
        parent.wait()


# --- the child's environment ---------------------------------------------------------------


def environment() -> dict[str, str]:
    return dict(os.environ)


def test_the_budget_child_gets_none_of_the_callers_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a worker whose environment holds passwords and tokens
    secrets = {
        "PREPRESS_FTP_PASSWORD": "s3cret",
        "PREPRESS_WEB_SECRET_KEY": "cookie-key-s3cret",
        "PREPRESS_TELEGRAM_TOKEN": "12345:tg-s3cret",
        "TELEGRAM_BOT_TOKEN": "67890:bot-s3cret",
        "LEONOV_FTP_PASSWORD": "ftp-s3cret",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LC_TIME", "C")
    # When a budgeted step reads its own environment
    seen = run_within_budget(environment, limits=Limits())
    # Then no secret is there, by name or by value
    assert not set(secrets) & set(seen)
    assert not any("s3cret" in value for value in seen.values())
    # and what it needs to run is: programs on the PATH, the language, the project's modules
    assert seen["PATH"] == os.environ["PATH"]
    assert seen["LC_TIME"] == "C"
    assert str(ROOT) in seen["PYTHONPATH"].split(os.pathsep)
