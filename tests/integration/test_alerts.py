"""Alerts: the watchdog tells staff once per incident, over SMS and Telegram, and again when
it is over. Real database, the smsc look-alike and a local Bot API server; the checks read
the same rows the pipeline writes (waiting steps, rejected jobs, the backup's outcome).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from models import incidents, store
from models.db import session
from models.job import WAITING, utcnow
from pipeline.alerts import Notifier
from pipeline.config import Config, config_from_dict
from tasks.watchdog import Watchdog
from testkit.shop import local_shop
from testkit.sinks import FtpSink, SmsSink
from testkit.telegram_sink import TelegramSink
from tests.services import free_port

#: The bot token of the tests (the Bot API sink accepts only this one).
TOKEN = "987654:very-secret-bot-token"
#: Olga's phone and Telegram chat.
OLGA_PHONE, OLGA_CHAT = "+380671234567", "4242"


@pytest.fixture
def telegram() -> Iterator[TelegramSink]:
    with TelegramSink(TOKEN, chats={OLGA_CHAT}) as sink:
        yield sink


@pytest.fixture
def sms() -> Iterator[SmsSink]:
    with SmsSink("shop", "sms-pw") as sink:
        yield sink


@pytest.fixture
def shop(
    tmp_path: Path, telegram: TelegramSink, sms: SmsSink, monkeypatch: pytest.MonkeyPatch
) -> Config:
    """The local shop with Olga on staff (SMS and Telegram, every kind), thresholds at zero."""
    monkeypatch.setenv("PREPRESS_TELEGRAM_TOKEN", TOKEN)
    ftp = FtpSink(tmp_path / "ftp")  # never started: only its URL is used
    sections = local_shop(tmp_path / "work", f"redis://127.0.0.1:{free_port()}/0", ftp, ftp, sms)
    sections["presses.Speedmaster"]["sms"] = ["olga"]
    raw: dict = {}
    for name, table in sections.items():
        node = raw
        for part in name.split(".")[:-1]:
            node = node.setdefault(part, {})
        node[name.split(".")[-1]] = table
    raw["staff"] = {"olga": {"phone": OLGA_PHONE, "telegram": OLGA_CHAT}}
    raw["alerts"] = {
        "target_minutes": 10,
        "broker_minutes": 0,
        "workers_minutes": 0,
        "disk_free_gb": 0,
        "telegram": {"token_env": "PREPRESS_TELEGRAM_TOKEN", "api_url": telegram.url},
    }
    raw["database"] = {"url": f"sqlite:///{tmp_path / 'prepress.db'}"}
    config = config_from_dict(raw)
    config.paths.create()
    from models.db import migrate

    migrate(config.database_url)
    return config


def waiting_jobs(config: Config, count: int, minutes: float) -> list[int]:
    """``count`` jobs whose plate upload has waited ``minutes`` on the bureau Leonov."""
    ids = []
    for n in range(count):
        job = store.create_job(config.database_url, f"{n:04d}_Flier_Leonov.pdf")
        assert job.id is not None
        store.update_job(config.database_url, job.id, outputter="Leonov", press="Speedmaster")
        set_step(config, job.id, "upload_plate", WAITING, minutes)
        ids.append(job.id)
    return ids


def set_step(config: Config, job_id: int, name: str, state: str, minutes: float = 0) -> None:
    with session(config.database_url) as db:
        row = next(s for s in store.steps_of(config.database_url, job_id) if s.name == name)
        row.state = state
        row.waiting_since = utcnow() - timedelta(minutes=minutes) if state == WAITING else None
        db.add(row)


def test_storm_of_waiting_jobs_is_one_alert_then_one_recovery(shop, telegram, sms) -> None:
    # Given 20 jobs waiting 15 min on the bureau (alert after 10) and 3 more since 1 min
    ids = waiting_jobs(shop, 20, minutes=15) + waiting_jobs(shop, 3, minutes=1)
    dog = Watchdog(shop)

    # When the watchdog checks three times, and a restarted watchdog once more
    for _ in range(3):
        dog.check_targets()
    Watchdog(shop).check_targets()

    # Then Olga heard once on each channel, naming the bureau failing for 15 min and its jobs
    assert len(telegram.to(OLGA_CHAT)) == 1 and len(sms.sent_to(OLGA_PHONE)) == 1
    text = telegram.to(OLGA_CHAT)[0]
    assert "Leonov FTP" in text and "failing since" in text
    assert "23 jobs waiting" in text and "secret" not in text  # the URL, no password
    assert "(ftp://127.0.0.1:" in text
    assert all(f"{n:04d}_Flier_Leonov.pdf (job {i})" in text for n, i in enumerate(ids[:20]))
    # and the SMS names whole jobs, before the error, and counts those that did not fit
    body = sms.sent_to(OLGA_PHONE)[0].mes
    named = [line for line in body.splitlines() if line.startswith("- ")]
    assert named and all(line.endswith(")") and line[2:] in text for line in named)
    assert f"... and {23 - len(named)} more" in body

    # When every step is delivered
    for job_id in ids:
        set_step(shop, job_id, "upload_plate", "done")
    dog.check_targets()
    dog.check_targets()

    # Then she hears once that it is back
    assert len(telegram.to(OLGA_CHAT)) == 2 and "Leonov" in telegram.to(OLGA_CHAT)[1]
    assert "is back" in telegram.to(OLGA_CHAT)[1] and len(sms.sent_to(OLGA_PHONE)) == 2


def test_rejected_files_alert_names_file_and_reason_once(shop, telegram) -> None:
    # Given a watchdog that has seen the database once
    dog = Watchdog(shop)
    dog.check_jobs()
    # When 12 files are rejected, one with a name full of shell characters
    names = ["0537 Флаер $(rm -rf) `x`; & 'q'.pdf"] + [f"bad{n}.pdf" for n in range(11)]
    for name in names:
        job = store.create_job(shop.database_url, name)
        assert job.id is not None
        store.fail_job(
            shop.database_url, job.id, "validate", status="rejected", code="not_pdf",
            message=f"{name}: it does not start with %PDF-; it is not a PDF.",
        )  # fmt: skip
    dog.check_jobs()
    dog.check_jobs()

    # Then one message lists the files with the rejection code and reason, the rest counted
    assert len(telegram.to(OLGA_CHAT)) == 1
    text = telegram.to(OLGA_CHAT)[0]
    assert "12 file(s) rejected" in text and names[0] in text and "not_pdf" in text
    assert "does not start with %PDF-" in text and all(name in text for name in names)
    assert text.index("bad10.pdf") < text.index("does not start with")  # names first


def test_broker_down_then_no_workers_then_recovery(shop, telegram, redis_url) -> None:
    # Given a broker nobody listens on
    dog = Watchdog(shop)
    # When the watchdog checks twice
    dog.check_broker()
    dog.check_broker()
    # Then one alert says the broker is unreachable (and no worker alert: it cannot know)
    texts = telegram.to(OLGA_CHAT)
    assert len(texts) == 1 and "broker" in texts[0] and "unreachable" in texts[0]

    # When the broker is reachable (our redis-server) but no worker runs
    dog.config = replace(shop, broker_url=redis_url)
    dog.check_broker()
    dog.check_broker()
    # Then the broker's recovery is told once, and each queue without a worker once
    texts = telegram.to(OLGA_CHAT)
    assert "reachable again" in texts[1]
    assert sorted(t for t in texts[2:]) == sorted(
        f"prepress: no worker answers on the {q} queue; is `prepress up` running?"
        for q in ("cpu", "io")
    )


def test_a_dead_ops_worker_is_told_where_a_backup_host_is_set(shop, telegram, redis_url) -> None:
    # Given a reachable broker, a backup host configured, and no worker at all
    backup = replace(shop.backup, host="backup.local", user="prepress")
    dog = Watchdog(replace(shop, broker_url=redis_url, backup=backup))
    # When the watchdog checks the broker and the workers
    dog.check_broker()
    # Then the ops queue (the nightly backup's) is reported as well as cpu and io
    texts = telegram.to(OLGA_CHAT)
    assert sorted(texts) == sorted(
        f"prepress: no worker answers on the {q} queue; is `prepress up` running?"
        for q in ("cpu", "io", "ops")
    )


def test_backup_failure_and_missed_night_are_told_once(shop, telegram) -> None:
    # Given a backup host configured, and the last backup failing after its retries
    config = replace(shop, backup=replace(shop.backup, host="backup.local", user="prepress"))
    dog = Watchdog(config)
    incidents.record_backup(shop.database_url, ok=True, when=utcnow() - timedelta(hours=2))
    incidents.record_backup(shop.database_url, ok=False, message="backup host unreachable")
    dog.check_backup()
    dog.check_backup()
    assert telegram.to(OLGA_CHAT) == [
        "prepress: the database backup failed: backup host unreachable"
    ]
    # When the next backup succeeds, Then that is told once
    incidents.record_backup(shop.database_url, ok=True)
    dog.check_backup()
    dog.check_backup()
    assert telegram.to(OLGA_CHAT)[1:] == ["prepress: the database backup works again."]
    # When no backup succeeds for more than backup_hours (26 h), Then that is told
    long_ago = utcnow() - timedelta(hours=28)
    incidents.record_backup(shop.database_url, ok=False, message="old", when=long_ago)
    incidents.record_backup(shop.database_url, ok=True, when=utcnow() - timedelta(hours=27))
    dog.check_backup()
    assert "no successful database backup for more than 26 h" in telegram.to(OLGA_CHAT)[2]


def test_low_disk_is_told_once_and_when_space_is_back(shop, telegram) -> None:
    # Given a threshold above the disk's free space
    dog = Watchdog(replace(shop, alerts=replace(shop.alerts, disk_free_gb=1e9)))
    dog.check_disk()
    dog.check_disk()
    assert len(telegram.to(OLGA_CHAT)) == 1 and "GB free on the disk" in telegram.to(OLGA_CHAT)[0]
    # When the threshold is under the free space again, Then one recovery message
    dog.config = shop
    dog.check_disk()
    dog.check_disk()
    assert len(telegram.to(OLGA_CHAT)) == 2 and "free again" in telegram.to(OLGA_CHAT)[1]


def test_channel_down_is_tried_again_next_round(shop, telegram, sms) -> None:
    # Given Telegram and the SMS provider both failing
    telegram.fail_status(500)
    sms.fail_status(500)
    dog = Watchdog(replace(shop, alerts=replace(shop.alerts, disk_free_gb=1e9)))
    dog.check_disk()
    assert telegram.messages == [] and sms.messages == []
    # When they work again, Then the next round delivers the alert (once)
    telegram.fail_status(None)
    sms.reset()
    dog.check_disk()
    dog.check_disk()
    assert len(telegram.to(OLGA_CHAT)) == 1 and len(sms.sent_to(OLGA_PHONE)) == 1


def test_alert_sms_whose_answer_was_lost_goes_out_once(shop, telegram, sms) -> None:
    # Given Telegram down and an SMS provider that takes the alert but drops the line
    telegram.fail_status(500)
    sms.lose_answers(1, drop=True)
    dog = Watchdog(replace(shop, alerts=replace(shop.alerts, disk_free_gb=1e9)))

    # When the watchdog makes its rounds
    dog.check_disk()
    dog.check_disk()
    dog.check_disk()

    # Then the provider, asked by the alert's id, settled it: one SMS, never sent again
    assert len(sms.sent_to(OLGA_PHONE)) == 1 and sms.duplicates == []
    assert sms.sent_to(OLGA_PHONE)[0].id.startswith("pa-")


def test_the_same_alert_told_again_is_not_sent_twice_but_a_new_one_is(shop, sms) -> None:
    # Given an alert told once (its SMS accepted)
    notifier = Notifier(shop)
    assert notifier.tell("disk", "prepress: disk full", "disk@1700000000")[0] >= 1

    # When it is told again (a round that reached nobody else), and a new incident later
    notifier.tell("disk", "prepress: disk full", "disk@1700000000")
    notifier.tell("disk", "prepress: disk full", "disk@1700009999")

    # Then the same alert went out once, the new one once
    assert len(sms.sent_to(OLGA_PHONE)) == 2 and sms.duplicates == []


def test_token_never_in_logs_or_errors(shop, telegram, caplog) -> None:
    # Given debug logging of everything, and a chat the bot may not write to
    caplog.set_level(logging.DEBUG)
    notifier = Notifier(replace(shop, staff={"x": replace(shop.staff["olga"], telegram="999")}))
    # When an alert goes out (and is refused for the unknown chat)
    reached, addresses = notifier.tell("disk", "prepress: test")
    # Then the refusal was logged, masked, and the token appears nowhere
    assert (reached, addresses) == (1, 2)  # SMS went, Telegram refused
    assert "chat not found" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert TOKEN in shop.secrets()


def test_staff_names_in_phone_lists_become_their_phones(shop) -> None:
    assert shop.presses["Speedmaster"].sms == (OLGA_PHONE,)
    with pytest.raises(Exception, match="neither a phone number nor a \\[staff\\] member"):
        config_from_dict(
            {
                "presses": {"P": {"plate_mm": [1, 1], "gripper_mm": 1, "sms": ["nobody"]}},
                "outputters": {"O": {}},
            }
        )


@pytest.mark.parametrize(
    ("status", "error", "said"),
    [(429, "AlertUnavailable", "wait 1 s"), (500, "AlertUnavailable", "retry later"),
     (None, "AlertRefused", "chat not found")],
)  # fmt: skip
def test_bot_api_errors_are_classified_and_masked(telegram, status, error, said) -> None:
    from pipeline import errors
    from pipeline.telegram import TelegramBot

    # Given the Bot API failing (or a chat the bot may not write to)
    telegram.fail_status(status)
    with TelegramBot(TOKEN, telegram.url, timeout=2) as bot:
        # When sending, Then the error says whether to retry, and never shows the token
        with pytest.raises(getattr(errors, error), match=said) as caught:
            bot.send("nobody" if status is None else OLGA_CHAT, "x")
    assert TOKEN not in str(caught.value)


def test_unreachable_bot_api_is_transient_and_masked() -> None:
    from pipeline.errors import AlertUnavailable
    from pipeline.telegram import TelegramBot

    with TelegramBot(TOKEN, f"http://127.0.0.1:{free_port()}", timeout=1) as bot:
        with pytest.raises(AlertUnavailable, match="cannot be reached") as caught:
            bot.send(OLGA_CHAT, "x")
    assert TOKEN not in str(caught.value) and "bot***" in str(caught.value)
