"""Targets keep their health from the steps' own outcomes: a real FTP server that is down,
refuses the login, then works; the jobs waiting on it; ``prepress status`` naming it; every
attempt of a step kept with its error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from models import attempts, steps, store
from models import targets as records
from models.db import migrate
from models.job import SUCCEEDED, utcnow
from pipeline import delivery
from pipeline import targets as named
from pipeline.config import Config, load_config
from pipeline.errors import DeliveryRefused, DeliveryUnavailable
from tasks import targets
from testkit.shop import write_config
from tests.integration.test_status import status
from tests.pipeline_harness import CountingFtpSink
from tests.services import free_port

#: The bureau's FTP password: never in a record, a page or an answer.
SECRET = "ctp-pw$1"


@pytest.fixture
def bureau(tmp_path: Path) -> CountingFtpSink:
    """Leonov's FTP on a port of its own, not started: the bureau is down."""
    sink = CountingFtpSink(tmp_path / "ftp", "ctp", SECRET, port=free_port())
    yield sink
    sink.stop()


@pytest.fixture
def shop(tmp_path: Path, bureau: CountingFtpSink) -> Config:
    """A shop with the bureau Leonov on that FTP, an embedded broker and a migrated database."""
    sections = {
        "paths": {"work_dir": str(tmp_path / "work")},
        "celery": {"broker_url": "embedded"},
        "presses.Speedmaster": {
            "plate_mm": [1030, 770],
            "gripper_mm": 10,
            "preview_url": f"ftp://press:press-pw@127.0.0.1:{free_port()}/speedmaster",
        },
        "outputters.Leonov": {"url": bureau.url("leonov")},
    }
    config = load_config(write_config(tmp_path / "prepress.toml", sections))
    config.paths.create()
    migrate(config.database_url)
    return config


def upload(config: Config, folder: Path) -> None:
    """One plate upload to Leonov, recorded as the upload step records it."""
    plate = folder / "0537_Flier_Leonov.pdf"
    plate.write_bytes(b"%PDF-1.4\n" + b"x" * 2048)
    ref = named.bureau(config, "Leonov")
    with targets.outcome(config, ref):
        delivery.upload(plate, config.outputters["Leonov"].url or "", timeout=3)


def leonov(config: Config) -> targets.TargetView:
    return next(v for v in targets.overview(config) if v.key == "bureau:Leonov")


def test_a_target_fails_from_its_first_failure_and_is_ok_at_the_next_success(
    shop: Config, bureau: CountingFtpSink, tmp_path: Path
) -> None:
    # Given a bureau never used: its state is unknown
    assert leonov(shop).state == records.UNKNOWN and leonov(shop).label == "Leonov FTP"

    # When an upload finds the FTP down, twice
    for _ in range(2):
        with pytest.raises(DeliveryUnavailable):
            upload(shop, tmp_path)
    first = leonov(shop)

    # Then it is failing since the first failure, with the error and no password
    assert first.state == records.FAILING and first.failures == 2
    assert first.failing_since is not None
    assert utcnow() - first.failing_since < timedelta(seconds=60)
    assert "127.0.0.1" in first.last_error and SECRET not in first.last_error
    assert "Leonov FTP failing since" in first.summary()

    # When the bureau is up again but refuses our login (a wrong password)
    bureau.start()
    bureau.password = "changed"
    bureau.stop()
    bureau.start()
    with pytest.raises(DeliveryRefused):
        upload(shop, tmp_path)

    # Then it is still the same incident, the server's reply quoted without a doubled period
    assert leonov(shop).failing_since == first.failing_since and leonov(shop).failures == 3
    assert "530" in leonov(shop).last_error and "failed.." not in leonov(shop).last_error

    # When the login works again and a file goes up
    bureau.stop()
    bureau.password = SECRET
    bureau.start()
    upload(shop, tmp_path)

    # Then it is ok, the incident over, with the time of the success
    ok = leonov(shop)
    assert ok.state == records.OK and ok.failing_since is None and ok.last_error == ""
    assert ok.last_ok_at is not None and bureau.received


def test_a_late_failure_of_an_attempt_older_than_the_last_success_is_ignored(
    shop: Config,
) -> None:
    # Given a target that worked a moment ago
    ref = named.bureau(shop, "Leonov")
    assert ref is not None
    began = utcnow()
    records.record_success(shop.database_url, ref.key, ref.label, ref.where)

    # When an attempt that began before that success reports its failure late
    records.record_failure(shop.database_url, ref.key, ref.label, ref.where, "timeout", began)

    # Then the target stays ok; a failure of a newer attempt turns it failing
    assert leonov(shop).state == records.OK
    records.record_failure(shop.database_url, ref.key, ref.label, ref.where, "refused")
    assert leonov(shop).state == records.FAILING


def waiting_job(config: Config, name: str, minutes_ago: float) -> int:
    """A job whose plate upload to Leonov waits on a transient fault."""
    url = config.database_url
    job = store.create_job(url, name)
    assert job.id is not None
    store.update_job(url, job.id, outputter="Leonov", press="Speedmaster", status="running")
    claim = steps.claim_step(url, job.id, "upload_plate", steps.new_owner())
    assert claim.decision == "early"  # the earlier steps are pending: mark them done
    for step in store.STEPS[: store.STEPS.index("upload_plate")]:
        steps.finish_step(url, job.id, step, SUCCEEDED)
    assert steps.claim_step(url, job.id, "upload_plate", steps.new_owner()).decision == "started"
    since = utcnow() - timedelta(minutes=minutes_ago)
    steps.wait_step(
        url,
        job.id,
        "upload_plate",
        since=since,
        error="upload_plate: ftp://127.0.0.1:21 refused the connection",
        next_attempt=utcnow() + timedelta(seconds=40),
    )
    return job.id


