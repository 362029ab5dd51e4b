"""What every pipeline step shares: claims, the step record, waiting out faults, rejection.

A step task calls :func:`run_step` with the job id, its step name and a function that does
the work. ``run_step`` first *claims* the step (models/steps.py): a step done before is not
repeated (a redelivered message continues the chain), a final job does nothing, and a step
another run holds is not run beside it. While the work runs *and makes progress* a heartbeat
renews the claim: a step whose thread uses no CPU and has no program of its own running for
``[retry] hung_after`` is hung (blocked on a dead peer); the heartbeat gives its lease up and
the reconciler continues the job elsewhere. The run that hung can no longer record anything
when it wakes up (``owner`` fences every write of the step's end, models/steps.py).

Faults are sorted by the error tree (pipeline/errors.py):

* :class:`RejectedFile`: the job is rejected and its file goes to failed/.
* :class:`TransientError` and a database that is locked or unreachable: the step *waits*. It
  is tried again after a backoff that grows with the time the step has been waiting (2 s, 4 s,
  8 s ...) but never beyond ``[retry] max_backoff`` (60 s), with jitter, so every waiting job
  is delivered within about a minute of its target coming back, however long the outage was.
  Only when the step has waited ``[retry] give_up_after`` (24 h) is the job failed, with its
  stable error code, and :func:`tell_a_person` called.
* anything else (a refusal, a bug): the job is failed at once with the message.

The retry is Celery's own (``Task.retry`` with a countdown): the message goes back to the
broker with an ETA and sits, unacknowledged, in a worker until it is due. The countdown is at
most ``max_backoff``, far below the broker's visibility timeout (hours), so Redis never gives
the message to a second worker while it waits.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Task, current_task
from celery.exceptions import Ignore, Retry
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models import steps, store
from models.job import ERRORED, FAILED, REJECTED, SKIPPED, SUCCEEDED, Job, utcnow
from pipeline import files
from pipeline.backoff import compute_backoff, jittered
from pipeline.config import Config
from pipeline.errors import (
    DatabaseUnavailable,
    DiskFull,
    RejectedFile,
    TransientError,
    error_code,
    mask_secrets,
)
from tasks.app import get_config

log = logging.getLogger(__name__)

#: Shortest wait before the next attempt after a transient fault, seconds.
MIN_BACKOFF = 2.0
#: Seconds before a step that arrived ahead of an earlier, still running step looks again.
EARLY_RETRY = 2.0
#: Seconds before a step whose claim could not be written (database busy) tries again.
CLAIM_RETRY = 2.0
#: The database is locked, restarting or unreachable (or every pooled connection is busy).
DATABASE_FAULTS = (OperationalError, InterfaceError, PoolTimeout)
#: errno values of a write that failed for lack of space.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: Faults that make a step wait instead of failing.
TRANSIENT = (TransientError, *DATABASE_FAULTS)
#: Seconds before a step whose outcome could not be recorded (database away) is tried again.
DATABASE_RETRY = 10.0
#: Seconds a step that did its work keeps trying to record its end before it gives the
#: attempt up (the next attempt finds the work done where it is recorded: deliveries, SMS).
END_PATIENCE = 30.0
#: Longest pause between two tries to record a step's end, seconds (from 1 s, doubling).
END_PAUSE = 8.0
#: Seconds of CPU the work's thread must use between two heartbeats to count as progress.
MIN_PROGRESS_CPU = 0.0005


class Skip(Exception):
    """Raised by a step's work when there is nothing to do; the message is the note."""


class AttemptLater(Exception):
    """The step is to be tried again in ``countdown`` seconds (StepTask turns it into a retry)."""

    def __init__(self, countdown: float, reason: str) -> None:
        super().__init__(reason)
        self.countdown = countdown


