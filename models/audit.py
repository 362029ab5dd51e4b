"""The audit trail: who did what to which job, when, and from where.

Every operator action (mode switch, retry, retry all, reprocess, acknowledge, approval or
rejection of a held job, config push) calls :func:`record` from the one function that does
it (tasks/actions.py), so the page, the API, Flower and the CLI are all covered alike. The
actor is a dashboard user, or the OS user for the CLI. Nothing secret goes in: actions and
job ids, and a short detail such as the new mode or an acknowledgement's note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Field, SQLModel, col, func, select

from models.db import session
from models.job import utcnow

#: Longest detail kept.
DETAIL_LENGTH = 500
#: Entries the audit page shows at most.
PAGE_LIMIT = 500


class Actor(Protocol):
    """Who asked (tasks/actions.py ``Actor``): a user name and where from (cli, web, api)."""

    @property
    def name(self) -> str: ...

    @property
    def where(self) -> str: ...


class AuditEntry(SQLModel, table=True):
    """One action by one person (migration 0009_targets_audit)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(index=True)
    via: str = Field(default="", description="cli, web, api or flower")
    action: str = Field(index=True)
    job_id: int | None = Field(default=None, index=True)
    detail: str = ""


def record(
    url: str, actor: Actor, action: str, *, job_id: int | None = None, detail: str = ""
) -> None:
    """Note that ``actor`` did ``action`` (to job ``job_id``)."""
    with session(url) as db:
        db.add(
            AuditEntry(
                actor=actor.name,
                via=actor.where,
                action=action,
                job_id=job_id,
                detail=detail[:DETAIL_LENGTH],
            )
        )


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for; empty fields do not filter."""

    action: str = ""
    actor: str = ""
    job_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


def entries(url: str, where: AuditFilter, limit: int = PAGE_LIMIT) -> tuple[list[AuditEntry], int]:
    """Matching entries newest first, and how many match in all."""
    query = select(AuditEntry)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor)
    if where.job_id is not None:
        query = query.where(AuditEntry.job_id == where.job_id)
    if where.start is not None:
        query = query.where(col(AuditEntry.at) >= where.start)
    if where.end is not None:
        query = query.where(col(AuditEntry.at) < where.end)
    with session(url) as db:
        total = db.exec(select(func.count()).select_from(query.subquery())).one()
        rows = db.exec(query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()))
        return list(rows.fetchmany(limit)), int(total)


def of_job(url: str, job_id: int) -> list[AuditEntry]:
    """What people did to one job, oldest first."""
    with session(url) as db:
        query = select(AuditEntry).where(AuditEntry.job_id == job_id)
        return list(db.exec(query.order_by(col(AuditEntry.at), col(AuditEntry.id))))


def actions_and_actors(url: str) -> tuple[list[str], list[str]]:
    """The actions and the people in the trail, for the filter's menus."""
    with session(url) as db:
        actions = db.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
        actors = db.exec(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor))
        return list(actions), list(actors)
