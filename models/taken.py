"""Taken by the bureau, as recorded: the plate files a bureau has not taken yet, the round that
found one gone, and the one alert about a plate file left untaken (pipeline/taken.py decides,
tasks/taken.py polls)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from models.db import session
from models.job import Delivery, Job, aware
from pipeline.taken import Sent

#: The delivery kind of the plate file (the upload step records it under this kind).
PLATE = "plate"


def untaken(url: str, bureau: str, since: datetime, limit: int) -> list[Sent]:
    """Plate files sent to ``bureau`` since ``since`` not known to be taken, the oldest first,
    at most ``limit``."""
    query = (
        select(
            col(Job.id),
            col(Job.order),
            col(Job.job_name),
            col(Job.name),
            col(Job.taken_alert_at),
            col(Delivery.remote_path),
            col(Delivery.done_at),
        )
        .join(Delivery, col(Delivery.job_id) == col(Job.id))
        .where(
            col(Job.outputter) == bureau,
            col(Job.taken_at).is_(None),
            col(Delivery.kind) == PLATE,
            col(Delivery.done_at) >= since,
        )
        .order_by(col(Delivery.done_at), col(Job.id))
        .limit(limit)
    )
    with session(url) as db:
        rows = db.execute(query).all()
    return [
        Sent(
            job_id=job_id,
            remote_path=remote_path,
            uploaded_at=aware(done_at),
            label=f"{order or ''} {job_name or ''}".strip() or name,
            alerted=alerted_at is not None,
        )
        for job_id, order, job_name, name, alerted_at, remote_path, done_at in rows
    ]


def mark_taken(url: str, job_ids: Iterable[int], when: datetime) -> int:
    """The plate files of ``job_ids`` were found taken at ``when``; the jobs marked."""
    ids = list(job_ids)
    if not ids:
        return 0
    with session(url) as db:
        result = db.execute(
            update(Job)
            .where(col(Job.id).in_(ids), col(Job.taken_at).is_(None))
            .values(taken_at=when)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_alert(url: str, job_ids: Iterable[int], when: datetime) -> list[int]:
    """Of ``job_ids``, those whose untaken alert nobody claimed before (now claimed at
    ``when``): one conditional update each, so two rounds never tell the same job twice."""
    claimed = []
    with session(url) as db:
        for job_id in job_ids:
            result = db.execute(
                update(Job)
                .where(
                    col(Job.id) == job_id,
                    col(Job.taken_alert_at).is_(None),
                    col(Job.taken_at).is_(None),
                )
                .values(taken_alert_at=when)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(job_id)
    return claimed


def release_alert(url: str, job_ids: Iterable[int]) -> None:
    """Nobody could be told: the claim goes, so the next round tries again."""
    ids = list(job_ids)
    if not ids:
        return
    with session(url) as db:
        db.execute(update(Job).where(col(Job.id).in_(ids)).values(taken_alert_at=None))
