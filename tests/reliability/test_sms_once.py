"""Each SMS exactly once under provider faults: lost answers, an outage, a worker killed.

Real workers over the run's own Redis, the smsc look-alike (it speaks status.php and counts a
second send under one id as a duplicate). The workers retry quickly here (backoff capped at
1 s) so an outage of a few seconds is ridden out by the automatic retries alone.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from models.job import STARTED
from testkit.polling import wait_until
from testkit.samples import signa_sheet, write_signa_pdf
from testkit.shop import SPEEDMASTER_PHONE, STAFF_PHONE
from tests.pipeline_harness import Pipeline

#: Quick automatic retries: at most ~1 s apart (until give_up_after, 24 h).
QUICK_RETRIES = {"PREPRESS_MAX_BACKOFF": "1"}
#: Seconds the workers wait for the provider's answer.
SMS_TIMEOUT = 1.5
#: Broker visibility timeout of the crash test: seconds before a dead worker's task is redone.
VISIBILITY = 3


def start_quick(start_pipeline, visibility_timeout: int = 600) -> Pipeline:
    """A pipeline whose workers give up on the SMS provider after SMS_TIMEOUT seconds."""
    pipeline = start_pipeline(
        workers=False, env=QUICK_RETRIES, visibility_timeout=visibility_timeout
    )
    text = pipeline.config_path.read_text(encoding="utf-8")
    pipeline.config_path.write_text(text.replace("[sms]\n", f"[sms]\ntimeout = {SMS_TIMEOUT}\n"))
    pipeline.start_worker("cpu")
    pipeline.start_worker("io")
    pipeline.wait_ready(["cpu", "io"])
    return pipeline


def jobs_pdfs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_signa_pdf(folder / f"{600 + n:04d}_Flier{n}_Leonov.pdf", [signa_sheet()], seed=n)
        for n in range(count)
    ]


def per_phone_and_job(pipeline: Pipeline) -> Counter[tuple[str, str]]:
    """How many SMS the provider accepted per (phone, text)."""
    return Counter((m.phones, m.mes) for m in pipeline.sms.messages)


def test_lost_answers_send_no_duplicates_across_20_jobs(start_pipeline, tmp_path: Path) -> None:
    # Given a provider that accepts the next 14 SMS but whose answers are lost: 7 arrive too
    # late for the workers' timeout, then 7 connections drop right after the request
    pipeline = start_quick(start_pipeline)
    pipeline.sms.lose_answers(7)

    # When 20 jobs are processed
    ids = [pipeline.submit(pdf) for pdf in jobs_pdfs(tmp_path / "samples", 20)]
    assert wait_until(lambda: pipeline.sms.answers_to_lose == 0, 60)
    pipeline.sms.lose_answers(7, drop=True)
    jobs = [pipeline.wait_for(job_id, timeout=120) for job_id in ids]

    # Then every job is done and each phone got each job's SMS exactly once
    assert [j.status for j in jobs] == ["done"] * 20, [pipeline.step_summary(i) for i in ids]
    counts = per_phone_and_job(pipeline)
    assert len(counts) == 40 and set(counts.values()) == {1}, counts
    assert pipeline.sms.duplicates == []
    # And the lost answers were resolved by asking the provider, not by sending again
    assert pipeline.sms.status_requests >= 14
    notes = [pipeline.steps(i)["notify_sms"].note for i in ids]
    assert sum("found already sent" in n for n in notes) >= 7, notes


def test_outage_then_busy_provider_sends_every_sms_once(start_pipeline, tmp_path: Path) -> None:
    # Given a provider answering HTTP 500
    pipeline = start_quick(start_pipeline)
    pipeline.sms.fail_status(500)

    # When 5 jobs come in, and the provider is down for 5 s, then "too busy" (code 9) for 5 s
    ids = [pipeline.submit(pdf) for pdf in jobs_pdfs(tmp_path / "samples", 5)]
    waiting = wait_until(
        lambda: all(pipeline.steps(i)["notify_sms"].attempts >= 1 for i in ids), 60
    )
    assert waiting, [pipeline.step_summary(i) for i in ids]
    time.sleep(5)
    pipeline.sms.reset()
    pipeline.sms.fail_with(9)
    time.sleep(5)
    pipeline.sms.reset()
    jobs = [pipeline.wait_for(job_id, timeout=60) for job_id in ids]

    # Then no job failed or needed a person, and each SMS went exactly once
    assert [j.status for j in jobs] == ["done"] * 5, [pipeline.step_summary(i) for i in ids]
    assert all(pipeline.steps(i)["notify_sms"].attempts >= 2 for i in ids)
    counts = per_phone_and_job(pipeline)
    assert len(counts) == 10 and set(counts.values()) == {1}, counts


def test_worker_killed_before_the_provider_took_the_sms_sends_it_once(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a provider that holds every send 4 s and then drops it (it never fully arrived)
    pipeline = start_quick(start_pipeline, visibility_timeout=VISIBILITY)
    pipeline.sms.delay(4, accept=False)
    (job_id,) = [pipeline.submit(pdf) for pdf in jobs_pdfs(tmp_path / "samples", 1)]
    sending = wait_until(lambda: pipeline.steps(job_id)["notify_sms"].state == STARTED, 30)
    assert sending, pipeline.step_summary(job_id)
    time.sleep(0.5)

    # When the io worker dies in the middle of the send, and a new one takes the task again
    pipeline.kill("worker-io")
    pipeline.sms.reset()
    time.sleep(VISIBILITY + 0.5)
    pipeline.start_worker("io")
    job = pipeline.wait_for(job_id, timeout=60)

    # Then the interrupted send was looked up (not found) and sent: once per phone
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.sms.status_requests >= 1
    phones = Counter(p for m in pipeline.sms.messages for p in m.phones.split(","))
    assert phones == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    assert all(row.state == "sent" for row in _sms_rows(pipeline, job_id))


def _sms_rows(pipeline: Pipeline, job_id: int) -> list:
    from models import store

    return store.sms_of(pipeline.url, job_id)
