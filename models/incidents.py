"""Incidents (alerts sent once) and the backup's last outcome: reading and writing them.

An incident key names one condition (``target:ftp://host:21``, ``broker``, ``job:42``). The
watchdog opens it when the condition starts and tells people only when :func:`open_incident`
says it was not open yet; it resolves it when the condition is gone and tells people only when
:func:`resolve_incident` says it was open. Both are single transactions, so two rounds (or two
processes) never send the same alert twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models.db import session
from models.job import FAILED, REJECTED, Incident, Job, Setting, utcnow

#: Incident states.
OPEN, RESOLVED = "open", "resolved"
#: Setting keys of the backup's last outcome.
BACKUP_OK, BACKUP_FAILED = "backup.last_success", "backup.last_failure"


def open_incident(url: str, key: str, kind: str, message: str) -> bool:
    """Open incident ``key``; True when it was not open before (so people must be told)."""
    try:
        with session(url) as db:
            row = db.get(Incident, key)
            if row is not None and row.state == OPEN:
                return False
            row = row or Incident(key=key, kind=kind)
            row.state, row.opened_at, row.resolved_at, row.message = OPEN, utcnow(), None, message
            db.add(row)
        return True
    except IntegrityError:  # another process opened it at the same moment
        return False


def resolve_incident(url: str, key: str) -> Incident | None:
    """Resolve incident ``key``; the incident when it was open (so people hear it is over)."""
    with session(url) as db:
        row = db.get(Incident, key)
        if row is None or row.state != OPEN:
            return None
        row.state, row.resolved_at = RESOLVED, utcnow()
        db.add(row)
        return row


def forget_incident(url: str, key: str) -> None:
    """Drop incident ``key`` (nobody could be told: the next round tries again)."""
    with session(url) as db:
        row = db.get(Incident, key)
        if row is not None:
            db.delete(row)


def record_events(url: str, keys: list[str], kind: str, message: str) -> None:
    """Note one-off events (a rejected job) as resolved incidents, so they are told once."""
    now = utcnow()
    with session(url) as db:
        for key in keys:
            db.merge(
                Incident(
                    key=key,
                    kind=kind,
                    state=RESOLVED,
                    opened_at=now,
                    resolved_at=now,
                    message=message,
                )
            )


def stopped_jobs(url: str, after_id: int, limit: int = 500) -> list[Job]:
    """Rejected or failed jobs with an id above ``after_id``, oldest first."""
    with session(url) as db:
        query = (
            select(Job)
            .where(col(Job.id) > after_id, col(Job.status).in_((REJECTED, FAILED)))
            .order_by(col(Job.id))
            .limit(limit)
        )
        return list(db.exec(query))


def last_job_id(url: str) -> int:
    with session(url) as db:
        job = db.exec(select(Job).order_by(col(Job.id).desc()).limit(1)).first()
        return job.id or 0 if job else 0


def open_incidents(url: str, kind: str) -> list[Incident]:
    with session(url) as db:
        query = select(Incident).where(Incident.kind == kind, Incident.state == OPEN)
        return list(db.exec(query.order_by(col(Incident.opened_at))))


def incidents(url: str) -> list[Incident]:
    with session(url) as db:
        return list(db.exec(select(Incident).order_by(col(Incident.opened_at))))


def known_keys(url: str, keys: list[str]) -> set[str]:
    """Which of ``keys`` have an incident row (open or resolved)."""
    if not keys:
        return set()
    with session(url) as db:
        rows = db.exec(select(Incident.key).where(col(Incident.key).in_(keys)))
        return set(rows)


def get_setting(url: str, key: str) -> str:
    with session(url) as db:
        row = db.get(Setting, key)
        return row.value if row else ""


def set_setting(url: str, key: str, value: str) -> None:
    with session(url) as db:
        row = db.get(Setting, key) or Setting(key=key)
        row.value = value
        db.add(row)


def record_backup(
    url: str,
    ok: bool,
    message: str = "",
    when: datetime | None = None,
    *,
    name: str = "",
    size: int = 0,
) -> None:
    """Remember a backup's outcome (the nightly task's and ``prepress backup now``'s), the one
    record of it: on success ``<iso time> <name> <size>``, else ``<iso time> <message>``."""
    stamp = (when or utcnow()).isoformat()
    value = f"{stamp} {name} {size}" if ok and name else f"{stamp} {message}"
    set_setting(url, BACKUP_OK if ok else BACKUP_FAILED, value.strip())


def last_backup(url: str) -> dict[str, Any] | None:
    """The last successful backup: ``name``, ``size`` and ``taken_at`` (ISO), or None."""
    stamp, _, rest = get_setting(url, BACKUP_OK).partition(" ")
    if not stamp:
        return None
    name, _, size = rest.partition(" ")
    return {"name": name, "size": int(size) if size.isdigit() else 0, "taken_at": stamp}


def backup_outcomes(url: str) -> tuple[datetime | None, datetime | None, str]:
    """(last success, last failure, its message) of the nightly backup."""
    ok, failed = get_setting(url, BACKUP_OK), get_setting(url, BACKUP_FAILED)
    stamp, _, message = failed.partition(" ")
    return (
        datetime.fromisoformat(ok.split(" ")[0]) if ok else None,
        datetime.fromisoformat(stamp) if stamp else None,
        message,
    )
