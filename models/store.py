"""Reading and writing job records: the only place that knows the tables' shapes.

Each function opens its own short transaction, so Celery tasks running in parallel on
one job (the three detections) never hold a lock for long.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models.db import session
from models.job import (
    DONE,
    ERRORED,
    FAILED,
    MODES,
    REJECTED,
    SUCCEEDED,
    Delivery,
    Job,
    Setting,
    SmsSend,
    Step,
    utcnow,
)
from pipeline.chain import LAST_STEP, STEPS, order_of
from pipeline.errors import JobNotFound


def create_job(
    url: str,
    name: str,
    *,
    mode: str = "normal",
    job_date: datetime | None = None,
    reprocess_of: int | None = None,
) -> Job:
    """Insert a queued job with one pending row per step and return it."""
    with session(url) as db:
        job = Job(name=name, mode=mode, job_date=job_date or utcnow(), reprocess_of=reprocess_of)
        db.add(job)
        db.flush()
        assert job.id is not None
        for name_ in STEPS:
            db.add(Step(job_id=job.id, name=name_))
        return job


def delete_job(url: str, job_id: int) -> None:
    """Remove a job that never got its file (another event took it first)."""
    with session(url) as db:
        for table in (Step, Delivery, SmsSend):
            for row in db.exec(select(table).where(table.job_id == job_id)):
                db.delete(row)
        job = db.get(Job, job_id)
        if job:
            db.delete(job)


def get_job(url: str, job_id: int) -> Job:
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"job {job_id} does not exist; `prepress jobs` lists them")
        return job


def update_job(url: str, job_id: int, *, warnings: Sequence[str] = (), **fields: Any) -> Job:
    """Set ``fields`` on the job and add new ``warnings`` to its list, in one transaction."""
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"job {job_id} does not exist")
        for key, value in fields.items():
            setattr(job, key, value)
        if warnings:
            job.warnings = [*job.warnings, *(w for w in warnings if w not in job.warnings)]
        db.add(job)
        return job


def add_warnings(url: str, job_id: int, warnings: Sequence[str]) -> None:
    if not warnings:
        return
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is not None:
            job.warnings = [*job.warnings, *(w for w in warnings if w not in job.warnings)]
            db.add(job)


def list_jobs(
    url: str, status: str | None = None, since: datetime | None = None, limit: int = 200
) -> list[Job]:
    with session(url) as db:
        query = select(Job).order_by(col(Job.id).desc()).limit(limit)
        if status:
            query = query.where(Job.status == status)
        if since:
            query = query.where(Job.received_at >= since)
        return list(db.exec(query))


def steps_of(url: str, job_id: int) -> list[Step]:
    with session(url) as db:
        rows = list(db.exec(select(Step).where(Step.job_id == job_id)))
        return sorted(rows, key=lambda s: order_of(s.name))


def fail_job(url: str, job_id: int, step: str, *, status: str, code: str, message: str) -> None:
    """Record that the job stopped at ``step`` (rejected input or retries exhausted)."""
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is None:
            return
        if job.status == REJECTED and status == REJECTED and job.error:
            if message not in job.error:
                job.error = f"{job.error}\n{message}"
        else:
            job.status, job.step, job.error_code, job.error = status, step, code, message
        job.finished_at = utcnow()
        db.add(job)


def finish_job(url: str, job_id: int, archive_path: str) -> None:
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"job {job_id} does not exist")
        job.status, job.step, job.archive_path = DONE, LAST_STEP, archive_path
        job.spool_path, job.finished_at = "", utcnow()
        db.add(job)


def get_delivery(url: str, job_id: int, kind: str) -> Delivery | None:
    with session(url) as db:
        return db.exec(
            select(Delivery).where(Delivery.job_id == job_id, Delivery.kind == kind)
        ).first()


def deliveries_of(url: str, job_id: int) -> list[Delivery]:
    with session(url) as db:
        return list(db.exec(select(Delivery).where(Delivery.job_id == job_id)))


def record_delivery(url: str, job_id: int, kind: str, result: dict[str, Any]) -> None:
    with session(url) as db:
        db.add(
            Delivery(
                job_id=job_id,
                kind=kind,
                target=result["target"],
                remote_path=result["remote_path"],
                bytes=result["bytes"],
                seconds=result["seconds"],
                speed_mbps=result["speed_mbps"],
            )
        )


def claim_sms(url: str, job_id: int, recipient: str, text: str) -> bool:
    """Reserve the send to ``recipient`` for this job; False when it was claimed before."""
    try:
        with session(url) as db:
            db.add(SmsSend(job_id=job_id, recipient=recipient, text=text))
        return True
    except IntegrityError:
        return False


def complete_sms(
    url: str, job_id: int, recipient: str, provider_id: str, count: int, cost: str
) -> None:
    with session(url) as db:
        row = db.exec(
            select(SmsSend).where(SmsSend.job_id == job_id, SmsSend.recipient == recipient)
        ).one()
        row.state, row.provider_id, row.count, row.cost = "sent", provider_id, count, cost
        row.sent_at = utcnow()
        db.add(row)


def release_sms(url: str, job_id: int, recipient: str) -> None:
    """The provider said no (or could not be reached): the claim goes so a retry may send."""
    with session(url) as db:
        row = db.exec(
            select(SmsSend).where(SmsSend.job_id == job_id, SmsSend.recipient == recipient)
        ).first()
        if row is not None and row.state == "sending":
            db.delete(row)


def get_sms(url: str, job_id: int, recipient: str) -> SmsSend | None:
    with session(url) as db:
        return db.exec(
            select(SmsSend).where(SmsSend.job_id == job_id, SmsSend.recipient == recipient)
        ).first()


def reclaim_sms(url: str, job_id: int, recipient: str) -> None:
    """An ``unknown`` or ``sending`` claim the provider has no record of: sending again."""
    with session(url) as db:
        row = db.exec(
            select(SmsSend).where(SmsSend.job_id == job_id, SmsSend.recipient == recipient)
        ).one()
        if row.state != "sent":
            row.state, row.sent_at = "sending", utcnow()
            db.add(row)


def mark_sms_unknown(url: str, job_id: int, recipient: str) -> bool:
    """Turn a claim still ``sending`` into ``unknown``; True when it was still sending."""
    with session(url) as db:
        row = db.exec(
            select(SmsSend).where(SmsSend.job_id == job_id, SmsSend.recipient == recipient)
        ).first()
        if row is None or row.state != "sending":
            return False
        row.state = "unknown"
        db.add(row)
        return True


def sms_of(url: str, job_id: int) -> list[SmsSend]:
    with session(url) as db:
        return list(db.exec(select(SmsSend).where(SmsSend.job_id == job_id)))


def get_mode(url: str) -> str:
    with session(url) as db:
        row = db.get(Setting, "mode")
        return row.value if row else "normal"


def set_mode(url: str, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    with session(url) as db:
        row = db.get(Setting, "mode") or Setting(key="mode")
        row.value = mode
        db.add(row)


#: Setting key prefix of a job whose plate file is sent again even if the bureau has it.
FORCE_UPLOAD = "force_upload:"


def set_force_upload(url: str, job_id: int) -> None:
    """Mark a job (a remake) to send its plate file even when the bureau has the same file."""
    with session(url) as db:
        db.add(Setting(key=f"{FORCE_UPLOAD}{job_id}", value="1"))


def force_upload(url: str, job_id: int) -> bool:
    """True when ``prepress reprocess --force-upload`` made this job."""
    with session(url) as db:
        return db.get(Setting, f"{FORCE_UPLOAD}{job_id}") is not None


__all__ = ["DONE", "ERRORED", "FAILED", "REJECTED", "SUCCEEDED", "JobNotFound", "STEPS"]
