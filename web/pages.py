"""The pages operators look at: the job grid, a job, problem jobs, the printable list, previews.

Every page needs a login; the grid's rows are also served alone (``/rows``) so htmx can
refresh them while jobs run; the health strip is rendered with every page (web/health.py) and
refreshed from ``/health``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, send_file

from models import export, record, report, store
from models.job import FAILED
from models.report import plate_report
from pipeline.errors import JobNotFound
from web import present
from web.auth import page
from web.context import config

bp = Blueprint("pages", __name__)

#: A job page refreshes itself while its job is in one of these (not while a person decides).
LIVE_STATUSES = ("queued", "running")
#: Most rows of the printable list and of a CSV export.
EXPORT_LIMIT = 20_000


def _grid_context() -> dict[str, Any]:
    chosen = present.filter_args(request.args, present.DEFAULT_DAYS)
    choices = _choices()
    where, problems = present.page_filter(chosen, choices)
    limit, offset = present.paging(request.args)
    url = config().database_url
    jobs, total = report.search_jobs(url, where, limit, offset)
    ids = [job.id for job in jobs if job.id is not None]
    steps = report.upload_steps(url, ids)
    redone = report.reprocesses_of(url, ids)
    rows = [
        present.grid_row(job, steps.get(job.id or 0, {}), redone.get(job.id or 0, []))
        for job in jobs
    ]
    _add_waits(rows)
    live = any(job.status in ("queued", "running") for job in jobs)
    both = plate_report(config(), where, by=("press", "outputter"))
    return {
        "rows": rows,
        "total": total,
        "chosen": chosen,
        "choices": choices,
        "problems": problems,
        "where": where,
        "limit": limit,
        "offset": offset,
        "live": live,
        "by_press": both.rollup(("press",)).as_dict(),
        "by_outputter": both.rollup(("outputter",)).as_dict(),
        "presets": present.date_presets(date.today()),
    }


def _add_waits(rows: list[dict[str, Any]]) -> None:
    """What each open job of the rows waits for (a failing target), shown instead of
    "running"."""
    from tasks.targets import waits_of

    open_ids = [row["job"].id for row in rows if row["job"].status in ("queued", "running")]
    waits = waits_of(config(), open_ids)
    for row in rows:
        row["wait"] = waits.get(row["job"].id)


def _choices() -> dict[str, list[str]]:
    """The filter menus: the configured presses and bureaus, the statuses and modes.

    A value that is not among them (an old bookmark, a typing error) is marked on the form,
    not added to the menu.
    """
    return {
        "press": sorted(config().presses),
        "outputter": sorted(config().outputters),
        "status": ["queued", "running", "held", "done", "rejected", "failed"],
        "mode": ["normal", "import", "dry-run"],
    }


@bp.get("/")
@page()
def grid() -> Any:
    """Jobs newest first with filters, previews, and the totals of counted plates."""
    return render_template("grid.html", **_grid_context())


@bp.get("/rows")
@page()
def rows() -> Any:
    """The grid's jobs, count and totals without the page around them, for htmx polling."""
    return render_template("_live.html", **_grid_context())


@bp.get("/print")
@page()
def printable() -> Any:
    """The filtered jobs as a plain list with the plate totals, for paper."""
    chosen = present.filter_args(request.args, present.DEFAULT_DAYS)
    where = present.job_filter(chosen)
    jobs, total = report.search_jobs(config().database_url, where, EXPORT_LIMIT)
    totals = plate_report(config(), where, by=("press", "outputter")).as_dict()
    return render_template("print.html", jobs=jobs, total=total, chosen=chosen, totals=totals)


@bp.get("/jobs.csv")
@page()
def grid_csv() -> Any:
    """The filtered jobs as the shop's CSV file (models/export.py)."""
    chosen = present.filter_args(request.args, present.DEFAULT_DAYS)
    jobs, _ = report.search_jobs(config().database_url, present.job_filter(chosen), EXPORT_LIMIT)
    return _csv_answer(export.grid_csv(config(), jobs), "jobs.csv")


def _csv_answer(text: str, filename: str) -> Response:
    """A CSV file (it starts with its byte order mark: pipeline/spreadsheet.py) to download."""
    answer = Response(text, mimetype="text/csv")
    answer.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer


@bp.get("/jobs/<int:job_id>")
@page()
def job(job_id: int) -> Any:
    """One job: proof, facts, warnings, steps, deliveries, SMS; retry and reprocess."""
    url = config().database_url
    try:
        shown = present.with_preview_urls(record.job_record(url, job_id))
    except JobNotFound:
        abort(404, f"job {job_id} does not exist")
    from models import audit
    from tasks.actions import NOT_REPROCESSED, PLATE_SAYS, REPROCESS_SAYS
    from tasks.targets import waits_of

    return render_template(
        "job.html",
        not_reprocessed=NOT_REPROCESSED,
        reprocess_says=REPROCESS_SAYS,
        plate_says=PLATE_SAYS,
        job=shown,
        steps=present.shown_steps(shown),
        attempts=record.collapse_attempts(shown["attempts"]),
        offer_retry=present.offers_retry(shown, datetime.now(UTC)),
        wait=waits_of(config(), [job_id]).get(job_id),
        audit=audit.of_job(url, job_id),
        deliveries=shown["deliveries"],
        sms=shown["sms"],
        previews=shown["previews"],
        separations=present.separations_text(store.get_job(url, job_id)),
        reprocessed_as=report.reprocesses_of(url, [job_id]).get(job_id, []),
        live=shown["status"] in LIVE_STATUSES,
    )


@bp.get("/problems")
@page()
def problems() -> Any:
    """What needs a person: failing targets with the jobs waiting on them, failed jobs (retry),
    rejected files nobody acknowledged and no later job fixed."""
    from models.problems import open_rejections, recently_resolved
    from tasks.targets import overview

    url = config().database_url
    targets = overview(config())
    failed, failed_total = report.search_jobs(url, report.JobFilter(status=FAILED), 500)
    rejected, fixed = open_rejections(url)
    return render_template(
        "problems.html",
        targets=targets,
        failing=[t for t in targets if t.state == "failing"],
        failed=failed,
        failed_total=failed_total,
        rejected=rejected,
        fixed=fixed,
        resolved=recently_resolved(url),
    )


@bp.get("/audit")
@page()
def audit() -> Any:
    """Who did what and when, newest first, filtered by action, user, job and dates."""
    from models import audit as trail

    url = config().database_url
    chosen, where, errors = present.audit_filter(request.args)
    entries, total = trail.entries(url, where) if not errors else ([], 0)
    actions, actors = trail.actions_and_actors(url)
    return render_template(
        "audit.html",
        entries=entries,
        total=total,
        chosen=chosen,
        errors=errors,
        actions=sorted(set(actions) | set(present.AUDIT_ACTIONS)),
        actors=actors,
    )


@bp.get("/previews/<int:job_id>/<kind>")
@page()
def preview(job_id: int, kind: str) -> Any:
    """A job's thumbnail or proof image; only files under the previews folder are served."""
    if kind not in ("thumbnail", "proof"):
        abort(404)
    try:
        found = store.get_job(config().database_url, job_id)
    except JobNotFound:
        abort(404)
    relative = (found.preview or {}).get(kind)
    if not relative:
        abort(404)
    root = Path(config().paths.previews).resolve()
    path = (Path(config().paths.work_dir) / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)


@bp.get("/health")
@page()
def health() -> Any:
    """The health strip alone, for htmx to refresh it."""
    from web.health import strip

    return render_template("_health.html", strip=strip())
