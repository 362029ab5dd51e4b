"""The per-file chain, built in one place.

    validate -> group(detect_press, count_plates, detect_outputter) -> render_preview
             -> upload_plate -> upload_preview -> notify_sms -> persist

Every signature is immutable and carries only the job id. This module is the one place in
pipeline/ that speaks Celery's canvas; the tasks themselves live in tasks/.
"""

from __future__ import annotations

from pathlib import Path

from models import store
from models.job import DONE, REJECTED
from pipeline import files
from pipeline.config import Config

#: The chain, stage by stage; a tuple is a group of steps that run side by side.
CHAIN: tuple[str | tuple[str, ...], ...] = (
    "validate",
    ("detect_press", "count_plates", "detect_outputter"),
    "render_preview",
    "upload_plate",
    "upload_preview",
    "notify_sms",
    "persist",
)


class CannotRetry(Exception):
    """The job is not in a state a retry can help; the message says why and what to do."""


def stages_from(step: str) -> list[str | tuple[str, ...]]:
    """The stages of the chain from the one containing ``step`` to the end."""
    for index, stage in enumerate(CHAIN):
        if stage == step or (isinstance(stage, tuple) and step in stage):
            return list(CHAIN[index:])
    raise ValueError(f"unknown step {step!r}")


def build(job_id: int, start_at: str = "validate"):  # noqa: ANN201  (a celery Signature)
    """The chain for one job from ``start_at`` on."""
    from celery import chain, group

    from tasks.app import app

    parts = []
    for stage in stages_from(start_at):
        if isinstance(stage, tuple):
            parts.append(group(app.signature(f"tasks.{s}", args=(job_id,), immutable=True)
                               for s in stage))
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
        raise CannotRetry(f"job {job_id} is done; use `prepress reprocess {job_id}` to run the "
                          f"whole chain again as a new job")
    if job.status == REJECTED:
        raise CannotRetry(f"job {job_id} was rejected ({job.error_code}): the file itself is "
                          f"wrong. Fix it and drop it into the hotfolder again, or "
                          f"`prepress reprocess {job_id}` after changing the configuration")
    if not job.spool_path or not (config.paths.work_dir / job.spool_path).exists():
        raise CannotRetry(f"job {job_id}: the spooled file is gone; use `prepress reprocess`")
    step = store.first_unfinished_step(url, job_id) or "persist"
    store.reset_failed_steps(url, job_id)
    return start(job_id, step)


def submit(path: Path, config: Config) -> int | None:
    """Take a file into spool/, record a queued job and queue its chain; return the job id.

    The job row exists before the file moves and before anything is queued. None means
    another taker renamed the file first (one file, one job).
    """
    url = config.database_url
    mode = store.get_mode(url)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None  # taken already (another event for the same file)
    job_date = None
    if mode == "import":
        from datetime import UTC, datetime

        job_date = datetime.fromtimestamp(stat.st_mtime, UTC)
    job = store.create_job(url, path.name, mode=mode, job_date=job_date)
    assert job.id is not None
    spooled = files.take_into_spool(path, config.paths.spool, job.id)
    if spooled is None:
        store.delete_job(url, job.id)
        return None
    _record_and_start(job.id, spooled, config)
    return job.id


def reprocess(job_id: int, config: Config) -> int:
    """Run the whole chain again on a job's archived original, as a new job."""
    job = store.get_job(config.database_url, job_id)
    candidates = [job.archive_path, job.spool_path]
    for relative in filter(None, candidates):
        original = config.paths.work_dir / relative
        if original.is_file():
            return submit_copy(original, job.name, config, job_id)
    raise CannotRetry(f"job {job_id}: no original found (archive {job.archive_path or '-'}); "
                      f"it may have been removed by the retention period")


def submit_copy(original: Path, name: str, config: Config,
                reprocess_of: int | None = None) -> int:
    """A new job on a copy of ``original`` named ``name``; the original stays where it is."""
    url = config.database_url
    job = store.create_job(url, name, mode=store.get_mode(url), reprocess_of=reprocess_of)
    assert job.id is not None
    spooled = files.copy_for_reprocess(original, config.paths.spool, job.id, name)
    _record_and_start(job.id, spooled, config)
    return job.id


def _record_and_start(job_id: int, spooled: Path, config: Config) -> None:
    """Record where the file is, then its size and hash, then queue the chain.

    The path is stored first: whatever happens next, the job points at its file. A file that
    cannot be read still gets its chain, and validate records why it fails.
    """
    url = config.database_url
    store.update_job(url, job_id, spool_path=str(spooled.relative_to(config.paths.work_dir)))
    try:
        store.update_job(url, job_id, size=spooled.stat().st_size,
                         sha256=files.sha256_of(spooled))
    except OSError as exc:
        store.add_warnings(url, job_id, [f"{spooled.name}: cannot read the file ({exc})"])
    start(job_id)
