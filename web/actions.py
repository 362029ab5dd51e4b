"""What an operator changes from the dashboard: the mode, a retry, a reprocess, retry all.

The pages' forms and the JSON API both call the functions here, which call the same
functions as ``prepress retry``, ``prepress reprocess`` and ``prepress mode``: no rule is
decided in web/. A job that cannot be retried raises :class:`Refused` with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for

from models import report, store
from models.job import FAILED, MODES
from pipeline.errors import CannotRetry, JobNotFound
from web.auth import page

bp = Blueprint("actions", __name__)
log = logging.getLogger(__name__)


class Refused(Exception):
    """The action cannot be done; the message says why (HTTP 409)."""


def config() -> Any:
    return current_app.extensions["prepress"]


def set_mode(mode: str, who: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    store.set_mode(config().database_url, mode)
    log.info("mode set to %s by %s from the dashboard", mode, who)
    return mode


def retry(job_id: int, who: str) -> str:
    """Queue a failed job again from its failed step, as ``prepress retry`` does."""
    from tasks import canvas

    try:
        canvas.retry(job_id, config())
    except (CannotRetry, JobNotFound) as exc:
        raise Refused(str(exc)) from None
    log.info("job %s retried by %s from the dashboard", job_id, who)
    return f"job {job_id} queued again"


def reprocess(job_id: int, who: str) -> int:
    """Run the whole chain again on the job's original as a new job; return its id."""
    from watcher import intake

    try:
        new_id = intake.reprocess(job_id, config())
    except (CannotRetry, JobNotFound) as exc:
        raise Refused(str(exc)) from None
    log.info("job %s reprocessed as job %s by %s from the dashboard", job_id, new_id, who)
    return new_id


def acknowledge(job_id: int, who: str, note: str) -> str:
    """A rejected job leaves Problems: someone has seen it and dealt with it."""
    from models.problems import acknowledge as ack

    try:
        ack(config().database_url, job_id, who, note)
    except (CannotRetry, JobNotFound) as exc:
        raise Refused(str(exc)) from None
    return f"job {job_id} acknowledged"


def retry_all_failed(who: str) -> tuple[list[int], dict[int, str]]:
    """Retry every failed job; return the ids queued and the reasons of those refused."""
    failed, _ = report.search_jobs(config().database_url, report.JobFilter(status=FAILED), 1000)
    queued, refused = [], {}
    for job in failed:
        assert job.id is not None
        try:
            retry(job.id, who)
            queued.append(job.id)
        except Refused as exc:
            refused[job.id] = str(exc)
    return queued, refused


def _who() -> str:
    from flask import g

    return str(getattr(g, "user", None) and g.user.name)


@bp.post("/mode")
@page("operator")
def mode_form() -> Any:
    try:
        set_mode(request.form.get("mode", ""), _who())
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(_back())


@bp.post("/jobs/<int:job_id>/retry")
@page("operator")
def retry_form(job_id: int) -> Any:
    try:
        flash(retry(job_id, _who()), "ok")
    except Refused as exc:
        flash(str(exc), "error")
    return redirect(_back(url_for("pages.job", job_id=job_id)))


@bp.post("/jobs/<int:job_id>/acknowledge")
@page("operator")
def acknowledge_form(job_id: int) -> Any:
    try:
        flash(acknowledge(job_id, _who(), request.form.get("note", "")), "ok")
    except Refused as exc:
        flash(str(exc), "error")
    return redirect(_back(url_for("pages.problems")))


@bp.post("/jobs/<int:job_id>/reprocess")
@page("operator")
def reprocess_form(job_id: int) -> Any:
    try:
        new_id = reprocess(job_id, _who())
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("pages.job", job_id=job_id))
    flash(f"job {job_id} reprocessed as job {new_id}", "ok")
    return redirect(url_for("pages.job", job_id=new_id))


@bp.post("/problems/retry-all")
@page("operator")
def retry_all_form() -> Any:
    queued, refused = retry_all_failed(_who())
    flash(f"{len(queued)} failed job(s) queued again", "ok")
    for job_id, reason in refused.items():
        flash(f"job {job_id}: {reason}", "error")
    return redirect(url_for("pages.problems"))


def _back(default: str = "") -> str:
    """The page the form was on (a path of this site), else ``default`` or the grid."""
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default or url_for("pages.grid")
