"""Plate accounting: which jobs count, once each, and how plates, m2 and money add up."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models.report import PlateRow, split_words
from pipeline.accounting import (
    counted_jobs,
    month_of,
    parse_by,
    period,
    summarize,
)
from pipeline.config import config_from_dict
from pipeline.spreadsheet import CsvFormat
from tests.fixtures import BASE_CONFIG

#: A December day in the shop.
DEC = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
#: The shop's zone (UTC+2 in winter).
KYIV = ZoneInfo("Europe/Kyiv")


def presses(**costs: float) -> dict:
    """The shop's presses, with plate prices where given."""
    raw = json.loads(json.dumps(BASE_CONFIG))
    for name, cost in costs.items():
        raw["presses"][name]["plate_cost"] = cost
    return dict(config_from_dict(raw).presses)


def row(
    id: int,
    plates: int | None = 4,
    *,
    status: str = "done",
    mode: str = "normal",
    press: str = "Speedmaster",
    outputter: str = "Leonov",
    when: datetime = DEC,
    reprocess_of: int | None = None,
    same_file: bool = False,
) -> PlateRow:
    return PlateRow(id, status, mode, when, press, outputter, plates, reprocess_of, same_file)


def test_only_done_jobs_in_normal_or_import_mode_count() -> None:
    # Given jobs in every status and mode
    rows = [
        row(1),
        row(2, mode="import"),
        row(3, mode="dry-run"),
        row(4, status="failed"),
        row(5, status="rejected"),
        row(6, status="running"),
    ]

    # When they are counted
    kept = counted_jobs(rows)

    # Then only the done normal and import jobs are in
    assert [r.id for r in kept] == [1, 2]


def test_a_reprocess_that_found_the_file_at_the_bureau_replaces_its_original() -> None:
    # Given job 1, a same-file reprocess 2 of it, and a remake 4 of job 3 that was delivered again
    rows = [row(1), row(2, reprocess_of=1, same_file=True), row(3), row(4, reprocess_of=3)]

    # When they are summed
    report = summarize(rows, presses(), by=("press",)).as_dict()

    # Then job 1's plates count once (as job 2), and the remake counts as its own job
    assert [r.id for r in counted_jobs(rows)] == [2, 3, 4]
    assert report["totals"]["jobs"] == 3 and report["totals"]["plates"] == 12


def test_a_job_replaced_by_a_reprocess_outside_the_rows_is_not_counted() -> None:
    # Given a November job whose same-file reprocess happened in December (not in these rows)
    rows = [row(1, when=datetime(2026, 11, 5, tzinfo=UTC)), row(7)]

    # When counted with the ids the store found replaced
    kept = counted_jobs(rows, replaced={1})

    # Then the November job is gone
    assert [r.id for r in kept] == [7]


def test_a_dry_run_reprocess_replaces_nothing() -> None:
    rows = [row(1), row(2, mode="dry-run", reprocess_of=1, same_file=True)]
    assert [r.id for r in counted_jobs(rows)] == [1]


def test_unknown_plate_counts_are_jobs_but_never_zero_plates() -> None:
    # Given a Signa job and two non-Signa files whose plate count is unknown
    rows = [row(1, 8), row(2, None), row(3, None, outputter="Korol")]

    # When summed per bureau
    report = summarize(rows, presses(Speedmaster=95.0), by=("outputter",)).as_dict()

    # Then they count as jobs, are reported, and add neither plates, area nor cost
    assert report["unknown_plates_jobs"] == 2
    assert report["totals"] == {"jobs": 3, "plates": 8, "area_m2": 6.345, "cost": 760.0}
    korol = next(r for r in report["rows"] if r["outputter"] == "Korol")
    assert korol == {"outputter": "Korol", "jobs": 1, "plates": 0, "area_m2": None, "cost": None}


