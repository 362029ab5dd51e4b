"""Faults that must heal by themselves, one at a time, each timed: ``chaos.py --heal``.

For each fault a fresh work folder (the local shop, a redis-server of its own, FTP and SMS
sinks, SQLite) runs a real ``prepress up`` with the production timings (reconciler every 30 s,
backoff cap 60 s, ``hung_after`` 120 s). Half of the files are dropped, the fault is injected
once jobs are done, the other half is dropped while it lasts (or right after), and the time
from the end of the fault to the last job done is printed with lost / duplicated / stuck.

The faults: a step that hangs (its pool process frozen with SIGSTOP: alive, silent, no
progress; the time counts from the freeze), Redis frozen 30 s (SIGSTOP: connections stay
open), Redis killed and started without its data, SQLite locked 30 s (a long backup holding
an exclusive lock), the work folder's disk full 30 s (a 64 MB tmpfs; root only) and the
hotfolder share away 30 s (a bind mount, unmounted; root only).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Production timings: reconciler every 30 s, backoff cap 60 s, a step hung after 120 s.
HEAL_ENV = {
    "PREPRESS_RECONCILE_EVERY": "30",
    "PREPRESS_MAX_BACKOFF": "60",
    "PREPRESS_HUNG_AFTER": "120",
}
#: Seconds each fault with a duration lasts.
FAULT_SECONDS = 30.0
#: The shop's goal for every fault, seconds from its end to the last job done.
GOAL = 120.0
#: Steps the cpu worker's prefork pool runs.
CPU_STEPS = ("validate", "detect_press", "count_plates", "detect_outputter", "render_preview")


def _mount(*argv: str) -> bool:
    return os.geteuid() == 0 and subprocess.run(["mount", *argv]).returncode == 0


def frozen_step(shop: Any, drop: Callable[[], None]) -> float:
    """SIGSTOP the pool process of a running cpu step; the fault 'ends' as it starts."""
    drop()
    path = shop.url.removeprefix("sqlite:///")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sqlite3.connect(path, timeout=5) as db:
            rows = db.execute(
                "SELECT job_id, name, lease_owner FROM step WHERE state = 'running' "
                f"AND lease_owner != '' AND name IN ({','.join('?' * len(CPU_STEPS))})",
                CPU_STEPS,
            ).fetchall()
        for row in rows:
            pid = int(row[2].split(":")[1])
            os.kill(pid, signal.SIGSTOP)
            shop.frozen.append(pid)
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError("no running cpu step to freeze")


def redis_frozen(shop: Any, drop: Callable[[], None]) -> float:
    shop.redis.process.send_signal(signal.SIGSTOP)
    drop()
    time.sleep(FAULT_SECONDS)
    shop.redis.process.send_signal(signal.SIGCONT)
    return time.monotonic()


def redis_empty(shop: Any, drop: Callable[[], None]) -> float:
    shop.redis.stop(kill=True)
    shutil.rmtree(shop.redis.folder / "appendonlydir", ignore_errors=True)
    shop.redis.start()
    drop()
    return time.monotonic()


def sqlite_locked(shop: Any, drop: Callable[[], None]) -> float:
    """A long backup: an exclusive lock on the database for FAULT_SECONDS."""
    db = sqlite3.connect(shop.url.removeprefix("sqlite:///"), timeout=60, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    drop()
    time.sleep(FAULT_SECONDS)
    db.execute("ROLLBACK")
    db.close()
    return time.monotonic()


def disk_full(shop: Any, drop: Callable[[], None]) -> float:
    ballast = shop.folder / "work" / "ballast"
    block = b"\0" * (1 << 20)
    with open(ballast, "wb") as writer:
        try:
            while True:
                writer.write(block)
                writer.flush()
        except OSError:
            pass
    drop()
    time.sleep(FAULT_SECONDS)
    ballast.unlink()
    return time.monotonic()


def share_away(shop: Any, drop: Callable[[], None]) -> float:
    hotfolder = shop.folder / "work" / "hotfolder"
    subprocess.run(["umount", str(hotfolder)], check=True)
    drop()  # into the share's own folder: they are there when it comes back
    time.sleep(FAULT_SECONDS)
    subprocess.run(["mount", "--bind", str(shop.folder / "share"), str(hotfolder)], check=True)
    return time.monotonic()


#: (name, injector, needs: "" or "work-disk" or "share"); each injector drops the second half.
FAULTS: list[tuple[str, Callable[[Any, Callable[[], None]], float], str]] = [
    ("step hangs (pool process frozen)", frozen_step, ""),
    (f"Redis frozen {FAULT_SECONDS:.0f} s", redis_frozen, ""),
    ("Redis killed, data lost", redis_empty, ""),
    (f"SQLite locked {FAULT_SECONDS:.0f} s (backup)", sqlite_locked, ""),
    (f"work disk full {FAULT_SECONDS:.0f} s", disk_full, "work-disk"),
    (f"hotfolder share away {FAULT_SECONDS:.0f} s", share_away, "share"),
]


def prepare(folder: Path, needs: str) -> bool:
    """Mount what the fault needs under ``folder`` before the shop is made; False if not."""
    work = folder / "work"
    work.mkdir(parents=True)
    if needs == "work-disk":
        (folder / "share").mkdir()
        return _mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(work))
    if needs == "share":
        (folder / "share").mkdir()
        (work / "hotfolder").mkdir()
        return _mount("--bind", str(folder / "share"), str(work / "hotfolder"))
    return True


def release(folder: Path) -> None:
    for mounted in (folder / "work" / "hotfolder", folder / "work"):
        subprocess.run(["umount", "-l", str(mounted)], capture_output=True, check=False)
