"""One supervisor, one watcher and one beat per work folder.

``prepress up``, ``watch`` and ``beat`` each take an exclusive ``fcntl.flock`` on a lock file
in the work folder's var/ (``up.lock``, ``watch.lock``, ``beat.lock``) and keep it while they
run. The kernel releases the lock when the process ends, however it ends (a crash, SIGKILL),
so a stale lock file never blocks a restart. The file holds the holder's pid, host, command
and start time, which is what a second process that finds it taken says.

``up`` takes ``up.lock`` and checks that no ``watch`` or ``beat`` of the folder runs outside
it; its own watcher and beat take their locks as any other.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO

#: Roles that must run at most once per work folder.
ROLES = ("up", "watch", "beat")


class FolderBusy(Exception):
    """Another process already plays this role for the work folder; the message names it."""


class FolderLock:
    """An exclusive lock on ``var/<role>.lock``; held until :meth:`release` or process exit."""

    def __init__(self, var: Path, role: str) -> None:
        self.path = var / f"{role}.lock"
        self.role = role
        self._handle: IO[str] | None = None

    def acquire(self) -> FolderLock:
        """Take the lock or raise FolderBusy saying who holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # held while running
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "an unknown process"
            handle.close()
            raise FolderBusy(
                f"another `prepress {self.role}` already runs on this work folder: {holder} "
                f"(lock {self.path}). Stop it first, or use another work folder."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(_holder())
        handle.flush()
        os.set_inheritable(handle.fileno(), False)
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _holder() -> str:
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    return f"pid {os.getpid()} on {socket.gethostname()} since {started} ({command})"


def hold(var: Path, role: str) -> FolderLock:
    """Take ``role``'s lock for the rest of this process (kept referenced until exit)."""
    lock = FolderLock(var, role).acquire()
    _held.append(lock)
    return lock


#: Locks this process holds until it exits.
_held: list[FolderLock] = []
