"""Remakes in the database: the next remake number of a job, marking a new job as a remake, and
the remakes of a job (its page lists them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from models.db import session
from models.job import Job


def original_of(job: Job) -> int:
    """The job whose first plates ``job`` remakes (itself when it is no remake)."""
    assert job.id is not None
    return job.remake_of if job.remake_of is not None else job.id


def next_number(db: Any, original: int) -> int:
    """1 + the highest remake number of ``original`` so far (any status: every number once
    named a file at the bureau)."""
    highest = db.exec(
        select(func.max(col(Job.remake_number))).where(col(Job.remake_of) == original)
    ).one()
    return int(highest or 0) + 1


def mark(
    url: str,
    job_id: int,
    original: int,
    reason_code: str,
    plates: Sequence[dict[str, Any]],
    note: str = "",
) -> int:
    """Make the (not yet queued) job ``job_id`` remake ``original``; return its number."""
    with session(url) as db:
        job = db.get(Job, job_id)
        assert job is not None
        number = next_number(db, original)
        job.remake, job.remake_of, job.remake_number = True, original, number
        job.remake_reason_code, job.remake_note = reason_code, note
        job.remake_plates = [dict(plate) for plate in plates]
        db.add(job)
    return number


def remakes_of(url: str, original: int, limit: int = 100) -> list[Job]:
    """The remakes of ``original``, in the order they were made."""
    with session(url) as db:
        query = select(Job).where(col(Job.remake_of) == original).order_by(col(Job.id)).limit(limit)
        return list(db.exec(query))