class StepTask(Task):
    """Base of the pipeline steps: retries as run_step asks, never a limit on their number."""

    acks_late = True
    max_retries = None

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        try:
            return super().__call__(*args, **kwargs)
        except AttemptLater as later:
            try:
                raise self.retry(countdown=later.countdown, max_retries=None) from None
            except Retry:
                raise
            except Exception as exc:  # the broker itself is down: nowhere to put the retry
                log.warning(
                    "job %s: cannot schedule the next attempt (%s); the reconciler continues "
                    "the job when the broker is back",
                    args[0] if args else "?",
                    exc,
                )
                raise Ignore() from None

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: ANN001
        """A failure run_step did not record (a time limit, a job that vanished)."""
        if isinstance(exc, (RejectedFile, BrokerError, ConnectionError, *DATABASE_FAULTS)):
            return  # recorded, or a fault of the broker or database: never a job's failure
        if not args:
            return
        config = get_config()
        step = self.name.removeprefix("tasks.")
        try:
            if store.get_job(config.database_url, args[0]).status in steps.CLOSED:
                return  # recorded by run_step
            message = mask_secrets(f"{step} failed: {exc}", config.secrets())
            log.error("job %s: %s", args[0], message)
            fail(config, args[0], step, exc, message)
        except Exception:  # the database itself may be what failed
            log.exception("job %s: could not record the failure of %s", args[0], step)


def run_step(job_id: int, step: str, work: Callable[[Job, Config], str | None]) -> str:
    """Run one step of one job once; return the step's final state."""
    config = get_config()
    url = config.database_url
    owner = steps.new_owner()
    job = _claim(url, job_id, step, owner)
    if job is None:
        return SUCCEEDED
    try:
        return _run_claimed(job, config, step, owner, work)
    except steps.LeaseLost as lost:
        log.warning("job %s: %s; this run stops here", job_id, lost)
        raise Ignore() from None
    except DATABASE_FAULTS as exc:  # the end of the step could not be recorded
        reason = mask_secrets(f"the database does not answer: {exc}", config.secrets())
        log.warning("job %s: %s: %s; tried again in %.0f s", job_id, step, reason, DATABASE_RETRY)
        raise AttemptLater(DATABASE_RETRY, reason) from None


def _run_claimed(
    job: Job, config: Config, step: str, owner: str, work: Callable[[Job, Config], str | None]
) -> str:
    """The work of a claimed step and the record of its end (fenced by ``owner``)."""
    url, job_id = config.database_url, job.id
    assert job_id is not None
    started = time.monotonic()
    try:
        with heartbeat(config, job_id, step, owner):
            note = work(job, config) or ""
    except Skip as skip:
        _finish(url, job_id, step, SKIPPED, duration=_since(started), note=str(skip), owner=owner)
        log.info("job %s: %s skipped: %s", job_id, step, skip)
        return SKIPPED
    except RejectedFile as exc:
        return _rejected(job, config, step, exc, started, owner)
    except (*TRANSIENT, OSError) as fault:
        transient = as_transient(fault)
        if not isinstance(transient, TRANSIENT):
            return _errored(job, config, step, transient, started, owner)
        later = _wait_or_give_up(config, job_id, step, transient, owner)
        if later is transient:
            raise transient from None
        raise later from None
    except Exception as exc:
        return _errored(job, config, step, exc, started, owner)
    _finish(url, job_id, step, SUCCEEDED, duration=_since(started), note=note, owner=owner)
    return SUCCEEDED


def _claim(url: str, job_id: int, step: str, owner: str) -> Job | None:
    """Claim the step; the job when this run owns it, None when it was done before.

    Raises Ignore when the message has nothing to do (the chain stops here: the job is
    final, or an earlier step is lost and the reconciler continues from there) and
    AttemptLater when another run holds the step or an earlier one is still running.
    """
    task_id = str(getattr(current_task.request, "id", "") or "") if current_task else ""
    try:
        claim = steps.claim_step(url, job_id, step, owner, task_id)
    except DATABASE_FAULTS as exc:
        raise AttemptLater(CLAIM_RETRY, f"database busy: {exc}") from None
    if claim.decision == "started":
        return claim.job
    if claim.decision == "done":
        log.info("job %s: %s already done, not repeated", job_id, step)
        return None
    if claim.decision == "busy":
        wait = (claim.lease_until - utcnow()).total_seconds() + 1 if claim.lease_until else 5
        log.info("job %s: %s is running elsewhere; looking again in %.0f s", job_id, step, wait)
        raise AttemptLater(max(1.0, wait), "running elsewhere")
    if claim.decision == "early" and claim.earlier_in_flight:
        raise AttemptLater(EARLY_RETRY, "an earlier step is still running")
    log.info("job %s: %s has nothing to do (%s)", job_id, step, claim.decision)
    raise Ignore()


