"""What every pipeline step shares: idempotency, the step record, retries and rejection.

A step task calls :func:`run_step` with the job id, its step name and a function that does
the work. ``run_step`` skips steps that are already done (a redelivered message), records
state, attempts, duration and error, turns a :class:`RejectedFile` into a rejected job with
its file in failed/, and lets a :class:`TransientError` go back to Celery for a retry.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from celery import Task
from sqlalchemy.exc import OperationalError

from models import store
from models.job import ERRORED, FAILED, REJECTED, SKIPPED, SUCCEEDED, Job
from pipeline import files
from pipeline.config import Config
from pipeline.errors import RejectedFile, TransientError, error_code, mask_secrets
from tasks.app import get_config

log = logging.getLogger(__name__)

#: Retries of a transient fault before the job is failed at that step ($PREPRESS_MAX_RETRIES).
MAX_RETRIES = int(os.environ.get("PREPRESS_MAX_RETRIES", "6"))
#: Longest wait between two retries, seconds (backoff 2, 4, 8, ... with jitter).
MAX_BACKOFF = int(os.environ.get("PREPRESS_MAX_BACKOFF", "300"))


class Skip(Exception):
    """Raised by a step's work when there is nothing to do; the message is the note."""


class StepTask(Task):
    """Base of the pipeline steps: retry transient faults, record the final failure."""

    autoretry_for = (TransientError, OperationalError)
    retry_backoff = 2
    retry_backoff_max = MAX_BACKOFF
    retry_jitter = True
    max_retries = MAX_RETRIES
    acks_late = True

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: ANN001
        if isinstance(exc, RejectedFile) or not args:
            return  # already recorded by run_step
        config = get_config()
        step = self.name.removeprefix("tasks.")
        message = mask_secrets(
            f"{step} failed after {self.request.retries + 1} attempt(s): {exc}", config.secrets()
        )
        log.error("job %s: %s", args[0], message)
        try:
            store.end_step(config.database_url, args[0], step, ERRORED, error=message)
            store.fail_job(
                config.database_url,
                args[0],
                step,
                status=FAILED,
                code=error_code(exc),
                message=message + " The file stays in "
                "spool/; fix the cause and run `prepress retry "
                f"{args[0]}`.",
            )
        except Exception:  # the database itself may be what failed
            log.exception("job %s: could not record the failure of %s", args[0], step)


def run_step(job_id: int, step: str, work: Callable[[Job, Config], str | None]) -> str:
    """Run one step of one job once; return the step's final state."""
    config = get_config()
    url = config.database_url
    decision, job = store.start_step(url, job_id, step)
    if decision == "done":
        log.info("job %s: %s already done, not repeated", job_id, step)
        return SUCCEEDED
    if decision == "closed":
        log.info("job %s is %s; %s has nothing to do", job_id, job.status, step)
        return SKIPPED
    started = time.monotonic()
    try:
        note = work(job, config) or ""
    except Skip as skip:
        store.end_step(
            url, job_id, step, SKIPPED, duration=time.monotonic() - started, note=str(skip)
        )
        log.info("job %s: %s skipped: %s", job_id, step, skip)
        return SKIPPED
    except RejectedFile as exc:
        if store.get_job(url, job_id).status == REJECTED:
            # a detection running beside this one rejected the file and moved it away
            store.end_step(url, job_id, step, SKIPPED, note="job rejected meanwhile")
            return SKIPPED
        store.end_step(
            url,
            job_id,
            step,
            ERRORED,
            duration=time.monotonic() - started,
            error=f"{exc.code}: {exc.message}",
        )
        reject(job, config, step, exc)
        raise
    except Exception as exc:
        store.end_step(
            url,
            job_id,
            step,
            ERRORED,
            duration=time.monotonic() - started,
            error=mask_secrets(str(exc), config.secrets()),
        )
        raise
    store.end_step(url, job_id, step, SUCCEEDED, duration=time.monotonic() - started, note=note)
    return SUCCEEDED


def reject(job: Job, config: Config, step: str, exc: RejectedFile) -> None:
    """Bad input: the job is rejected and the file goes to failed/ with the reason beside it."""
    url = config.database_url
    assert job.id is not None
    message = exc.message if job.name in exc.message else f"{job.name}: {exc.message}"
    log.warning("job %s rejected at %s (%s): %s", job.id, step, exc.code, message)
    store.fail_job(url, job.id, step, status=REJECTED, code=exc.code, message=message)
    reason = store.get_job(url, job.id).error
    if job.spool_path:
        spooled = config.paths.work_dir / job.spool_path
        target = files.move_failed(spooled, config.paths.failed, job.id, f"{exc.code}: {reason}")
        store.update_job(url, job.id, archive_path=config.paths.relative(target))


def spooled_file(job: Job, config: Config) -> Path:
    """Where the job's original is while it is processed."""
    path = config.paths.work_dir / job.spool_path
    if not job.spool_path or not path.exists():
        raise RejectedFile(
            "file_missing",
            f"{job.name}: the spooled original {path} is gone; put the file into the "
            f"hotfolder again or use `prepress reprocess {job.id}`.",
            job.name,
        )
    return path
