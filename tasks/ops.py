"""Operator tasks: the nightly backup (run by beat) and ``retry_job`` (called from Flower).

The backup retries a backup host that cannot be reached (BackupHostUnavailable: refused,
timeout, a connection that drops mid-upload) for a few hours: backoff 60 s doubling up to
15 min, ``[backup] retries`` times (default 14, about 2.75 h). Its outcome is kept in the database
(models/incidents.py); the watchdog tells the staff when it finally failed or when a night
passed without one.
"""

from __future__ import annotations

import logging

from celery import Task

from models import incidents
from pipeline import backup, targets
from pipeline.backoff import compute_backoff
from pipeline.config import Config
from pipeline.errors import BackupHostUnavailable, mask_secrets
from tasks.app import app, get_config
from tasks.targets import outcome

log = logging.getLogger(__name__)

#: First wait before a backup retry, seconds; doubles each time.
BACKUP_BACKOFF = 60
#: Longest wait between two backup retries, seconds.
BACKUP_MAX_BACKOFF = 900


@app.task(
    name="tasks.backup_database",
    bind=True,
    max_retries=None,  # [backup] retries decides, read with the configuration
)
def backup_database(self: Task) -> dict[str, object]:
    """Back up the database to the backup host; the outcome is recorded for the watchdog."""
    config = get_config()
    try:
        with outcome(config, targets.backup_host(config)):
            info = backup.run_backup(config)
    except BackupHostUnavailable as exc:
        if self.request.retries < config.backup.retries:
            log.warning("nightly backup: %s (retry %d)", exc, self.request.retries + 1)
            wait = compute_backoff(
                self.request.retries, factor=BACKUP_BACKOFF, max_backoff=BACKUP_MAX_BACKOFF
            )
            raise self.retry(exc=exc, countdown=wait) from None
        _record_failure(config, exc)
        raise
    except Exception as exc:
        _record_failure(config, exc)
        raise
    incidents.record_backup(
        config.database_url, ok=True, when=info.taken_at, name=info.name, size=info.size
    )
    return {"name": info.name, "size": info.size, "sha256": info.sha256}


def _record_failure(config: Config, exc: BaseException) -> None:
    message = mask_secrets(str(exc), config.secrets())[:500]
    log.error("nightly backup failed: %s", message)
    try:
        incidents.record_backup(config.database_url, ok=False, message=message)
    except Exception:  # the database itself may be what failed
        log.exception("could not record the failed backup")


@app.task(name="tasks.retry_job")
def retry_job(job_id: int | str) -> str:
    """Run a failed job again from its failed step (as ``prepress retry``); say what was done."""
    from tasks import actions

    return actions.retry(get_config(), int(job_id), actions.Actor("flower", actions.FLOWER))
