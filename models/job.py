"""The job record: one row per file taken from the hotfolder, with its steps and side effects.

A ``Job`` is created before anything is queued. Each pipeline step has a ``Step`` row (state,
attempts, duration, error). Side effects that must happen once are rows with a unique key:
a ``Delivery`` per (job, kind) and an ``SmsSend`` per (job, recipient), written before a step
returns, so a redelivered task sees them and does not upload or send again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

# job statuses, modes: defined once with the chain
from pipeline.chain import DONE, FAILED, FINAL_STATUSES, HELD, MODES, QUEUED, REJECTED, RUNNING

#: What a person decided about a held job (``Job.decision``).
APPROVED, DISMISSED = "approved", "rejected"

#: Step states.
PENDING, STARTED, SUCCEEDED, SKIPPED, ERRORED = "pending", "running", "done", "skipped", "failed"
#: Step state of a transient fault being retried automatically (until give_up_after).
WAITING = "waiting"


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored time as an aware datetime: every stored time is UTC, and SQLite gives them
    back naive (PostgreSQL aware)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = [
    "DONE",
    "FAILED",
    "FINAL_STATUSES",
    "HELD",
    "MODES",
    "QUEUED",
    "REJECTED",
    "RUNNING",
]


def fold(text: str) -> str:
    """``text`` for a search that ignores case in every script ("КАТАЛОГ" -> "каталог").

    SQLite's ``lower()`` and ``LIKE`` fold ASCII only, and PostgreSQL's ``ILIKE`` depends on
    the database's locale; Python's ``casefold`` does the same on both.
    """
    return text.casefold()


def search_key(name: str, order: str, job_name: str) -> str:
    """What the grid's word search looks in: file name, order and job name, case-folded."""
    return fold("\n".join((name, order, job_name)))


class Job(SQLModel, table=True):
    # the grid's filters, each with the date it is ranged and ordered by, and the plate
    # report's done reprocesses (migration 0002_web_indexes)
    __table_args__ = (
        Index("ix_job_status_job_date", "status", "job_date"),
        Index("ix_job_press_job_date", "press", "job_date"),
        Index("ix_job_outputter_job_date", "outputter", "job_date"),
        Index("ix_job_mode_job_date", "mode", "job_date"),
        Index("ix_job_status_reprocess_of", "status", "reprocess_of"),
        # the duplicate check: same bytes received within [preflight] duplicate_days
        Index("ix_job_sha256_received_at", "sha256", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, description="original file name as it came from the share")
    sha256: str = ""
    size: int = 0
    received_at: datetime = Field(default_factory=utcnow, index=True)
    job_date: datetime = Field(
        default_factory=utcnow, index=True, description="file mtime in import mode"
    )
    mode: str = "normal"
    status: str = Field(default=QUEUED, index=True)
    step: str = ""
    spool_path: str = ""
    archive_path: str = ""
    error_code: str = ""
    error: str = ""
    reprocess_of: int | None = None
    finished_at: datetime | None = None
    # facts the steps fill in
    creator: str = ""
    signa: bool | None = None
    pages: int | None = None
    order: str = ""
    job_name: str = ""
    press: str = ""
    press_source: str = ""
    #: Pages meant for another press than page 1's: page number -> press (detect_press).
    press_pages: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    outputter: str = ""
    outputter_source: str = ""
    plates: int | None = None
    separations: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    sheets: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
    preview: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # the hold (tasks/hold.py): findings of preflight and the duplicate check, and the decision
    #: Findings as dicts (code, severity, page, object, position_mm, message).
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    #: The earlier job whose file had the same bytes (a duplicate drop).
    duplicate_of: int | None = None
    #: An approved duplicate: plates bought again on purpose, counted and shown apart.
    remake: bool = False
    held_at: datetime | None = None
    #: ``approved`` or ``rejected`` once a person decided about the held job.
    decision: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""
    # the plate ledger (pipeline/remake.py): a remake of some or all plates of a done job
    #: The job whose plates this one makes again (its first plates, never itself a remake).
    remake_of: int | None = Field(default=None, index=True)
    #: 1 for the first remake of ``remake_of``, 2 for the next: the remote name's ``_R1``.
    remake_number: int | None = None
    #: A code of ``[remakes] reasons`` (damaged_on_press, customer_change, ...).
    remake_reason_code: str = ""
    #: The plates ordered again: ``[{"page": 1, "separation": "Cyan"}, ...]``; empty: all.
    remake_plates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    #: The operator's words about the remake.
    remake_note: str = ""
    # taken by the bureau (tasks/taken.py): the plate file gone from the bureau's folder
    #: The round that found the uploaded plate file gone (its RIP took it); None: not yet.
    taken_at: datetime | None = None
    #: When the staff were told the plate file lay untaken too long (once per job).
    taken_alert_at: datetime | None = None
    #: File name, order and job name case-folded for the search (kept by the ORM events below).
    search_key: str = ""


@event.listens_for(Job, "before_insert")
@event.listens_for(Job, "before_update")
def _keep_search_key(_mapper: Any, _connection: Any, job: Job) -> None:
    job.search_key = search_key(job.name or "", job.order or "", job.job_name or "")


class Step(SQLModel, table=True):
    # waiting steps are looked up by every page's health strip (migration 0009_targets_audit)
    __table_args__ = (UniqueConstraint("job_id", "name"), Index("ix_step_state", "state"))

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    name: str
    state: str = PENDING
    attempts: int = 0
    started_at: datetime | None = None
    duration: float | None = None
    error: str = ""
    note: str = ""
    #: When the current run of transient faults began (None when the step is not waiting).
    waiting_since: datetime | None = None
    #: When the next automatic attempt is due (None when none is scheduled).
    next_attempt_at: datetime | None = None
    #: Celery id of the task that last ran or was queued for this step.
    task_id: str = ""
    #: Who runs the step now ("host:pid:token"); empty when nobody does (models/steps.py).
    lease_owner: str = ""
    #: Until when the owner's claim holds unless renewed (a heartbeat renews it).
    lease_until: datetime | None = None


class Delivery(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("job_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    kind: str = Field(description="plate or preview")
    target: str = Field(description="URL with the password masked")
    remote_path: str = ""
    bytes: int = 0
    seconds: float = 0.0
    speed_mbps: float = 0.0
    done_at: datetime = Field(default_factory=utcnow)


class SmsSend(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("job_id", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    recipient: str
    text: str = ""
    state: str = Field(default="sending", description="sending, sent or unknown")
    provider_id: str = ""
    count: int = 0
    cost: str = ""
    sent_at: datetime = Field(default_factory=utcnow)


class Incident(SQLModel, table=True):
    """Something a person was told about (alerts), one row per incident key.

    ``open`` until the condition is gone (``resolved``, with the recovery message sent); a
    key that comes back later opens the same row again. Kept in the database so a restarted
    watchdog neither repeats an alert nor forgets to say that something is back.
    """

    key: str = Field(primary_key=True, description="e.g. target:ftp://host:21, job:42")
    kind: str = Field(index=True, description="rejected, failed, target, broker, ...")
    state: str = Field(default="open", index=True, description="open or resolved")
    opened_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    message: str = ""


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str = ""
