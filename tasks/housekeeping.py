"""Periodic housekeeping: archived originals older than the retention period go."""

from __future__ import annotations

import logging

from pipeline import files
from tasks.app import app, get_config

log = logging.getLogger(__name__)


@app.task(name="tasks.clean_archive")
def clean_archive() -> int:
    """Remove day folders in done/ older than ``watcher.retention_days``."""
    config = get_config()
    removed = files.clean_done(config.paths.done, config.retention_days)
    for folder in removed:
        log.info("retention: removed %s", folder)
    return len(removed)
