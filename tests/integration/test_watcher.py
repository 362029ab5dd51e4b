"""The hotfolder watcher against a real folder: inotify and polling, real writers."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from testkit.polling import wait_until
from watcher import Hotfolder

#: Quiet period for tests that do not test the quiet period itself.
QUICK = 0.3
#: The project root, so a child process can import the watcher.
ROOT = Path(__file__).resolve().parents[2]
#: A child process that watches argv[1], moves stable files to argv[2], and says when it stops.
RUN_FOREVER = """
import sys
from pathlib import Path
from watcher import Hotfolder
folder, spool = Path(sys.argv[1]), Path(sys.argv[2])
Hotfolder(folder, lambda p: p.rename(spool / p.name), stable_seconds=0.3).run_forever()
print("stopped", flush=True)
"""


class Take:
    """An ``on_stable`` that records what it saw and moves the file out, like the real take."""

    def __init__(self, spool: Path, *, move: bool = True) -> None:
        self.spool = spool
        self.move = move
        self.seen: list[tuple[str, int, float]] = []  # (name, size, monotonic time)

    def __call__(self, path: Path) -> None:
        self.seen.append((path.name, path.stat().st_size, time.monotonic()))
        if self.move:
            path.rename(self.spool / path.name)

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.seen]


@pytest.fixture
def hotfolder(tmp_path: Path) -> Path:
    folder = tmp_path / "hotfolder"
    folder.mkdir()
    return folder


@pytest.fixture
def take(tmp_path: Path) -> Take:
    spool = tmp_path / "spool"
    spool.mkdir()
    return Take(spool)


@pytest.fixture
def watch(hotfolder: Path) -> Iterator[Callable[..., Hotfolder]]:
    """Start a Hotfolder on the test's folder; it is stopped when the test ends."""
    started: list[Hotfolder] = []

    def start(on_stable: Callable[[Path], None], **options: float | bool) -> Hotfolder:
        watcher = Hotfolder(hotfolder, on_stable, **options)  # type: ignore[arg-type]
        watcher.start()
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.stop()


