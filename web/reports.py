"""The reports page: plates, m2 and money of a year, a month or any date range, by month,
per press and per bureau, month by press and month by bureau; and its CSV.

The figures come from pipeline.accounting, the same as ``prepress report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from models.report import JobFilter, plate_report
from pipeline.accounting import DIMENSIONS, parse_by, period
from pipeline.spreadsheet import CsvFormat
from web.auth import page
from web.charts import bar_chart
from web.context import config

bp = Blueprint("reports", __name__)

#: Years a report may cover (a typing error like 20266 is refused, not searched).
FIRST_YEAR, LAST_YEAR = 1990, 2200


@dataclass(frozen=True)
class Period:
    """The local days a report covers, both included, and how the page names them."""

    first: date
    last: date
    label: str
    year: int | None = None
    month: str = ""

    def months(self) -> list[str]:
        """Every ``YYYY-MM`` from the first day's month to the last day's."""
        found, day = [], self.first.replace(day=1)
        while day <= self.last:
            found.append(f"{day.year}-{day.month:02d}")
            day = (day + timedelta(days=32)).replace(day=1)
        return found


def _day(key: str) -> date | None:
    text = (request.args.get(key) or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{key}={text!r}: use a date like 2026-12-01") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadRequest(f"{key}={text!r}: use a date between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _month(text: str) -> Period:
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise BadRequest(f"month={text!r}: use a month like 2026-12") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadRequest(f"month={text!r}: use a month between {FIRST_YEAR} and {LAST_YEAR}")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(first, last, first.strftime("%B %Y"), month=f"{year}-{month:02d}")


def chosen_period() -> Period:
    """``month=YYYY-MM``, or ``from``/``to`` dates, or ``year`` (default: this year)."""
    if request.args.get("month"):
        return _month(request.args["month"].strip())
    first, last = _day("from"), _day("to")
    if first or last:
        first = first or (last or date.today()).replace(month=1, day=1)
        last = last or date.today()
        if last < first:
            raise BadRequest("to is before from: the last day must not come before the first")
        return Period(first, last, f"{first.isoformat()} – {last.isoformat()}")
    text = request.args.get("year") or str(date.today().year)
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise BadRequest(f"year={text!r}: use a year like 2026")
    year = int(text)
    return Period(date(year, 1, 1), date(year, 12, 31), str(year), year=year)


def period_filter(chosen: Period) -> JobFilter:
    start, end = period(chosen.first, chosen.last)
    return JobFilter(
        press=request.args.get("press", ""),
        outputter=request.args.get("outputter", ""),
        start=start,
        end=end,
    )


def all_months(months: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every month of the period, empty ones included, so the chart's axis is the whole span."""
    found = {row["month"]: row for row in rows}
    empty = {"jobs": 0, "plates": 0, "area_m2": None, "cost": None}
    return [found.get(month, {"month": month, **empty}) for month in months]


def cross_table(rows: list[dict[str, Any]], months: list[str], key: str) -> dict[str, Any]:
    """Plates of month x ``key`` (press or outputter): columns, one row per month, totals."""
    columns = sorted({row[key] for row in rows})
    cells = {(row["month"], row[key]): row["plates"] for row in rows}
    return {
        "columns": columns,
        "rows": [{"month": m, "plates": [cells.get((m, c), 0) for c in columns]} for m in months],
        "totals": [sum(cells.get((m, c), 0) for m in months) for c in columns],
    }


def quick_links(today: date) -> list[tuple[str, dict[str, str]]]:
    """One-click periods: this week (Monday to today, as the grid's), this month per bureau,
    last month, this year, last year."""
    this_month = f"{today.year}-{today.month:02d}"
    last = today.replace(day=1) - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    return [
        ("this week", {"from": monday.isoformat(), "to": today.isoformat()}),
        ("this month per bureau", {"month": this_month, "_anchor": "per-bureau"}),
        ("last month", {"month": f"{last.year}-{last.month:02d}"}),
        ("this year", {"year": str(today.year)}),
        ("last year", {"year": str(today.year - 1)}),
    ]


@bp.get("/reports")
@page()
def reports() -> Any:
    """Plates, m2 and money of a period: by month, per press, per bureau, and crossed."""
    chosen = chosen_period()
    whole = plate_report(config(), period_filter(chosen))
    by_month = whole.rollup(("month",)).as_dict()
    by_press = whole.rollup(("press",)).as_dict()
    by_outputter = whole.rollup(("outputter",)).as_dict()
    months = all_months(chosen.months(), by_month["rows"])
    month_names = chosen.months()
    return render_template(
        "reports.html",
        period=chosen,
        months=months,
        month_chart=bar_chart([(m["month"][2:], m["plates"]) for m in months]),
        by_month=by_month,
        by_press=by_press,
        press_chart=bar_chart([(r["press"], r["plates"]) for r in by_press["rows"]]),
        by_outputter=by_outputter,
        outputter_chart=bar_chart([(r["outputter"], r["plates"]) for r in by_outputter["rows"]]),
        remakes=remakes(config().database_url, period_filter(chosen)),
        ledger=remake_ledger(config(), period_filter(chosen)),
        month_press=cross_table(
            whole.rollup(("month", "press")).as_dict()["rows"], month_names, "press"
        ),
        month_outputter=cross_table(
            whole.rollup(("month", "outputter")).as_dict()["rows"], month_names, "outputter"
        ),
        presses=sorted(config().presses),
        outputters=sorted(config().outputters),
        quick=quick_links(date.today()),
        csv_args=_csv_args(chosen),
        jobs_link=lambda key, value: jobs_link(chosen, key, value),
    )


def jobs_link(chosen: Period, key: str, value: str) -> str:
    """The job grid filtered to what a report row counts: done jobs of its month (or of the
    period) and its press or bureau, with the page's press and bureau filters kept."""
    first, last = chosen.first, chosen.last
    if key == "month":
        year, month = (int(part) for part in value.split("-"))
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        first, last = max(first, start), min(last, end)
    args: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "status": "done",
        "press": request.args.get("press", ""),
        "outputter": request.args.get("outputter", ""),
    }
    if key in ("press", "outputter"):
        args[key] = value or ""
    return url_for("pages.grid", **{k: v for k, v in args.items() if v})


def _csv_args(chosen: Period) -> dict[str, str]:
    args = {"press": request.args.get("press", ""), "outputter": request.args.get("outputter", "")}
    if chosen.year is not None:
        return {**args, "year": str(chosen.year)}
    if chosen.month:
        return {**args, "month": chosen.month}
    return {**args, "from": chosen.first.isoformat(), "to": chosen.last.isoformat()}


@bp.get("/reports.csv")
@page()
def reports_csv() -> Any:
    """The period's report as the shop's CSV file, grouped as ``by`` says."""
    try:
        by = parse_by(request.args.get("by") or ",".join(DIMENSIONS))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    chosen = chosen_period()
    name = chosen.month or (str(chosen.year) if chosen.year else f"{chosen.first}_{chosen.last}")
    return Response(
        plate_report(config(), period_filter(chosen), by=by).as_csv(CsvFormat.of(config())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="plates-{name}.csv"'},
    )


def remake_ledger(shop: Any, where: JobFilter) -> dict[str, Any]:
    """Remakes per reason, press and bureau with money and rate (models/report.py)."""
    from models.report import remake_ledger as ledger

    return ledger(shop, where)


def remakes(url: str, where: JobFilter) -> list[Any]:
    """The counted remakes of the report's jobs, each with who approved it and why."""
    from models.hold import remake_jobs

    return remake_jobs(url, where)
