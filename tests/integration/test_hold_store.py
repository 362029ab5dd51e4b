"""The hold in the database (SQLite and PostgreSQL): duplicates by content hash, one
continuation however many approve at once, reject to failed/, no reconciler for held jobs."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from models import hold, steps, store
from models.job import HELD, QUEUED, REJECTED, SUCCEEDED, utcnow
from pipeline.chain import STEPS
from pipeline.config import Config
from pipeline.errors import CannotDecide

#: A sha256 shared by the "same file" jobs here.
SAME = "a" * 64


def a_job(url: str, name: str = "0601_Flier_Korol.pdf", sha256: str = SAME, **fields) -> int:
    job = store.create_job(url, name)
    assert job.id is not None
    store.update_job(url, job.id, sha256=sha256, order="0601", job_name="Flier", **fields)
    return job.id


def held_job(url: str, duplicate_of: int | None = None) -> int:
    """A job held at the hold, every step before it done."""
    job_id = a_job(url)
    for name in STEPS[: STEPS.index("hold")]:
        steps.finish_step(url, job_id, name, SUCCEEDED)
    finding = {"code": "duplicate", "severity": "error", "message": "the same file"}
    assert hold.hold_job(url, job_id, [finding], duplicate_of)
    return job_id


def test_same_bytes_within_the_window_is_found_naming_the_earlier_job(database_url: str) -> None:
    # Given a job, then a later job with the same bytes
    first = a_job(database_url, status="done")
    second = store.get_job(database_url, a_job(database_url))
    # When the earlier jobs are looked up for the window
    found = hold.earlier_same_bytes(database_url, second, utcnow() - timedelta(days=60))
    # Then the first job is named, with its date
    assert found is not None and found.id == first and found.received_at is not None
    # And outside the window it is not a duplicate
    assert hold.earlier_same_bytes(database_url, second, utcnow() + timedelta(seconds=5)) is None


def test_rejected_and_dry_run_jobs_are_no_duplicate_source(database_url: str) -> None:
    a_job(database_url, status=REJECTED)
    a_job(database_url, mode="dry-run", status="done")
    later = store.get_job(database_url, a_job(database_url))
    assert hold.earlier_same_bytes(database_url, later, utcnow() - timedelta(days=1)) is None


def test_other_bytes_with_the_same_order_and_job_is_a_new_version(database_url: str) -> None:
    first = a_job(database_url, sha256="b" * 64)
    later = store.get_job(database_url, a_job(database_url))
    since = utcnow() - timedelta(days=1)
    assert hold.earlier_same_bytes(database_url, later, since) is None
    found = hold.earlier_same_order_and_job(database_url, later, since)
    assert found is not None and found.id == first


def test_two_approvals_at_once_continue_the_job_once(database_url: str) -> None:
    # Given a held duplicate
    original = a_job(database_url, status="done")
    job_id = held_job(database_url, duplicate_of=original)
    # When eight people approve it at the same moment
    barrier = threading.Barrier(8)
    outcomes: list[bool] = []

    def click(who: int) -> None:
        barrier.wait()
        outcomes.append(hold.approve(database_url, job_id, f"user{who}", "customer paid twice"))

    threads = [threading.Thread(target=click, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one approval changed the job
    assert sorted(outcomes) == [False] * 7 + [True]
    job = store.get_job(database_url, job_id)
    assert (job.status, job.decision, job.remake) == (QUEUED, "approved", True)
    assert job.decided_by.startswith("user") and job.decision_reason == "customer paid twice"
    # And the chain continues after the hold: the hold step is done, the plate is sent again
    assert steps.first_unfinished(store.steps_of(database_url, job_id)).name == "upload_plate"
    assert next(s for s in store.steps_of(database_url, job_id) if s.name == "hold").state == (
        SUCCEEDED
    )
    assert store.force_upload(database_url, job_id)


def test_a_held_job_is_not_lost_for_the_reconciler_and_no_step_may_run(
    database_url: str,
) -> None:
    # Given a held job
    job_id = held_job(database_url)
    # Then it is not an open job the reconciler would continue
    assert job_id not in [job.id for job, _ in steps.open_jobs(database_url)]
    # And a stray message for the plate upload is refused
    claim = steps.claim_step(database_url, job_id, "upload_plate", "host:1:x")
    assert claim.decision == "closed"


def test_approve_needs_a_reason_and_a_held_job(database_url: str, tmp_path: Path) -> None:
    from tasks import hold as holding

    config = _config(database_url, tmp_path)
    job_id = held_job(database_url, duplicate_of=a_job(database_url, status="done"))
    with pytest.raises(CannotDecide, match="remake"):
        holding.approve(config, job_id, "vera (cli)", "")
    done = a_job(database_url, status="done", sha256="c" * 64)
    with pytest.raises(CannotDecide, match="not held"):
        holding.approve(config, done, "vera (cli)", "why not")


def test_reject_moves_the_file_to_failed_with_the_findings_and_reason(
    database_url: str, tmp_path: Path
) -> None:
    from tasks import hold as holding

    # Given a held job whose file is in spool/
    config = _config(database_url, tmp_path)
    job_id = held_job(database_url)
    spooled = config.paths.spool / str(job_id) / "0601_Flier_Korol.pdf"
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"%PDF-1.4 held")
    store.update_job(database_url, job_id, spool_path=config.paths.relative(spooled))
    # When it is rejected, twice (a second click)
    said = holding.reject(config, job_id, "olga (web)", "sent twice by mistake")
    with pytest.raises(CannotDecide, match="rejected by olga"):
        holding.reject(config, job_id, "vera (web)", "again")
    # Then the file is in failed/ with the findings and the reason beside it
    assert "failed/" in said
    note = config.paths.failed / f"{job_id}_0601_Flier_Korol.pdf.error.txt"
    text = note.read_text(encoding="utf-8")
    assert "sent twice by mistake" in text and "olga (web)" in text and "duplicate" in text
    assert (config.paths.failed / f"{job_id}_0601_Flier_Korol.pdf").read_bytes() == b"%PDF-1.4 held"
    job = store.get_job(database_url, job_id)
    assert (job.status, job.error_code, job.decided_by) == (
        REJECTED,
        "rejected_at_hold",
        "olga (web)",
    )
    assert job.decided_at is not None


def test_held_jobs_are_listed_longest_held_first(database_url: str) -> None:
    first, second = held_job(database_url), held_job(database_url)
    assert [job.id for job in hold.held_jobs(database_url)] == [first, second]
    assert hold.held_count(database_url) == 2
    assert store.get_job(database_url, first).status == HELD


def _config(url: str, tmp_path: Path) -> Config:
    from dataclasses import replace

    from pipeline.config import config_from_dict
    from tests.fixtures import BASE_CONFIG

    raw = dict(BASE_CONFIG, paths={"work_dir": str(tmp_path / "work")})
    return replace(config_from_dict(raw, source=tmp_path / "prepress.toml"), database_url=url)


def test_the_plate_report_counts_a_duplicate_once_and_a_remake_apart(
    database_url: str, tmp_path: Path
) -> None:
    from models.report import JobFilter, plate_report

    # Given a done job, a done duplicate nobody approved (import mode), a remake, a held job
    config = _config(database_url, tmp_path)
    original = a_job(database_url, status="done", plates=3, press="Speedmaster", outputter="Korol")
    a_job(database_url, status="done", plates=3, press="Speedmaster", outputter="Korol",
          mode="import", duplicate_of=original)  # fmt: skip
    a_job(database_url, status="done", plates=3, press="Speedmaster", outputter="Korol",
          duplicate_of=original, remake=True)  # fmt: skip
    held_job(database_url, duplicate_of=original)
    # When the plate report is made from the database
    report = plate_report(config, JobFilter(), by=("outputter",)).as_dict()
    # Then the original and the remake count, the remake also apart
    assert (report["totals"]["jobs"], report["totals"]["plates"]) == (2, 6)
    assert (report["remakes"]["totals"]["jobs"], report["remakes"]["totals"]["plates"]) == (1, 3)
