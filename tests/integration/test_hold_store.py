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


# --- a reprocess is held like any job when its original bought nothing ----------------------


def _spooled(url: str, config: Config, job_id: int) -> None:
    """Give the job a spooled file (the hold step checks it is there)."""
    spooled = config.paths.spool / str(job_id) / "0601_Flier_Korol.pdf"
    spooled.parent.mkdir(parents=True, exist_ok=True)
    spooled.write_bytes(b"%PDF-1.4 the same file")
    store.update_job(url, job_id, spool_path=config.paths.relative(spooled), status="running")


def _run_hold(url: str, config: Config, job_id: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hold step's work on the job, preflight finding nothing (only duplicates decide)."""
    from tasks import hold as holding

    monkeypatch.setattr(holding, "preflight", lambda *args: [])
    _spooled(url, config, job_id)
    return holding._hold(store.get_job(url, job_id), config)


def rejected_duplicate(url: str, original: int) -> int:
    """A duplicate of ``original`` a person rejected at the hold."""
    job_id = held_job(url, duplicate_of=original)
    assert hold.reject(url, job_id, "olga (web)", "sent twice", "rejected")
    return job_id


def test_a_reprocess_of_a_rejected_duplicate_is_held_as_a_duplicate(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks import hold as holding

    # Given a done job, a duplicate of it rejected at the hold, and a reprocess of that
    config = _config(database_url, tmp_path)
    original = a_job(database_url, status="done", plates=4)
    rejected = rejected_duplicate(database_url, original)
    again = a_job(database_url, reprocess_of=rejected)
    # When the reprocess reaches the hold
    said = _run_hold(database_url, config, again, monkeypatch)
    # Then it is held as a duplicate of the done job, like any drop of the same file
    job = store.get_job(database_url, again)
    assert said.startswith("held") and "the same file (same bytes)" in said
    assert (job.status, job.duplicate_of) == (HELD, original)
    # And only an approval with a reason makes it a remake (the plate file sent again)
    with pytest.raises(CannotDecide, match="remake"):
        holding.approve(config, again, "vera (cli)", "")
    with pytest.raises(CannotDecide, match="remake reason code"):
        holding.approve(config, again, "vera (cli)", "plate scratched")
    with pytest.raises(CannotDecide, match="unknown remake reason 'scratched'"):
        holding.approve(config, again, "vera (cli)", "plate scratched", "scratched")
    said = holding.approve(config, again, "vera (cli)", "plate scratched", "damaged_on_press")
    assert "as a remake" in said
    job = store.get_job(database_url, again)
    assert (job.remake, job.decision_reason) == (True, "plate scratched")
    assert (job.remake_of, job.remake_number, job.remake_reason_code) == (
        original,
        1,
        "damaged_on_press",
    )
    assert store.force_upload(database_url, again)


def test_a_reprocess_of_a_done_job_is_no_duplicate_of_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a done job and a reprocess of it (the same bytes)
    config = _config(database_url, tmp_path)
    original = a_job(database_url, status="done", plates=4)
    again = a_job(database_url, reprocess_of=original)
    # When the reprocess reaches the hold
    said = _run_hold(database_url, config, again, monkeypatch)
    # Then it goes on as today: no duplicate, not held
    job = store.get_job(database_url, again)
    assert not said.startswith("held") and job.duplicate_of is None and job.status != HELD


@pytest.mark.parametrize(
    "original_fields",
    [
        {"status": REJECTED},
        {"status": HELD},
        {"status": "done", "mode": "dry-run"},
        {"status": "done", "mode": "import", "remake": False},
    ],
    ids=["rejected", "held", "dry-run", "unapproved-duplicate"],
)
def test_a_reprocess_stands_in_only_for_an_original_that_bought_its_plates(
    database_url: str, original_fields: dict
) -> None:
    # Given a done job, then another job with the same bytes that bought nothing
    first = a_job(database_url, status="done")
    fields = dict(original_fields)
    if fields.pop("remake", None) is False:
        fields["duplicate_of"] = first
    original = a_job(database_url, **fields)
    again = store.get_job(database_url, a_job(database_url, reprocess_of=original))
    # Then a reprocess of it is checked like any job
    assert not hold.stands_in_for_its_original(database_url, again)
    # And a reprocess of the done job, or of an approved remake, stands in for it
    remake = a_job(database_url, status="done", duplicate_of=first, remake=True)
    for bought in (first, remake):
        redo = store.get_job(database_url, a_job(database_url, reprocess_of=bought))
        assert hold.stands_in_for_its_original(database_url, redo)


def _same_file_reprocess(url: str, of: int, **fields) -> int:
    """A done reprocess of ``of`` whose plate upload found the file at the bureau."""
    from pipeline.accounting import SAME_FILE_NOTE

    job_id = a_job(url, status="done", reprocess_of=of, **fields)
    note = f"/in/0601_Flier.pdf: {SAME_FILE_NOTE}, not sent again"
    steps.finish_step(url, job_id, "upload_plate", SUCCEEDED, note=note)
    return job_id


def test_a_same_file_reprocess_of_a_rejected_duplicate_does_not_count_the_file_twice(
    database_url: str, tmp_path: Path
) -> None:
    from models.report import JobFilter, plate_report

    # Given a done job, its duplicate rejected at the hold, and a reprocess of the rejected
    # one whose upload found the file at the bureau (not held: the check was off)
    config = _config(database_url, tmp_path)
    counted = {"plates": 4, "press": "Speedmaster", "outputter": "Korol"}
    original = a_job(database_url, status="done", **counted)
    rejected = rejected_duplicate(database_url, original)
    _same_file_reprocess(database_url, rejected, **counted)
    # When the plates are reported
    report = plate_report(config, JobFilter(), by=("outputter",)).as_dict()
    # Then the file's plates count once: the reprocess replaced a job that bought nothing
    assert (report["totals"]["jobs"], report["totals"]["plates"]) == (1, 4)


def test_two_same_file_reprocesses_of_one_job_count_it_once(
    database_url: str, tmp_path: Path
) -> None:
    from models.report import JobFilter, plate_report

    # Given a done job reprocessed twice (API, then CLI), both finding the file at the bureau,
    # and a same-file reprocess of the first reprocess
    config = _config(database_url, tmp_path)
    counted = {"plates": 4, "press": "Speedmaster", "outputter": "Korol"}
    original = a_job(database_url, status="done", **counted)
    first = _same_file_reprocess(database_url, original, **counted)
    _same_file_reprocess(database_url, original, **counted)
    _same_file_reprocess(database_url, first, **counted)
    # When the plates are reported
    report = plate_report(config, JobFilter(), by=("outputter",)).as_dict()
    # Then the file's plates count once
    assert (report["totals"]["jobs"], report["totals"]["plates"]) == (1, 4)
