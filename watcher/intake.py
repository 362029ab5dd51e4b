"""Intake: a stable file in the hotfolder (or a file given to ``prepress process``, or a job's
archived original for ``reprocess``) becomes a job row, then a file in spool/, then a queued
chain, in that order: the row exists before the file moves, and the file is in spool/ before
anything is queued.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from models import store
from models.job import QUEUED, STARTED, utcnow
from pipeline import files
from pipeline.config import Config
from pipeline.errors import CannotRetry, RejectedFile
from pipeline.text import is_utf8_name, shown
from tasks import canvas

log = logging.getLogger(__name__)

#: A queued job with no step started after this long was probably never sent to the broker.
STRANDED_AFTER = timedelta(minutes=2)


def take(path: Path, config: Config) -> int | None:
    """Submit one stable file; return its job id (None when another taker won)."""
    job_id = submit(path, config)
    if job_id is not None:
        log.info("job %s: took %r", job_id, path.name)
    return job_id


def requeue_stranded(config: Config) -> list[int]:
    """Queue again jobs that were recorded but never reached the broker (crash, broker down)."""
    from tasks.inflight import queued_jobs
    from tasks.reconcile import queues

    url = config.database_url
    requeued = []
    in_broker = queued_jobs(config, queues())
    for job in store.list_jobs(url, status=QUEUED, limit=1000):
        assert job.id is not None
        if not job.spool_path or utcnow() - job.received_at < STRANDED_AFTER:
            continue
        if job.id in in_broker:
            continue  # waiting its turn in the queue
        if any(step.attempts or step.state == STARTED for step in store.steps_of(url, job.id)):
            continue
        log.warning("job %s (%s) was never started; queueing it again", job.id, job.name)
        canvas.start(job.id)
        requeued.append(job.id)
    return requeued


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
    # A name that is not UTF-8 cannot be stored or sent: the job and the spooled file take
    # its escaped form (``\xNN`` for each such byte), and the job is rejected below.
    name = path.name if is_utf8_name(path.name) else shown(path.name)
    job = store.create_job(url, name, mode=mode, job_date=job_date)
    assert job.id is not None
    try:
        spooled = files.take_into_spool(path, config.paths.spool, job.id, name)
    except BaseException:
        store.delete_job(url, job.id)  # the file stays in the hotfolder; no orphan row
        raise
    if spooled is None:
        store.delete_job(url, job.id)
        return None
    if name != path.name:
        _reject_bad_name(job.id, spooled, config)
    else:
        _record_and_start(job.id, spooled, config)
    return job.id


def _reject_bad_name(job_id: int, spooled: Path, config: Config) -> None:
    """A file whose name was not UTF-8: rejected to failed/ with ``bad_filename`` at once (the
    watchdog tells the staff as of any rejected file), never retried and never lost."""
    from tasks.base import reject

    url = config.database_url
    store.update_job(url, job_id, spool_path=str(spooled.relative_to(config.paths.work_dir)))
    error = RejectedFile(
        "bad_filename",
        f"{spooled.name}: the file name is not valid UTF-8 (its bytes are shown as \\xNN); "
        f"rename the file on the share (Samba's unix charset must be UTF-8) and drop it again.",
        spooled.name,
    )
    reject(store.get_job(url, job_id), config, "validate", error)


def release_claims(config: Config) -> list[Path]:
    """Put back into the hotfolder files an interrupted take had claimed (at watcher start)."""
    released = files.release_claims(config.paths.hotfolder)
    for path in released:
        log.warning(
            "%r: an interrupted take had claimed it; it is in the hotfolder again", path.name
        )
    return released


def reprocess(job_id: int, config: Config, queue: bool = True) -> int:
    """Run the whole chain again on a job's archived original, as a new job.

    ``queue=False`` records the job with its file and leaves queueing to the caller."""
    job = store.get_job(config.database_url, job_id)
    candidates = [job.archive_path, job.spool_path]
    for relative in filter(None, candidates):
        original = config.paths.work_dir / relative
        if original.is_file():
            return submit_copy(original, job.name, config, job_id, queue=queue)
    raise CannotRetry(
        f"job {job_id}: no original found (archive {job.archive_path or '-'}); "
        f"it may have been removed by the retention period"
    )


def submit_copy(
    original: Path,
    name: str,
    config: Config,
    reprocess_of: int | None = None,
    queue: bool = True,
) -> int:
    """A new job on a copy of ``original`` named ``name``; the original stays where it is.

    ``queue=False`` records the job with its file and leaves queueing (:func:`canvas.start`)
    to the caller, which can then say clearly that the broker is down.
    """
    url = config.database_url
    job = store.create_job(url, name, mode=store.get_mode(url), reprocess_of=reprocess_of)
    assert job.id is not None
    spooled = files.copy_for_reprocess(original, config.paths.spool, job.id, name)
    _record_and_start(job.id, spooled, config, queue)
    return job.id


def _record_and_start(job_id: int, spooled: Path, config: Config, queue: bool = True) -> None:
    """Record where the file is, then its size and hash, then queue the chain.

    The path is stored first: whatever happens next, the job points at its file. A file that
    cannot be read still gets its chain, and validate records why it fails.
    """
    url = config.database_url
    store.update_job(url, job_id, spool_path=str(spooled.relative_to(config.paths.work_dir)))
    try:
        store.update_job(url, job_id, size=spooled.stat().st_size, sha256=files.sha256_of(spooled))
    except OSError as exc:
        store.add_warnings(url, job_id, [f"{spooled.name}: cannot read the file ({exc})"])
    if queue:
        canvas.start(job_id)
