"""The dashboard's forms for operator actions: the mode, a retry, a reprocess, retry all,
acknowledging a rejected job.

Every form (and the JSON API, web/api.py) calls tasks/actions.py, as ``prepress retry``,
``prepress reprocess`` and ``prepress mode`` do: the same rules, refusals and messages; no
rule is decided in web/. A refusal is flashed as the CLI prints it, less any server file
path (web/security.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for

from pipeline.errors import CannotRetry, JobNotFound
from tasks import actions
from web.auth import page
from web.context import config
from web.security import without_paths

bp = Blueprint("actions", __name__)

#: What an operator action may be refused with (the message says why).
REFUSALS = (CannotRetry, JobNotFound)


def actor(where: str = actions.WEB) -> actions.Actor:
    """The signed-in dashboard user, acting from the page or the API."""
    return actions.Actor(str(getattr(g, "user", None) and g.user.name), where)


def refusal(exc: Exception) -> str:
    """A refusal's message as a page or the API shows it: no server file paths."""
    return without_paths(str(exc))


@bp.post("/mode")
@page("operator")
def mode_form() -> Any:
    try:
        actions.set_mode(config(), request.form.get("mode", ""), actor())
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(_back())


@bp.post("/jobs/<int:job_id>/retry")
@page("operator")
def retry_form(job_id: int) -> Any:
    """Retry as ``prepress retry``; a job retrying by itself is refused with its message."""
    return _retry(job_id, now=False)


@bp.post("/jobs/<int:job_id>/retry-now")
@page("operator")
def retry_now_form(job_id: int) -> Any:
    """Retry as ``prepress retry --now``: a waiting step is tried at once."""
    return _retry(job_id, now=True)


def _retry(job_id: int, now: bool) -> Any:
    try:
        flash(actions.retry(config(), job_id, actor(), now=now), "ok")
    except REFUSALS as exc:
        flash(refusal(exc), "error")
    return redirect(_back(url_for("pages.job", job_id=job_id)))


@bp.post("/jobs/<int:job_id>/acknowledge")
@page("operator")
def acknowledge_form(job_id: int) -> Any:
    """A rejected job leaves Problems, with the operator's note."""
    try:
        note = request.form.get("note", "").replace("\x00", "")  # PostgreSQL refuses NUL
        actions.acknowledge(config(), job_id, actor(), note)
        flash(f"job {job_id} acknowledged", "ok")
    except REFUSALS as exc:
        flash(refusal(exc), "error")
    return redirect(_back(url_for("pages.problems")))


@bp.post("/jobs/<int:job_id>/reprocess")
@page("operator")
def reprocess_form(job_id: int) -> Any:
    """Reprocess as the CLI does; the "remake" box is ``--force-upload``."""
    remake = request.form.get("remake") == "yes"
    try:
        new_id = actions.reprocess(config(), job_id, actor(), force_upload=remake)
    except REFUSALS as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("pages.job", job_id=job_id))
    flash(f"job {job_id} reprocessed as job {new_id}: {actions.PLATE_SAYS[remake]}", "ok")
    return redirect(url_for("pages.job", job_id=new_id))


@bp.post("/problems/retry-all")
@page("operator")
def retry_all_form() -> Any:
    queued, refused = actions.retry_all(config(), actor())
    flash(f"{len(queued)} failed job(s) queued again", "ok")
    for job_id, reason in refused.items():
        flash(f"job {job_id}: {without_paths(reason)}", "error")
    return redirect(url_for("pages.problems"))


def _back(default: str = "") -> str:
    """The page the form was on (a path of this site), else ``default`` or the grid."""
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default or url_for("pages.grid")
