"""How the installation is doing, for ``prepress status`` and the dashboard's health strip.

The probes are tasks/probes.py's (each with a short timeout of its own, none letting Celery
or kombu retry), so the whole answer comes within seconds even when the broker or the
database is down. The last backup is the database's record (models/incidents.py).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import mask_secrets
from tasks import probes

#: Roles that hold a lock file under var/ while they run (commands/lock.py writes them).
RUNNING_ROLES = ("up", "watch", "beat")
#: What a lock file says: ``pid 123 on host since ...``.
_HOLDER = re.compile(r"pid (?P<pid>\d+) on (?P<host>\S+)")


@dataclass
class Health:
    """Everything ``prepress status --json`` prints; ``healthy`` decides its exit status."""

    broker: dict[str, Any] = field(default_factory=dict)
    database: dict[str, Any] = field(default_factory=dict)
    workers: list[dict[str, Any]] = field(default_factory=list)
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    hotfolder: dict[str, Any] = field(default_factory=dict)
    spool_files: int = 0
    jobs_24h: dict[str, int] = field(default_factory=dict)
    mode: str = ""
    disk: dict[str, Any] = field(default_factory=dict)
    last_backup: dict[str, Any] | None = None
    #: Whether a backup host is configured (without one "no backup" is no warning).
    backup_configured: bool = False
    #: Roles running on an embedded broker's work folder (up, watch, beat).
    running: list[str] = field(default_factory=list)
    #: Every delivery and notification target (tasks/targets.py), failing ones first.
    targets: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "healthy": self.healthy}


def collect(config: Config) -> Health:
    """Probe broker, database, workers, queues, folders, disk and backup; never raises."""
    started = time.monotonic()
    health = Health()
    _probe_broker(config, health)
    _probe_database(config, health)
    _probe_folders(config, health)
    health.backup_configured = config.backup.enabled
    health.seconds = round(time.monotonic() - started, 2)
    return health


# --- broker, workers, queues ---------------------------------------------------------------


def _probe_broker(config: Config, health: Health) -> None:
    url = config.broker_url
    health.broker = {"url": mask_secrets(url), "reachable": False}
    error = probes.broker_error(config)
    if url == probes.EMBEDDED:
        health.broker.update(url="embedded (files under var/broker)", reachable=error is None)
        if error:
            health.problems.append(error)
        else:
            _probe_embedded(config, health)
        return
    if error:
        health.broker["error"] = error
        health.problems.append(
            f"broker {mask_secrets(url)} is not reachable ({error}); "
            "check celery.broker_url or $PREPRESS_BROKER_URL"
        )
        return
    health.broker["reachable"] = True
    health.queues = probes.queue_lengths(url)
    health.workers = probes.workers(config)
    required = probes.required_queues(config)
    # every queue shown gets its count: a worker serving io,ops counts under both
    for queue in [*health.queues, *(q for q in required if q not in health.queues)]:
        answering = [w["hostname"] for w in health.workers if queue in w["queues"]]
        health.queues.setdefault(queue, {})["workers"] = len(answering)
        if not answering and queue in required:
            health.problems.append(f"no worker answers for the {queue} queue")


def _probe_embedded(config: Config, health: Health) -> None:
    """On the embedded broker what matters is whether anything runs on the work folder
    (``prepress up``, or a worker of its own)."""
    health.running = running_roles(config.paths.var)
    if "up" not in health.running:
        health.workers = probes.workers(config)
    if not health.running and not health.workers:
        health.problems.append(
            "nothing is running on this work folder: no `prepress up`, watcher, beat or "
            "worker; start `prepress up`"
        )


def running_roles(var: Path) -> list[str]:
    """The roles (up, watch, beat) whose lock file under ``var`` names a living process of
    this host (read, never taken: taking it would make a starting `prepress up` fail)."""
    found = []
    for role in RUNNING_ROLES:
        try:
            holder = (var / f"{role}.lock").read_text(encoding="utf-8")
        except OSError:
            continue
        match = _HOLDER.match(holder.strip())
        if match and match["host"] == socket.gethostname() and _alive(int(match["pid"])):
            found.append(role)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- database ------------------------------------------------------------------------------


def _probe_database(config: Config, health: Health) -> None:
    url = config.database_url
    health.database = {"url": mask_secrets(url), "reachable": False, "migrated": False}
    try:
        current, head = probes.schema_revisions(url)
    except Exception as exc:
        message = mask_secrets(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        health.database["error"] = message
        health.problems.append(f"database {mask_secrets(url)} is not reachable ({message})")
        return
    health.database.update(reachable=True, revision=current, head=head, migrated=current == head)
    if current != head:
        health.problems.append(
            f"database is at revision {current or 'none'}, not {head}: start `prepress up` "
            "(it migrates) or any prepress command that opens the database"
        )
        return
    from models import incidents, store
    from models.report import jobs_by_status_since

    health.mode = store.get_mode(url)
    health.last_backup = incidents.last_backup(url)
    health.jobs_24h = jobs_by_status_since(url, datetime.now(UTC) - timedelta(hours=24))
    _probe_targets(config, health)


def _probe_targets(config: Config, health: Health) -> None:
    """Every target's state; each failing one is a problem naming it."""
    from tasks.targets import overview

    views = overview(config)
    health.targets = [view.as_dict() for view in views]
    health.problems += [target_problem(view) for view in views if view.state == "failing"]


def target_problem(view: Any) -> str:
    """``Leonov FTP failing since 19:09 — 3 jobs waiting (next attempt 19:40): <error>``."""
    text = view.summary()
    if view.next_attempt_at is not None:
        text += f" (next attempt {view.next_attempt_at.astimezone():%H:%M:%S})"
    return f"{text}: {view.last_error}" if view.last_error else text


# --- folders, disk, backup -----------------------------------------------------------------


def _probe_folders(config: Config, health: Health) -> None:
    paths = config.paths
    hotfolder = paths.hotfolder
    waiting = _files(hotfolder, recursive=False)
    health.hotfolder = {"path": str(hotfolder), "exists": hotfolder.is_dir(), "waiting": waiting}
    if paths.hotfolder_dir is not None and not hotfolder.is_dir():  # a share of its own
        health.problems.append(
            f"hotfolder {hotfolder} is away (share unmounted or gone): no file is taken"
        )
    health.spool_files = _files(paths.spool, recursive=True)
    try:
        usage = shutil.disk_usage(paths.work_dir)
    except OSError as exc:
        health.problems.append(f"work folder {paths.work_dir} cannot be read ({exc})")
        return
    health.disk = {
        "path": str(paths.work_dir),
        "free_gb": round(usage.free / 1e9, 1),
        "free_percent": round(100 * usage.free / usage.total, 1),
    }
    if usage.free < paths.min_free_mb * 1_000_000:
        health.problems.append(
            f"the disk of {paths.work_dir} has {usage.free / 1e6:.0f} MB free, under [paths] "
            f"min_free_mb = {paths.min_free_mb}: no file is taken until there is room"
        )


def _files(folder: Path, recursive: bool) -> int:
    """Visible files in ``folder`` (hidden names are copies still arriving)."""
    if not folder.is_dir():
        return 0
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sum(1 for p in found if p.is_file() and not p.name.startswith("."))
