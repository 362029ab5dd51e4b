"""Every attempt of a step, kept: when it ran, how it ended and why.

The step row (models/job.py ``Step``) holds only the state of its last attempt; a job retried
after "login refused" would show three attempts and no trace of why. Each finished or waiting
attempt therefore leaves a ``StepAttempt`` row, written in the same transaction that records
the step's outcome (models/steps.py), shown on the job page and by ``prepress show``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, col, select

from models.db import session
from models.job import Step, utcnow

#: Longest error or note kept per attempt.
TEXT_LENGTH = 1000


class StepAttempt(SQLModel, table=True):
    """One run of one step of one job (migration 0009_targets_audit)."""

    __tablename__ = "step_attempt"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    step: str
    number: int = 0
    started_at: datetime | None = None
    ended_at: datetime = Field(default_factory=utcnow)
    #: done, skipped, waiting (a transient fault, tried again) or failed.
    outcome: str = ""
    error: str = ""
    note: str = ""


def attempt_of(step: Step, outcome: str, error: str = "", note: str = "") -> StepAttempt:
    """The attempt row for ``step``'s current run ending with ``outcome``."""
    assert step.job_id is not None
    return StepAttempt(
        job_id=step.job_id,
        step=step.name,
        number=step.attempts,
        started_at=step.started_at,
        outcome=outcome,
        error=error[:TEXT_LENGTH],
        note=note[:TEXT_LENGTH],
    )


def attempts_of(url: str, job_id: int) -> list[StepAttempt]:
    """The job's attempts in the order they ended."""
    with session(url) as db:
        query = select(StepAttempt).where(StepAttempt.job_id == job_id)
        return list(db.exec(query.order_by(col(StepAttempt.ended_at), col(StepAttempt.id))))
