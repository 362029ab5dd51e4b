"""The CLI refuses what it cannot find: a mistyped press or bureau, a reversed date range;
and every status ``jobs`` shows can be filtered on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from models import store
from models.db import migrate, session
from models.job import Step
from tests.fixtures import CLI_TOML


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "prepress.toml"
    path.write_text(CLI_TOML, encoding="utf-8")
    path.chmod(0o600)
    url = f"sqlite:///{tmp_path / 'work' / 'var' / 'prepress.db'}"
    migrate(url)
    return path, url


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("option", "typed", "said"),
    [
        ("--press", "Speedmastr", "Did you mean Speedmaster?"),
        ("--outputter", "leonov2", "Did you mean Leonov?"),
        ("--outputter", "Korol", "Known: Leonov."),
    ],
)
def test_an_unknown_press_or_bureau_is_a_usage_error(shop, option, typed, said) -> None:
    config, _ = shop
    status, output = run(config, "jobs", option, typed)
    assert status == 2 and "no jobs" not in output
    assert f"'{typed}' is not a known" in output and said in output


def test_a_press_matches_ignoring_case_and_a_recorded_one_is_known(shop) -> None:
    # Given a job on Speedmaster and one imported from a press no longer configured
    config, url = shop
    job = store.create_job(url, "0537_Flier_Leonov.pdf")
    old = store.create_job(url, "0001_Old_Leonov.pdf")
    assert job.id is not None and old.id is not None
    store.update_job(url, job.id, press="Speedmaster", outputter="Leonov")
    store.update_job(url, old.id, press="Romayor", outputter="Leonov")
    # When the jobs are listed by press, typed in another case
    status, output = run(config, "jobs", "--press", "speedmaster", "--outputter", "LEONOV")
    # Then the job is found
    assert status == 0 and "0537_Flier_Leonov.pdf" in output and "0001_Old" not in output
    assert run(config, "jobs", "--press", "romayor")[1].count("0001_Old_Leonov.pdf") == 1


def test_reversed_ranges_are_refused(shop) -> None:
    config, _ = shop
    for command in ("jobs", "report"):
        status, output = run(config, command, "--from", "2026-12-01", "--to", "2026-11-01")
        assert status == 2, command
        assert "Invalid value for --to" in output and "before --from 2026-12-01" in output


def test_every_status_shown_can_be_filtered_on(shop) -> None:
    # Given a job whose upload waits to retry, and one still queued
    config, url = shop
    waiting = store.create_job(url, "0537_Waiting_Leonov.pdf")
    queued = store.create_job(url, "0538_Queued_Leonov.pdf")
    assert waiting.id is not None and queued.id is not None
    with session(url) as db:
        step = next(s for s in store.steps_of(url, waiting.id) if s.name == "upload_plate")
        row = db.get(Step, step.id)
        assert row is not None
        row.state = "waiting"
        db.add(row)
    # When the jobs are listed, and filtered on "waiting" as shown
    _, listed = run(config, "jobs")
    status, only = run(config, "jobs", "--status", "waiting")
    # Then the filter finds exactly the job shown as waiting
    assert "waiting" in next(line for line in listed.splitlines() if "0537_Waiting" in line)
    assert status == 0 and "0537_Waiting" in only and "0538_Queued" not in only
    assert "0538_Queued" in run(config, "jobs", "--status", "QUEUED")[1]


def test_the_held_hint_names_the_reason_both_need(shop) -> None:
    from models import hold

    config, url = shop
    job = store.create_job(url, "0537_Flier_Leonov.pdf")
    assert job.id is not None
    why = {"code": "duplicate", "severity": "error", "message": "the same file as job 1"}
    assert hold.hold_job(url, job.id, [why], None)
    status, output = run(config, "held")
    assert status == 0 and "unknown plates" in output
    assert "`prepress reject JOB --reason TEXT`" in output
