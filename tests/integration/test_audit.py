"""Problems and the audit trail over HTTP and the CLI (real SQLite, Flask's test client): a
rejected job acknowledged with a note leaves Problems, one fixed by a later job leaves it by
itself; every action from the page, the API or the CLI is in the trail with who and where;
/audit filters; /api/health names a failing target; pages speak plainly."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models import audit, store
from models import targets as records
from pipeline.config import Config
from tests.integration.test_web import OPERATOR, VIEWER, add_job, csrf_of, login, web_config

#: A rejected file whose name is data, not markup.
REJECTED_NAME = "0701_Меню & <Bar>_Leonov.pdf"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    return web_config(tmp_path, monkeypatch, redis_broker)


@pytest.fixture
def client(shop: Config) -> Iterator[Any]:
    from tasks.app import use_config
    from web.app import create_app

    yield create_app(shop).test_client()
    use_config(None)


def rejected(config: Config, name: str) -> int:
    return add_job(
        config,
        name,
        status="rejected",
        step="validate",
        error_code="not_pdf",
        error=f"{name}: it does not start with %PDF-. The file is in failed/ with the reason.",
    )


def cli(config: Config, *args: str) -> Any:
    from click.testing import CliRunner

    from commands.cli import main

    return CliRunner().invoke(main, ["--config", str(config.source), *args])


def test_an_acknowledged_rejection_leaves_problems_and_is_in_the_trail(
    client: Any, shop: Config
) -> None:
    # Given two rejected files, one of which was later dropped again (fixed) and done
    first = rejected(shop, REJECTED_NAME)
    fixed = rejected(shop, "0702_Poster_Leonov.pdf")
    fixer = add_job(shop, "0702_Poster_Leonov.pdf", press="Speedmaster", outputter="Leonov")
    login(client, OPERATOR)
    page = client.get("/problems").text
    assert f'id="rejected-job-{first}"' in page and "&lt;Bar&gt;" in page
    assert f'id="rejected-job-{fixed}"' not in page  # fixed by a later job: gone by itself
    assert f'fixed by <a href="/jobs/{fixer}">job {fixer}</a>' in page
    assert "failed/" not in page and "the failed folder" in page  # plain words

    # When the operator acknowledges the first with a note
    answer = client.post(
        f"/jobs/{first}/acknowledge",
        data={"csrf_token": csrf_of(client, "/problems"), "note": "told the designer"},
    )

    # Then it leaves the list, with who and the note under "no longer problems"
    assert answer.status_code == 302
    page = client.get("/problems").text
    assert f'id="rejected-job-{first}"' not in page
    assert "acknowledged by oleg" in page and "told the designer" in page
    # And the trail has it, on its own page and on the job's
    entries, _ = audit.entries(shop.database_url, audit.AuditFilter(action="acknowledge"))
    assert [(e.actor, e.via, e.job_id, e.detail) for e in entries] == [
        ("oleg", "web", first, "told the designer")
    ]
    assert "told the designer" in client.get(f"/jobs/{first}").text
    # And acknowledging again, or a job that is not rejected, is refused with the reason
    again = client.post(
        f"/jobs/{first}/acknowledge", data={"csrf_token": csrf_of(client)}, follow_redirects=True
    )
    assert "acknowledged already" in again.text
    done = client.post(
        f"/jobs/{fixer}/acknowledge", data={"csrf_token": csrf_of(client)}, follow_redirects=True
    )
    assert "not rejected" in done.text
    # And a retry refused on the page says what to press, not what to type
    refused = client.post(
        f"/jobs/{first}/retry", data={"csrf_token": csrf_of(client)}, follow_redirects=True
    )
    assert "was rejected" in refused.text and "prepress reprocess" not in refused.text
    assert "Reprocess" in refused.text


def test_a_viewer_cannot_acknowledge(client: Any, shop: Config) -> None:
    job_id = rejected(shop, REJECTED_NAME)
    login(client, VIEWER)
    answer = client.post(f"/jobs/{job_id}/acknowledge", data={"csrf_token": csrf_of(client)})
    assert answer.status_code == 403
    assert audit.entries(shop.database_url, audit.AuditFilter())[1] == 0


def test_every_interface_writes_the_trail_and_the_audit_page_filters(
    client: Any, shop: Config
) -> None:
    # Given a mode switch from the CLI (the OS user), one from the API and one from the page
    assert cli(shop, "mode", "dry-run").exit_code == 0
    api = client.post("/api/mode", json={"mode": "import"}, auth=OPERATOR)
    assert api.status_code == 200
    login(client, OPERATOR)
    client.post("/mode", data={"csrf_token": csrf_of(client), "mode": "normal"})
    # And a retry of a failed job from the page, and a config push from the CLI
    spooled = shop.paths.spool / "9" / "0703_Flier_Leonov.pdf"
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"%PDF-1.4\n")
    failed = add_job(
        shop, "0703_Flier_Leonov.pdf", status="failed", step="upload_plate",
        spool_path=shop.paths.relative(spooled),
    )  # fmt: skip
    client.post(f"/jobs/{failed}/retry", data={"csrf_token": csrf_of(client)})
    assert cli(shop, "config", "push").exit_code == 0

    # When the audit page is opened, all and filtered
    everything = client.get("/audit").text
    modes = client.get("/audit?action=mode").text
    by_job = client.get(f"/audit?job={failed}").text
    bad = client.get("/audit?job=abc&from=yesterday")

    # Then every action is there with who did it and from where
    entries, total = audit.entries(shop.database_url, audit.AuditFilter())
    seen = {(e.action, e.actor, e.via) for e in entries}
    me = getpass.getuser()
    assert {("mode", me, "cli"), ("mode", "oleg", "api"), ("mode", "oleg", "web")} <= seen
    assert ("config-push", me, "cli") in seen
    assert ("retry", "oleg", "web") in seen
    assert [e.detail for e in entries if e.job_id == failed] == [f"job {failed} queued again"]
    assert f'<b id="audit-total">{total}</b>' in everything and "normal -&gt; dry-run" in everything
    assert modes.count('data-action="mode"') == 3 and 'data-action="config-push"' not in modes
    assert f'href="/jobs/{failed}"' in by_job and 'data-action="mode"' not in by_job
    # And a bad filter shows the form with the fields marked, not an error page
    assert bad.status_code == 200 and "a job number, like 42" in bad.text
    assert "a date like 2026-12-01" in bad.text


def test_api_health_names_a_failing_target_without_its_password(client: Any, shop: Config) -> None:
    # Given the bureau Leonov failing since a failed upload
    records.record_failure(
        shop.database_url, "bureau:Leonov", "Leonov FTP", "ftp://127.0.0.1:2121", "refused"
    )

    # When a script with an operator's login asks /api/health
    answer = client.get("/api/health", auth=OPERATOR)

    # Then it is not healthy, names the target, and holds no password
    assert answer.status_code == 503 and answer.json["healthy"] is False
    failing = [t for t in answer.json["targets"] if t["state"] == "failing"]
    assert [t["label"] for t in failing] == ["Leonov FTP"]
    assert any(p.startswith("Leonov FTP failing since") for p in answer.json["problems"])
    assert "ftp-pw-Leonov" not in answer.text
    # And a viewer gets the states only: no URL of the target
    viewed = client.get("/api/health", auth=VIEWER)
    assert viewed.status_code == 503 and "127.0.0.1:2121" not in viewed.text
    # And every page's health strip names it, rendered with the page
    login(client, VIEWER)
    page = client.get("/reports").text
    assert 'class="bad target"' in page and "Leonov FTP failing since" in page
    assert "checking…" not in page  # no placeholder that flashes on every load
    # And without a backup host the last backup is grey, not a warning
    assert '<span class="muted" title="no [backup] host is configured">' in page
    assert store.get_mode(shop.database_url) == "normal"
