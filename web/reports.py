"""The reports page: a year by month (plates, m2, money), per press and per bureau; and its CSV.

The figures come from pipeline.accounting, the same as ``prepress report``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import BadRequest

from models.report import JobFilter, plate_report
from pipeline.accounting import DIMENSIONS, parse_by, period
from web.auth import page
from web.charts import bar_chart

bp = Blueprint("reports", __name__)


def config() -> Any:
    return current_app.extensions["prepress"]


def _year() -> int:
    text = request.args.get("year") or str(date.today().year)
    if not text.isdigit() or not 1990 <= int(text) <= 2200:
        raise BadRequest(f"year={text!r}: use a year like 2026")
    return int(text)


def year_filter(year: int) -> JobFilter:
    start, end = period(date(year, 1, 1), date(year, 12, 31))
    return JobFilter(
        press=request.args.get("press", ""),
        outputter=request.args.get("outputter", ""),
        start=start,
        end=end,
    )


def months_of(year: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All twelve months, empty ones included, so the chart's axis is the whole year."""
    found = {row["month"]: row for row in rows}
    empty = {"jobs": 0, "plates": 0, "area_m2": None, "cost": None}
    return [
        found.get(f"{year}-{m:02d}", {"month": f"{year}-{m:02d}", **empty}) for m in range(1, 13)
    ]


@bp.get("/reports")
@page()
def reports() -> Any:
    """Plates, m2 and money of a year: by month, per press and per bureau, with charts."""
    year = _year()
    where = year_filter(year)
    whole = plate_report(config(), where)
    by_month = whole.rollup(("month",)).as_dict()
    by_press = whole.rollup(("press",)).as_dict()
    by_outputter = whole.rollup(("outputter",)).as_dict()
    months = months_of(year, by_month["rows"])
    return render_template(
        "reports.html",
        year=year,
        months=months,
        month_chart=bar_chart([(m["month"][5:], m["plates"]) for m in months]),
        by_month=by_month,
        by_press=by_press,
        press_chart=bar_chart([(r["press"], r["plates"]) for r in by_press["rows"]]),
        by_outputter=by_outputter,
        outputter_chart=bar_chart([(r["outputter"], r["plates"]) for r in by_outputter["rows"]]),
        remakes=remakes(config().database_url, where),
        presses=sorted(config().presses),
        outputters=sorted(config().outputters),
    )


@bp.get("/reports.csv")
@page()
def reports_csv() -> Any:
    """The year's report as CSV, grouped as ``by`` says (default month, press, bureau)."""
    try:
        by = parse_by(request.args.get("by") or ",".join(DIMENSIONS))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    year = _year()
    return Response(
        plate_report(config(), year_filter(year), by=by).as_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="plates-{year}.csv"'},
    )


def remakes(url: str, where: JobFilter) -> list[Any]:
    """The counted remakes of the report's jobs, each with who approved it and why."""
    from models.hold import remake_jobs

    return remake_jobs(url, where)