def _errored(
    job: Job, config: Config, step: str, exc: Exception, started: float, owner: str
) -> str:
    """A refusal or a bug: the step's run failed and so does the job; ``exc`` is raised."""
    assert job.id is not None
    message = mask_secrets(f"{step} failed: {exc}", config.secrets())
    _finish(
        config.database_url, job.id, step, ERRORED, duration=_since(started), error=message,
        owner=owner,
    )  # fmt: skip
    fail(config, job.id, step, exc, message)
    raise exc


def as_transient(exc: Exception) -> Exception:
    """A database fault or a full disk as the prepress error it is; others as they are."""
    if isinstance(exc, DATABASE_FAULTS):
        return DatabaseUnavailable(f"the database does not answer: {getattr(exc, 'orig', exc)}")
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return DiskFull(f"no space left to write {exc.filename or 'a file'}: free some space")
    return exc


def _finish(url: str, job_id: int, step: str, state: str, **fields: Any) -> None:
    """Record the end of the step's run; while the database does not answer, try again for
    up to END_PATIENCE seconds (the work is done: do not lose it to a short outage)."""
    deadline = time.monotonic() + END_PATIENCE
    tries = 0
    while True:
        try:
            steps.finish_step(url, job_id, step, state, **fields)
            return
        except DATABASE_FAULTS as exc:
            pause = compute_backoff(tries, factor=1.0, max_backoff=END_PAUSE)
            if time.monotonic() + pause > deadline:
                raise
            log.warning("job %s: cannot record the end of %s yet (%s)", job_id, step, exc)
            time.sleep(pause)
            tries += 1


class Progress:
    """Whether the thread that created it (the one running a step's work) makes progress:
    it used CPU since the last look, or a program it started (Ghostscript) still runs.

    A thread blocked on a dead peer (a socket without an answer, a lock) uses no CPU.
    """

    def __init__(self) -> None:
        self._native_id = threading.get_native_id()
        try:
            self._clock: int | None = time.pthread_getcpuclockid(threading.get_ident())
        except (AttributeError, OSError):  # not a POSIX threads platform: always progressing
            self._clock = None
        self._cpu = self._cpu_now()
        self._last = time.monotonic()
        # programs the thread had already started before the work (a test process's servers)
        # are not the work's: only those started since count as progress
        self._before = self._children()

    def idle_for(self) -> float:
        """Seconds since the work last made progress, as seen now."""
        cpu = self._cpu_now()
        if self._clock is None or cpu - self._cpu >= MIN_PROGRESS_CPU or self._has_children():
            self._last = time.monotonic()
        self._cpu = cpu
        return time.monotonic() - self._last

    def _cpu_now(self) -> float:
        try:
            return time.clock_gettime(self._clock) if self._clock is not None else 0.0
        except OSError:  # the thread ended
            return self._cpu

    def _has_children(self) -> bool:
        return bool(self._children() - self._before)

    def _children(self) -> set[str]:
        try:
            return set(Path(f"/proc/self/task/{self._native_id}/children").read_text().split())
        except OSError:
            return set()


