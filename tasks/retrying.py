"""``prepress retry``: a failed job is queued again; a job still on its way is left alone.

A job that failed (after ``give_up_after``, or on a permanent error) is queued again from its
first unfinished step (tasks/canvas.py). A job that is not final is either still retrying by
itself (a step ``waiting``), running, or lost (the reconciler would continue it soon):

* waiting: refused with the step, attempts, last error and next attempt time, unless ``now``
  is asked, which revokes the scheduled retry and queues the step at once. The step's lease
  (models/steps.py) keeps the two from ever running at the same time.
* running: refused; there is nothing to retry.
* lost: continued from its first unfinished step, as the reconciler would.
"""

from __future__ import annotations

import logging

from models import steps, store
from models.job import WAITING, Step
from pipeline.config import Config
from pipeline.errors import AlreadyRetrying
from tasks import canvas, reconcile
from tasks.app import app

log = logging.getLogger(__name__)


def retry_job(config: Config, job_id: int, now: bool = False) -> str:
    """Retry the job as described above; return what was done, raise CannotRetry if nothing."""
    job = store.get_job(config.database_url, job_id)
    if job.status in steps.CLOSED:
        canvas.retry(job_id, config)
        return f"job {job_id} queued again"
    waiting = [s for s in store.steps_of(config.database_url, job_id) if s.state == WAITING]
    if waiting and now:
        return _try_now(job_id, waiting[0])
    if waiting:
        raise AlreadyRetrying(
            f"job {job_id} is retrying by itself: {describe_wait(waiting[0])}. "
            f"`prepress retry --now {job_id}` tries at once."
        )
    if reconcile.chain_alive(config, job_id):
        raise AlreadyRetrying(
            f"job {job_id} is {job.status} at {job.step or 'its first step'}; nothing to retry"
        )
    first = steps.first_unfinished(store.steps_of(config.database_url, job_id))
    start_at = first.name if first else "persist"
    reconcile.continue_job(config, job, start_at)
    return f"job {job_id}: its chain was lost; continued from {start_at}"


def _try_now(job_id: int, step: Step) -> str:
    """Drop the scheduled retry of a waiting step and queue the step now."""
    if step.task_id:
        app.control.revoke(step.task_id)
    canvas.start(job_id, step.name)
    log.info("job %s: %s tried now instead of at its next attempt", job_id, step.name)
    return f"job {job_id}: {step.name} queued now (was {describe_wait(step)})"


def describe_wait(step: Step) -> str:
    """``upload_plate waiting since 23:01:02, 5 attempts, next at 23:10:40: <error>``."""
    since = f" since {step.waiting_since:%H:%M:%S}" if step.waiting_since else ""
    upcoming = f", next at {step.next_attempt_at:%H:%M:%S} UTC" if step.next_attempt_at else ""
    return f"{step.name} waiting{since}, {step.attempts} attempt(s){upcoming}: {step.error}"
