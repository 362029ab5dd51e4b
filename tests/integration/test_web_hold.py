"""Held jobs on the dashboard and in the API (Flask's test client, real SQLite and Redis):
the Held view and its count, findings with markers on the job page, approve and reject with
a reason, roles and CSRF, and no inline script on these pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models import hold, steps, store
from models.job import HELD, SUCCEEDED
from pipeline.chain import STEPS
from pipeline.config import Config
from tests.integration.test_web import OPERATOR, VIEWER, add_job, csrf_of, login, web_config

#: A Signa sheet as validate stores it: a 1030 x 770 plate, 900 x 640 paper.
SHEET = {
    "number": 1, "plate_mm": [1030, 770], "paper_mm": [900.0, 640.0], "press": "Speedmaster",
    "outputter": "Korol", "colorants": ["Cyan"], "marks": {},
}  # fmt: skip


def held_job(config: Config, name: str, findings: list[dict[str, Any]], **facts: Any) -> int:
    url = config.database_url
    job_id = add_job(config, name, status="running", press="Speedmaster", outputter="Korol",
                     sheets=[SHEET], plates=4, **facts)  # fmt: skip
    for step in STEPS[: STEPS.index("hold")]:
        steps.finish_step(url, job_id, step, SUCCEEDED)
    assert hold.hold_job(url, job_id, findings, facts.get("duplicate_of"))
    return job_id


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    return web_config(tmp_path, monkeypatch, redis_broker)


@pytest.fixture
def client(shop: Config) -> Iterator[Any]:
    from tasks.app import use_config
    from web.app import create_app

    yield create_app(shop).test_client()
    use_config(None)


def basic(user: tuple[str, str]) -> dict[str, str]:
    token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


MISSING_PLATE = {
    "code": "plate_missing", "severity": "error", "page": 1, "object": "PANTONE 123 C",
    "position_mm": [515.0, 385.0], "message": "PANTONE 123 C prints but has no plate",
}  # fmt: skip


def test_the_held_view_lists_held_jobs_with_their_count_in_the_header(
    client: Any, shop: Config
) -> None:
    # Given a held job and a done one
    job_id = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    add_job(shop, "0602_Other_Korol.pdf")
    login(client, VIEWER)
    # When the Held view is opened
    page = client.get("/held")
    # Then the held job is listed with its reason, and the header counts one
    assert page.status_code == 200
    assert f'href="/jobs/{job_id}"' in page.text and "0602_Other" not in page.text
    assert "PANTONE 123 C prints but has no plate" in page.text
    assert 'id="held-count">1<' in page.text
    assert "<script>" not in page.text and "onsubmit" not in page.text


def test_the_job_page_marks_the_finding_on_the_proof_and_asks_for_a_reason(
    client: Any, shop: Config
) -> None:
    preview = {"proof": "previews/2026/1_proof.jpg", "thumbnail": "previews/2026/1_thumb.jpg"}
    job_id = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE], preview=preview)
    login(client, OPERATOR)
    page = client.get(f"/jobs/{job_id}").text
    # the finding at the sheet's centre is in the middle of the paper on the proof
    # (paper 900 x 640 centred, its bottom 10 mm above the plate's: x 65..965, y 10..650 mm)
    assert '<ellipse cx="50.0" cy="41.41"' in page
    assert 'id="approve-reason"' in page and 'id="reject-reason"' in page
    assert 'data-confirm="Approve job' in page
    # a viewer sees the findings but no buttons
    client.post("/logout", data={"csrf_token": csrf_of(client, f"/jobs/{job_id}")})
    login(client, VIEWER)
    page = client.get(f"/jobs/{job_id}").text
    assert "plate_missing" in page and 'id="approve"' not in page


def test_approve_from_the_page_needs_a_reason_then_continues(client: Any, shop: Config) -> None:
    job_id = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    login(client, OPERATOR)
    token = csrf_of(client, f"/jobs/{job_id}")
    # Without a reason it is refused with the reason why
    answer = client.post(f"/jobs/{job_id}/approve", data={"csrf_token": token, "reason": ""},
                         follow_redirects=True)  # fmt: skip
    assert "give the reason" in answer.text
    assert store.get_job(shop.database_url, job_id).status == HELD
    # With one it is approved by the signed-in user
    client.post(f"/jobs/{job_id}/approve", data={"csrf_token": token, "reason": "spot is in CMYK"})
    job = store.get_job(shop.database_url, job_id)
    assert (job.decision, job.decided_by, job.decision_reason) == ("approved", "oleg (web)",
                                                                   "spot is in CMYK")  # fmt: skip


def test_a_decision_without_the_csrf_token_or_as_a_viewer_is_refused(
    client: Any, shop: Config
) -> None:
    job_id = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    login(client, OPERATOR)
    assert client.post(f"/jobs/{job_id}/reject", data={"reason": "x"}).status_code == 400
    answer = client.post(f"/api/jobs/{job_id}/reject", json={"reason": "x"}, headers=basic(VIEWER))
    assert answer.status_code == 403
    assert store.get_job(shop.database_url, job_id).status == HELD


def test_api_reject_then_approve_is_409_with_who_decided(client: Any, shop: Config) -> None:
    job_id = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    answer = client.post(f"/api/jobs/{job_id}/reject", json={"reason": "wrong spot"},
                         headers=basic(OPERATOR))  # fmt: skip
    assert answer.status_code == 200 and "failed/" in answer.json["message"]
    again = client.post(f"/api/jobs/{job_id}/approve", json={"reason": "oops"},
                        headers=basic(OPERATOR))  # fmt: skip
    assert again.status_code == 409 and "rejected by oleg (api)" in again.json["error"]
    record = client.get(f"/api/jobs/{job_id}", headers=basic(VIEWER)).json
    assert record["decision"] == "rejected" and record["findings"][0]["code"] == "plate_missing"
    # and the audit trail has who rejected it, from where, and why (the refused approval: not)
    from models import audit

    trail = [(e.action, e.actor, e.via, e.detail) for e in audit.of_job(shop.database_url, job_id)]
    assert trail == [("reject", "oleg", "api", "wrong spot")]


def test_the_cli_lists_approves_and_rejects_like_the_page(shop: Config) -> None:
    from click.testing import CliRunner

    from commands.cli import main

    # Given two held jobs
    first = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    second = held_job(shop, "0602_Menu_Korol.pdf", [MISSING_PLATE])
    argv = ["--config", str(shop.source)]
    runner = CliRunner()
    # When they are listed
    listed = runner.invoke(main, [*argv, "held", "--json"])
    # Then both are there with their findings
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert [job["id"] for job in data["held"]] == [first, second] and data["total"] == 2
    assert data["held"][0]["findings"][0]["code"] == "plate_missing"
    text = runner.invoke(main, [*argv, "held"]).output
    assert "0601_Flier_Korol.pdf" in text and "plate_missing" in text
    # When one is approved without a reason, it is refused (exit 1) with the reason why
    refused = runner.invoke(main, [*argv, "approve", str(first), "--json"])
    assert refused.exit_code == 1 and "give the reason" in json.loads(refused.output)["error"]
    # When the other is rejected, then rejected again
    done = runner.invoke(main, [*argv, "reject", str(second), "--reason", "wrong spot", "--json"])
    assert done.exit_code == 0 and json.loads(done.output)["status"] == "rejected"
    again = runner.invoke(main, [*argv, "reject", str(second), "--reason", "again"])
    assert again.exit_code == 1 and "not held: rejected by" in again.output


def test_show_prints_the_findings_and_the_decision(shop: Config) -> None:
    from click.testing import CliRunner

    from commands.cli import main

    job_id = held_job(shop, "0601_Flier_Korol.pdf", [MISSING_PLATE])
    argv = ["--config", str(shop.source)]
    CliRunner().invoke(main, [*argv, "reject", str(job_id), "--reason", "wrong spot"])
    shown = CliRunner().invoke(main, [*argv, "show", str(job_id)]).output
    assert "error plate_missing (page 1, PANTONE 123 C" in shown
    assert "rejected     by " in shown and ": wrong spot" in shown