@contextmanager
def heartbeat(config: Config, job_id: int, step: str, owner: str) -> Iterator[None]:
    """Renew the step's lease while the work runs and makes progress; give it up when the
    work made none for ``[retry] hung_after`` (the reconciler then continues the job)."""
    url, hung_after = config.database_url, config.retry.hung_after
    every = min(steps.LEASE_SECONDS / 3, hung_after / 8)
    progress = Progress()
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(every):
            idle = progress.idle_for()
            try:
                if idle >= hung_after:
                    _hung(url, job_id, step, owner, idle)
                    return
                steps.renew_lease(url, job_id, step, owner)
            except Exception as exc:  # the next renewal may get through
                log.warning("job %s: could not renew the lease of %s: %s", job_id, step, exc)

    thread = threading.Thread(target=renew, name=f"lease-{job_id}-{step}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def _hung(url: str, job_id: int, step: str, owner: str, idle: float) -> None:
    """The step made no progress for too long: give its lease up so it is continued."""
    log.error(
        "job %s: %s made no progress for %.0f s (blocked on a peer that does not answer?); "
        "it counts as hung and the job is continued from it elsewhere",
        job_id,
        step,
        idle,
    )
    steps.give_up_lease(url, job_id, step, owner)


def _wait_or_give_up(
    config: Config, job_id: int, step: str, exc: Exception, owner: str | None = None
) -> Exception:
    """Record that the step waits and return the AttemptLater to raise, or fail the job
    after ``give_up_after`` and return ``exc``."""
    url = config.database_url
    message = mask_secrets(f"{step}: {exc}", config.secrets())
    try:
        since = steps.waiting_since(url, job_id, step)
        waited = (utcnow() - since).total_seconds()
        if waited >= config.retry.give_up_after:
            gave_up = f"{message} (waited {_duration(waited)}, giving up)"
            steps.finish_step(url, job_id, step, ERRORED, error=gave_up, owner=owner)
            fail(config, job_id, step, exc, gave_up)
            return exc
        countdown = backoff(waited, config.retry.max_backoff)
        next_attempt = utcnow() + timedelta(seconds=countdown)
        steps.wait_step(
            url, job_id, step, since=since, error=message, next_attempt=next_attempt, owner=owner
        )
    except DATABASE_FAULTS:  # the database is what is failing: nothing can be recorded
        countdown = backoff(DATABASE_RETRY, min(DATABASE_RETRY, config.retry.max_backoff))
    log.warning("job %s: %s waits %.0f s: %s", job_id, step, countdown, message)
    return AttemptLater(countdown, message)


def backoff(waited: float, max_backoff: float) -> float:
    """Seconds to the next attempt: about as long as the step has waited so far (so the
    waits double), at least MIN_BACKOFF, at most ``max_backoff``, jittered down by up to
    half so that jobs that failed together do not all come back together."""
    return max(1.0, jittered(min(max_backoff, max(MIN_BACKOFF, waited))))


def fail(config: Config, job_id: int, step: str, exc: BaseException, message: str) -> None:
    """The job stops at ``step``: failed with the error's stable code, the file kept."""
    store.fail_job(
        config.database_url,
        job_id,
        step,
        status=FAILED,
        code=error_code(exc),
        message=f"{message} The file stays in spool/; fix the cause and run "
        f"`prepress retry {job_id}`.",
    )
    tell_a_person(config, job_id, step)


def tell_a_person(config: Config, job_id: int, step: str) -> None:
    """The hook where a person is told that a job needs them.

    The job is recorded as failed with its code, message and finished time before this is
    called; alerting reads failed jobs from the database. Here it is logged.
    """
    job = store.get_job(config.database_url, job_id)
    log.error(
        "job %s (%s) failed at %s and needs a person: [%s] %s",
        job_id,
        job.name,
        step,
        job.error_code,
        job.error,
    )


def _rejected(
    job: Job, config: Config, step: str, exc: RejectedFile, started: float, owner: str
) -> str:
    url = config.database_url
    assert job.id is not None
    if store.get_job(url, job.id).status == REJECTED:
        # a detection running beside this one rejected the file and moved it away
        _finish(url, job.id, step, SKIPPED, note="job rejected meanwhile", owner=owner)
        return SKIPPED
    error = f"{exc.code}: {exc.message}"
    _finish(url, job.id, step, ERRORED, duration=_since(started), error=error, owner=owner)
    reject(job, config, step, exc)
    raise exc


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


def _since(started: float) -> float:
    return time.monotonic() - started


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.0f} s"


__all__ = ["AttemptLater", "Skip", "StepTask", "backoff", "run_step", "spooled_file"]
