"""Job records on SQLite and PostgreSQL: migrations, steps, once-only side effects."""

from __future__ import annotations

import threading

import pytest

from models import steps, store
from models.db import migrate
from models.job import DONE, FAILED, QUEUED, REJECTED, RUNNING, Step, utcnow
from pipeline.chain import STEPS

#: A lease owner name for the steps claimed here.
OWNER = "test-host:1:token"


def test_migrate_twice_is_harmless(database_url: str) -> None:
    # Given a migrated database
    # When it is migrated again (every process migrates on start)
    migrate(database_url)
    # Then it still works
    job = store.create_job(database_url, "0537_Flier_Leonov.pdf")
    assert store.get_job(database_url, job.id).status == QUEUED


def test_new_job_has_a_pending_row_per_step(database_url: str) -> None:
    job = store.create_job(database_url, "Каталог $(x).pdf")
    rows = store.steps_of(database_url, job.id)
    assert [s.name for s in rows] == list(STEPS)
    assert {s.state for s in rows} == {"pending"}
    assert store.get_job(database_url, job.id).name == "Каталог $(x).pdf"


def step_named(url: str, job_id: int, name: str) -> Step:
    return next(s for s in store.steps_of(url, job_id) if s.name == name)


def test_step_lifecycle_counts_attempts_and_moves_the_job(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    # When a step starts twice (a retry) and then succeeds
    steps.claim_step(database_url, job.id, "validate", OWNER)
    steps.finish_step(database_url, job.id, "validate", "failed", error="boom")
    steps.claim_step(database_url, job.id, "validate", OWNER)
    steps.finish_step(database_url, job.id, "validate", "done", duration=0.5, note="ok")
    # Then the attempts are counted and the job is running at that step
    step = step_named(database_url, job.id, "validate")
    assert (step.state, step.attempts, step.error, step.note) == ("done", 2, "", "ok")
    assert store.get_job(database_url, job.id).status == RUNNING
    first = steps.first_unfinished(store.steps_of(database_url, job.id))
    assert first is not None and first.name == "detect_press"


def test_first_unfinished_counts_a_waiting_step(database_url: str) -> None:
    # Given a job whose validate is done and whose press detection waits to retry
    job = store.create_job(database_url, "a.pdf")
    steps.finish_step(database_url, job.id, "validate", "done")
    now = utcnow()
    steps.wait_step(database_url, job.id, "detect_press", since=now, error="busy", next_attempt=now)
    # When the first unfinished step is asked for (where a continued chain starts)
    first = steps.first_unfinished(store.steps_of(database_url, job.id))
    # Then it is the waiting step: no later step may run before it
    assert first is not None and first.name == "detect_press"


def test_claim_does_not_repeat_a_done_step(database_url: str) -> None:
    # Given a job whose validate step is done
    job = store.create_job(database_url, "a.pdf")
    steps.claim_step(database_url, job.id, "validate", OWNER)
    steps.finish_step(database_url, job.id, "validate", "done")
    # When the same step's message is delivered again
    decision = steps.claim_step(database_url, job.id, "validate", OWNER).decision
    # Then it is not started a second time and its attempts stay one
    assert decision == "done"
    assert step_named(database_url, job.id, "validate").attempts == 1


def test_claim_on_a_closed_job_does_nothing(database_url: str) -> None:
    # Given a rejected job
    job = store.create_job(database_url, "a.pdf")
    store.fail_job(database_url, job.id, "validate", status=REJECTED, code="not_pdf", message="m")
    # When a later step of it starts
    claim = steps.claim_step(database_url, job.id, "render_preview", OWNER)
    # Then it is told the job is closed and the step stays pending
    assert (claim.decision, claim.job.status) == ("closed", REJECTED)
    assert step_named(database_url, job.id, "render_preview").state == "pending"


def test_update_job_adds_only_new_warnings(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    store.update_job(database_url, job.id, press="Planeta", warnings=["w1"])
    store.update_job(database_url, job.id, plates=8, warnings=["w1", "w2"])
    stored = store.get_job(database_url, job.id)
    assert (stored.press, stored.plates, stored.warnings) == ("Planeta", 8, ["w1", "w2"])


def test_failed_job_is_reset_for_retry(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    steps.finish_step(database_url, job.id, "upload_plate", "failed", error="ftp down")
    store.fail_job(database_url, job.id, "upload_plate", status=FAILED, code="X", message="m")
    assert store.get_job(database_url, job.id).status == FAILED
    # When reset for a retry
    steps.reset(database_url, job.id, reopen=True)
    # Then the failed step is pending again and the job queued
    assert step_named(database_url, job.id, "upload_plate").state == "pending"
    assert store.get_job(database_url, job.id).status == QUEUED


def test_two_rejections_keep_both_reasons(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    store.fail_job(
        database_url,
        job.id,
        "detect_press",
        status=REJECTED,
        code="press_undetected",
        message="no press",
    )
    store.fail_job(
        database_url,
        job.id,
        "detect_outputter",
        status=REJECTED,
        code="outputter_undetected",
        message="no outputter",
    )
    row = store.get_job(database_url, job.id)
    assert row.error_code == "press_undetected"
    assert "no press" in row.error and "no outputter" in row.error


def test_sms_claim_is_granted_once_even_under_concurrency(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    results: list[bool] = []

    def claim() -> None:
        results.append(store.claim_sms(database_url, job.id, "+380670000000", "text"))

    # When eight workers claim the same recipient at once
    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one may send
    assert sorted(results) == [False] * 7 + [True]


def test_released_sms_claim_can_be_taken_again(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    assert store.claim_sms(database_url, job.id, "+1", "t")
    store.release_sms(database_url, job.id, "+1")
    assert store.claim_sms(database_url, job.id, "+1", "t")
    store.complete_sms(database_url, job.id, "+1", "42", 1, "0.5")
    store.release_sms(database_url, job.id, "+1")  # a sent SMS is never released
    assert [(s.state, s.provider_id) for s in store.sms_of(database_url, job.id)] == [
        ("sent", "42")
    ]


def test_delivery_is_recorded_once_per_kind(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    result = {
        "target": "ftp://u:***@h/x",
        "remote_path": "/x/a.pdf",
        "bytes": 10,
        "seconds": 0.1,
        "speed_mbps": 0.1,
    }
    store.record_delivery(database_url, job.id, "plate", result)
    assert store.get_delivery(database_url, job.id, "plate").remote_path == "/x/a.pdf"
    with pytest.raises(Exception):  # noqa: B017  (IntegrityError, dialect-specific)
        store.record_delivery(database_url, job.id, "plate", result)


def test_mode_is_shared_through_the_database(database_url: str) -> None:
    assert store.get_mode(database_url) == "normal"
    store.set_mode(database_url, "dry-run")
    assert store.get_mode(database_url) == "dry-run"
    with pytest.raises(ValueError, match="unknown mode"):
        store.set_mode(database_url, "fast")


def test_finish_job_records_the_archive(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    store.finish_job(database_url, job.id, "done/2026/11/25/1_a.pdf")
    row = store.get_job(database_url, job.id)
    assert (row.status, row.archive_path, row.spool_path) == (DONE, "done/2026/11/25/1_a.pdf", "")
    assert row.finished_at is not None


def test_claim_left_sending_by_a_dead_worker_becomes_unknown(database_url: str) -> None:
    job = store.create_job(database_url, "a.pdf")
    assert store.claim_sms(database_url, job.id, "+1", "t")
    # When the next attempt finds the claim still "sending"
    assert store.mark_sms_unknown(database_url, job.id, "+1")
    # Then it is "unknown" (never sent again), and a sent SMS is never marked so
    assert [s.state for s in store.sms_of(database_url, job.id)] == ["unknown"]
    assert store.claim_sms(database_url, job.id, "+2", "t")
    store.complete_sms(database_url, job.id, "+2", "7", 1, "")
    assert not store.mark_sms_unknown(database_url, job.id, "+2")
