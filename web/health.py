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

#: Seconds a broker/worker probe result is reused before a background refresh.
HEALTH_CACHE_SECONDS = 10.0

_cache: dict[str, Any] = {}
_refreshing = threading.Lock()


@dataclass
class Strip:
    """What the strip shows: the cached probe (None before the first one) and the targets."""

    health: Any
    targets: list[Any] = field(default_factory=list)
    backup_configured: bool = False

    @property
    def failing(self) -> list[Any]:
        return [target for target in self.targets if target.state == "failing"]

    @property
    def other_problems(self) -> list[str]:
        """The probe's problems that are not about a target (those are shown by name)."""
        labels = [target.label for target in self.targets]
        problems = self.health.problems if self.health is not None else []
        return [p for p in problems if not any(p.startswith(f"{label} ") for label in labels)]


def config() -> Any:
    return current_app.extensions["prepress"]


def cached_health(wait: bool = False) -> Any:
    """The last probe (refreshed in the background when old); with ``wait`` a fresh one when
    there is none yet."""
    cached = _cache.get("value")
    stale = cached is None or time.monotonic() - _cache.get("at", 0.0) > HEALTH_CACHE_SECONDS
    if cached is None and wait:
        return _refresh(config())
    if stale and _refreshing.acquire(blocking=False):
        threading.Thread(
            target=_refresh_in_background, args=(config(),), name="health", daemon=True
        ).start()
    return cached


def _refresh_in_background(settings: Any) -> None:
    try:
        _refresh(settings)
    finally:
        _refreshing.release()


def _refresh(settings: Any) -> Any:
    from tasks.health import collect

    value = collect(settings)
    _cache.update(value=value, at=time.monotonic())
    return value


def strip() -> Strip:
    """The strip for this page: cached probe, fresh targets."""
    from tasks.targets import overview

    settings = config()
    try:
        targets = overview(settings)
    except Exception:  # the database being down is shown by the probe
        targets = []
    return Strip(cached_health(), targets, settings.backup.enabled)


def forget() -> None:
    """Drop the cached probe (tests, and after a change an operator made)."""
    _cache.clear()


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
