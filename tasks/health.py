"""How the installation is doing, for ``prepress status`` and the dashboard's health strip.

Every probe has a short timeout of its own and none lets Celery or kombu retry a connection,
so the whole answer comes within seconds even when the broker or the database is down: the
broker is probed with a plain socket and one Redis PING before Celery is asked anything.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config import Config
from pipeline.errors import mask_secrets

#: Seconds any single network probe may take.
PROBE_TIMEOUT = 1.5
#: Seconds workers get to answer ``inspect active_queues``.
INSPECT_TIMEOUT = 1.0
#: The queues the pipeline needs a worker for (celeryconfig.py routes to these).
QUEUES = ("cpu", "io")
#: File under var/ where the nightly backup records its last success.
LAST_BACKUP_FILE = "last-backup.json"
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
    health.last_backup = last_backup(config)
    health.backup_configured = config.backup.enabled
    health.seconds = round(time.monotonic() - started, 2)
    return health


# --- broker, workers, queues ---------------------------------------------------------------


def _probe_broker(config: Config, health: Health) -> None:
    url = config.broker_url
    health.broker = {"url": mask_secrets(url), "reachable": False}
    if url == "embedded":
        _probe_embedded(config, health)
        return
    error = redis_ping(url)
    if error:
        health.broker["error"] = error
        health.problems.append(
            f"broker {mask_secrets(url)} is not reachable ({error}); "
            "check celery.broker_url or $PREPRESS_BROKER_URL"
        )
        return
    health.broker["reachable"] = True
    health.queues = queue_lengths(url)
    health.workers = workers(config)
    for queue in QUEUES:
        answering = [w["hostname"] for w in health.workers if queue in w["queues"]]
        health.queues.setdefault(queue, {})["workers"] = len(answering)
        if not answering:
            health.problems.append(f"no worker answers for the {queue} queue")


def _probe_embedded(config: Config, health: Health) -> None:
    """The embedded broker is files under var/: it is "up" when the folder is there; what
    matters is whether anything runs on it (``prepress up``, or a worker of its own)."""
    folder = config.paths.var / "broker"
    health.broker.update(url="embedded (files under var/broker)", reachable=folder.is_dir())
    health.running = running_roles(config.paths.var)
    if not health.running or "up" not in health.running:
        health.workers = workers(config)
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


def redis_ping(url: str) -> str:
    """ "" when the Redis at ``url`` answers PING within the timeout, else why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return f"cannot probe a {parts.scheme}:// broker"
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=PROBE_TIMEOUT
        ):
            pass
        client = _redis(url)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure is an answer: "not reachable, because..."
        return mask_secrets(str(exc) or type(exc).__name__)
    return ""


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT
    )


def queue_lengths(url: str) -> dict[str, dict[str, Any]]:
    """Messages waiting per queue (kombu keeps a Redis list per queue name)."""
    client = _redis(url)
    try:
        return {queue: {"waiting": int(client.llen(queue))} for queue in QUEUES}
    except Exception:
        return {}
    finally:
        client.close()


def workers(config: Config) -> list[dict[str, Any]]:
    """Workers of every host that answer within the timeout, each with its queues.

    The Celery app must be configured for ``config`` (tasks.app.configure) beforehand.
    """
    from tasks.app import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=PROBE_TIMEOUT)
            inspect = app.control.inspect(timeout=INSPECT_TIMEOUT, connection=connection)
            answers = inspect.active_queues() or {}
    except Exception:
        return []
    return [
        {"hostname": hostname, "queues": sorted(q["name"] for q in queues or [])}
        for hostname, queues in sorted(answers.items())
    ]


# --- database ------------------------------------------------------------------------------


def _probe_database(config: Config, health: Health) -> None:
    url = config.database_url
    health.database = {"url": mask_secrets(url), "reachable": False, "migrated": False}
    try:
        current, head = schema_revisions(url)
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
    from models import store
    from models.report import jobs_by_status_since

    health.mode = store.get_mode(url)
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


def schema_revisions(url: str) -> tuple[str | None, str]:
    """(the database's alembic revision, the newest one); raises when unreachable."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from models.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            raise FileNotFoundError(f"no database file at {path}")
        engine = create_engine(url, connect_args={"timeout": PROBE_TIMEOUT})
    else:
        engine = create_engine(url, connect_args={"connect_timeout": int(PROBE_TIMEOUT + 1)})
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision(), head
    finally:
        engine.dispose()


# --- folders, disk, backup -----------------------------------------------------------------


def _probe_folders(config: Config, health: Health) -> None:
    paths = config.paths
    hotfolder = paths.hotfolder
    waiting = _files(hotfolder, recursive=False)
    health.hotfolder = {"path": str(hotfolder), "exists": hotfolder.is_dir(), "waiting": waiting}
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


def _files(folder: Path, recursive: bool) -> int:
    """Visible files in ``folder`` (hidden names are copies still arriving)."""
    if not folder.is_dir():
        return 0
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sum(1 for p in found if p.is_file() and not p.name.startswith("."))


def record_backup(config: Config, name: str, size: int, taken_at: datetime) -> None:
    """Remember the last successful backup under var/ (the backup host may be far away)."""
    target = config.paths.var / LAST_BACKUP_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"name": name, "size": size, "taken_at": taken_at.astimezone(UTC).isoformat()}
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    temporary.replace(target)


def last_backup(config: Config) -> dict[str, Any] | None:
    """The last successful backup recorded by :func:`record_backup`, or None."""
    try:
        raw = json.loads((config.paths.var / LAST_BACKUP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None