def test_a_file_copied_slowly_is_taken_once_after_it_is_complete(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given a watcher that wants 2 s of quiet
    watch(take, stable_seconds=2.0)
    chunk = b"%PDF-1.7\n" + b"x" * 4096

    # When a client writes a file in 6 chunks over 5 s, closing and reopening it like SMB does
    target = hotfolder / "Job 12.pdf"
    for index in range(6):
        if index:
            time.sleep(1.0)
        with target.open("ab") as file:
            file.write(chunk)
    finished = time.monotonic()

    # Then it is taken exactly once, complete, and not before 2 s of quiet
    assert wait_until(lambda: take.seen, timeout=5.0)
    time.sleep(0.5)
    assert [(name, size) for name, size, _ in take.seen] == [("Job 12.pdf", 6 * len(chunk))]
    assert take.seen[0][2] - finished >= 2.0 - 0.05


def test_files_already_in_the_folder_are_taken_at_start(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given three files dropped while no watcher ran
    names = {"a.pdf", "b.pdf", "c.pdf"}
    for name in names:
        (hotfolder / name).write_bytes(b"%PDF-1.7\n")

    # When the watcher starts
    watch(take, stable_seconds=QUICK)

    # Then each of them is taken once
    assert wait_until(lambda: len(take.seen) == 3, timeout=5.0)
    assert sorted(take.names) == sorted(names)


def test_hidden_temporary_files_folders_and_symlinks_are_never_taken(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given litter of every kind, some before and some after start, and one real job
    ignored = [".hidden.pdf", ".DS_Store", "~$lock.docx", "x.pdf.tmp", "y.PDF.part", "Thumbs.db"]
    for name in ignored[:3]:
        (hotfolder / name).write_bytes(b"litter")
    watch(take, stable_seconds=QUICK, rescan_seconds=0.2)
    for name in ignored[3:]:
        (hotfolder / name).write_bytes(b"litter")
    (hotfolder / "sub.pdf").mkdir()
    (hotfolder / "sub.pdf" / "inner.pdf").write_bytes(b"%PDF-1.7\n")
    (hotfolder / "link.pdf").symlink_to(hotfolder / "sub.pdf" / "inner.pdf")
    (hotfolder / "job.pdf").write_bytes(b"%PDF-1.7\n")

    # When the watcher has had time for several rescans
    assert wait_until(lambda: take.seen, timeout=5.0)
    time.sleep(1.0)

    # Then only the real job reached the callback, and the litter is untouched
    assert take.names == ["job.pdf"]
    assert all((hotfolder / name).exists() for name in ignored)


def test_a_file_renamed_from_part_to_its_final_name_is_taken(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given a watcher, and an upload written under a temporary name
    watch(take, stable_seconds=QUICK)
    partial = hotfolder / "Job 7.pdf.part"
    partial.write_bytes(b"%PDF-1.7\n" * 100)

    # When the uploader renames it when done
    partial.rename(hotfolder / "Job 7.pdf")

    # Then the final name is taken, whole
    assert wait_until(lambda: take.seen, timeout=5.0)
    assert [(name, size) for name, size, _ in take.seen] == [("Job 7.pdf", 900)]


def test_polling_mode_takes_new_files(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given a polling watcher (as on a network mount) whose rescans are far apart
    watch(take, stable_seconds=QUICK, polling=True, poll_interval=0.2, rescan_seconds=60.0)
    time.sleep(0.3)

    # When a file arrives after start
    (hotfolder / "polled.pdf").write_bytes(b"%PDF-1.7\n")

    # Then the poller finds it, long before any rescan would
    assert wait_until(lambda: take.seen, timeout=5.0)
    assert take.names == ["polled.pdf"]


def test_the_rescan_finds_files_whose_events_were_lost(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given a watcher whose observer reports nothing in time (a poll once a minute)
    watch(take, stable_seconds=QUICK, polling=True, poll_interval=60.0, rescan_seconds=0.5)
    time.sleep(0.2)

    # When a file arrives
    (hotfolder / "missed.pdf").write_bytes(b"%PDF-1.7\n")

    # Then the safety-net rescan takes it all the same
    assert wait_until(lambda: take.seen, timeout=5.0)
    assert take.names == ["missed.pdf"]


def test_a_failing_take_is_logged_retried_and_the_watcher_goes_on(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a take that fails the first time (say the database is locked)
    failures: list[str] = []

    def flaky_take(path: Path) -> None:
        if not failures:
            failures.append(path.name)
            raise OSError("database is locked")
        take(path)

    caplog.set_level(logging.INFO, logger="watcher")
    watch(flaky_take, stable_seconds=QUICK)

    # When a file arrives, and later another one
    (hotfolder / "first.pdf").write_bytes(b"%PDF-1.7\n")
    assert wait_until(lambda: take.seen, timeout=5.0)
    (hotfolder / "second.pdf").write_bytes(b"%PDF-1.7\n")

    # Then the first is retried and taken, the second too, and the failure names the file
    assert wait_until(lambda: len(take.seen) == 2, timeout=5.0)
    assert failures == ["first.pdf"]
    assert take.names == ["first.pdf", "second.pdf"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "'first.pdf'" in errors[0].getMessage()
    assert "database is locked" in caplog.text


def test_a_file_left_in_place_is_handed_over_once_per_version(
    hotfolder: Path, tmp_path: Path, watch: Callable[..., Hotfolder]
) -> None:
    # Given a take that leaves the file where it is (for instance a dry run)
    keep = Take(tmp_path, move=False)
    watch(keep, stable_seconds=QUICK, rescan_seconds=0.2)
    job = hotfolder / "stays.pdf"
    job.write_bytes(b"%PDF-1.7\n")

    # When the watcher sees it through several rescans
    assert wait_until(lambda: keep.seen, timeout=5.0)
    time.sleep(1.2)

    # Then it was handed over once; a new version is handed over again
    assert keep.names == ["stays.pdf"]
    with job.open("ab") as file:
        file.write(b"%%EOF\n")
    assert wait_until(lambda: len(keep.seen) == 2, timeout=5.0)
    assert keep.seen[1][1] == len(b"%PDF-1.7\n%%EOF\n")


HOSTILE_NAMES = [
    "Заказ №5 (копия).pdf",
    "a$(touch pwned);b&'c`touch pwned2`.pdf",
    "line\nbreak.pdf",
    "tab\there; rm -rf ~.pdf",
    " leading and trailing .pdf ",
    "-rf.pdf",
    "[a]*?.pdf",
    'back\\slash "quoted".pdf',
    os.fsdecode(b"latin1 caf\xe9.pdf"),  # not UTF-8: arrives as surrogate escapes
]


def test_hostile_file_names_are_handled_as_data(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder]
) -> None:
    # Given a watcher
    watch(take, stable_seconds=QUICK)

    # When files with hostile names arrive
    for name in HOSTILE_NAMES:
        (hotfolder / name).write_bytes(name.encode("utf-8", "surrogateescape"))

    # Then each is taken once with its exact name and content, and nothing was executed
    assert wait_until(lambda: len(take.seen) == len(HOSTILE_NAMES), timeout=5.0)
    assert sorted(take.names) == sorted(HOSTILE_NAMES)
    for name in HOSTILE_NAMES:
        assert (take.spool / name).read_bytes() == name.encode("utf-8", "surrogateescape")
    assert os.listdir(hotfolder) == []
    assert not any(p.name.startswith("pwned") for p in hotfolder.parent.rglob("*"))


def test_a_missing_hotfolder_is_a_config_error(tmp_path: Path, take: Take) -> None:
    # Given a watcher pointed at a folder that does not exist
    watcher = Hotfolder(tmp_path / "nowhere", take)

    # When it starts, Then the error names the folder and the fix
    with pytest.raises(ConfigError, match="nowhere.*create it"):
        watcher.start()


def test_stop_joins_every_thread(hotfolder: Path, take: Take) -> None:
    # Given a running watcher
    before = set(threading.enumerate())
    watcher = Hotfolder(hotfolder, take, stable_seconds=QUICK)
    watcher.start()

    # When it is stopped
    watcher.stop()

    # Then no thread it started is left behind
    assert wait_until(lambda: set(threading.enumerate()) <= before, timeout=2.0)


def test_the_watcher_survives_its_folder_going_away_and_coming_back(
    hotfolder: Path, take: Take, watch: Callable[..., Hotfolder], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a running watcher whose folder disappears (a network share going away)
    watch(take, stable_seconds=QUICK, rescan_seconds=0.2)
    time.sleep(0.2)
    hotfolder.rmdir()
    time.sleep(0.7)

    # When the folder comes back and a file is dropped
    hotfolder.mkdir()
    (hotfolder / "after.pdf").write_bytes(b"%PDF-1.7\n")

    # Then the rescans find it, and the outage and the return were each said once
    assert wait_until(lambda: take.seen, timeout=5.0)
    assert take.names == ["after.pdf"]
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if " is away (" in m]) == 1, messages
    assert len([m for m in messages if " is back; taking" in m]) == 1, messages


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_forever_works_until_a_signal_then_stops_cleanly(
    hotfolder: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    # Given `run_forever` in its own process
    spool = tmp_path / "spool"
    spool.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", RUN_FOREVER, str(hotfolder), str(spool)]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as child:
        # When a file is dropped, and then the process is told to stop
        (hotfolder / "job.pdf").write_bytes(b"%PDF-1.7\n")
        taken = wait_until(lambda: (spool / "job.pdf").exists(), timeout=10.0)
        child.send_signal(signum)
        output, _ = child.communicate(timeout=10.0)

    # Then the file was taken, and the process stopped on its own, cleanly
    assert taken
    assert child.returncode == 0
    assert output == "stopped\n"
