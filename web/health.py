"""The health strip every page shows, and ``/api/health``: rendered with the page, not after it.

Probing the broker and the workers takes a second or two, so that part is cached and refreshed
in a background thread when it is older than :data:`HEALTH_CACHE_SECONDS` (a page never waits
for it, except the very first one after start-up, which renders without it and asks once).
The targets come from the database on every page, so a bureau that starts failing is red on
the next page load, whatever the cache holds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from web.context import config

#: Seconds a broker/worker probe result is reused before a background refresh.
HEALTH_CACHE_SECONDS = 10.0


@dataclass
class _Cache:
    """The last probe of one app (each app has its own configuration, so its own probe)."""

    value: Any = None
    at: float = 0.0
    refreshing: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Strip:
    """What the strip shows: the cached probe (None before the first one) and the targets."""

    health: Any
    targets: list[Any] = field(default_factory=list)
    backup_configured: bool = False
    #: Queues that need a worker (ops only with a backup host): the others are grey at 0.
    needed_queues: tuple[str, ...] = ()

    @property
    def failing(self) -> list[Any]:
        return [target for target in self.targets if target.state == "failing"]

    @property
    def other_problems(self) -> list[str]:
        """The probe's problems that are not about a target (those are shown by name)."""
        labels = [target.label for target in self.targets]
        problems = self.health.problems if self.health is not None else []
        return [p for p in problems if not any(p.startswith(f"{label} ") for label in labels)]


def _cache() -> _Cache:
    cache = current_app.extensions.get("prepress.health")
    if cache is None:
        cache = current_app.extensions.setdefault("prepress.health", _Cache())
    return cache


def cached_health(wait: bool = False) -> Any:
    """The last probe (refreshed in the background when old); with ``wait`` a fresh one when
    there is none yet."""
    cache = _cache()
    if cache.value is None and wait:
        return _refresh(cache, config())
    stale = cache.value is None or time.monotonic() - cache.at > HEALTH_CACHE_SECONDS
    if stale and cache.refreshing.acquire(blocking=False):
        threading.Thread(
            target=_refresh_in_background, args=(cache, config()), name="health", daemon=True
        ).start()
    return cache.value


def _refresh_in_background(cache: _Cache, settings: Any) -> None:
    try:
        _refresh(cache, settings)
    finally:
        cache.refreshing.release()


def _refresh(cache: _Cache, settings: Any) -> Any:
    from tasks.health import collect

    cache.value, cache.at = collect(settings), time.monotonic()
    return cache.value


def strip() -> Strip:
    """The strip for this page: cached probe, fresh targets."""
    from tasks.targets import overview

    settings = config()
    try:
        targets = overview(settings)
    except Exception:  # the database being down is shown by the probe
        targets = []
    from tasks.probes import required_queues

    return Strip(cached_health(), targets, settings.backup.enabled, required_queues(settings))


def answer() -> dict[str, Any]:
    """``/api/health``: what ``prepress status --json`` says, with the targets as they are now."""
    from tasks.health import target_problem

    current = strip()
    probe = cached_health(wait=True)
    data = probe.as_dict()
    current.health = probe
    problems = current.other_problems + [target_problem(t) for t in current.failing]
    data.update(
        targets=[target.as_dict() for target in current.targets],
        problems=problems,
        healthy=not problems,
    )
    return data


#: What a viewer sees of each target in ``/api/health`` (no host, port or URL).
TARGET_STATES = (
    "key",
    "label",
    "state",
    "failing_since",
    "last_ok_at",
    "last_tried_at",
    "failures",
    "jobs_waiting",
    "next_attempt_at",
)


def states_only(data: dict[str, Any]) -> dict[str, Any]:
    """``/api/health`` for a viewer: whether each part works and the counts; the broker's and
    database's URLs, the folders, the workers' host names, targets' hosts and the problems'
    wording (which names them) are for operators."""
    broker, database = data.get("broker") or {}, data.get("database") or {}
    disk, backup = data.get("disk") or {}, data.get("last_backup") or {}
    return {
        "healthy": data["healthy"],
        "mode": data.get("mode", ""),
        "broker": {"reachable": bool(broker.get("reachable"))},
        "database": {key: bool(database.get(key)) for key in ("reachable", "migrated")},
        "workers": len(data.get("workers") or []),
        "queues": {
            name: {key: queue[key] for key in ("workers", "waiting") if key in queue}
            for name, queue in (data.get("queues") or {}).items()
        },
        "hotfolder": {"waiting": (data.get("hotfolder") or {}).get("waiting")},
        "spool_files": data.get("spool_files"),
        "jobs_24h": data.get("jobs_24h") or {},
        "disk": {"free_percent": disk.get("free_percent")} if disk else {},
        "last_backup": {"taken_at": backup.get("taken_at")} if backup else None,
        "targets": [
            {key: target.get(key) for key in TARGET_STATES} for target in data.get("targets") or []
        ],
        "problem_count": len(data.get("problems") or []),
        "details": "for operators",
    }
