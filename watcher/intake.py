"""From a stable file in the hotfolder to a queued job: the watcher's one action."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from models import store
from models.job import QUEUED, STARTED, utcnow
from pipeline import canvas
from pipeline.config import Config

log = logging.getLogger(__name__)

#: A queued job with no step started after this long was probably never sent to the broker.
STRANDED_AFTER = timedelta(minutes=2)


def take(path: Path, config: Config) -> int | None:
    """Submit one stable file; return its job id (None when another taker won)."""
    job_id = canvas.submit(path, config)
    if job_id is not None:
        log.info("job %s: took %s", job_id, path.name)
    return job_id


def requeue_stranded(config: Config) -> list[int]:
    """Queue again jobs that were recorded but never reached the broker (crash, broker down)."""
    url = config.database_url
    requeued = []
    for job in store.list_jobs(url, status=QUEUED, limit=1000):
        assert job.id is not None
        if not job.spool_path or utcnow() - job.received_at < STRANDED_AFTER:
            continue
        if any(step.attempts or step.state == STARTED for step in store.steps_of(url, job.id)):
            continue
        log.warning("job %s (%s) was never started; queueing it again", job.id, job.name)
        canvas.start(job.id)
        requeued.append(job.id)
    return requeued
