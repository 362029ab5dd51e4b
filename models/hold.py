"""The hold in the database: earlier jobs with the same bytes, holding a job, the decision.

A held job's state is its row (status ``held``, findings, ``held_at``): no message, no worker
and no Redis key waits for it, so it survives restarts of every process and of the broker,
and the reconciler (which looks only at queued and running jobs) never takes it for lost.

Approve and reject are each one conditional UPDATE (``WHERE status = 'held'``): of two people
clicking at the same moment exactly one changes the row, and only that one continues the
chain or moves the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from models import steps
from models.db import session
from models.job import (
    APPROVED,
    DISMISSED,
    HELD,
    QUEUED,
    REJECTED,
    RUNNING,
    Job,
    Setting,
    utcnow,
)
from pipeline.chain import HOLD_STEP, RESUME_AFTER_HOLD
from pipeline.hold import Earlier

#: The mode whose earlier jobs are no duplicate source: nothing was bought for them.
NOT_BOUGHT_MODE = "dry-run"
#: The error code of a job a person rejected at the hold.
REJECTED_AT_HOLD = "rejected_at_hold"
#: Setting key prefix of a job whose plate file is sent again (models/store.py's FORCE_UPLOAD).
FORCE_UPLOAD = "force_upload:"


def earlier_same_bytes(url: str, job: Job, since: datetime) -> Earlier | None:
    """The latest earlier job received since ``since`` whose file had the same sha256.

    Rejected jobs (nothing sent) and dry-run jobs (nothing bought) do not count as earlier.
    """
    if not job.sha256:
        return None
    with session(url) as db:
        query = _earlier(job, since).where(col(Job.sha256) == job.sha256)
        found = db.exec(query).first()
    return _as_earlier(found)


def stands_in_for_its_original(url: str, job: Job) -> bool:
    """True when ``job`` is a reprocess of a job that bought its plates: then it is no
    duplicate of it (it is the same job run again; a same-file upload replaces it in the
    totals, ``--force-upload`` makes a remake).

    A reprocess of a job that bought nothing is checked like any job: one rejected (at the
    hold or before), still held, a duplicate nobody approved (done in import mode), or a
    dry-run. Its bytes may be an earlier job's, and sending them again is a remake only
    through an approval at the hold."""
    if job.reprocess_of is None:
        return False
    with session(url) as db:
        original = db.get(Job, job.reprocess_of)
        if original is None:
            return False
        bought_nothing = (
            original.status in (REJECTED, HELD)
            or original.mode == NOT_BOUGHT_MODE
            or (original.duplicate_of is not None and not original.remake)
        )
        return not bought_nothing


def earlier_same_order_and_job(url: str, job: Job, since: datetime) -> Earlier | None:
    """The latest earlier job since ``since`` with the same order and job name (other bytes)."""
    if not job.order or not job.job_name:
        return None
    with session(url) as db:
        query = _earlier(job, since).where(
            col(Job.order) == job.order,
            col(Job.job_name) == job.job_name,
            col(Job.sha256) != job.sha256,
        )
        found = db.exec(query).first()
    return _as_earlier(found)


def _earlier(job: Job, since: datetime) -> Any:
    return (
        select(Job)
        .where(
            col(Job.id) < (job.id or 0),
            col(Job.received_at) >= since,
            col(Job.status) != REJECTED,
            col(Job.mode) != NOT_BOUGHT_MODE,
        )
        .order_by(col(Job.id).desc())
        .limit(1)
    )


def _as_earlier(job: Job | None) -> Earlier | None:
    if job is None or job.id is None:
        return None
    return Earlier(job.id, job.name, job.received_at, job.sha256)


def record_findings(
    url: str, job_id: int, findings: Sequence[dict[str, Any]], duplicate_of: int | None
) -> None:
    """Store what the hold found (a job that goes on: warnings only, or import mode)."""
    with session(url) as db:
        job = _job(db, job_id)
        job.findings, job.duplicate_of = list(findings), duplicate_of
        db.add(job)


def hold_job(
    url: str, job_id: int, findings: Sequence[dict[str, Any]], duplicate_of: int | None
) -> bool:
    """Hold the running job with its findings; False when it is no longer running or queued."""
    with session(url) as db:
        job = _job(db, job_id)
        if job.status not in (QUEUED, RUNNING, HELD):
            return False
        job.findings, job.duplicate_of = list(findings), duplicate_of
        job.status, job.step = HELD, HOLD_STEP
        job.held_at = job.held_at or utcnow()
        db.add(job)
        return True


def approve(
    url: str, job_id: int, who: str, reason: str, remake: Mapping[str, Any] | None = None
) -> bool:
    """held -> queued, approved by ``who``: True for the one caller whose UPDATE changed the row.

    In the same transaction the hold step is marked done (so the chain continues after it,
    whether from here or from the reconciler), and an approved duplicate becomes a remake
    whose plate file is sent again even when the bureau has it: ``remake`` gives its
    ``remake_of`` and ``remake_reason_code``; its number is the next of that original's.
    """
    now = utcnow()
    with session(url) as db:
        duplicate = db.exec(select(Job.duplicate_of).where(col(Job.id) == job_id)).first()
        linked: dict[str, Any] = {}
        if duplicate is not None and remake:
            from models.remakes import next_number

            linked = {**remake, "remake_number": next_number(db, int(remake["remake_of"]))}
        changed = db.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status) == HELD)
            .values(
                status=QUEUED,
                step=RESUME_AFTER_HOLD,
                decision=APPROVED,
                decided_by=who,
                decided_at=now,
                decision_reason=reason,
                remake=duplicate is not None,
                **linked,
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        steps.finish_held_step(db, job_id, f"approved by {who}: {reason}".rstrip(": "))
        if duplicate is not None and db.get(Setting, f"{FORCE_UPLOAD}{job_id}") is None:
            db.add(Setting(key=f"{FORCE_UPLOAD}{job_id}", value="1"))
        return True


def reject(url: str, job_id: int, who: str, reason: str, message: str) -> bool:
    """held -> rejected by ``who``: True for the one caller whose UPDATE changed the row."""
    now = utcnow()
    with session(url) as db:
        changed = db.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status) == HELD)
            .values(
                status=REJECTED,
                step=HOLD_STEP,
                error_code=REJECTED_AT_HOLD,
                error=message,
                decision=DISMISSED,
                decided_by=who,
                decided_at=now,
                decision_reason=reason,
                finished_at=now,
            )
        )
        return bool(changed.rowcount == 1)  # type: ignore[attr-defined]


def held_jobs(url: str, limit: int = 500) -> list[Job]:
    """Held jobs, longest held first."""
    with session(url) as db:
        query = (
            select(Job)
            .where(col(Job.status) == HELD)
            .order_by(col(Job.held_at), col(Job.id))
            .limit(limit)
        )
        return list(db.exec(query))


def held_count(url: str) -> int:
    """How many jobs wait at the hold (the dashboard header's count)."""
    from sqlalchemy import func

    with session(url) as db:
        return int(db.exec(select(func.count()).where(col(Job.status) == HELD)).one())


def _job(db: Any, job_id: int) -> Job:
    from pipeline.errors import JobNotFound

    job = db.get(Job, job_id)
    if job is None:
        raise JobNotFound(f"job {job_id} does not exist; `prepress jobs` lists them")
    return job


def remake_jobs(url: str, where: Any, limit: int = 200) -> list[Job]:
    """Done remakes among the jobs ``where`` (a models.report.JobFilter) selects, newest first."""
    from models.report import conditions

    with session(url) as db:
        query = (
            select(Job)
            .where(col(Job.remake).is_(True), col(Job.status) == "done")
            .where(*conditions(where))
            .order_by(col(Job.job_date).desc())
            .limit(limit)
        )
        return list(db.exec(query))
