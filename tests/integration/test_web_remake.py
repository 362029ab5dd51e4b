"""Remakes on the dashboard and in the API (Flask's test client, real SQLite and Redis): the
job page's form (operators, CSRF, a checkbox per plate), ``POST /api/jobs/ID/remake`` and its
refusals, the remake marked on the grid, the job page and the printable list."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models import store
from pipeline.config import Config
from tests.integration.test_web import OPERATOR, VIEWER, add_job, csrf_of, login, web_config

SEPARATIONS = {"1": ["Cyan", "Magenta", "Yellow", "Black"], "2": ["Cyan", "PANTONE 485 C"]}


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


def done_job(shop: Config, name: str = "0537_Flier_Leonov.pdf", **facts: Any) -> int:
    """A done Leonov job with 6 plates and its archived original."""
    archive = shop.paths.work_dir / "done" / "2026" / "12" / "01" / f"x_{name}"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(b"%PDF-1.7\n% a plate file\n%%EOF\n")
    values: dict[str, Any] = {
        "press": "Speedmaster",
        "outputter": "Leonov",
        "plates": 6,
        "separations": SEPARATIONS,
        "archive_path": shop.paths.relative(archive),
        **facts,
    }
    return add_job(shop, name, **values)


def test_the_api_orders_one_plate_again_and_refuses_bad_requests(client: Any, shop: Config) -> None:
    job_id = done_job(shop)
    failed = done_job(shop, "0538_Other_Leonov.pdf", status="failed")
    url = f"/api/jobs/{job_id}/remake"
    # a viewer may not, a bad reason, an unknown plate, a job not done: refused, nothing made
    assert client.post(url, json={"reason": "planning"}, headers=basic(VIEWER)).status_code == 403
    refusals = [
        client.post(url, json={"reason": "torn", "plates": ["Cyan"]}, headers=basic(OPERATOR)),
        client.post(
            url, json={"reason": "planning", "plates": ["Orange"]}, headers=basic(OPERATOR)
        ),
        client.post(
            f"/api/jobs/{failed}/remake", json={"reason": "planning"}, headers=basic(OPERATOR)
        ),
        client.post(url, json={"reason": "planning", "plates": "x" * 3}, headers=basic(OPERATOR)),
        client.post(url, data="not json", headers=basic(OPERATOR)),
    ]
    assert [r.status_code for r in refusals] == [409, 409, 409, 409, 400]
    assert "unknown remake reason 'torn'" in refusals[0].json["error"]
    assert "no plate 'Orange'" in refusals[1].json["error"]
    assert "not done" in refusals[2].json["error"]
    assert len(store.list_jobs(shop.database_url)) == 2
    # a good one: a new job linked to the first, with exactly the plate ordered
    made = client.post(
        url,
        json={"reason": "damaged_on_press", "plates": ["2:PANTONE 485 C"], "note": "torn"},
        headers=basic(OPERATOR),
    )
    assert made.status_code == 201, made.json
    assert made.json["remake_of"] == job_id and made.json["remake_number"] == 1
    assert made.json["plates"] == [{"page": 2, "separation": "PANTONE 485 C"}]
    remake = store.get_job(shop.database_url, made.json["job"])
    assert (remake.remake, remake.remake_reason_code, remake.remake_note) == (
        True,
        "damaged_on_press",
        "torn",
    )
    assert store.force_upload(shop.database_url, remake.id)
    assert store.get_job(shop.database_url, job_id).plates == 6  # the first plates stay
    # a second remake gets the next number
    again = client.post(url, json={"reason": "planning"}, headers=basic(OPERATOR))
    assert again.status_code == 201 and again.json["remake_number"] == 2
    assert len(again.json["plates"]) == 6


def test_the_job_page_offers_the_form_to_operators_and_marks_remakes(
    client: Any, shop: Config
) -> None:
    job_id = done_job(shop)
    login(client, VIEWER)
    assert 'id="remake-form"' not in client.get(f"/jobs/{job_id}").text
    client.get("/logout")
    login(client, OPERATOR)
    page = client.get(f"/jobs/{job_id}").text
    # a reason select with the configured codes, a checkbox per plate, a confirmation, CSRF
    assert 'id="remake-form"' in page and "data-confirm=" in page
    assert page.count('name="plate"') == 6 and 'value="2:PANTONE 485 C"' in page
    assert '<option value="damaged_on_press">' in page
    # without the CSRF token the form is refused and nothing is made
    refused = client.post(f"/jobs/{job_id}/remake", data={"reason": "planning", "plate": "1:Cyan"})
    assert refused.status_code in (400, 403)
    assert len(store.list_jobs(shop.database_url)) == 1
    token = csrf_of(client, f"/jobs/{job_id}")
    sent = client.post(
        f"/jobs/{job_id}/remake",
        data={"csrf_token": token, "reason": "bureau_fault", "plate": ["1:Cyan", "1:Black"]},
    )
    assert sent.status_code == 302
    remake = max(store.list_jobs(shop.database_url), key=lambda j: j.id or 0)
    assert remake.remake_of == job_id and len(remake.remake_plates) == 2
    # Then the remake is marked on its page, the original's, the grid and the print list
    store.update_job(shop.database_url, remake.id, status="done")
    own = client.get(f"/jobs/{remake.id}").text
    assert (
        'id="remake-of"' in own
        and "REMAKE R1</b> of" in own
        and "2 plates: Cyan (side 1), Black (side 1) (bureau_fault)" in own
    )
    assert f'href="/jobs/{remake.id}"' in client.get(f"/jobs/{job_id}").text
    grid = client.get("/").text
    assert f"REMAKE R1 of {job_id}" in grid
    assert f"REMAKE R1 of {job_id}: 2 plates" in client.get("/print").text
