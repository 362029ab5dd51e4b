"""The per-file chain, built in one place.

    validate -> group(detect_press, count_plates, detect_outputter) -> render_preview
             -> hold -> upload_plate -> upload_preview -> notify_sms -> persist

Every signature is immutable and carries only the job id. Intake (watcher/intake.py) records the
job and calls :func:`start`; ``prepress retry`` and Flower's ``tasks.retry_job`` call
:func:`retry`.
"""

from __future__ import annotations

from celery import chain, group
from celery.canvas import Signature

from models import store
from models.job import DONE, REJECTED
from pipeline.config import Config
from pipeline.errors import CannotRetry
from tasks.app import app

#: The chain, stage by stage; a tuple is a group of steps that run side by side.
CHAIN: tuple[str | tuple[str, ...], ...] = (
    "validate",
    ("detect_press", "count_plates", "detect_outputter"),
    "render_preview",
    "hold",
    "upload_plate",
    "upload_preview",
    "notify_sms",
    "persist",
)


def stages_from(step: str) -> list[str | tuple[str, ...]]:
    """The stages of the chain from the one containing ``step`` to the end."""
    for index, stage in enumerate(CHAIN):
        if stage == step or (isinstance(stage, tuple) and step in stage):
            return list(CHAIN[index:])
    raise ValueError(f"unknown step {step!r}")


def build(job_id: int, start_at: str = "validate") -> Signature:
    """The chain for one job from ``start_at`` on."""
    parts = []
    for stage in stages_from(start_at):
        if isinstance(stage, tuple):
            parts.append(
                group(app.signature(f"tasks.{s}", args=(job_id,), immutable=True) for s in stage)
            )
        else:
            parts.append(app.signature(f"tasks.{stage}", args=(job_id,), immutable=True))
    return chain(*parts)


def start(job_id: int, start_at: str = "validate") -> str:
    """Queue the job's chain; return the Celery id of its last task."""
    result = build(job_id, start_at).apply_async()
    _stop_following(result)
    return str(result.id)


def _stop_following(result) -> None:  # noqa: ANN001  (a celery AsyncResult)
    """Drop this process's subscriptions to the chain's results.

    Celery's Redis backend keeps the members of a group as pending results in the sender;
    left alone they unsubscribe in ``__del__`` at interpreter exit and print a traceback.
    """
    node = result
    while node is not None:
        for member in getattr(node, "results", None) or [node]:
            member.backend.remove_pending_result(member)
        node = node.parent


def retry(job_id: int, config: Config) -> str:
    """Queue a failed job again from its first unfinished step; done steps are not repeated."""
    url = config.database_url
    job = store.get_job(url, job_id)
    if job.status == DONE:
        raise CannotRetry(
            f"job {job_id} is done; use `prepress reprocess {job_id}` to run the "
            f"whole chain again as a new job"
        )
    if job.status == REJECTED:
        raise CannotRetry(
            f"job {job_id} was rejected ({job.error_code}): the file itself is "
            f"wrong. Fix it and drop it into the hotfolder again, or "
            f"`prepress reprocess {job_id}` after changing the configuration"
        )
    if not job.spool_path or not (config.paths.work_dir / job.spool_path).exists():
        raise CannotRetry(f"job {job_id}: the spooled file is gone; use `prepress reprocess`")
    step = store.first_unfinished_step(url, job_id) or "persist"
    store.reset_failed_steps(url, job_id)
    return start(job_id, step)
