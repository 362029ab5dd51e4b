"""Rejected jobs that still need a person, and those that no longer do.

A rejected job stays a problem until someone **acknowledges** it (with an optional note: "told
the designer") or until the same file name was dropped again later and that job is done
("fixed by job N"). Acknowledgements are rows of their own, one per job, so the job record
itself stays what the pipeline wrote.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select

from models.db import session
from models.job import DONE, REJECTED, Job, utcnow
from pipeline.errors import CannotRetry, JobNotFound

#: Longest note kept with an acknowledgement.
NOTE_LENGTH = 500


class ProblemAck(SQLModel, table=True):
    """A rejected job someone has seen and dealt with (migration 0009_targets_audit)."""

    __tablename__ = "problem_ack"

    job_id: int = Field(foreign_key="job.id", primary_key=True)
    by: str = ""
    at: datetime = Field(default_factory=utcnow)
    note: str = ""


def acknowledge(url: str, job_id: int, by: str, note: str = "") -> ProblemAck:
    """Mark rejected job ``job_id`` as dealt with; CannotRetry when it is not rejected."""
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"job {job_id} does not exist")
        if job.status != REJECTED:
            raise CannotRetry(f"job {job_id} is {job.status}, not rejected: nothing to acknowledge")
        if db.get(ProblemAck, job_id) is not None:
            raise CannotRetry(f"job {job_id} was acknowledged already")
    row = ProblemAck(job_id=job_id, by=by, note=note.strip()[:NOTE_LENGTH])
    try:
        with session(url) as db:
            db.add(row)
    except IntegrityError:  # acknowledged at the same moment by someone else
        raise CannotRetry(f"job {job_id} was acknowledged already") from None
    return row


def acknowledgements(url: str, job_ids: list[int]) -> dict[int, ProblemAck]:
    if not job_ids:
        return {}
    with session(url) as db:
        rows = db.exec(select(ProblemAck).where(col(ProblemAck.job_id).in_(job_ids)))
        return {row.job_id: row for row in rows}


def fixed_by(url: str, jobs: list[Job]) -> dict[int, int]:
    """Rejected job id -> the first later job of the same file name that is done."""
    names = {job.name for job in jobs}
    if not names:
        return {}
    with session(url) as db:
        query = (
            select(Job.id, Job.name)
            .where(col(Job.name).in_(names), Job.status == DONE)
            .order_by(col(Job.id))
        )
        done = [(int(ident or 0), name) for ident, name in db.exec(query)]
    found: dict[int, int] = {}
    for job in jobs:
        later = [ident for ident, name in done if name == job.name and ident > (job.id or 0)]
        if later:
            found[job.id or 0] = later[0]
    return found


def unacknowledged(url: str, limit: int = 200) -> list[Job]:
    """Rejected jobs nobody acknowledged, newest first."""
    with session(url) as db:
        query = (
            select(Job)
            .outerjoin(ProblemAck, col(ProblemAck.job_id) == col(Job.id))
            .where(Job.status == REJECTED, col(ProblemAck.job_id).is_(None))
            .order_by(col(Job.id).desc())
        )
        return list(db.exec(query.limit(limit)))


def open_rejections(url: str, limit: int = 200) -> tuple[list[Job], list[tuple[Job, int]]]:
    """Rejected jobs still needing a person, and those fixed by a later job (with its id);
    both newest first, acknowledged ones left out."""
    rejected = unacknowledged(url, limit)
    fixed = fixed_by(url, rejected)
    still = [job for job in rejected if job.id not in fixed]
    return still, [(job, fixed[job.id or 0]) for job in rejected if job.id in fixed]


def recently_resolved(url: str, limit: int = 20) -> list[tuple[Job, ProblemAck]]:
    """The last acknowledged rejections, newest first, each with its acknowledgement."""
    with session(url) as db:
        query = (
            select(Job, ProblemAck)
            .where(col(ProblemAck.job_id) == col(Job.id))
            .order_by(col(ProblemAck.at).desc())
            .limit(limit)
        )
        return [(job, ack) for job, ack in db.exec(query)]
