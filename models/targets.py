"""The health of each delivery and notification target: one row per target, kept by outcomes.

A target (pipeline/targets.py names them) is ``ok`` after a success, ``failing`` from the
first failed attempt of an incident until the next success, and *unknown* while it has no row
(never used). The steps that send (uploads, the job's SMS, the backup, alerts) write their own
outcomes here, so what the dashboard, ``prepress status`` and the watchdog show is what really
happened, not a separate probe's guess.

Two workers may report one target at once, and an attempt that began before the last success
may report its failure after it: :func:`record_failure` ignores a failure whose attempt started
before the last success (the target has worked since), so a late report never turns a
recovered target red again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select

from models.db import session
from models.job import STARTED, WAITING, Job, Step, aware, utcnow

#: Target states (a target without a row is unknown).
OK, FAILING, UNKNOWN = "ok", "failing", "unknown"
#: Longest error text kept.
ERROR_LENGTH = 500


class TargetState(SQLModel, table=True):
    """One target's health (migration 0009_targets_audit)."""

    __tablename__ = "target_state"

    key: str = Field(primary_key=True, description="bureau:Leonov, press:Speedmaster, sms, ...")
    label: str = ""
    where: str = Field(default="", description="scheme://host:port, never a password")
    state: str = OK
    #: First failed attempt of the current incident (None when ok).
    failing_since: datetime | None = None
    last_ok_at: datetime | None = None
    last_failure_at: datetime | None = None
    #: The last failure's message, secrets masked by the caller.
    last_error: str = ""
    #: Failed attempts since failing_since.
    failures: int = 0
    #: When an idle target was last probed (connect and log in).
    probed_at: datetime | None = None


def record_success(url: str, key: str, label: str, where: str, at: datetime | None = None) -> None:
    """The target worked: ok from now on, the incident (if any) is over."""
    moment = at or utcnow()

    def change(row: TargetState) -> None:
        if row.last_ok_at is None or aware(row.last_ok_at) < moment:
            row.last_ok_at = moment
        row.state, row.failing_since, row.failures = OK, None, 0

    _upsert(url, key, label, where, change)


def record_failure(
    url: str, key: str, label: str, where: str, error: str, attempted_at: datetime | None = None
) -> None:
    """An attempt that began at ``attempted_at`` failed with ``error`` (masked)."""
    began = attempted_at or utcnow()

    def change(row: TargetState) -> None:
        if row.last_ok_at is not None and aware(row.last_ok_at) > began:
            return  # it has worked since this attempt began: a late report
        if row.state != FAILING or row.failing_since is None:
            row.state, row.failing_since, row.failures = FAILING, began, 0
        row.failures += 1
        row.last_failure_at = utcnow()
        row.last_error = error[:ERROR_LENGTH]

    _upsert(url, key, label, where, change)


def record_probe(url: str, key: str) -> None:
    """Remember that the idle target ``key`` was probed now."""
    with session(url) as db:
        row = db.get(TargetState, key)
        if row is not None:
            row.probed_at = utcnow()
            db.add(row)


def _upsert(url: str, key: str, label: str, where: str, change: object) -> None:
    """Apply ``change`` to the row of ``key`` (made when missing) in one transaction."""
    for _ in range(3):
        try:
            with session(url) as db:
                row = db.get(TargetState, key, with_for_update=True)
                if row is None:
                    row = TargetState(key=key)
                row.label, row.where = label or row.label, where or row.where
                change(row)  # type: ignore[operator]
                db.add(row)
            return
        except IntegrityError:  # another process made the row at the same moment
            continue


def states(url: str) -> dict[str, TargetState]:
    """Every target's row, by key."""
    with session(url) as db:
        return {row.key: row for row in db.exec(select(TargetState))}


def failing(url: str) -> list[TargetState]:
    """Targets failing now, the longest failing first."""
    with session(url) as db:
        query = select(TargetState).where(TargetState.state == FAILING)
        return list(db.exec(query.order_by(col(TargetState.failing_since))))


@dataclass(frozen=True)
class WaitingStep:
    """A step waiting on a transient fault, with what its job says about the target."""

    job_id: int
    name: str
    outputter: str
    press: str
    step: str
    attempts: int
    waiting_since: datetime | None
    next_attempt_at: datetime | None
    error: str


def waiting_steps(url: str, job_ids: list[int] | None = None) -> list[WaitingStep]:
    """Every waiting step (or those of ``job_ids``), also one whose next attempt is running
    now; only the columns the targets need: every page's health strip asks (ix_step_state
    makes it a look-up, not a scan)."""
    if job_ids is not None and not job_ids:
        return []
    columns = (
        Job.id, Job.name, Job.outputter, Job.press, Step.name, Step.attempts,
        Step.waiting_since, Step.next_attempt_at, Step.error,
    )  # fmt: skip
    query = sa_select(*[col(column) for column in columns])
    # a waiting step being tried again is "running" for that moment, still waiting on it
    query = query.where(
        col(Step.job_id) == col(Job.id),
        col(Step.state).in_((WAITING, STARTED)),
        col(Step.waiting_since).is_not(None),
    )
    if job_ids is not None:
        query = query.where(col(Step.job_id).in_(job_ids))
    with session(url) as db:
        return [WaitingStep(*row) for row in db.execute(query)]
