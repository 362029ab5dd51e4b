"""The hold step, and what a person does with a held job: approve or reject.

``tasks.hold`` runs after render_preview and before upload_plate. It runs preflight on the
spooled file and the duplicate check (pipeline/hold.py), stores the findings on the job, and
when one is an error (in any mode but import) *holds* the job: status ``held`` in the database,
and the chain ends there (the task raises ``Ignore``, so the next message is never sent). No
worker waits, nothing is uploaded, no SMS goes out; the row is the whole state, so a held job
survives restarts of every process and of Redis.

:func:`approve` and :func:`reject` are the one implementation behind ``prepress approve`` /
``reject``, the dashboard's buttons and ``/api/jobs/<id>/approve|reject``. Approve continues the
chain from upload_plate exactly once however many people click (models/hold.py: one
conditional UPDATE); reject moves the file to failed/ with the findings and the reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.exceptions import Ignore

from models import hold as held
from models import store
from models.job import HELD, Job, utcnow
from pipeline import files
from pipeline import hold as rules
from pipeline.chain import HOLD_STEP, RESUME_AFTER_HOLD
from pipeline.config import Config
from pipeline.config.preflight import PreflightSettings
from pipeline.errors import CannotDecide
from pipeline.preflight.findings import Finding
from tasks.app import app, get_config
from tasks.base import Skip, StepTask, run_step, spooled_file

log = logging.getLogger(__name__)


@app.task(name="tasks.hold", base=StepTask)
def hold(job_id: int) -> str:
    state = run_step(job_id, HOLD_STEP, _hold)
    if store.get_job(get_config().database_url, job_id).status == HELD:
        raise Ignore()  # the chain ends here; an approval queues the rest
    return state


def _hold(job: Job, config: Config) -> str:
    assert job.id is not None
    settings = config.preflight_for(job.press, job.outputter)
    if not settings.active:
        raise Skip("[preflight] enabled = false: no preflight, no duplicate check")
    found = preflight(spooled_file(job, config), job, config, settings)
    since = utcnow() - timedelta(days=settings.duplicate_days)
    same_bytes = held.earlier_same_bytes(config.database_url, job, since)
    if same_bytes is not None and held.stands_in_for_its_original(config.database_url, job):
        same_bytes = None  # the job run again on purpose, not a duplicate drop
    same_job = held.earlier_same_order_and_job(config.database_url, job, since)
    levels = {code: settings.severity_of(code) for code in (rules.DUPLICATE, rules.NEW_VERSION)}
    found += rules.duplicate_findings(job.name, same_bytes, same_job, levels)
    stored = [f.as_dict() for f in found]
    duplicate_of = same_bytes.id if same_bytes else None
    if not rules.must_hold(found, job.mode):
        held.record_findings(config.database_url, job.id, stored, duplicate_of)
        return _summary(found) or "nothing found"
    held.hold_job(config.database_url, job.id, stored, duplicate_of)
    log.warning("job %s (%s) held: %s", job.id, job.name, "; ".join(rules.reasons(found)))
    return "held: " + "; ".join(rules.reasons(found))


def preflight(path: Path, job: Job, config: Config, settings: PreflightSettings) -> list[Finding]:
    """The preflight findings of the spooled file (pipeline/preflight), from the sheets
    validate read, the press detect_press decided and the ink coverage render_preview
    measured (no second reading or rendering); in a child process held to ``[limits]``."""
    from pipeline.inkmap import InkMeasure
    from pipeline.pdf.facts import SheetFacts
    from pipeline.preflight import preflight_within_budget

    sheets = [SheetFacts.from_dict(sheet) for sheet in job.sheets or []]
    press = config.presses.get(job.press)
    return preflight_within_budget(
        path,
        settings,
        limits=config.limits,
        sheets=sheets or None,
        press=press,
        ink=InkMeasure.from_stored(job.preview),
    )


def _summary(found: list[Finding]) -> str:
    return "; ".join(f"{f.severity} {f.code}" for f in found)


# --- what a person does -------------------------------------------------------------------


def approve(
    config: Config, job_id: int, actor: Any, reason: str = "", reason_code: str = ""
) -> str:
    """Approve the held job: the chain continues from the plate upload, exactly once.

    A reason is required when the job holds an error (overriding it) or is a duplicate (the
    approval makes it a remake, counted apart). Raises CannotDecide when the job is not held
    (any more: someone else decided first) or the reason is missing.
    """
    from tasks import canvas

    url = config.database_url
    job = _held(url, job_id)
    findings = [rules.finding_from(f) for f in job.findings]
    reason = reason.strip()
    if rules.reason_required(findings) and not reason:
        what = "a remake" if job.duplicate_of else "an override of its errors"
        raise CannotDecide(f"job {job_id}: approving it is {what}; give the reason (--reason TEXT)")
    linked = None
    if job.duplicate_of is not None:
        linked = _remake_of_duplicate(config, job, reason, reason_code)
    if not held.approve(url, job_id, str(actor), reason, linked):
        raise _decided_meanwhile(url, job_id)
    log.info("job %s approved by %s: %s", job_id, actor, reason)
    try:
        canvas.start(job_id, RESUME_AFTER_HOLD)
    except Exception as exc:  # the broker is down: the reconciler continues the job later
        log.warning("job %s approved but not queued (%s); the reconciler continues it", job_id, exc)
        return f"job {job_id} approved; it is queued when the broker answers"
    remake = " as a remake" if job.duplicate_of else ""
    return f"job {job_id} approved{remake}; continuing with the plate upload"


def _remake_of_duplicate(config: Config, job: Job, reason: str, reason_code: str) -> dict[str, Any]:
    """What makes an approved duplicate a remake of the job it duplicates: that job's
    original, and the reason code (``reason_code``, else ``reason`` when it is a code)."""
    from models import remakes
    from pipeline import remake as remake_rules

    code = reason_code.strip() or (reason if reason in config.remake_reasons else "")
    if not code:
        raise CannotDecide(
            f"job {job.id}: approving a duplicate orders its plates again (a remake); give "
            f"the remake reason code (--reason-code CODE): {', '.join(config.remake_reasons)}"
        )
    try:
        code = remake_rules.check_reason(code, config.remake_reasons)
    except remake_rules.CannotRemake as exc:
        raise CannotDecide(f"job {job.id}: {exc}") from None
    assert job.duplicate_of is not None
    try:
        original = remakes.original_of(store.get_job(config.database_url, job.duplicate_of))
    except Exception:  # the earlier job is gone: the duplicate remakes it all the same
        original = job.duplicate_of
    return {"remake_of": original, "remake_reason_code": code}


def reject(config: Config, job_id: int, actor: Any, reason: str) -> str:
    """Reject the held job: the file goes to failed/ with the findings and the reason."""
    url = config.database_url
    job = _held(url, job_id)
    reason = reason.strip()
    if not reason:
        raise CannotDecide(f"job {job_id}: say why it is rejected (--reason TEXT)")
    findings = [rules.finding_from(f) for f in job.findings]
    text = rules.error_text(job.name, findings, reason, str(actor))
    if not held.reject(url, job_id, str(actor), reason, text.strip()):
        raise _decided_meanwhile(url, job_id)
    log.info("job %s rejected at the hold by %s: %s", job_id, actor, reason)
    if job.spool_path:
        spooled = config.paths.work_dir / job.spool_path
        target = files.move_failed(spooled, config.paths.failed, job_id, text)
        store.update_job(url, job_id, archive_path=config.paths.relative(target))
    return f"job {job_id} rejected; the file is in failed/ with the reason"


def _held(url: str, job_id: int) -> Job:
    job = store.get_job(url, job_id)
    if job.status != HELD:
        raise CannotDecide(_not_held(job))
    return job


def _decided_meanwhile(url: str, job_id: int) -> CannotDecide:
    return CannotDecide(_not_held(store.get_job(url, job_id)))


def _not_held(job: Job) -> str:
    if job.decision:
        return (
            f"job {job.id} is not held: {job.decision} by {job.decided_by} "
            f"at {job.decided_at:%Y-%m-%d %H:%M:%S} UTC"
            if job.decided_at
            else f"job {job.id} is not held: {job.decision} by {job.decided_by}"
        )
    return f"job {job.id} is not held (it is {job.status}); only held jobs are approved or rejected"
