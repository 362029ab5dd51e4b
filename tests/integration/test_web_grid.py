"""The grid and the reports as the shop reads them: search in every script, date presets,
wrong filter values marked on the form, thumbnails and inks, live totals, reports by month or
date range with month x press and month x bureau, and CSV that Excel reads as UTF-8."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from commands.cli import main
from models import report
from models.job import search_key
from models.report import JobFilter
from pipeline.config import Config
from tests.integration.test_web import OPERATOR, RECENT, add_job, login, web_config

#: The same word in three cases; SQLite's LIKE and lower() fold none of them.
CYRILLIC = ("0601_каталог_Leonov.pdf", "0602_Каталог_Korol.pdf", "0603_КАТАЛОГ_Leonov.pdf")


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    config = web_config(tmp_path, monkeypatch, redis_broker)
    for name in CYRILLIC:
        add_job(config, name, press="Speedmaster", outputter=name[-10:-4].strip("_"), plates=4)
    add_job(config, "0604_Flier_Leonov.pdf", press="Planeta", outputter="Leonov", plates=8)
    add_job(
        config,
        "0605_Broken_Leonov.pdf",
        status="rejected",
        error_code="not_pdf",
        error="not a PDF",
    )
    add_job(
        config,
        "0606_Inks_Leonov.pdf",
        press="Speedmaster",
        outputter="Leonov",
        plates=5,
        separations={"1": ["Cyan", "Magenta", "Yellow", "Black", "PANTONE 246 C"]},
    )
    return config


@pytest.fixture
def client(shop: Config) -> Iterator[Any]:
    from tasks.app import use_config
    from web.app import create_app

    app_client = create_app(shop).test_client()
    login(app_client, OPERATOR)
    yield app_client
    use_config(None)


def test_search_ignores_case_in_every_script_on_sqlite_and_postgresql(database_url: str) -> None:
    # Given the same Cyrillic word in three cases, written through the ORM (and its events)
    from models import store

    for name in (*CYRILLIC, "0604_Flier_Leonov.pdf"):
        store.create_job(database_url, name)
    # When each case is searched for
    found = {
        word: sorted(j.name for j in report.search_jobs(database_url, JobFilter(q=word))[0])
        for word in ("каталог", "Каталог", "КАТАЛОГ", "-каталог")
    }
    # Then every case finds all three, and excluding the word leaves the other job
    assert found["каталог"] == found["Каталог"] == found["КАТАЛОГ"] == sorted(CYRILLIC)
    assert found["-каталог"] == ["0604_Flier_Leonov.pdf"]


def test_the_search_key_follows_renames_of_the_job() -> None:
    assert search_key("0601_КАТАЛОГ.pdf", "0601", "Straße") == "0601_каталог.pdf\n0601\nstrasse"


def test_grid_search_finds_every_case_and_the_page_marks_wrong_values(client: Any) -> None:
    # When the grid is searched with a capitalised Cyrillic word
    page = client.get("/?q=Каталог").text
    # Then all three spellings are listed
    assert all(name in page for name in CYRILLIC) and "0604_Flier" not in page
    # When a date is mistyped and a press is not configured
    answer = client.get("/?from=2026-13-45&press=Heidelberg%20XL")
    # Then the page still answers, marks both values and filters by the rest
    assert answer.status_code == 200
    assert 'id="filter-from" value="2026-13-45" aria-invalid="true"' in answer.text
    assert "is not one of the press values" in answer.text
    assert '<option value="Heidelberg XL"' not in answer.text
    assert "0604_Flier_Leonov.pdf" in answer.text


def test_date_presets_link_today_this_week_this_month_and_last_month(client: Any) -> None:
    today = date.today()
    page = client.get("/").text
    for label in ("today", "yesterday", "this week", "this month", "last month"):
        assert f">{label}</a>" in page
    assert f"from={today.isoformat()}&amp;to={today.isoformat()}" in page
    last_month_end = today.replace(day=1) - timedelta(days=1)
    assert f"from={last_month_end.replace(day=1).isoformat()}" in page


def test_rows_show_thumbnail_column_inks_and_a_dash_for_uploads_never_tried(client: Any) -> None:
    page = client.get("/").text
    row = page[page.index('data-status="rejected"') :]
    row = row[: row.index("</tr>")]
    assert row.count(">—</td>") == 3  # no plate count, and neither upload was ever due
    inks = page[page.index("0606_Inks") :]
    assert '<span class="ink cyan" title="Cyan">' in inks
    assert '<span class="ink spot" title="PANTONE 246 C">' in inks
    assert 'class="thumbcol"' in page


def test_the_polled_rows_bring_the_count_and_the_totals_along(client: Any, shop: Config) -> None:
    before = client.get("/rows").text
    assert 'id="count"' in before and 'id="totals"' in before and 'id="rows"' in before
    add_job(shop, "0607_New_Leonov.pdf", press="Planeta", outputter="Leonov", plates=2)
    after = client.get("/rows").text
    count = after[after.index('id="count"') :]
    assert '<b id="total">7</b>' in count


def test_reports_by_month_and_by_range_with_cross_tables(client: Any) -> None:
    month = f"{RECENT.year}-{RECENT.month:02d}"
    page = client.get(f"/reports?month={month}")
    assert page.status_code == 200
    assert 'id="month-press"' in page.text and 'id="month-bureau"' in page.text
    # counted: three catalogues 12 + flier 8 + inks 5; the rejected job is not
    assert '<b id="year-plates">25</b>' in page.text
    first = (RECENT - timedelta(days=3)).date().isoformat()
    ranged = client.get(f"/reports?from={first}&to={date.today().isoformat()}")
    assert ranged.status_code == 200 and '<b id="year-plates">25</b>' in ranged.text
    assert client.get("/reports?month=2026-13").status_code == 400
    assert client.get("/reports?from=2026-12-10&to=2026-12-01").status_code == 400
    assert "this month per bureau" in client.get("/reports").text


def test_csv_files_start_with_a_byte_order_mark_for_excel(client: Any) -> None:
    month = f"{RECENT.year}-{RECENT.month:02d}"
    for path in (f"/reports.csv?month={month}", "/jobs.csv"):
        body = client.get(path).data
        assert body.startswith("\ufeff".encode()), path
    assert "каталог".encode() in client.get("/jobs.csv").data


def test_the_jobs_command_filters_like_the_page(shop: Config) -> None:
    args = ["jobs", "--json", "--config", str(shop.source)]
    run = CliRunner().invoke
    found = json.loads(run(main, [*args, "--search", "КАТАЛОГ", "--outputter", "Leonov"]).output)
    assert sorted(j["name"] for j in found) == [CYRILLIC[0], CYRILLIC[2]]
    planeta = json.loads(run(main, [*args, "--press", "Planeta"]).output)
    assert [j["name"] for j in planeta] == ["0604_Flier_Leonov.pdf"]
    day = RECENT.date()
    ranged = json.loads(run(main, [*args, "--from", str(day), "--to", str(day)]).output)
    assert len(ranged) == 6
    before = json.loads(run(main, [*args, "--to", str(day - timedelta(days=1))]).output)
    assert before == []
    bad = run(main, [*args, "--from", "yesterday"])
    assert bad.exit_code == 2 and "yesterday" in bad.output and "--from" in bad.output


def test_a_reprocess_and_its_original_link_each_other(client: Any, shop: Config) -> None:
    original = add_job(shop, "0608_Again_Leonov.pdf", press="Planeta", outputter="Leonov")
    later = add_job(shop, "0608_Again_Leonov.pdf", reprocess_of=original, status="running")
    grid = client.get("/").text
    assert f"reprocessed as {later}</a>" in grid and f"reprocess of {original}</a>" in grid
    page = client.get(f"/jobs/{original}").text
    assert f'href="/jobs/{later}">job {later}</a>' in page
    # a job page refreshes itself until its job is final
    assert 'hx-select="#job-page"' in client.get(f"/jobs/{later}").text
    assert 'hx-select="#job-page"' not in page


def test_reprocess_on_the_page_says_what_the_cli_says_and_offers_the_remake(
    client: Any, shop: Config
) -> None:
    from tasks.actions import PLATE_SAYS, REPROCESS_SAYS

    done = add_job(shop, "0611_Done_Leonov.pdf", press="Planeta", outputter="Leonov", plates=4)
    page = client.get(f"/jobs/{done}").text
    # the confirmation is the CLI's text, the remake is offered, the plate rule is said
    assert f"prepress {REPROCESS_SAYS}" in page
    assert 'name="remake" value="yes"' in page
    assert "the plate file is NOT sent again" in page and "tick remake" in page
    assert PLATE_SAYS[True].startswith("the plate file IS sent again")
    # a rejected job is not offered a reprocess
    rejected = client.get("/").text
    rejected_id = rejected.split('data-status="rejected"')[0].rsplit('id="job-', 1)[1].split('"')[0]
    assert 'id="reprocess"' not in client.get(f"/jobs/{rejected_id}").text
