"""Workers pick up an edited prepress.toml between tasks, without a restart.

Before every task (Celery's ``task_prerun``) the worker compares the configuration file's
modification time and size with those of the configuration it runs on. When they changed it
reads the file again: a good file becomes the configuration the tasks read
(:func:`tasks.app.use_config`), so the next attempt of a waiting upload already goes to the
URL the operator just fixed. A bad edit is logged once with what is wrong and the last good
configuration is kept. Broker and result backend URLs are fixed for the life of a process: a
change of those is logged and needs a restart; everything else applies at once.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from celery.signals import task_prerun, worker_init

from models.shop_settings import host_config
from pipeline.config import Config
from pipeline.errors import ConfigError
from tasks.app import get_config, use_config

log = logging.getLogger(__name__)


class _Seen:
    """The (mtime, size) of the file last read, per path, and a lock for the threads pool."""

    lock = threading.Lock()
    stamps: dict[Path, tuple[int, int]] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def reload_if_changed() -> Config:
    """The current configuration, read again first when its file changed since last time."""
    config = get_config()
    source = config.source
    if source is None:
        return config
    stamp = _stamp(source)
    with _Seen.lock:
        previous = _Seen.stamps.setdefault(source, stamp or (0, 0))
        if stamp is None or stamp == previous:
            return config
        _Seen.stamps[source] = stamp
        return _apply(config, source)


def _apply(current: Config, source: Path) -> Config:
    try:
        fresh = host_config(source).config  # a worker host's file takes the pushed settings
    except ConfigError as exc:
        log.error(
            "%s changed but cannot be used (%s); keeping the last good configuration", source, exc
        )
        return current
    if (fresh.broker_url, fresh.result_backend) != (current.broker_url, current.result_backend):
        log.warning(
            "%s: the broker or result backend changed; that takes a restart of the workers "
            "(the rest of the change applies now)",
            source,
        )
        fresh = _with_urls(fresh, current)
    use_config(fresh)
    log.info("%s changed: configuration reloaded", source)
    return fresh


def _with_urls(fresh: Config, current: Config) -> Config:
    from dataclasses import replace

    return replace(fresh, broker_url=current.broker_url, result_backend=current.result_backend)


@worker_init.connect
def _baseline(**_: object) -> None:
    """Celery signal: remember the file as the worker read it (pool processes inherit it)."""
    source = get_config().source
    stamp = _stamp(source) if source else None
    if source and stamp:
        _Seen.stamps[source] = stamp


@task_prerun.connect
def _before_task(**_: object) -> None:
    """Celery signal: runs in the process (or thread) about to execute a task."""
    try:
        reload_if_changed()
    except Exception:  # never keep a task from running because of this check
        log.exception("checking prepress.toml for changes failed")
