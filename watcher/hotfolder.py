"""The hotfolder: notice files dropped on the share and hand each one over once it is complete.

This module only *detects*. Taking a file (job row, atomic rename into ``spool/``, enqueue) is
the caller's ``on_stable`` callback. Two threads work together:

- a watchdog observer (inotify, or polling for network mounts) turns file system events into
  *candidates*; an event never means "finished": SMB clients close and reopen a file many times
  while copying it;
- a scanner thread owns all state. Every tick it stats the candidates and hands a file over only
  when its size and mtime have not changed for ``stable_seconds``. It also rescans the whole
  folder every ``rescan_seconds``, so files present at start and files whose events were lost
  (queue overflow, a remount, a network share) are found all the same.

Only regular files directly inside the folder count: subfolders, symlinks and what
:func:`is_ignored` names are left alone. File names are data, never parsed or quoted; logs show
them with ``repr`` so a newline in a name cannot forge a log line.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from pipeline.backoff import compute_backoff
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

#: Seconds a file's size and mtime must stay still before it is handed over.
DEFAULT_STABLE_SECONDS = 2.0
#: Seconds between two polls of the folder when the polling observer is used.
DEFAULT_POLL_INTERVAL = 1.0
#: Seconds between two full rescans of the folder, the safety net for lost events.
RESCAN_SECONDS = 5.0
#: Longest pause before retrying a file whose ``on_stable`` raised (backoff doubles up to it).
MAX_RETRY_SECONDS = 60.0
#: Longest pause between two stability checks while candidates are waiting.
MAX_TICK_SECONDS = 0.25

#: Exact names (compared case-insensitively) that operating systems leave on shares.
IGNORED_NAMES = frozenset({"thumbs.db", ".ds_store", "desktop.ini"})
#: Name prefixes of hidden files (``.~lock.X#`` too) and of Office and LibreOffice lock files.
IGNORED_PREFIXES = (".", "~$", "~lock.")
#: Name suffixes (compared case-insensitively) of files still being written or downloaded.
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload")

#: Events that may mean a file appeared, changed or left; opens and reads are not among them.
_RELEVANT_EVENTS = (
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
)


def is_ignored(name: str) -> bool:
    """True for names the watcher must never hand over: hidden, temporary and OS litter.

    ``.*`` (hidden, ``.DS_Store``, LibreOffice's ``.~lock.X#``), ``~$*`` and ``~lock.*``
    (Office and LibreOffice lock files), ``*.tmp``, ``*.part`` and ``*.crdownload`` (uploads
    and browser downloads in progress), ``Thumbs.db`` and ``desktop.ini`` (Windows). Folders are not
    judged here: the watcher only ever looks at regular files.
    """
    folded = name.casefold()
    return (
        not name
        or folded in IGNORED_NAMES
        or name.startswith(IGNORED_PREFIXES)
        or folded.endswith(IGNORED_SUFFIXES)
    )


@dataclass
class _Candidate:
    """A file that may be complete; owned by the scanner thread."""

    signature: tuple[int, int] | None  # (size, mtime_ns) when last seen
    still_since: float  # monotonic time since which nothing changed
    not_before: float = 0.0  # monotonic time before which a failed hand-over is not retried
    failures: int = 0


class _EventFeed(FileSystemEventHandler):
    """Observer side: pass the names of relevant events to the scanner, nothing else."""

    def __init__(self, hotfolder: Hotfolder) -> None:
        self._hotfolder = hotfolder

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.is_directory or not isinstance(event, _RELEVANT_EVENTS):
            return
        self._hotfolder.notice(os.fsdecode(event.src_path))
        if event.dest_path:
            self._hotfolder.notice(os.fsdecode(event.dest_path))


class Hotfolder:
    """Watch ``folder`` and call ``on_stable(path)`` once for each complete file.

    ``on_stable`` runs on the scanner thread, one file at a time, and normally moves the file
    away. It is called at most once per (path, size, mtime) while the file stays; if it raises,
    the error is logged with the file name and the file is tried again later, with backoff.
    """

    def __init__(
        self,
        folder: Path,
        on_stable: Callable[[Path], None],
        *,
        stable_seconds: float = DEFAULT_STABLE_SECONDS,
        polling: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        rescan_seconds: float = RESCAN_SECONDS,
        pause: Callable[[], str | None] | None = None,
    ) -> None:
        self.folder = Path(folder).absolute()
        self.pause = pause
        self.on_stable = on_stable
        self.stable_seconds = stable_seconds
        self.polling = polling
        self.poll_interval = poll_interval
        self.rescan_seconds = rescan_seconds
        self._tick = max(0.05, min(MAX_TICK_SECONDS, stable_seconds / 4))
        self._events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._candidates: dict[str, _Candidate] = {}
        self._handed_over: dict[str, tuple[int, int]] = {}
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._observer: BaseObserver | None = None
        self._scanner: threading.Thread | None = None
        #: Why the folder cannot be read now (a share that is away), said once; None when fine.
        self._away: str | None = None
        #: Why no file may be taken now (``pause``: the work folder's disk is full), said once.
        self._paused: str | None = None
        #: The mount point the folder lived on at start, when it is not the root file system.
        self._mount: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the observer and the scanner; files already in the folder are taken too."""
        if self._scanner is not None:
            raise RuntimeError(f"hotfolder {self.folder} is already started")
        if not self.folder.is_dir():
            raise ConfigError(
                f"hotfolder {self.folder} does not exist or is not a folder; "
                "create it or fix paths in the configuration"
            )
        self._mount = _mount_point(self.folder)
        self._observer = self._start_observer()
        self._scanner = threading.Thread(
            target=self._scan_forever, name="hotfolder-scanner", daemon=True
        )
        self._scanner.start()
        mode = f"polling every {self.poll_interval:g} s" if self.polling else "inotify"
        log.info(
            "watching hotfolder %s (%s, stable after %g s)", self.folder, mode, self.stable_seconds
        )

    def stop(self) -> None:
        """Stop both threads and wait for them; a hand-over in progress is finished first."""
        self._stopped.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None
        if self._scanner is not None:
            self._scanner.join()

    def run_forever(self) -> None:
        """Start, block until Ctrl-C, SIGTERM or :meth:`stop`, then stop cleanly."""
        self.start()
        restore_sigterm = _route_sigterm(self._stopped.set)
        try:
            while not self._stopped.wait(1.0):
                pass
        except KeyboardInterrupt:
            log.info("interrupted, stopping the hotfolder watcher")
        finally:
            restore_sigterm()
            self.stop()

    def notice(self, path: str) -> None:
        """Mark ``path`` as a candidate (thread-safe); called for each file system event."""
        self._events.put(path)
        self._wake.set()

    def _start_observer(self) -> BaseObserver:
        if self.polling:
            return self._schedule(PollingObserver(timeout=self.poll_interval))
        try:
            return self._schedule(Observer())
        except OSError as error:
            # inotify instance or watch limits reached (fs.inotify.max_user_*): keep working.
            log.error(
                "hotfolder %s: inotify unavailable (%s); polling every %g s instead, "
                "raise fs.inotify.max_user_watches/instances or set watcher.polling",
                self.folder,
                error,
                self.poll_interval,
            )
            return self._schedule(PollingObserver(timeout=self.poll_interval))

    def _schedule(self, observer: BaseObserver) -> BaseObserver:
        try:
            observer.schedule(_EventFeed(self), str(self.folder), recursive=False)
            observer.start()
        except BaseException:
            observer.stop()  # releases the inotify descriptor opened by the constructor
            raise
        return observer

    # -- scanner thread ----------------------------------------------------------------------

    def _scan_forever(self) -> None:
        next_rescan = 0.0
        observer_warned = False
        while not self._stopped.is_set():
            try:
                if time.monotonic() >= next_rescan:
                    # Set first: a share that is down must not turn into a busy loop.
                    next_rescan = time.monotonic() + self.rescan_seconds
                    self._rescan()
                    self._back()
                self._take_events()
                if self._away is None and not self._pausing():
                    self._check_candidates()
            except OSError as error:  # a network share that is away: say so once
                self._gone(str(error))
            except Exception:
                log.exception("hotfolder %s: scan failed; trying again", self.folder)
            observer_warned = self._warn_if_observer_died(observer_warned)
            if self._candidates:
                self._stopped.wait(self._tick)
            else:
                self._wake.wait(max(0.0, next_rescan - time.monotonic()))
            self._wake.clear()

    def _gone(self, reason: str) -> None:
        """The folder cannot be read: say so once, keep looking every rescan."""
        if self._away is None:
            log.warning(
                "hotfolder %s is away (%s); files there stay on the share until it is "
                "back; looking again every %g s",
                self.folder,
                reason,
                self.rescan_seconds,
            )
        self._away = reason

    def _back(self) -> None:
        if self._away is not None:
            log.warning("hotfolder %s is back; taking the files that are there", self.folder)
            self._away = None

    def _pausing(self) -> bool:
        """True while ``pause`` says no file may be taken; the change is said once."""
        reason = self.pause() if self.pause is not None else None
        if reason and self._paused is None:
            log.warning("hotfolder: not taking files for now: %s", reason)
        elif not reason and self._paused is not None:
            log.warning("hotfolder: taking files again (%s is over)", self._paused)
        self._paused = reason or None
        return bool(reason)

    def _rescan(self) -> None:
        """Make every eligible file a candidate and forget hand-overs whose file is gone."""
        if self._mount is not None and not os.path.ismount(self._mount):
            raise OSError(f"{self._mount} is not mounted any more")
        present = set(self._eligible_names())
        for name in present:
            if name not in self._candidates:
                self._candidates[name] = _Candidate(None, time.monotonic())
        for name in list(self._handed_over):
            if name not in present:
                del self._handed_over[name]

    def _eligible_names(self) -> Iterator[str]:
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if not is_ignored(entry.name) and entry.is_file(follow_symlinks=False):
                    yield entry.name

    def _take_events(self) -> None:
        """Turn queued event paths into candidates; an event restarts the quiet period."""
        now = time.monotonic()
        while True:
            try:
                path = Path(self._events.get_nowait())
            except queue.Empty:
                return
            if path.parent != self.folder or is_ignored(path.name):
                continue
            candidate = self._candidates.get(path.name)
            if candidate is None:
                self._candidates[path.name] = _Candidate(None, now)
            else:
                candidate.still_since = now

    def _check_candidates(self) -> None:
        for name in sorted(self._candidates, key=lambda n: self._candidates[n].still_since):
            if self._stopped.is_set():
                return
            self._check(name, self._candidates[name])

    def _check(self, name: str, candidate: _Candidate) -> None:
        """Hand ``name`` over if it has been still long enough; drop it if it is gone."""
        now = time.monotonic()
        signature = self._signature(name)
        if signature is None:
            self._candidates.pop(name, None)
            self._handed_over.pop(name, None)
        elif signature != candidate.signature:
            candidate.signature, candidate.still_since = signature, now
        elif now - candidate.still_since < self.stable_seconds or now < candidate.not_before:
            return
        elif self._handed_over.get(name) == signature:
            self._candidates.pop(name, None)
        else:
            self._hand_over(name, candidate, signature)

    def _signature(self, name: str) -> tuple[int, int] | None:
        """(size, mtime_ns) of a regular file ``name``, or None when it is gone or not a file."""
        try:
            info = os.lstat(self.folder / name)
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning(
                "hotfolder: cannot read %r (%s); skipping it until the next rescan", name, error
            )
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return info.st_size, info.st_mtime_ns

    def _hand_over(self, name: str, candidate: _Candidate, signature: tuple[int, int]) -> None:
        log.info("hotfolder: %r is complete (%d bytes), taking it", name, signature[0])
        try:
            self.on_stable(self.folder / name)
        except Exception:
            candidate.failures += 1
            delay = compute_backoff(
                candidate.failures - 1, factor=self._retry_base(), max_backoff=MAX_RETRY_SECONDS
            )
            candidate.not_before = time.monotonic() + delay
            log.exception(
                "hotfolder: taking %r failed (attempt %d); retrying in %g s",
                name,
                candidate.failures,
                delay,
            )
            return
        self._candidates.pop(name, None)
        if self._signature(name) == signature:
            # The callback left the file where it was: never hand the same version over twice.
            self._handed_over[name] = signature
            log.info(
                "hotfolder: %r is still there after it was taken; "
                "it will be taken again only once it changes",
                name,
            )

    def _retry_base(self) -> float:
        return max(1.0, self.stable_seconds)

    def _warn_if_observer_died(self, warned: bool) -> bool:
        observer = self._observer
        if warned or observer is None or observer.is_alive() or self._stopped.is_set():
            return warned
        log.warning(
            "hotfolder %s: the file system observer stopped; new files are still found "
            "by rescans every %g s",
            self.folder,
            self.rescan_seconds,
        )
        return True


def _mount_point(folder: Path) -> Path | None:
    """The mount point holding ``folder`` (itself or an ancestor), None for the root."""
    for candidate in (folder, *folder.parents):
        if os.path.ismount(candidate):
            return None if candidate == Path(candidate.anchor) else candidate
    return None


def _route_sigterm(stop: Callable[[], None]) -> Callable[[], None]:
    """Make SIGTERM call ``stop``; returns a function that puts the previous handler back.

    Signal handlers can only be set on the main thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    if previous is None:  # installed from C, cannot be put back from Python
        previous = signal.SIG_DFL

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