def test_jobs_waiting_on_a_target_are_listed_with_the_next_attempt(
    shop: Config, tmp_path: Path
) -> None:
    # Given a failing bureau and two jobs waiting on it
    with pytest.raises(DeliveryUnavailable):
        upload(shop, tmp_path)
    ids = [waiting_job(shop, f"06{n}_Flier_Leonov.pdf", minutes_ago=2) for n in range(2)]
    # And the second one's next attempt running at this moment
    owner = steps.new_owner()
    assert steps.claim_step(shop.database_url, ids[1], "upload_plate", owner).decision == "started"

    # When the targets are looked at
    view = leonov(shop)

    # Then both jobs are listed, with the soonest next attempt, and the press is unknown
    assert view.waiting_count == 2 and [w.job_id for w in view.waiting] == ids
    assert view.next_attempt_at is not None and view.next_attempt_at > utcnow()
    assert "2 jobs waiting" in view.summary()
    press = next(v for v in targets.overview(shop) if v.key == "press:Speedmaster")
    assert press.state == records.UNKNOWN and press.label == "Speedmaster preview FTP"


def test_jobs_waiting_with_no_failure_recorded_make_the_target_failing(shop: Config) -> None:
    # Given a job that waits on Leonov since 5 minutes, recorded before targets were kept
    waiting_job(shop, "0601_Flier_Leonov.pdf", minutes_ago=5)

    # Then Leonov is failing since the step began to wait
    view = leonov(shop)
    assert view.state == records.FAILING and view.failing_since is not None
    assert utcnow() - view.failing_since >= timedelta(minutes=4)


def test_every_attempt_of_a_step_keeps_its_error_and_time(shop: Config) -> None:
    # Given a job whose plate upload waited twice, then was done
    job_id = waiting_job(shop, "0602_Flier_Leonov.pdf", minutes_ago=0)
    url = shop.database_url
    assert steps.claim_step(url, job_id, "upload_plate", steps.new_owner()).decision == "started"
    steps.wait_step(
        url, job_id, "upload_plate", since=utcnow(), error="530 Login incorrect",
        next_attempt=utcnow(),
    )  # fmt: skip
    assert steps.claim_step(url, job_id, "upload_plate", steps.new_owner()).decision == "started"
    steps.finish_step(url, job_id, "upload_plate", SUCCEEDED, duration=0.5, note="sent")

    # Then all three attempts are kept in order, each with its error and its times
    kept = [a for a in attempts.attempts_of(url, job_id) if a.step == "upload_plate"]
    assert [(a.number, a.outcome) for a in kept] == [(1, "waiting"), (2, "waiting"), (3, "done")]
    assert "refused the connection" in kept[0].error and kept[1].error == "530 Login incorrect"
    assert kept[2].note == "sent" and all(a.started_at and a.ended_at for a in kept)
    # And `prepress show` lists them, each with its error
    shown = show(shop, job_id)
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if "upload_plate" in line and "#" in line]
    assert len(lines) == 3 and "530 Login incorrect" in lines[1] and "refused" in lines[0]


def show(config: Config, job_id: int) -> Any:
    return cli(config, "show", str(job_id))


def cli(config: Config, *args: str) -> Any:
    from click.testing import CliRunner

    from commands.cli import main

    return CliRunner().invoke(main, ["--config", str(config.source), *args])


def test_status_names_the_failing_target_and_says_nothing_runs(
    shop: Config, tmp_path: Path
) -> None:
    # Given a failing bureau with a job waiting, on an embedded broker with nothing running
    with pytest.raises(DeliveryUnavailable):
        upload(shop, tmp_path)
    waiting_job(shop, "0603_Flier_Leonov.pdf", minutes_ago=1)
    assert shop.source is not None

    # When the admin asks for the status, as JSON and for people
    code, answer, _ = status(shop.source, "--json")
    text_code, text, _ = status(shop.source)

    # Then it exits 1 naming the target and its waiting job, and that nothing runs
    assert code == 1 and text_code == 1
    failing = [t for t in answer["targets"] if t["state"] == "failing"]
    assert [t["label"] for t in failing] == ["Leonov FTP"] and failing[0]["jobs_waiting"] == 1
    assert any("Leonov FTP failing since" in p and "1 job waiting" in p for p in answer["problems"])
    assert any("nothing is running" in p for p in answer["problems"])
    assert "FAILING since" in text["text"] and "nothing is running" in text["text"]
    assert SECRET not in text["text"] and SECRET not in str(answer)
    # And `prepress jobs` says what the waiting job waits for
    listing = cli(shop, "jobs")
    assert "waiting" in listing.output and "for Leonov FTP: upload_plate waiting" in listing.output


def test_an_idle_target_is_probed_by_logging_in_and_nothing_is_uploaded(
    shop: Config, bureau: CountingFtpSink
) -> None:
    # Given Leonov's FTP down and never used
    # When the watchdog probes idle targets
    probed = targets.probe_idle(shop)

    # Then both FTP targets were probed, and Leonov is failing without any job
    assert set(probed) == {"bureau:Leonov", "press:Speedmaster"}
    assert leonov(shop).state == records.FAILING and leonov(shop).waiting_count == 0
    # And a second round at once probes nothing (it is not idle yet)
    assert targets.probe_idle(shop) == []

    # When the FTP is back and the target has been idle long enough
    bureau.start()
    assert targets.probe_idle(shop, every=0) != []

    # Then it is ok again, and nothing was uploaded
    assert leonov(shop).state == records.OK and bureau.received == []
