"""``prepress jobs`` and ``show`` as an operator reads them: local times with the zone, a header,
the mode, the error, unknown plates as "-", steps that will not run said so; JSON with offsets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from commands.jobs import parse_since
from commands.output import shorten
from models import record, store
from models.db import migrate
from pipeline import files
from tests.fixtures import CLI_TOML

#: A received time in UTC: 23:30 on 1 December is 08:30 on 2 December in Tokyo.
LATE_EVENING_UTC = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shop is in Tokyo (UTC+9, no daylight saving)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, str]:
    """A configuration file and its migrated SQLite database URL."""
    path = tmp_path / "prepress.toml"
    path.write_text(CLI_TOML, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'work' / 'var' / 'prepress.db'}"
    migrate(url)
    return path, url


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    return result.exit_code, result.output


def test_jobs_table_has_a_header_local_times_mode_error_and_unknown_plates(tokyo, shop) -> None:
    # Given a rejected dry-run job with unknown plates and a long name, received late evening UTC
    config, url = shop
    name = "0537_Technoyug_Catalogue_Spring_Collection_Final_Version_Leonov.pdf"
    job = store.create_job(url, name, mode="dry-run")
    assert job.id is not None
    store.update_job(url, job.id, received_at=LATE_EVENING_UTC)
    store.fail_job(url, job.id, "validate", status="rejected", code="not_pdf", message="no PDF")
    # When the jobs are listed
    status, output = run(config, "jobs")
    header, row, error = output.splitlines()
    # Then a header, the Tokyo time with its zone, the mode, "-" plates, the error below
    assert status == 0
    assert header.split()[:3] == ["ID", "RECEIVED", "STATUS"] and "MODE" in header
    assert "2026-12-02 08:30 JST" in row and "dry-run" in row
    assert row.split()[-2] == "-"  # plates
    assert row.endswith("_Leonov.pdf") and "…" in row
    assert "not_pdf: no PDF" in error


def test_json_times_are_iso_with_offset(tokyo, shop) -> None:
    config, url = shop
    job = store.create_job(url, "a.pdf")
    assert job.id is not None
    store.update_job(url, job.id, received_at=LATE_EVENING_UTC)
    status, output = run(config, "jobs", "--json")
    (listed,) = json.loads(output)
    assert listed["received_at"] == "2026-12-02T08:30:00+09:00"
    assert list(listed)[:3] == ["id", "name", "status"]  # the record's order, every time


def test_jobs_json_is_the_record_without_server_paths(shop) -> None:
    # Given a job whose file sits in spool/ with a preview on the server
    config, url = shop
    job = store.create_job(url, "a.pdf")
    assert job.id is not None
    store.update_job(
        url, job.id, spool_path="/srv/prepress/spool/1/a.pdf", preview={"proof": "/srv/p.jpg"}
    )
    # When the jobs are listed as JSON
    status, output = run(config, "jobs", "--json")
    (listed,) = json.loads(output)
    # Then each job carries the record's fields (show --json and the API's), no server path
    assert status == 0
    assert list(listed) == [*record.JOB_FIELDS, "findings_total", "previews"]
    assert listed["previews"] == ["proof"]
    assert "/srv/" not in output and "spool_path" not in output


def test_show_says_which_steps_will_not_run_and_which_retry_by_themselves(tokyo, shop) -> None:
    # Given a rejected reprocess and a job whose upload waits for an automatic retry
    config, url = shop
    original = store.create_job(url, "a.pdf")
    rejected = store.create_job(url, "a.pdf", reprocess_of=original.id)
    assert rejected.id is not None and original.id is not None
    store.fail_job(url, rejected.id, "validate", status="rejected", code="not_pdf", message="x")
    step = next(s for s in store.steps_of(url, original.id) if s.name == "upload_plate")
    with_retry = {"state": "waiting", "next_attempt_at": LATE_EVENING_UTC, "attempts": 2}
    _update_step(url, step.id, with_retry)
    # When both are shown
    _, rejected_page = run(config, "show", str(rejected.id))
    _, waiting_page = run(config, "show", str(original.id))
    # Then steps after the rejection are "not run", the reprocess names its original,
    # and the waiting step says when it retries
    assert "pending" not in rejected_page and "not run" in rejected_page
    assert f"reprocess_of {original.id}" in rejected_page
    assert "automatic retry at 2026-12-02 08:30 JST" in waiting_page


def _update_step(url: str, step_id: int | None, fields: dict) -> None:
    from models.db import session
    from models.job import Step

    with session(url) as db:
        row = db.get(Step, step_id)
        assert row is not None
        for key, value in fields.items():
            setattr(row, key, value)
        db.add(row)


def test_since_and_the_archive_day_follow_the_local_date(tokyo, tmp_path: Path) -> None:
    # When --since names a day, and a file is archived late evening UTC
    since = parse_since("2026-12-02")
    spooled = tmp_path / "spool" / "7" / "a.pdf"
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"%PDF-1.4")
    archived = files.archive_done(spooled, tmp_path / "done", 7, LATE_EVENING_UTC)
    # Then both are Tokyo's day: it began at 15:00 UTC the day before
    assert since == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert archived.parent.relative_to(tmp_path / "done").as_posix() == "2026/12/02"


@pytest.mark.parametrize(
    ("name", "width", "expected"),
    [
        ("short.pdf", 20, "short.pdf"),
        ("0537_a_very_long_job_name_Leonov.pdf", 20, "0537_a_v…_Leonov.pdf"),
    ],
)
def test_long_names_keep_their_extension(name: str, width: int, expected: str) -> None:
    assert shorten(name, width) == expected and len(shorten(name, width)) <= width


def test_show_collapses_attempts_that_failed_the_same_way(tokyo, shop) -> None:
    # Given an upload retried every minute through a 5-minute outage, then done
    from datetime import timedelta

    from models.attempts import StepAttempt
    from models.db import session

    config, url = shop
    job = store.create_job(url, "0537_Flier_Leonov.pdf")
    assert job.id is not None
    with session(url) as db:
        for n in range(10):
            at = LATE_EVENING_UTC + timedelta(seconds=30 * n)
            error = "connection refused by ftp://ctp.example:21"
            db.add(StepAttempt(job_id=job.id, step="upload_plate", number=n + 1, started_at=at,
                               ended_at=at, outcome="waiting", error=error))  # fmt: skip
        done_at = LATE_EVENING_UTC + timedelta(minutes=6)
        db.add(StepAttempt(job_id=job.id, step="upload_plate", number=11, started_at=done_at,
                           ended_at=done_at, outcome="done"))  # fmt: skip
    # When it is shown
    _, page = run(config, "show", str(job.id))
    # Then the ten refusals are one line with their count and span, then the success
    lines = [line for line in page.splitlines() if "upload_plate" in line and "#" in line]
    assert len(lines) == 2, page
    assert "#1-#10" in lines[0] and "x10, 08:30–08:34 connection refused" in lines[0]
    assert "#11" in lines[1] and "done" in lines[1]
