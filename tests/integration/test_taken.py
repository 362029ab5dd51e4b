"""Taken by the bureau with a real FTP server (pyftpdlib on loopback), the smsc look-alike
and the database on SQLite and PostgreSQL: a round lists the bureau's upload folders, marks a
plate file that is gone as taken, and tells the staff once about one left untaken."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from models import store
from models import targets as target_records
from models.db import session
from models.job import Delivery, aware, utcnow
from models.record import job_record
from pipeline import delivery
from pipeline.config import Config, config_from_dict
from tasks.taken import run_round
from testkit.shop import local_shop
from testkit.sinks import FtpSink
from testkit.sms_sink import SmsSink
from tests.services import free_port
from tests.sshd import SshServer

#: Olga, on staff: hears about untaken plate files by SMS.
OLGA_PHONE = "+380671234567"
#: What an upload's result adds to its target and path.
SPEED = {"seconds": 0.1, "speed_mbps": 1.0}


@pytest.fixture
def sms() -> Iterator[SmsSink]:
    with SmsSink("shop", "sms-pw") as sink:
        yield sink


@pytest.fixture
def shop(tmp_path: Path, ftp_server: FtpSink, sms: SmsSink, database_url: str) -> Config:
    """The local shop whose bureau Leonov (on ``ftp_server``) is polled, alert after 4 h."""
    broker = f"redis://127.0.0.1:{free_port()}/0"
    sections = local_shop(tmp_path / "work", broker, ftp_server, ftp_server, sms)
    sections["outputters.Leonov"].update(taken_poll_minutes=5, taken_alert_hours=4)
    raw: dict = {}
    for name, table in sections.items():
        node = raw
        for part in name.split(".")[:-1]:
            node = node.setdefault(part, {})
        node[name.split(".")[-1]] = table
    raw["staff"] = {"olga": {"phone": OLGA_PHONE, "notify": ["untaken"]}}
    raw["database"] = {"url": database_url}
    config = config_from_dict(raw)
    config.paths.create()
    return config


def sent_job(config: Config, tmp_path: Path, name: str, hours_ago: float = 0.0) -> int:
    """A job whose plate file ``name`` was uploaded to Leonov's Speedmaster folder
    ``hours_ago``, with its ticket beside it."""
    job = store.create_job(config.database_url, f"{name}_Leonov.pdf")
    assert job.id is not None
    store.update_job(config.database_url, job.id, outputter="Leonov", press="Speedmaster")
    local = tmp_path / "out" / name
    local.parent.mkdir(exist_ok=True)
    local.write_bytes(b"%PDF-1.7 plate " + name.encode())
    url = config.outputters["Leonov"].url
    assert url is not None
    result = delivery.upload(local, url, "_1030x770", name, timeout=5)
    store.record_delivery(config.database_url, job.id, "plate", result.as_dict())
    ticket = local.with_suffix(".jdf")
    ticket.write_text("<JDF/>")
    delivery.upload(ticket, url, "_1030x770", Path(name).with_suffix(".jdf").name, timeout=5)
    with session(config.database_url) as db:
        db.execute(
            update(Delivery)
            .where(Delivery.job_id == job.id)  # type: ignore[arg-type]
            .values(done_at=utcnow() - timedelta(hours=hours_ago))
        )
    return job.id


def folder(ftp_server: FtpSink) -> Path:
    return ftp_server.root / "leonov" / "_1030x770"


def test_a_plate_file_the_bureau_took_is_marked_taken_at_the_round(
    shop: Config, ftp_server: FtpSink, tmp_path: Path
) -> None:
    # Given a plate file at the bureau and a remake of it under _R1, each with its ticket
    first = sent_job(shop, tmp_path, "0537_Flier.pdf")
    remake = sent_job(shop, tmp_path, "0537_Flier_R1.pdf")
    # When a round looks while both are still there
    answer = run_round(shop, "Leonov")
    # Then neither is taken
    assert answer == {"bureau": "Leonov", "taken": 0, "waiting": 2, "alerted": 0}
    assert job_record(shop.database_url, first)["taken_at"] is None
    # When the bureau's RIP takes the first plate file (its ticket stays) and a round looks
    (folder(ftp_server) / "0537_Flier.pdf").unlink()
    now = utcnow()
    assert run_round(shop, "Leonov", now)["taken"] == 1
    # Then that job was taken at the round's time, the remake (by its exact name) was not
    taken_at = job_record(shop.database_url, first)["taken_at"]
    assert taken_at is not None and abs(aware(taken_at) - now) < timedelta(seconds=1)
    assert job_record(shop.database_url, remake)["taken_at"] is None
    # and a later round neither looks for the taken one again nor changes its time
    (folder(ftp_server) / "0537_Flier_R1.pdf").unlink()
    assert run_round(shop, "Leonov")["taken"] == 1
    assert job_record(shop.database_url, first)["taken_at"] == taken_at
    assert run_round(shop, "Leonov") == {"bureau": "Leonov", "taken": 0, "waiting": 0, "alerted": 0}
    # and the bureau target was ok all along
    assert target_records.states(shop.database_url)["bureau:Leonov"].state == "ok"


def test_a_plate_file_left_untaken_is_told_once_across_rounds(
    shop: Config, ftp_server: FtpSink, sms: SmsSink, tmp_path: Path
) -> None:
    # Given a plate file uploaded 5 h ago and one 1 h ago, both still at the bureau
    old = sent_job(shop, tmp_path, "0537_Flier.pdf", hours_ago=5)
    young = sent_job(shop, tmp_path, "0601_Box.pdf", hours_ago=1)
    # When two rounds look
    first, second = run_round(shop, "Leonov"), run_round(shop, "Leonov")
    # Then Olga got exactly one SMS, about the old one only
    assert first["alerted"] == 1 and second["alerted"] == 0
    texts = [record.mes for record in sms.sent_to(OLGA_PHONE)]
    assert len(texts) == 1
    assert "not taken by Leonov within 4 h" in texts[0] and f"(job {old})" in texts[0]
    assert f"(job {young})" not in texts[0] and "secret" not in texts[0]
    assert job_record(shop.database_url, old)["taken_alert_at"] is not None
    assert job_record(shop.database_url, young)["taken_alert_at"] is None
    # When the old one is taken at last, it is taken, and nobody is told again
    (folder(ftp_server) / "0537_Flier.pdf").unlink()
    assert run_round(shop, "Leonov")["taken"] == 1
    assert len(sms.sent_to(OLGA_PHONE)) == 1


def test_an_alert_nobody_heard_is_tried_again(shop: Config, sms: SmsSink, tmp_path: Path) -> None:
    # Given an old untaken plate file and an SMS provider refusing the login
    old = sent_job(shop, tmp_path, "0537_Flier.pdf", hours_ago=5)
    sms.fail_with(2)
    # When a round tells, nobody is reached: the claim is released
    assert run_round(shop, "Leonov")["alerted"] == 0
    assert job_record(shop.database_url, old)["taken_alert_at"] is None
    # When the provider works again, the next round tells once
    sms.reset()
    assert run_round(shop, "Leonov")["alerted"] == 1
    assert run_round(shop, "Leonov")["alerted"] == 0
    assert len(sms.sent_to(OLGA_PHONE)) == 1


def test_a_failed_listing_is_the_bureau_targets_failure_and_decides_nothing(
    shop: Config, ftp_server: FtpSink, tmp_path: Path
) -> None:
    # Given a plate file at the bureau, then the bureau's server down
    job = sent_job(shop, tmp_path, "0537_Flier.pdf", hours_ago=5)
    (folder(ftp_server) / "0537_Flier.pdf").unlink()
    ftp_server.stop()
    # When a round looks
    answer = run_round(shop, "Leonov")
    # Then nothing is decided, the error names the target without its password, and the
    # bureau's target is failing until a round lists again
    assert answer["taken"] == 0 and answer["alerted"] == 0
    assert "listing the upload folders on ftp://prepress:***@127.0.0.1" in answer["error"]
    assert ftp_server.password not in answer["error"]
    assert job_record(shop.database_url, job)["taken_at"] is None
    state = target_records.states(shop.database_url)["bureau:Leonov"]
    assert state.state == "failing" and ftp_server.password not in state.last_error


def test_the_ftp_listing_names_files_and_says_when_a_folder_is_gone(
    ftp_server: FtpSink, tmp_path: Path
) -> None:
    # Given two folders, one with files, one empty
    full = ftp_server.root / "in" / "_1030x770"
    full.mkdir(parents=True)
    (full / "0537_Flier.pdf").write_bytes(b"x")
    (full / "Тираж 1.pdf").write_bytes(b"x")
    (ftp_server.root / "in" / "empty").mkdir()
    # When they and a missing one are listed over one connection
    listed = delivery.listings(
        ftp_server.url("in"), ["/in/_1030x770", "/in/empty", "/in/gone", "/"], timeout=5
    )
    # Then each gets its names (None: no such folder) and nothing was created
    assert listed == {
        "/in/_1030x770": {"0537_Flier.pdf", "Тираж 1.pdf"},
        "/in/empty": set(),
        "/in/gone": None,
        "/": {"in"},
    }
    assert not (ftp_server.root / "in" / "gone").exists()


def test_the_sftp_listing_names_files(sshd: SshServer) -> None:
    folder = sshd.root / "taken"
    folder.mkdir(exist_ok=True)
    (folder / "0537_Flier_R1.pdf").write_bytes(b"x")
    url = f"sftp://{sshd.user}@{sshd.host}:{sshd.port}{folder}"
    listed = delivery.listings(
        url,
        [str(folder), f"{folder}/gone"],
        timeout=5,
        known_hosts=sshd.known_hosts,
        key_file=sshd.key_file,
    )
    assert listed == {str(folder): {"0537_Flier_R1.pdf"}, f"{folder}/gone": None}


def test_the_migration_makes_the_models_columns(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from models.db import engine_for

    with engine_for(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in differences if "taken" in repr(d)] == []


@pytest.fixture
def web_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    from tests.integration.test_web import web_config

    return web_config(tmp_path, monkeypatch, redis_broker)


def test_taken_at_is_shown_on_the_job_page_grid_api_and_show(
    web_shop: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    from commands.render import print_job
    from tasks.app import use_config
    from tests.integration.test_web import VIEWER, add_job, login
    from tests.integration.test_web_remake import basic
    from web.app import create_app

    # Given a job the bureau took at 14:05 local time and one it has not taken for too long
    at = datetime.now().astimezone().replace(hour=14, minute=5, second=0, microsecond=0)
    taken = add_job(web_shop, "0537_Flier_Leonov.pdf", outputter="Leonov", taken_at=at)
    late = add_job(web_shop, "0601_Box_Leonov.pdf", outputter="Leonov", taken_alert_at=at)
    plate = {"target": "ftp://l:***@h/in", "remote_path": "/in/0537_Flier.pdf", "bytes": 1}
    store.record_delivery(web_shop.database_url, taken, "plate", plate | SPEED)
    client = create_app(web_shop).test_client()
    try:
        login(client, VIEWER)
        # Then the job page says when, the grid's bureau cell says it in its tooltip
        assert "taken at 14:05" in client.get(f"/jobs/{taken}").text
        assert "not taken yet; staff told at" in client.get(f"/jobs/{late}").text
        assert "· taken at 14:05" in client.get("/").text
        # and the record (the API, prepress show --json) has the time
        answer = client.get(f"/api/jobs/{taken}", headers=basic(VIEWER)).get_json()
        assert datetime.fromisoformat(answer["taken_at"]) == at
        assert answer["taken_alert_at"] is None
    finally:
        use_config(None)
    # and prepress show says it in a line of its own
    print_job(job_record(web_shop.database_url, taken))
    assert "  taken        by the bureau at " in capsys.readouterr().out
