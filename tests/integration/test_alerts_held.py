"""Staff hear about a held job once, and once more when it has waited longer than
``[alerts] held_after`` (real database, the local Bot API server)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from models import hold, store
from models.db import session
from models.job import Job, utcnow
from pipeline.alerts import SMS_ALERT_LENGTH
from tasks.watchdog import Watchdog
from tests.integration.test_alerts import OLGA_CHAT, OLGA_PHONE, shop, sms, telegram  # noqa: F401

#: Why the job here is held.
WHY = {"code": "duplicate", "severity": "error", "message": "the same file as job 1"}


def test_a_held_job_is_told_once_then_again_after_held_after(shop, telegram) -> None:  # noqa: F811
    # Given a watchdog and a job held just now
    dog = Watchdog(replace(shop, alerts=replace(shop.alerts, held_after=2.0)))
    job = store.create_job(shop.database_url, "0601_Flier_Korol.pdf")
    assert job.id is not None and hold.hold_job(shop.database_url, job.id, [WHY], None)
    # When the watchdog looks three times
    for _ in range(3):
        dog.check_held()
    # Then staff heard once, with the file and the reason
    assert len(telegram.to(OLGA_CHAT)) == 1
    text = telegram.to(OLGA_CHAT)[0]
    assert "1 job(s) held" in text and "0601_Flier_Korol.pdf" in text and "same file" in text
    # When the job has been held for three hours
    with session(shop.database_url) as db:
        row = db.get(Job, job.id)
        assert row is not None
        row.held_at = utcnow() - timedelta(hours=3)
        db.add(row)
    dog.check_held()
    dog.check_held()
    # Then they hear once more, and not again
    assert len(telegram.to(OLGA_CHAT)) == 2
    assert "still held after more than 2 h" in telegram.to(OLGA_CHAT)[1]


def test_two_held_jobs_are_both_named_in_the_sms(shop, sms, telegram) -> None:  # noqa: F811
    # Given two jobs held at once, the first for a reason longer than an SMS
    dog = Watchdog(shop)
    long_reason = "the ink PANTONE 185 C prints on page 2 but has no plate " * 8
    jobs = []
    for name, why in (
        ("0537_Technoyug_Flier_Korol.pdf", long_reason),
        ("0538_Menu_Korol.pdf", "x"),
    ):
        job = store.create_job(shop.database_url, name)
        assert job.id is not None
        store.update_job(shop.database_url, job.id, order=name[:4], job_name=name[5:-10])
        assert hold.hold_job(shop.database_url, job.id, [{**WHY, "message": why}], None)
        jobs.append(job.id)
    # When the watchdog looks
    dog.check_held()
    # Then the SMS names both jobs by order and job name before any reason, cut between words
    body = sms.sent_to(OLGA_PHONE)[0].mes
    assert "2 job(s) held" in body
    assert f"0537 Technoyug_Flier (job {jobs[0]})" in body
    assert f"0538 Menu (job {jobs[1]})" in body
    assert body.index(f"(job {jobs[1]})") < body.index("PANTONE")
    first = next(line for line in body.splitlines() if line.startswith(f"job {jobs[0]}: "))
    assert first.endswith("…") and long_reason.startswith(first.split(": ", 1)[1][:-1] + " ")
    assert len(body) <= SMS_ALERT_LENGTH
