"""The JSON API under /api/ for scripts: HTTP Basic with the dashboard's users.

401 without valid credentials, 403 for a viewer on an operator action, 409 with the reason
when a retry or reprocess cannot be done. Answers never hold a password or a server path.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from models import report, store
from models.report import plate_report
from pipeline.accounting import parse_by
from pipeline.errors import JobNotFound
from tasks import actions as tasks_actions
from web import actions, present
from web.auth import api
from web.context import config

bp = Blueprint("api", __name__, url_prefix="/api")


def actor() -> tasks_actions.Actor:
    return actions.actor(tasks_actions.API)


@bp.get("/jobs")
@api()
def jobs() -> Any:
    where = present.job_filter(present.filter_args(request.args, None))
    limit, offset = present.paging(request.args)
    found, total = report.search_jobs(config().database_url, where, limit, offset)
    return jsonify(jobs=[present.job_dict(job) for job in found], total=total)


@bp.get("/jobs/<int:job_id>")
@api()
def job(job_id: int) -> Any:
    try:
        return jsonify(present.job_json(config().database_url, job_id))
    except JobNotFound as exc:
        return jsonify(error=str(exc)), 404


@bp.get("/report")
@api()
def plate_totals() -> Any:
    """The same JSON as ``prepress report --json`` for the same query."""
    where = present.job_filter(present.filter_args(request.args, None))
    try:
        by = parse_by(request.args.get("by") or "month,press,outputter")
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    from models.report import remake_ledger

    data = plate_report(config(), where, by).as_dict()
    data["currency"] = config().currency
    data["remake_ledger"] = remake_ledger(config(), where)
    return jsonify(data)


@bp.get("/health")
@api()
def health() -> Any:
    """What ``prepress status --json`` says (broker, workers, targets...) to an operator;
    a viewer gets the states and counts only (no URL, path, host, port or user name). 503
    when not healthy, so a plain HTTP check sees it."""
    from web.auth import may
    from web.health import answer, states_only

    data = answer()
    shown = data if may(getattr(g, "user", None), "operator") else states_only(data)
    return jsonify(shown), 200 if data["healthy"] else 503


@bp.post("/mode")
@api("operator")
def mode() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("mode"), str):
        return jsonify(error='send JSON like {"mode": "dry-run"}'), 400
    try:
        return jsonify(mode=tasks_actions.set_mode(config(), body["mode"], actor()))
    except ValueError as exc:
        return jsonify(error=str(exc)), 400


@bp.get("/mode")
@api()
def current_mode() -> Any:
    return jsonify(mode=store.get_mode(config().database_url))


@bp.post("/jobs/<int:job_id>/retry")
@api("operator")
def job_retry(job_id: int) -> Any:
    """``prepress retry``; ``{"now": true}`` in the body is ``--now``."""
    body = request.get_json(silent=True)
    now = isinstance(body, dict) and body.get("now") is True
    try:
        message = tasks_actions.retry(config(), job_id, actor(), now=now)
        return jsonify(job=job_id, message=message)
    except actions.REFUSALS as exc:
        return jsonify(error=actions.refusal(exc)), 409


@bp.post("/jobs/<int:job_id>/reprocess")
@api("operator")
def job_reprocess(job_id: int) -> Any:
    try:
        remake = bool((request.get_json(silent=True) or {}).get("remake"))
        new_id = tasks_actions.reprocess(config(), job_id, actor(), force_upload=remake)
        return jsonify(job=new_id, reprocess_of=job_id, remake=remake)
    except actions.REFUSALS as exc:
        return jsonify(error=actions.refusal(exc)), 409
