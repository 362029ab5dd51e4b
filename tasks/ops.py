"""Operator tasks: the nightly backup (run by beat) and ``retry_job`` (called from Flower)."""

from __future__ import annotations

import logging

from pipeline import backup
from tasks.app import app, get_config

log = logging.getLogger(__name__)


@app.task(name="tasks.backup_database")
def backup_database() -> dict[str, object]:
    """Back up the database to the backup host; a failure is logged, raised and SMSed."""
    config = get_config()
    try:
        info = backup.run_backup(config)
    except Exception as exc:
        log.error("nightly backup failed: %s", exc)
        backup.notify_failure(config, exc)
        raise
    from tasks.health import record_backup

    record_backup(config, info.name, info.size, info.taken_at)
    return {"name": info.name, "size": info.size, "sha256": info.sha256}


@app.task(name="tasks.retry_job")
def retry_job(job_id: int | str) -> str:
    """Run a failed job again from its failed step (as ``prepress retry``); return the chain id."""
    from tasks.canvas import retry

    return str(retry(int(job_id), get_config()))
