"""The step lifecycle, in one place: claim (with a lease), finish, wait, first unfinished, reset.

Who runs a step, and what it is waiting for: claims with a lease, attempts, waiting state.

A step task *claims* its step before it does anything (:func:`claim_step`). The claim is a
lease: ``lease_owner`` names the process (``host:pid:token``) and ``lease_until`` says how long
the claim holds unless the owner renews it (a heartbeat thread does while the work runs).
Taking the lease is one conditional UPDATE (compare-and-set on the previous owner), so two
copies of one step (a message redelivered after the visibility timeout, a chain continued by
the reconciler, ``prepress retry --now``) can never run at the same time: the second one is
told ``busy`` and tries again when the lease would run out. A lease whose owner was a process
on this host that no longer exists is dead at once, so a killed worker's step is taken over
without waiting for the lease to run out.

A transient fault leaves the step ``waiting`` (:func:`wait_step`) with the time the current run
of faults began, the masked last error and the time of the next attempt.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from models.attempts import attempt_of
from models.db import session
from models.job import (
    ERRORED,
    HELD,
    PENDING,
    QUEUED,
    RUNNING,
    SKIPPED,
    STARTED,
    SUCCEEDED,
    WAITING,
    Job,
    Step,
    aware,
    utcnow,
)
from pipeline.chain import FINAL_STATUSES, HOLD_STEP, STAGES, stage_of
from pipeline.errors import JobNotFound

#: Seconds a claim holds without a heartbeat; the heartbeat renews it every third of that,
#: so a frozen or vanished runner is seen within half a minute.
LEASE_SECONDS = 30.0
#: Job statuses after which no step runs any more.
CLOSED = FINAL_STATUSES


@dataclass(frozen=True)
class Claim:
    """What :func:`claim_step` decided.

    ``decision``: ``started`` (the caller owns the step now), ``done`` (it was done before),
    ``closed`` (the job is final), ``busy`` (another run holds the lease until
    ``lease_until``) or ``early`` (an earlier step is not finished; ``earlier_in_flight`` says
    whether that one is running or waiting, so it will finish by itself).
    """

    decision: str
    job: Job
    lease_until: datetime | None = None
    earlier_in_flight: bool = False


def new_owner() -> str:
    """A lease owner name for one run of a step in this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_alive(owner: str, until: datetime | None, now: datetime | None = None) -> bool:
    """True when a lease still holds: it has an owner, has not run out, and its owner
    process (when it is on this host) still exists."""
    if not owner or until is None or aware(until) <= (now or utcnow()):
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_step(url: str, job_id: int, name: str, owner: str, task_id: str = "") -> Claim:
    """Decide whether step ``name`` of the job may run now and, if so, take it for ``owner``."""
    with session(url) as db:
        job = db.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"job {job_id} does not exist; `prepress jobs` lists them")
        steps = {s.name: s for s in db.exec(select(Step).where(Step.job_id == job_id))}
        step = steps.get(name) or Step(job_id=job_id, name=name)
        if step.state in (SUCCEEDED, SKIPPED):
            return Claim("done", job)  # a redelivered message: done before, not repeated
        if job.status in CLOSED or job.status == HELD:
            return Claim("closed", job)  # final, or waiting for a person at the hold
        earlier = [s for stage in STAGES[: stage_of(name)] for s in stage]
        unfinished = [steps[s] for s in earlier if s in steps and steps[s].state not in _FINISHED]
        if unfinished:
            in_flight = any(s.state in (STARTED, WAITING) for s in unfinished)
            return Claim("early", job, earlier_in_flight=in_flight)
        if step.state == STARTED and lease_alive(step.lease_owner, step.lease_until):
            return Claim("busy", job, lease_until=step.lease_until)
        if step.id is None:
            db.add(step)
            db.flush()
        if not _take_lease(db, step, owner, task_id):
            return Claim("busy", job, lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
        if job.status in (QUEUED, RUNNING):
            job.status, job.step, job.error_code, job.error = RUNNING, name, "", ""
            db.add(job)
        return Claim("started", job)


#: Step states that let the next stage run.
_FINISHED = (SUCCEEDED, SKIPPED)


def _take_lease(db, step: Step, owner: str, task_id: str) -> bool:
    """Compare-and-set on the previous owner: True when this UPDATE took the step."""
    now = utcnow()
    result = db.execute(
        update(Step)
        .where(col(Step.id) == step.id, col(Step.lease_owner) == step.lease_owner)
        .values(
            state=STARTED,
            attempts=step.attempts + 1,
            started_at=now,
            error="",
            lease_owner=owner,
            lease_until=now + timedelta(seconds=LEASE_SECONDS),
            task_id=task_id or step.task_id,
        )
    )
    return bool(result.rowcount == 1)


def renew_lease(url: str, job_id: int, name: str, owner: str) -> bool:
    """Extend ``owner``'s lease; False when it is no longer the owner."""
    with session(url) as db:
        result = db.execute(
            update(Step)
            .where(
                col(Step.job_id) == job_id, col(Step.name) == name, col(Step.lease_owner) == owner
            )
            .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def give_up_lease(url: str, job_id: int, name: str, owner: str) -> bool:
    """End ``owner``'s lease now (the step is hung); the owner stays recorded, so taking the
    step over is still a compare-and-set on it. False when it was no longer the owner."""
    with session(url) as db:
        result = db.execute(
            update(Step)
            .where(
                col(Step.job_id) == job_id, col(Step.name) == name, col(Step.lease_owner) == owner
            )
            .values(lease_until=utcnow())
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class LeaseLost(Exception):
    """The step's run was taken over (it had hung): its result is not recorded."""


def finish_step(
    url: str,
    job_id: int,
    name: str,
    state: str,
    *,
    duration: float | None = None,
    error: str = "",
    note: str = "",
    owner: str | None = None,
) -> None:
    """Record the final state of the step's run and give up its lease and waiting state.

    With ``owner`` the run records only while it still holds the lease (fencing): a run that
    hung, was taken over and wakes up later raises :class:`LeaseLost` instead of overwriting
    the run that took its place."""
    values = {"state": state, "duration": duration, "error": error}
    if note:
        values["note"] = note
    ended = values | {"waiting_since": None, "next_attempt_at": None}
    _record(url, job_id, name, owner, ended, always=False)


def _record(
    url: str, job_id: int, name: str, owner: str | None, values: dict, *, always: bool = True
) -> None:
    """Write the end of a run, with its attempt row, and give up its lease: one UPDATE,
    conditional on ``owner``. ``always=False``: the attempt row only for a run that started."""
    where = [col(Step.job_id) == job_id, col(Step.name) == name]
    if owner is not None:
        where.append(col(Step.lease_owner) == owner)
    with session(url) as db:
        step = _step(db, job_id, name)  # NoResultFound when the step does not exist
        attempt = attempt_of(step, values["state"], values["error"], values.get("note", ""))
        result = db.execute(
            update(Step).where(*where).values(**values, lease_owner="", lease_until=None)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            if always or step.started_at is not None:
                db.add(attempt)
            return
        db.refresh(step)
    taken = f" by {step.lease_owner}" if step.lease_owner else ""
    raise LeaseLost(f"step {name} of job {job_id} was taken over{taken}; its result is dropped")


def finish_held_step(db: Any, job_id: int, note: str) -> None:
    """Mark the hold step done, with its lease given up, in the caller's transaction (an
    approval's): the chain continues after it, whoever continues it."""
    step = db.exec(select(Step).where(Step.job_id == job_id, Step.name == HOLD_STEP)).first()
    step = step or Step(job_id=job_id, name=HOLD_STEP)
    step.state, step.note = SUCCEEDED, note
    step.lease_owner, step.lease_until = "", None
    db.add(step)


def waiting_since(url: str, job_id: int, name: str) -> datetime:
    """When the current run of transient faults of the step began (now for the first)."""
    with session(url) as db:
        step = _step(db, job_id, name)
        return aware(step.waiting_since) if step.waiting_since else utcnow()


def wait_step(
    url: str,
    job_id: int,
    name: str,
    *,
    since: datetime,
    error: str,
    next_attempt: datetime,
    owner: str | None = None,
) -> None:
    """The step met a transient fault: it waits for ``next_attempt``; the lease is given up
    (fenced by ``owner`` as in :func:`finish_step`)."""
    values = {"state": WAITING, "error": error}
    _record(
        url, job_id, name, owner, values | {"waiting_since": since, "next_attempt_at": next_attempt}
    )


def open_jobs(url: str, limit: int = 5000) -> list[tuple[Job, list[Step]]]:
    """Jobs that are not final, oldest first, each with its steps."""
    with session(url) as db:
        jobs = list(
            db.exec(
                select(Job)
                .where(col(Job.status).in_((QUEUED, RUNNING)))
                .order_by(col(Job.id))
                .limit(limit)
            )
        )
        if not jobs:
            return []
        ids = [job.id for job in jobs]
        rows = list(db.exec(select(Step).where(col(Step.job_id).in_(ids))))
    by_job: dict[int, list[Step]] = {}
    for row in rows:
        by_job.setdefault(row.job_id, []).append(row)
    return [(job, by_job.get(job.id or 0, [])) for job in jobs]


def first_unfinished(steps: list[Step]) -> Step | None:
    """The first step in chain order that is neither done nor skipped.

    A ``waiting`` step counts as unfinished: :func:`claim_step` lets no later step run
    before it, so a chain started after it would stop at once.
    """
    by_name = {s.name: s for s in steps}
    for stage in STAGES:
        for name in stage:
            step = by_name.get(name)
            if step is not None and step.state not in _FINISHED:
                return step
    return None


def reset(url: str, job_id: int, *, reopen: bool = False) -> None:
    """Before the job's chain runs again, its failed steps go back to pending.

    ``reopen`` (a retry of a final job): steps left running by the run that failed go back
    to pending too, and the job is queued again with its error cleared. Without it (an open
    job whose chain is continued) running steps keep their lease and the job its status.
    """
    again = (ERRORED, STARTED) if reopen else (ERRORED,)
    with session(url) as db:
        for step in db.exec(select(Step).where(Step.job_id == job_id)):
            if step.state in again:
                step.state = PENDING
                db.add(step)
        job = db.get(Job, job_id)
        if reopen and job is not None:
            job.status, job.error_code, job.error, job.finished_at = QUEUED, "", "", None
            db.add(job)


def _step(db, job_id: int, name: str) -> Step:
    return db.exec(select(Step).where(Step.job_id == job_id, Step.name == name)).one()
