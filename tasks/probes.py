"""Is the broker up, which workers serve which queues, does the database answer: asked once here.

``prepress status`` and the dashboard (tasks/health.py), the watchdog (tasks/watchdog.py) and
the commands that queue work (commands/broker.py) all ask through these functions. Every probe
has a short timeout of its own and none lets Celery or kombu retry a connection, so an answer
comes within seconds even when the broker or the database is down.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.chain import OPS, QUEUES
from pipeline.config import Config
from pipeline.errors import mask_secrets

#: Seconds any single network probe may take.
PROBE_TIMEOUT = 1.5
#: Seconds workers get to answer ``inspect active_queues``.
INSPECT_TIMEOUT = 1.0
#: The broker URL of the embedded broker (files under var/broker).
EMBEDDED = "embedded"


def required_queues(config: Config) -> tuple[str, ...]:
    """The queues that need a worker answering: ops only where a backup host is set (the
    nightly backup is all it runs)."""
    return tuple(q for q in QUEUES if q != OPS or config.backup.enabled)


def broker_error(config: Config, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when the broker takes connections, else why not (password masked)."""
    url = config.broker_url
    if url == EMBEDDED:
        folder = config.paths.var / "broker"
        return None if folder.is_dir() else f"embedded broker folder {folder} is missing"
    if urlsplit(url).scheme in ("redis", "rediss"):
        return redis_ping(url, timeout) or None
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:  # kombu wraps every transport's errors differently
        return mask_secrets(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
    return None


def redis_ping(url: str, timeout: float = PROBE_TIMEOUT) -> str:
    """ "" when the Redis at ``url`` answers PING within the timeout, else why not."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout
        ):
            pass
        client = _redis(url, timeout)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure is an answer: "not reachable, because..."
        return mask_secrets(str(exc) or type(exc).__name__)
    return ""


def _redis(url: str, timeout: float = PROBE_TIMEOUT) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def queue_lengths(url: str) -> dict[str, dict[str, Any]]:
    """Messages waiting per queue (kombu keeps a Redis list per queue name)."""
    client = _redis(url)
    try:
        return {queue: {"waiting": int(client.llen(queue))} for queue in QUEUES}
    except Exception:
        return {}
    finally:
        client.close()


def workers(config: Config, timeout: float = INSPECT_TIMEOUT) -> list[dict[str, Any]]:
    """Workers of every host that answer within the timeout, each with its queues.

    The process's Celery app asks when it is configured for this broker; else an app of its
    own does: the process's app keeps producer pools bound to the broker it first used, and a
    probe must ask the broker it was given (the watchdog may watch another one).
    """
    try:
        answers = _active_queues(config, timeout)
    except Exception:
        return []
    return [
        {"hostname": hostname, "queues": sorted(q["name"] for q in queues or [])}
        for hostname, queues in sorted(answers.items())
    ]


def _active_queues(config: Config, timeout: float) -> dict[str, Any]:
    from celery import Celery

    from tasks.app import app

    if config.broker_url == EMBEDDED:
        return app.control.inspect(timeout=timeout).active_queues() or {}
    own = app.conf.broker_url == config.broker_url
    asking = app if own else Celery("probe", broker=config.broker_url, set_as_current=False)
    if not own:
        asking.conf.broker_connection_timeout = timeout
    try:
        with asking.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)
            inspect = asking.control.inspect(timeout=timeout, connection=connection)
            return inspect.active_queues() or {}
    finally:
        if not own:
            asking.close()


def workers_answering(timeout: float = PROBE_TIMEOUT) -> list[str] | None:
    """Names of the workers that answer a ping on the process's broker (tasks.app configured);
    None when the broker cannot broadcast (then nobody can tell)."""
    from tasks.app import app

    try:
        replies = app.control.ping(timeout=timeout) or []
    except Exception:  # a transport without broadcast: cannot tell
        return None
    return sorted(name for reply in replies for name in reply)


def queues_without_worker(config: Config, timeout: float = INSPECT_TIMEOUT) -> list[str]:
    """The required queues no answering worker serves."""
    served = {queue for worker in workers(config, timeout) for queue in worker["queues"]}
    return [queue for queue in required_queues(config) if queue not in served]


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
