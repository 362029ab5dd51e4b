"""The dashboard after a week at the shop (Flask's test client, SQLite and PostgreSQL): ids past
the id column, odd audit filters and NUL in a reason are 404/400, never 500; a viewer's
``/api/health`` names no host, path or user; bidi controls are shown escaped; findings are
capped per job; a rejected job's page and row; no Retry right after an approval; repeated
attempts are one row; the plates panel's cost; the reports' week preset and links to jobs."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models import store
from models.attempts import StepAttempt
from models.db import migrate, session
from models.record import collapse_attempts
from pipeline.chain import STEPS
from pipeline.config import Config
from tests.integration.test_web import (
    FTP_SECRET,
    OPERATOR,
    VIEWER,
    add_job,
    csrf_of,
    login,
    web_config,
)
from tests.integration.test_web_hold import MISSING_PLATE, held_job

#: Ids that fit no 32-bit id column; 2**63 and beyond fit no integer column at all.
HUGE_IDS = (2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 7)
#: A file name whose right-to-left override would show "fdp.exe" as "exe.pdf".
BIDI_NAME = "0701_Invoice_\u202efdp.exe_\u2066x\u2069_Leonov.pdf"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    return web_config(tmp_path, monkeypatch, redis_broker)


@pytest.fixture
def client(shop: Config) -> Iterator[Any]:
    from tasks.app import use_config
    from web.app import create_app

    yield create_app(shop).test_client()
    use_config(None)


@pytest.fixture
def any_db_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str, database_url: str
) -> Iterator[tuple[Any, Config]]:
    """The dashboard on SQLite, then on PostgreSQL."""
    from tasks.app import use_config
    from web.app import create_app

    config = dataclasses.replace(
        web_config(tmp_path, monkeypatch, redis_broker), database_url=database_url
    )
    migrate(database_url)
    yield create_app(config).test_client(), config
    use_config(None)


def test_ids_past_the_id_column_are_404_and_nul_in_a_reason_is_no_500(
    any_db_client: tuple[Any, Config],
) -> None:
    client, config = any_db_client
    held = held_job(config, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    login(client, OPERATOR)
    token = csrf_of(client)
    # When jobs past 32 bits are asked for, by page, preview, form and API
    for job_id in HUGE_IDS:
        answers = [
            client.get(f"/jobs/{job_id}"),
            client.get(f"/previews/{job_id}/thumbnail"),
            client.post(f"/jobs/{job_id}/retry", data={"csrf_token": token}),
            client.post(f"/jobs/{job_id}/approve", data={"csrf_token": token, "reason": "x"}),
            client.get(f"/api/jobs/{job_id}", auth=VIEWER),
            client.post(f"/api/jobs/{job_id}/reject", auth=OPERATOR, json={"reason": "x"}),
        ]
        # Then each is "not found"
        assert [a.status_code for a in answers] == [404] * len(answers), job_id
    # When a reason holds a NUL, from the page and from the API
    page = client.post(
        f"/jobs/{held}/reject",
        data={"csrf_token": token, "reason": "bad\x00file"},
        follow_redirects=True,
    )
    # Then the job is rejected with the reason less the NUL
    assert page.status_code == 200
    assert store.get_job(config.database_url, held).decision_reason == "badfile"
    other = held_job(config, "0602_Flier_Korol.pdf", [MISSING_PLATE])
    api = client.post(f"/api/jobs/{other}/reject", auth=OPERATOR, json={"reason": "a\x00b"})
    assert api.status_code == 200 and store.get_job(config.database_url, other).status == (
        "rejected"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("job=%C2%B2", "job"), ("job=99999999999999999999", "job"), ("to=9999-12-31", "to"),
     ("from=0001-01-01", "from"), ("from=2026-05-02&to=2026-05-01", "to"), ("job=%00", None)],
)  # fmt: skip
def test_odd_audit_filters_are_marked_on_the_form(
    client: Any, query: str, field: str | None
) -> None:
    login(client, VIEWER)
    answer = client.get(f"/audit?{query}")
    assert answer.status_code == 200
    if field:
        assert 'aria-invalid="true"' in answer.text and "field-error" in answer.text


def test_a_viewer_gets_the_health_states_only_an_operator_the_details(
    client: Any, shop: Config
) -> None:
    viewer = client.get("/api/health", auth=VIEWER)
    operator = client.get("/api/health", auth=OPERATOR)
    seen = viewer.get_data(as_text=True)
    # Then the viewer learns what works, not where things are
    assert viewer.json["broker"] == {"reachable": True}
    assert viewer.json["database"]["migrated"] is True and "queues" in viewer.json
    for secret in (str(shop.paths.work_dir), "sqlite", "127.0.0.1", "6379", "2121", "leonov:"):
        assert secret not in seen, secret
    assert not any(key in json.dumps(viewer.json["targets"]) for key in ("where", "ftp://"))
    # And an operator gets the details, passwords still masked
    assert operator.json["broker"]["url"] and operator.json["database"]["url"]
    assert FTP_SECRET not in operator.get_data(as_text=True)


def test_bidi_controls_in_names_are_shown_escaped(client: Any, shop: Config) -> None:
    job_id = add_job(shop, BIDI_NAME, press="Speedmaster", outputter="Leonov", plates=4)
    login(client, VIEWER)
    pages = [client.get("/").text, client.get(f"/jobs/{job_id}").text, client.get("/print").text]
    for page in pages:
        assert "\u202e" not in page and "\u2066" not in page
        assert "0701_Invoice_\\u202efdp.exe_\\u2066x\\u2069_Leonov.pdf" in page


def test_findings_are_capped_per_job_on_the_page_the_held_list_and_the_api(
    client: Any, shop: Config
) -> None:
    # Given a held job with 5,000 findings (one per colorant)
    many = [
        {**MISSING_PLATE, "object": f"Spot {n}", "message": f"Spot {n} prints but has no plate"}
        for n in range(5000)
    ]
    job_id = held_job(shop, "0603_Colours_Korol.pdf", many)
    login(client, VIEWER)
    page = client.get(f"/jobs/{job_id}").text
    # Then the page lists the first 200 and says how many more there are
    assert page.count("prints but has no plate</li>") == 200
    assert "and 4800 more finding(s)" in page and len(page) < 400_000
    held = client.get("/held").text
    assert held.count("prints but has no plate</li>") == 20 and "and 4980 more" in held
    answer = client.get(f"/api/jobs/{job_id}", auth=VIEWER).json
    assert len(answer["findings"]) == 200 and answer["findings_total"] == 5000


def test_a_rejected_job_shows_its_reason_and_its_steps_were_not_run(
    client: Any, shop: Config
) -> None:
    job_id = held_job(shop, "0604_Wrong_Korol.pdf", [MISSING_PLATE])
    login(client, OPERATOR)
    client.post(
        f"/jobs/{job_id}/reject",
        data={"csrf_token": csrf_of(client), "reason": "customer sent a new file"},
    )
    job_page = client.get(f"/jobs/{job_id}").text
    later = STEPS[STEPS.index("hold") + 1 :]
    steps_table = job_page[
        job_page.index('id="steps"') : job_page.index("</table>", job_page.index('id="steps"'))
    ]
    assert steps_table.count("not run: rejected") == len(later)
    assert '<td class="state pending not-run">rejected</td>' in steps_table  # the hold
    assert ">pending<" not in steps_table
    grid = client.get("/").text
    row = grid[grid.index(f'id="job-{job_id}"') :]
    row = row[: row.index("</tr>")]
    assert "customer sent a new file" in row and "None" not in row


def test_no_retry_right_after_an_approval_and_retry_on_a_failed_job(
    client: Any, shop: Config
) -> None:
    job_id = held_job(shop, "0605_Ok_Korol.pdf", [MISSING_PLATE])
    failed = add_job(shop, "0606_Down_Leonov.pdf", status="failed", error="FTP down")
    login(client, OPERATOR)
    client.post(
        f"/jobs/{job_id}/approve",
        data={"csrf_token": csrf_of(client), "reason": "the spot is in the artwork"},
    )
    assert store.get_job(shop.database_url, job_id).status in ("queued", "running")
    assert 'id="retry"' not in client.get(f"/jobs/{job_id}").text
    assert 'id="retry"' in client.get(f"/jobs/{failed}").text
    # And a queued job nothing happened to for long is offered Retry (its chain may be lost)
    old = datetime.now(UTC) - timedelta(hours=1)
    stuck = add_job(shop, "0607_Stuck_Leonov.pdf", status="queued", received_at=old)
    assert 'id="retry"' in client.get(f"/jobs/{stuck}").text


def test_repeated_attempts_with_the_same_error_are_one_row(client: Any, shop: Config) -> None:
    job_id = add_job(shop, "0608_Outage_Leonov.pdf", status="running", step="upload_plate")
    start = datetime(2026, 3, 5, 18, 36, tzinfo=UTC)
    with session(shop.database_url) as db:
        for n in range(10):
            at = start + timedelta(seconds=33 * n)
            db.add(StepAttempt(job_id=job_id, step="upload_plate", number=n + 1, started_at=at,
                               ended_at=at + timedelta(seconds=2), outcome="waiting",
                               error="connection refused"))  # fmt: skip
        db.add(StepAttempt(job_id=job_id, step="upload_plate", number=11, started_at=start
                           + timedelta(minutes=6), outcome="done", note="sent"))  # fmt: skip
    login(client, VIEWER)
    page = client.get(f"/jobs/{job_id}").text
    table = page[page.index('id="attempts"') : page.index("</table>", page.index('id="attempts"'))]
    assert table.count("<tr class=") == 2
    local = [(start + timedelta(seconds=s)).astimezone().strftime("%H:%M") for s in (0, 299)]
    assert f"x10, {local[0]}–{local[1]}" in table and ">1–10<" in table


def test_collapse_attempts_joins_only_consecutive_equal_attempts() -> None:
    t = [datetime(2026, 3, 5, 18, m, tzinfo=UTC) for m in range(6)]
    rows = collapse_attempts(
        [
            {"step": "a", "number": 1, "started_at": t[0], "ended_at": t[0], "outcome": "waiting",
             "error": "down", "note": ""},
            {"step": "a", "number": 2, "started_at": t[1], "ended_at": t[2], "outcome": "waiting",
             "error": "down", "note": ""},
            {"step": "a", "number": 3, "started_at": t[3], "ended_at": t[3], "outcome": "waiting",
             "error": "refused", "note": ""},
            {"step": "a", "number": 4, "started_at": None, "ended_at": t[5], "outcome": "waiting",
             "error": "down", "note": ""},
        ]
    )  # fmt: skip
    assert [(r["count"], r["first_number"], r["last_number"]) for r in rows] == [
        (2, 1, 2),
        (1, 3, 3),
        (1, 4, 4),
    ]
    assert (rows[0]["first"], rows[0]["last"]) == (t[0], t[2]) and rows[2]["first"] == t[5]
    assert collapse_attempts([]) == []


def test_plates_panel_shows_cost_or_no_price_and_reports_link_to_jobs(
    client: Any, shop: Config
) -> None:
    # Given counted jobs on a press with a plate price (Speedmaster 95) and one without
    add_job(shop, "0609_A_Leonov.pdf", press="Speedmaster", outputter="Leonov", plates=8)
    add_job(shop, "0610_B_Korol.pdf", press="Planeta", outputter="Korol", plates=4)
    login(client, VIEWER)
    totals = client.get("/").text
    totals = totals[totals.index('id="totals"') :]
    assert "760.00" in totals and "no price" in totals
    # And the reports have this week one click away, and their rows open the jobs
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    page = client.get(f"/reports?year={today.year}").text
    presets = page[page.index('id="report-presets"') :]
    assert f"from={monday.isoformat()}&amp;to={today.isoformat()}" in presets.split("</p>")[0]
    links = re.findall(r'<a href="(/\?[^"]+)" class="jobs-link"', page)
    assert any("press=Planeta" in link and "status=done" in link for link in links)
    opened = client.get(links[0].replace("&amp;", "&")).text
    assert "0609_A_Leonov.pdf" in opened or "0610_B_Korol.pdf" in opened


def test_the_problems_page_says_when_a_target_was_last_tried(client: Any, shop: Config) -> None:
    from models import targets as records

    at = datetime.now(UTC) - timedelta(minutes=3)
    records.record_failure(shop.database_url, "bureau:Leonov", "Leonov FTP", "ftp://h:21",
                           "connection refused", attempted_at=at)  # fmt: skip
    with session(shop.database_url) as db:  # the failure was recorded when it ended
        row = db.get(records.TargetState, "bureau:Leonov")
        row.last_failure_at = at
        db.add(row)
    login(client, VIEWER)
    page = client.get("/problems").text
    assert f"last tried {at.astimezone().strftime('%H:%M')}" in page


def test_a_worker_serving_two_queues_counts_under_both(
    shop: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks import health, probes

    monkeypatch.setattr(probes, "broker_error", lambda config: None)
    monkeypatch.setattr(
        probes, "queue_lengths", lambda url: {q: {"waiting": 0} for q in ("cpu", "io", "ops")}
    )
    served = [
        {"hostname": "io@vm", "queues": ["io", "ops"]},
        {"hostname": "cpu@vm", "queues": ["cpu"]},
    ]
    monkeypatch.setattr(probes, "workers", lambda config: served)
    probe = health.Health()
    health._probe_broker(shop, probe)
    assert {q: probe.queues[q]["workers"] for q in ("cpu", "io", "ops")} == {
        "cpu": 1,
        "io": 1,
        "ops": 1,
    }
    assert not probe.problems