def test_area_and_cost_come_from_the_press_plate_and_price() -> None:
    # Given 3 Speedmaster jobs (20 plates) at 95 a plate and a Planeta job without a price
    rows = [row(1, 8), row(2, 7), row(3, 5), row(4, 2, press="Planeta")]

    # When summed by month, press and bureau
    report = summarize(rows, presses(Speedmaster=95.0), zone=KYIV).as_dict()

    # Then the JSON has the contract's keys and figures
    assert report["rows"] == [
        {
            "month": "2026-12",
            "press": "Planeta",
            "outputter": "Leonov",
            "jobs": 1,
            "plates": 2,
            "area_m2": 1.656,
            "cost": None,
        },
        {
            "month": "2026-12",
            "press": "Speedmaster",
            "outputter": "Leonov",
            "jobs": 3,
            "plates": 20,
            "area_m2": 15.862,
            "cost": 1900.0,
        },
    ]
    assert report["totals"] == {"jobs": 4, "plates": 22, "area_m2": 17.518, "cost": 1900.0}
    assert report["unknown_plates_jobs"] == 0


def test_a_press_no_longer_configured_has_plates_but_no_area() -> None:
    report = summarize([row(1, 4, press="Heidelberg GTO")], presses(), by=("press",)).as_dict()
    assert report["rows"] == [
        {"press": "Heidelberg GTO", "jobs": 1, "plates": 4, "area_m2": None, "cost": None}
    ]


def test_the_month_is_the_local_month_of_the_job_date() -> None:
    # Given a job at 23:30 UTC on 30 November: 01:30 on 1 December in Kyiv
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)

    # Then its month is December in the shop's zone, November in UTC
    assert month_of(late, KYIV) == "2026-12"
    assert month_of(late, UTC) == "2026-11"
    report = summarize([row(1, when=late)], presses(), by=("month",), zone=KYIV).as_dict()
    assert [r["month"] for r in report["rows"]] == ["2026-12"]


def test_period_includes_the_last_day_in_local_time() -> None:
    start, end = period(date(2026, 12, 1), date(2026, 12, 31), KYIV)
    assert start == datetime(2026, 12, 1, tzinfo=KYIV)
    assert end == datetime(2027, 1, 1, tzinfo=KYIV)
    assert period(None, None) == (None, None)


def test_grouping_names_are_checked_and_put_in_order() -> None:
    assert parse_by("outputter, month") == ("month", "outputter")
    with pytest.raises(ValueError, match="bureau"):
        parse_by("month,bureau")


def test_csv_has_a_header_and_the_same_figures() -> None:
    report = summarize([row(1, 8), row(2, None)], presses(Speedmaster=95.5), by=("press",))
    assert report.as_csv().splitlines() == [
        "\ufeffpress;jobs;plates;area_m2;cost;remake_jobs;remake_plates;remake_cost",
        "Speedmaster;2;8;6,345;764;0;0;",
    ]
    point = CsvFormat(separator=",", decimal_comma=False)
    assert report.as_csv(point).splitlines()[1] == "Speedmaster,2,8,6.345,764,0,0,"


def test_csv_cells_that_would_start_a_formula_are_text() -> None:
    # Given bureaus whose names a spreadsheet would read as formulas
    import csv
    import io

    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Leonov"]
    rows = [row(n, 4, outputter=name) for n, name in enumerate(names, start=1)]
    report = summarize(rows, presses(Speedmaster=5.0), by=("outputter",))

    # When the report is written as CSV and read back
    text = report.as_csv().removeprefix("\ufeff")
    cells = list(csv.reader(io.StringIO(text, newline=""), "excel", delimiter=";"))[1:]

    # Then each such name starts with a quote, and the figures stay numbers
    by_name = {line[0]: line[1:] for line in cells}
    assert set(by_name) == {"'" + n for n in names[:-1]} | {"Leonov"}
    assert by_name["'-2"] == ["1", "4", "3,172", "20", "0", "0", ""]
    from pipeline.spreadsheet import safe_cell

    assert safe_cell(-20.0) == -20.0 and safe_cell(-3) == -3 and safe_cell("-3") == "'-3"


def test_search_words_with_a_minus_exclude() -> None:
    assert split_words("flier  -korol -") == (["flier"], ["korol"])
