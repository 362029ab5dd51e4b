"""The job record: what ``prepress show --json``, ``/api/jobs/<id>`` and the job page show.

Built once here so the three carry the same fields. Times stay ``datetime`` (each interface
writes them its way: local on the console, ISO in JSON); server paths (spool, archive,
preview files) stay out: ``previews`` names the kinds of preview the job has, which the
dashboard serves by URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from models import store
from models.attempts import StepAttempt, attempts_of
from models.job import Delivery, Job, SmsSend, Step
from models.remakes import remakes_of
from pipeline.chain import label_of

#: Job fields of a record, in this order (no spool or archive paths, no secrets).
JOB_FIELDS = (
    "id",
    "name",
    "status",
    "step",
    "mode",
    "order",
    "job_name",
    "press",
    "press_source",
    "outputter",
    "outputter_source",
    "plates",
    "pages",
    "signa",
    "creator",
    "error_code",
    "error",
    "reprocess_of",
    "size",
    "sha256",
    "separations",
    "warnings",
    "received_at",
    "job_date",
    "finished_at",
    "findings",
    "duplicate_of",
    "remake",
    "remake_of",
    "remake_number",
    "remake_reason_code",
    "remake_plates",
    "remake_note",
    "held_at",
    "decision",
    "decided_by",
    "decided_at",
    "decision_reason",
    "taken_at",
    "taken_alert_at",
)
#: Step fields of a record; ``label`` is the chain's display name of the step.
STEP_FIELDS = (
    "name",
    "state",
    "attempts",
    "started_at",
    "duration",
    "error",
    "note",
    "waiting_since",
    "next_attempt_at",
)
#: Delivery fields of a record (the target's password is masked when it is stored).
DELIVERY_FIELDS = ("kind", "target", "remote_path", "bytes", "seconds", "speed_mbps", "done_at")
#: SMS fields of a record.
SMS_FIELDS = ("recipient", "state", "provider_id", "text", "count", "cost", "sent_at")
#: Attempt fields of a record: every run of a step with its outcome (models/attempts.py).
ATTEMPT_FIELDS = ("step", "number", "started_at", "ended_at", "outcome", "error", "note")
#: Kinds of preview a job may have.
PREVIEW_KINDS = ("thumbnail", "proof")


def job_summary(job: Job) -> dict[str, Any]:
    """The job's own fields (what a list of jobs shows)."""
    data = {key: getattr(job, key) for key in JOB_FIELDS}
    # the dashboard's API lists the first findings only; this says how many there are
    data["findings_total"] = len(job.findings or [])
    data["previews"] = [kind for kind in PREVIEW_KINDS if (job.preview or {}).get(kind)]
    return data


def step_record(step: Step) -> dict[str, Any]:
    return {**{key: getattr(step, key) for key in STEP_FIELDS}, "label": label_of(step.name)}


def job_record(url: str, job_id: int) -> dict[str, Any]:
    """The job with its steps (chain order), deliveries and SMS; JobNotFound if none."""
    data = job_summary(store.get_job(url, job_id))
    data["steps"] = [step_record(step) for step in store.steps_of(url, job_id)]
    data["attempts"] = [_fields(a, ATTEMPT_FIELDS) for a in attempts_of(url, job_id)]
    data["deliveries"] = [_fields(d, DELIVERY_FIELDS) for d in store.deliveries_of(url, job_id)]
    data["sms"] = [_fields(s, SMS_FIELDS) for s in store.sms_of(url, job_id)]
    data["remakes"] = [later.id for later in remakes_of(url, job_id)]
    return data


def collapse_attempts(attempts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive attempts of one step that ended the same way with the same error or note,
    as one row: a step retried every minute through an outage is one line, not ten.

    Each row has the first attempt's fields plus ``count``, ``first`` (when the first of them
    started, else ended), ``last`` (when the last ended) and ``first_number``/``last_number``.
    A pure function of the record's ``attempts`` (the job page and ``prepress show`` use it).
    """
    rows: list[dict[str, Any]] = []
    for attempt in attempts:
        same = ("step", "outcome", "error", "note")
        if rows and all(rows[-1].get(key) == attempt.get(key) for key in same):
            row = rows[-1]
            row["count"] += 1
            row["last"] = attempt.get("ended_at") or attempt.get("started_at") or row["last"]
            row["last_number"] = attempt.get("number")
            continue
        rows.append(
            {
                **attempt,
                "count": 1,
                "first": attempt.get("started_at") or attempt.get("ended_at"),
                "last": attempt.get("ended_at") or attempt.get("started_at"),
                "first_number": attempt.get("number"),
                "last_number": attempt.get("number"),
            }
        )
    return rows


def _fields(row: Delivery | SmsSend | StepAttempt, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in keys}
