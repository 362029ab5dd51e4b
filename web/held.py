"""Held jobs on the dashboard and in the API: the Held view, approve and reject.

The page's forms and ``POST /api/jobs/<id>/approve|reject`` call tasks/actions.py's
``approve`` and ``reject``, as ``prepress approve`` / ``reject`` do: the same rules (a reason
for a duplicate or over errors), refusals and messages. Forms carry the session's CSRF token
(web/auth.py checks it before every form POST); the API uses HTTP Basic like the rest of
/api/. The confirmation is ``data-confirm`` (static/confirm.js): no inline script.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from models import hold, store
from models.job import Job
from pipeline import hold as rules
from pipeline.errors import CannotRetry, JobNotFound
from tasks import actions as tasks_actions
from web.actions import actor
from web.auth import api, page
from web.context import config
from web.present import MAX_FINDINGS

bp = Blueprint("held", __name__)
api_bp = Blueprint("held_api", __name__, url_prefix="/api")

#: What a decision may be refused with (the message says why: HTTP 409 in the API).
REFUSALS = (CannotRetry, JobNotFound)
#: The form field and JSON key of the reason.
REASON = "reason"
#: Longest reason kept (it goes into error.txt and the job record).
MAX_REASON = 1000
#: Findings the Held list shows per job (the job's page shows more).
LISTED_FINDINGS = 20


@bp.app_context_processor
def hold_globals() -> dict[str, Any]:
    """``held_count()`` for the header, ``hold_findings(job)`` for a job's page."""

    def held_count() -> int:
        try:
            return hold.held_count(config().database_url)
        except Exception:  # the page still renders; the health strip says what is wrong
            return 0

    def hold_findings(job: Any) -> list[dict[str, Any]]:
        job_id = job["id"] if isinstance(job, dict) else job.id
        return findings_of(store.get_job(config().database_url, job_id))

    def findings_count(job: Any) -> int:
        return len((job["findings"] if isinstance(job, dict) else job.findings) or [])

    return {
        "held_count": held_count,
        "hold_findings": hold_findings,
        "findings_count": findings_count,
        "max_findings": MAX_FINDINGS,
    }


@bp.get("/held")
@page()
def held_view() -> Any:
    """Jobs waiting at the hold, longest held first, each with its reasons."""
    jobs = hold.held_jobs(config().database_url)

    def listed(job: Job) -> list[dict[str, Any]]:
        return findings_of(job, LISTED_FINDINGS)

    return render_template("held.html", jobs=jobs, findings=listed)


@bp.post("/jobs/<int:job_id>/approve")
@page("operator")
def approve_form(job_id: int) -> Any:
    return _decide_form(job_id, tasks_actions.approve)


@bp.post("/jobs/<int:job_id>/reject")
@page("operator")
def reject_form(job_id: int) -> Any:
    return _decide_form(job_id, tasks_actions.reject)


def _decide_form(job_id: int, decide: Any) -> Any:
    reason = request.form.get(REASON, "").replace("\x00", "")[:MAX_REASON]
    extra = _reason_code(request.form.get("reason_code"), decide)
    try:
        flash(decide(config(), job_id, actor(), reason, **extra), "ok")
    except REFUSALS as exc:
        flash(str(exc), "error")
    return redirect(url_for("pages.job", job_id=job_id))


@api_bp.post("/jobs/<int:job_id>/approve")
@api("operator")
def approve_api(job_id: int) -> Any:
    """``{"reason": "..."}``; 409 with the reason when it cannot be approved."""
    return _decide_api(job_id, tasks_actions.approve)


@api_bp.post("/jobs/<int:job_id>/reject")
@api("operator")
def reject_api(job_id: int) -> Any:
    return _decide_api(job_id, tasks_actions.reject)


def _decide_api(job_id: int, decide: Any) -> Any:
    body = request.get_json(silent=True)
    if body is not None and not isinstance(body, dict):
        return jsonify(error='send JSON like {"reason": "customer asked for a remake"}'), 400
    reason = (body or {}).get(REASON) or ""
    if not isinstance(reason, str):
        return jsonify(error="reason must be a string"), 400
    try:
        reason = reason.replace("\x00", "")[:MAX_REASON]  # PostgreSQL refuses NUL in text
        extra = _reason_code((body or {}).get("reason_code"), decide)
        message = decide(config(), job_id, actor(tasks_actions.API), reason, **extra)
    except REFUSALS as exc:
        return jsonify(error=str(exc)), 409
    return jsonify(job=job_id, message=message)


def _reason_code(given: Any, decide: Any) -> dict[str, str]:
    """The remake reason code an approval of a duplicate takes (``reason_code``), if given."""
    if decide is not tasks_actions.approve or not isinstance(given, str):
        return {}
    return {"reason_code": given.replace("\x00", "").strip()[:MAX_REASON]}


def findings_of(job: Job, limit: int | None = None) -> list[dict[str, Any]]:
    """The job's first ``limit`` (:data:`web.present.MAX_FINDINGS`) findings for a page: each
    described, with its marker on the proof if known."""
    crop = proof_crop(job)
    shown = []
    kept = (job.findings or [])[: MAX_FINDINGS if limit is None else limit]
    for number, data in enumerate(kept, start=1):
        finding = rules.finding_from(data)
        place = rules.marker(finding.position_mm, crop) if finding.page in (1, None) else None
        shown.append(
            {
                "number": number,
                "finding": finding,
                "text": rules.describe(finding),
                "marker": place,
            }
        )
    return shown


def proof_crop(job: Job) -> tuple[float, float, float, float] | None:
    """The box of page 1 (points) the proof shows, when it is the paper on an upright plate.

    The proof is page 1 cropped to the paper (pipeline/preview/geometry.py). Without a paper
    size it is cropped to the drawn content, whose box is not stored: no markers then.
    """
    from pipeline.pdf.facts import SheetFacts
    from pipeline.preview.geometry import PT_PER_MM, crop_box, sheet_geometries

    if not job.sheets or not job.press:
        return None
    try:
        sheet = SheetFacts.from_dict(job.sheets[0])
        geometry = sheet_geometries([sheet], config(), job.name, {sheet.number: job.press})[0]
    except (KeyError, TypeError, ValueError):
        return None
    if geometry is None:
        return None
    width, height = (value * PT_PER_MM for value in sheet.plate_mm)
    return crop_box(width, height, geometry)
