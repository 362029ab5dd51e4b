"""The hotfolder on the Samba share, on another disk than the work folder: taken once, moved
whole, a failed take leaves nothing behind. Needs a second file system: /dev/shm when it is one,
else a tmpfs mounted here (root); without either the tests skip (and fail under CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from models import store
from models.db import migrate
from pipeline import files
from pipeline.config import Config, config_from_dict
from tests.fixtures import BASE_CONFIG
from tests.services import require
from watcher import intake


@pytest.fixture
def other_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than tmp_path."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shm.stat().st_dev != tmp_path.stat().st_dev:
        folder = shm / f"prepress-test-{os.getpid()}-{tmp_path.name}"
        folder.mkdir()
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
        return
    mount = tmp_path / "share"
    mount.mkdir()
    mounted = os.geteuid() == 0 and (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)]).returncode
        == 0
    )
    require(mounted, "needs /dev/shm on another file system, or root to mount a tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def shop(tmp_path: Path, other_disk: Path) -> Config:
    """The work folder under tmp_path; hotfolder, done/ and failed/ on the other disk."""
    paths = {
        "work_dir": str(tmp_path / "work"),
        "hotfolder": str(other_disk / "in"),
        "done": str(other_disk / "done"),
        "failed": str(other_disk / "failed"),
    }
    config = config_from_dict(dict(BASE_CONFIG, paths=paths), source=tmp_path / "prepress.toml")
    config.paths.create()
    assert config.paths.hotfolder.stat().st_dev != config.paths.spool.stat().st_dev
    return config


def dropped(config: Config, name: str = "0537 Флаер $(x)_Leonov.pdf", size: int = 300_000) -> Path:
    path = config.paths.hotfolder / name
    path.write_bytes(os.urandom(size))
    return path


def test_a_file_on_another_disk_is_taken_whole(shop: Config) -> None:
    # Given a file on the share
    path = dropped(shop)
    content = path.read_bytes()
    # When it is taken into spool/
    spooled = files.take_into_spool(path, shop.paths.spool, 1)
    # Then it is in spool/ whole, gone from the share, with nothing left over on either side
    assert spooled is not None and spooled.read_bytes() == content
    assert list(shop.paths.hotfolder.iterdir()) == []
    assert [p.name for p in spooled.parent.iterdir()] == [path.name]


def test_two_takers_never_take_one_file_twice(shop: Config) -> None:
    for attempt in range(10):
        # Given one file and two takers starting at the same moment
        path = dropped(shop, f"{attempt}.pdf", 50_000)
        start = threading.Barrier(2)
        taken: dict[int, Path | None] = {}

        def take(
            job_id: int,
            path: Path = path,
            start: threading.Barrier = start,
            taken: dict[int, Path | None] = taken,
        ) -> None:
            start.wait()
            taken[job_id] = files.take_into_spool(path, shop.paths.spool, job_id)

        threads = [
            threading.Thread(target=take, args=(job_id,))
            for job_id in (2 * attempt, 2 * attempt + 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Then exactly one has it, and spool/ holds one copy
        assert sorted(value is None for value in taken.values()) == [False, True]
        assert len(list(shop.paths.spool.rglob(f"{attempt}.pdf"))) == 1


def test_a_failed_take_leaves_no_job_row_and_the_file_in_place(
    shop: Config, tmp_path: Path
) -> None:
    # Given a migrated database and a spool/ that cannot hold folders (a file in its place)
    migrate(shop.database_url)
    path = dropped(shop)
    shutil.rmtree(shop.paths.spool)
    shop.paths.spool.write_text("not a folder")
    # When the watcher takes the file
    with pytest.raises(OSError):
        intake.submit(path, shop)
    # Then no job row is left and the file is still on the share under its name
    assert store.list_jobs(shop.database_url) == []
    assert [p.name for p in shop.paths.hotfolder.iterdir()] == [path.name]


def test_done_and_failed_on_another_disk_get_whole_files(shop: Config) -> None:
    # Given two spooled files
    spool = shop.paths.spool
    (spool / "1").mkdir()
    (spool / "2").mkdir()
    good, bad = spool / "1" / "good.pdf", spool / "2" / "bad.pdf"
    good.write_bytes(b"%PDF-1.4 good" * 1000)
    bad.write_bytes(b"bad")
    from datetime import UTC, datetime

    # When one is archived and the other moved to failed/, across the disks
    archived = files.archive_done(good, shop.paths.done, 1, datetime.now(UTC))
    failed = files.move_failed(bad, shop.paths.failed, 2, "not_pdf: not a PDF")
    # Then each is whole where it went, gone from spool/, with no temporary file beside it
    assert archived.read_bytes() == b"%PDF-1.4 good" * 1000 and not good.exists()
    assert failed.read_bytes() == b"bad" and not bad.exists()
    assert sorted(p.name for p in archived.parent.iterdir()) == ["1_good.pdf"]
    assert sorted(p.name for p in shop.paths.failed.iterdir()) == [
        "2_bad.pdf",
        "2_bad.pdf.error.txt",
    ]


def test_an_interrupted_claim_is_given_back(shop: Config) -> None:
    # Given a file a take had claimed before it was killed
    claimed = shop.paths.hotfolder / f"{files.CLAIM_PREFIX}7-order_Leonov.pdf"
    claimed.write_bytes(b"%PDF-1.4")
    # When the watcher starts
    released = intake.release_claims(shop)
    # Then the file is back under its own name
    assert released == [shop.paths.hotfolder / "order_Leonov.pdf"]
    assert [p.name for p in shop.paths.hotfolder.iterdir()] == ["order_Leonov.pdf"]


def test_paths_may_name_the_hotfolder_done_and_failed(tmp_path: Path) -> None:
    # Given [paths] with a relative hotfolder and absolute done/
    raw = dict(BASE_CONFIG, paths={"hotfolder": "share/in", "done": "/srv/archive"})
    config = config_from_dict(raw, source=tmp_path / "prepress.toml")
    # Then they are used; relative to the configuration's folder; failed/ stays in work/
    assert config.paths.hotfolder == tmp_path / "share" / "in"
    assert config.paths.done == Path("/srv/archive")
    assert config.paths.failed == tmp_path / "work" / "failed"


def test_share_unmounted_and_mounted_again_is_said_once_and_its_files_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import time

    from testkit.polling import wait_until
    from watcher.hotfolder import Hotfolder

    # Given a watcher on a share mounted at its hotfolder (a tmpfs standing in for SMB/NFS)
    share = tmp_path / "share"
    share.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(share)]
    require(os.geteuid() == 0 and subprocess.run(mount).returncode == 0, "root to mount a tmpfs")
    taken: list[str] = []
    caplog.set_level(logging.INFO, logger="watcher.hotfolder")
    watcher = Hotfolder(share, lambda p: taken.append(p.name) or p.unlink(), stable_seconds=0.2,
                        rescan_seconds=0.3)  # fmt: skip
    watcher.start()
    try:
        (share / "before.pdf").write_bytes(b"%PDF-1.7\n")
        assert wait_until(lambda: taken == ["before.pdf"], 10)

        # When the share goes away for a while (its mount point stays, empty), a file is left
        # in the bare folder meanwhile, and the share comes back with a file on it
        subprocess.run(["umount", str(share)], check=True)
        (share / "stray.pdf").write_bytes(b"%PDF-1.7\n")
        time.sleep(2)
        (share / "stray.pdf").unlink()
        subprocess.run(mount, check=True)
        (share / "after.pdf").write_bytes(b"%PDF-1.7\n")

        # Then the watcher kept running, took nothing from the bare folder, and took the file
        # that was on the share when it came back; the outage and the return were said once
        assert wait_until(lambda: "after.pdf" in taken, 10), taken
        assert taken == ["before.pdf", "after.pdf"]
        messages = [r.getMessage() for r in caplog.records]
        assert len([m for m in messages if "is away (" in m]) == 1, messages
        assert len([m for m in messages if "is back; taking" in m]) == 1, messages
    finally:
        watcher.stop()
        subprocess.run(["umount", "-l", str(share)], check=False)
