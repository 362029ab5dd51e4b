"""Runs prepress's processes side by side in the foreground and stops them cleanly.

``prepress up`` and the demo start a cpu worker, an io worker (which also serves the ops queue:
the nightly backup runs where beat and the backup key are), the watcher, the watchdog (alerts,
tasks/watchdog.py) and beat as child processes (argument lists, never a shell). A child that
dies is started again after a pause; Ctrl-C or SIGTERM stops all of them, politely first.

A child that fails at start (it exits within :data:`STARTUP_WINDOW`: the dashboard's port is
taken, a setting is wrong) is reported in one line saying that this part is not running, and
started again after a pause that doubles up to :data:`MAX_RESTART_PAUSE`; when it stays up
again, one line says so.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.backoff import compute_backoff
from pipeline.children import stop_with_parent as _stop_with_parent

log = logging.getLogger(__name__)

#: Seconds children get to finish their current task after SIGTERM before they are killed.
STOP_GRACE = 20.0
#: Seconds before a child that died is started again.
RESTART_PAUSE = 3.0
#: A child that exits within this many seconds of its start failed at start.
STARTUP_WINDOW = 10.0
#: Longest pause before a child that keeps failing at start is tried again, seconds.
MAX_RESTART_PAUSE = 300.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    #: Failures at start in a row, and when the next start is due after the last one.
    failures: int = 0
    restart_at: float = 0.0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pause_after_exit(self, now: float) -> float:
        """Seconds to wait before starting again; counts a failure at start."""
        if now - self.started < STARTUP_WINDOW:
            self.failures += 1
            return compute_backoff(
                self.failures - 1, factor=RESTART_PAUSE, max_backoff=MAX_RESTART_PAUSE
            )
        self.failures = 0
        return RESTART_PAUSE


@dataclass
class Supervisor:
    config_path: Path
    children: list[Child] = field(default_factory=list)
    log_dir: Path | None = None
    stopping: bool = False

    @classmethod
    def for_up(
        cls,
        config_path: Path,
        beat: bool = True,
        log_dir: Path | None = None,
        web: bool = False,
    ) -> Supervisor:
        base = [sys.executable, "-m", "commands", "--config", str(config_path)]
        children = [
            Child("worker-cpu", [*base, "worker", "--queues", "cpu"]),
            Child("worker-io", [*base, "worker", "--queues", "io,ops"]),
            Child("watcher", [*base, "watch"]),
            Child("watchdog", [*base, "watchdog"]),
        ]
        if beat:
            children.append(Child("beat", [*base, "beat"]))
        if web:
            children.append(Child("web", [*base, "web"]))
        return cls(config_path, children, log_dir)

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{child.name}.log", "ab")
        child.process = subprocess.Popen(
            child.argv,
            stdout=output,
            stderr=output,
            start_new_session=self.log_dir is not None,
            preexec_fn=_stop_with_parent,
        )
        if output is not None:
            output.close()
        child.started = time.monotonic()
        log.info("started %s (pid %s)", child.name, child.process.pid)

    def watch_children(self) -> None:
        """Start again any child that died, after its pause (called in the supervisor's loop)."""
        now = time.monotonic()
        for child in self.children:
            if self.stopping or child.process is None:
                continue
            if child.running:
                if child.failures and now - child.started >= STARTUP_WINDOW:
                    log.warning("%s is running again", child.name)
                    child.failures = 0
                continue
            if child.restart_at <= child.started:  # it just exited: report once, pause
                self._exited(child, now)
            if now >= child.restart_at:
                self._spawn(child)

    def _exited(self, child: Child, now: float) -> None:
        assert child.process is not None
        pause = child.pause_after_exit(now)
        child.restart_at = now + pause
        how = "failed at start" if child.failures else "exited"
        log.error(
            "%s %s (status %s): it is not running; starting it again in %.0f s",
            child.name,
            how,
            child.process.returncode,
            pause,
        )

    def not_running(self) -> list[str]:
        """Names of the children that are not running now."""
        return [c.name for c in self.children if not c.running]

    def run_forever(self) -> None:
        """Start, then watch until Ctrl-C or SIGTERM, then stop."""
        signal.signal(signal.SIGTERM, lambda *_: self._interrupt())
        self.start()
        try:
            while not self.stopping:
                time.sleep(0.5)
                self.watch_children()
        except KeyboardInterrupt:
            pass
        self.stop()

    def _interrupt(self) -> None:
        raise KeyboardInterrupt

    def stop(self) -> None:
        self.stopping = True
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", child.name, STOP_GRACE)
                child.process.kill()
                child.process.wait()
        log.info("all prepress processes stopped")


def export_config(config_path: Path) -> None:
    """Children and Celery's forked workers find the configuration through the environment."""
    os.environ["PREPRESS_CONFIG"] = str(config_path.resolve())
