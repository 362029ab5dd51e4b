"""Remakes on the dashboard and in the API: the job page's remake form and
``POST /api/jobs/<id>/remake``.

Both call tasks/actions.py ``remake``, as ``prepress remake`` does: the same reasons, refusals
and messages. Operators only; the form carries the CSRF token like every other form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, url_for

from models import remakes, store
from pipeline import remake as rules
from tasks import actions as tasks_actions
from web.actions import REFUSALS, actor, refusal
from web.auth import api, page
from web.context import config

bp = Blueprint("remakes", __name__)
api_bp = Blueprint("remakes_api", __name__, url_prefix="/api")

#: Longest note kept from a form or a request.
MAX_NOTE = rules.MAX_NOTE
#: Form field holding one plate (``PAGE:NAME``); one checkbox per plate.
PLATE = "plate"


@bp.app_context_processor
def remake_globals() -> dict[str, Any]:
    """``remake_reasons`` for the forms, ``job_plates(job)`` and ``remakes_of(job)`` for a
    job's page, ``remake_summary(job)`` (``1/4 plates: Cyan``) wherever a remake is shown."""

    def job_plates(job: Any) -> list[rules.Plate]:
        return rules.job_plates(_get(job, "separations") or {})

    def remakes_list(job: Any) -> list[Any]:
        return remakes.remakes_of(config().database_url, int(_get(job, "id")))

    return {
        "remake_reasons": config().remake_reasons,
        "job_plates": job_plates,
        "remakes_of": remakes_list,
        "remake_summary": summary,
    }


def summary(job: Any) -> str:
    """``1/4 plates: Cyan (damaged_on_press)`` of a remake; empty for another job."""
    if _get(job, "remake_of") is None:
        return ""
    every = rules.job_plates(_get(job, "separations") or {})
    chosen = [rules.Plate.from_dict(p) for p in _get(job, "remake_plates") or []]
    reason = _get(job, "remake_reason_code") or "no reason"
    return f"{rules.summary(chosen or every, every)} ({reason})"


def _get(job: Any, name: str) -> Any:
    return job.get(name) if isinstance(job, dict) else getattr(job, name, None)


@bp.post("/jobs/<int:job_id>/remake")
@page("operator")
def remake_form(job_id: int) -> Any:
    """The job page's form: a reason, a checkbox per plate, a note (confirmed on the page)."""
    form = request.form
    plates = [value.replace("\x00", "") for value in form.getlist(PLATE)][: rules.MAX_PLATES]
    note = form.get("note", "").replace("\x00", "")[:MAX_NOTE]
    if not plates:
        flash("tick the plates to make again", "error")
        return redirect(url_for("pages.job", job_id=job_id))
    try:
        new_id = tasks_actions.remake(
            config(), job_id, actor(), form.get("reason", ""), plates, note
        )
    except REFUSALS as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("pages.job", job_id=job_id))
    job = store.get_job(config().database_url, new_id)
    flash(f"job {new_id} queued: remake R{job.remake_number} {summary(job)}", "ok")
    return redirect(url_for("pages.job", job_id=new_id))


@api_bp.post("/jobs/<int:job_id>/remake")
@api("operator")
def remake_api(job_id: int) -> Any:
    """``{"reason": "damaged_on_press", "plates": ["Cyan", "2:Black"], "note": "..."}``
    (``plates`` optional: all); 201 with the new job, 409 with the reason when refused."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(
            error='send JSON like {"reason": "damaged_on_press", "plates": ["Cyan"]}'
        ), 400
    reason, plates, note = body.get("reason"), body.get("plates", []), body.get("note", "")
    if isinstance(plates, str):
        plates = rules.parse_plates(plates)
    if not isinstance(reason, str) or not isinstance(note, str):
        return jsonify(error="reason and note must be strings"), 400
    if not isinstance(plates, list) or not all(isinstance(p, str) for p in plates):
        return jsonify(error="plates must be a list of plate names"), 400
    try:
        new_id = tasks_actions.remake(
            config(),
            job_id,
            actor(tasks_actions.API),
            reason.replace("\x00", ""),
            [p.replace("\x00", "") for p in plates][: rules.MAX_PLATES + 1],
            note.replace("\x00", "")[:MAX_NOTE],
        )
    except REFUSALS as exc:
        return jsonify(error=refusal(exc)), 409
    job = store.get_job(config().database_url, new_id)
    return (
        jsonify(
            job=new_id,
            remake_of=job.remake_of,
            remake_number=job.remake_number,
            reason=job.remake_reason_code,
            plates=job.remake_plates,
            note=job.remake_note,
        ),
        201,
    )
