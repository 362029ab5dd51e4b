"""Faults the pipeline must survive: a bureau that is down, a lost step record, a slow copy.

Nothing lost, nothing twice: a job that cannot be delivered within ``give_up_after`` waits in
spool/ for `prepress retry`, a step that runs again does not upload or send again, and a file
still being copied into the hotfolder is taken once, after it is complete. Real workers, Redis
and sinks (tests/pipeline_harness.py).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from models import steps
from models.job import STARTED, WAITING
from pipeline.files import sha256_of
from testkit.polling import wait_until
from testkit.samples import signa_sheet, write_signa_pdf
from testkit.shop import SPEEDMASTER_PHONE, STAFF_PHONE
from tests.pipeline_harness import Pipeline

#: The workers give up on a transient fault after 3 s here (1 s between attempts), so that a
#: fault fails the job quickly.
FEW_RETRIES = {"PREPRESS_GIVE_UP_AFTER": "3", "PREPRESS_MAX_BACKOFF": "1"}
#: Seconds for a job to run out of its retries.
FAIL_TIMEOUT = 45.0
#: Broker visibility timeout of the crash test: seconds before a dead worker's task is redone.
VISIBILITY = 3
#: Vector objects per sheet that make a 4-sheet preview take seconds to render.
HEAVY_OBJECTS = 60_000
#: The plate file's place on the bureau's FTP (Leonov, Speedmaster).
REMOTE = "leonov/_1030x770/0537_Technoyug_Flier_Leonov.pdf"


def good_pdf(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_signa_pdf(
        folder / "0537_Technoyug_Flier_Leonov.pdf",
        [signa_sheet(), signa_sheet(colorants=("Cyan", "Magenta"))],
    )


def sms_per_phone(pipeline: Pipeline) -> dict[str, int]:
    phones = [p for m in pipeline.sms.messages for p in m.phones.split(",")]
    return {phone: phones.count(phone) for phone in phones}


def test_bureau_down_fails_at_upload_plate_then_retry_delivers_once(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a pipeline whose CTP bureau's FTP server is not running, and few retries
    pipeline = start_pipeline(bureau_down=True, env=FEW_RETRIES)

    # When a good file is taken
    job_id = pipeline.submit(good_pdf(tmp_path / "samples"))
    job = pipeline.wait_for(job_id, "failed", "done", "rejected", timeout=FAIL_TIMEOUT)

    # Then the job is failed at upload_plate, retried as configured, its file kept in spool/
    assert (job.status, job.step) == ("failed", "upload_plate"), pipeline.step_summary(job_id)
    assert f"prepress retry {job_id}" in job.error and "ctp-pw$1" not in job.error
    assert pipeline.steps(job_id)["upload_plate"].attempts >= 2
    spooled = pipeline.work / job.spool_path
    assert spooled.parent.parent == pipeline.work / "spool" and sha256_of(spooled) == job.sha256
    assert pipeline.press.received == [] and pipeline.sms.messages == []

    # When the bureau's server is up again and the operator retries the job
    pipeline.bureau.start()
    result = pipeline.cli("retry", str(job_id))
    assert result.exit_code == 0, result.output
    job = pipeline.wait_for(job_id, "done", "failed", "rejected")

    # Then it is done with exactly one upload of each file and one SMS per recipient
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.bureau.files() == [REMOTE] and len(pipeline.bureau.received) == 1
    assert len(pipeline.press.received) == 1
    assert sms_per_phone(pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    # And the detections were not repeated by the retry
    assert pipeline.steps(job_id)["validate"].attempts == 1
    assert not spooled.exists() and (pipeline.work / job.archive_path).is_file()
    # And no password reached the logs, not even in the connection errors
    assert "ctp-pw" not in pipeline.logs() and "sms-pw" not in pipeline.logs()
    # And a second retry of the done job is refused with what to do instead
    again = pipeline.cli("retry", str(job_id))
    assert again.exit_code == 1 and f"prepress reprocess {job_id}" in again.output


def test_upload_redelivered_after_a_crash_is_not_repeated(start_pipeline, tmp_path: Path) -> None:
    # Given a job whose files were delivered but whose SMS provider failed until it gave up
    pipeline = start_pipeline(env=FEW_RETRIES)
    pipeline.sms.fail_status(500)
    job_id = pipeline.submit(good_pdf(tmp_path / "samples"))
    job = pipeline.wait_for(job_id, "failed", "done", "rejected", timeout=FAIL_TIMEOUT)
    assert (job.status, job.step) == ("failed", "notify_sms"), pipeline.step_summary(job_id)
    assert len(pipeline.bureau.received) == 1 and pipeline.sms.messages == []
    # ... and whose upload_plate record was lost, as when a worker dies after the upload
    # but before it wrote "done" (the broker then delivers the task again)
    steps.finish_step(pipeline.url, job_id, "upload_plate", STARTED)
    (pipeline.bureau.root / REMOTE).unlink()  # a second upload would bring it back

    # When the SMS provider is back and the job is retried
    pipeline.sms.reset()
    result = pipeline.cli("retry", str(job_id))
    assert result.exit_code == 0, result.output
    job = pipeline.wait_for(job_id, "done", "failed", "rejected")

    # Then upload_plate ran again but did not upload again, and each recipient got one SMS
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.steps(job_id)["upload_plate"].attempts == 2
    assert pipeline.bureau.files() == [] and len(pipeline.bureau.received) == 1
    assert len(pipeline.press.received) == 1
    assert sms_per_phone(pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}


def test_file_copied_slowly_is_taken_once_after_it_is_complete(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a running pipeline with its watcher (stable after 1 s)
    pipeline = start_pipeline(watcher=True)
    content = good_pdf(tmp_path / "samples").read_bytes()
    target = pipeline.config.paths.hotfolder / "0537_Technoyug_Flier_Leonov.pdf"

    # When the file is written under its final name in 10 chunks over 5 s, closed after each
    # (as an SMB client copies), with a pause longer than 1 s nowhere
    chunk = -(-len(content) // 10)
    for start in range(0, len(content), chunk):
        with open(target, "ab") as handle:
            handle.write(content[start : start + chunk])
        time.sleep(0.5)
    complete_at = datetime.now(UTC)
    jobs = pipeline.wait_for_jobs(1)
    time.sleep(1.5)  # time for a second, wrong, take to show up

    # Then exactly one job was made, after the copy ended, from the whole file, and it is done
    jobs = pipeline.jobs()
    assert len(jobs) == 1, [(j.id, j.size, j.status) for j in jobs]
    job = jobs[0]
    assert job.status == "done", pipeline.step_summary(job.id)
    assert job.size == len(content) and job.received_at.replace(tzinfo=UTC) >= complete_at
    assert pipeline.bureau.files() == [REMOTE]
    assert (pipeline.bureau.root / REMOTE).read_bytes() == content
    assert not target.exists()


def test_watcher_takes_files_present_at_start_and_leaves_temporary_ones(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a hotfolder that already holds a good file, a broken one and temporary files
    good = good_pdf(tmp_path / "samples")
    broken = tmp_path / "samples" / "0603_Broken_Leonov.pdf"
    broken.write_bytes(good.read_bytes()[:-400])
    pipeline = start_pipeline()
    hotfolder = pipeline.config.paths.hotfolder
    for pdf in (good, broken):
        pipeline.drop(pdf)
    ignored = ["~$0537.pdf", "0538_Copy_Leonov.pdf.part", ".DS_Store", "Thumbs.db"]
    for name in ignored:
        (hotfolder / name).write_bytes(b"temporary")

    # When the watcher starts
    pipeline.start_watcher()
    jobs = pipeline.wait_for_jobs(2)

    # Then both files were taken, the good one done and the broken one rejected into failed/
    assert sorted((j.name, j.status) for j in jobs) == [
        ("0537_Technoyug_Flier_Leonov.pdf", "done"),
        ("0603_Broken_Leonov.pdf", "rejected"),
    ]
    rejected = next(j for j in jobs if j.status == "rejected")
    assert (pipeline.work / "failed" / f"{rejected.id}_{broken.name}.error.txt").is_file()
    # And the temporary files are still there, untouched
    assert sorted(p.name for p in hotfolder.iterdir()) == sorted(ignored)


def test_worker_killed_while_sending_sms_does_not_send_twice(
    start_pipeline, database_url: str, tmp_path: Path
) -> None:
    # Given a pipeline (on SQLite, then PostgreSQL) whose broker gives an unacknowledged task
    # to another worker after 3 s, and an SMS provider that takes 4 s to answer
    pipeline = start_pipeline(database_url, visibility_timeout=VISIBILITY)
    pipeline.sms.delay(4)
    job_id = pipeline.submit(good_pdf(tmp_path / "samples"))
    sending = wait_until(lambda: pipeline.steps(job_id)["notify_sms"].state == STARTED, 30)
    assert sending, pipeline.step_summary(job_id)
    time.sleep(0.5)  # the request to the provider is on its way

    # When the io worker dies in the middle of the send (the provider still sends it),
    # and a new io worker starts once the broker gives the task out again
    pipeline.kill("worker-io")
    pipeline.sms.reset()
    time.sleep(VISIBILITY + 0.5)
    pipeline.start_worker("io")
    job = pipeline.wait_for(job_id, "done", "failed", "rejected")

    # Then the step ran again, the job is done, and no phone got the SMS twice
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.steps(job_id)["notify_sms"].attempts == 2
    assert wait_until(lambda: len(pipeline.sms.messages) >= 2, 10), pipeline.sms.messages
    time.sleep(0.5)
    assert sms_per_phone(pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    assert len(pipeline.bureau.received) == 1 and len(pipeline.press.received) == 1


def test_busy_sms_provider_is_retried_by_itself_and_sends_once(
    start_pipeline, tmp_path: Path
) -> None:
    # Given an SMS provider answering "too many concurrent requests, wait" (smsc code 9)
    pipeline = start_pipeline()
    pipeline.sms.fail_with(9)
    job_id = pipeline.submit(good_pdf(tmp_path / "samples"))
    refused = wait_until(lambda: pipeline.steps(job_id)["notify_sms"].state == WAITING, 30)
    assert refused, pipeline.step_summary(job_id)

    # When the provider accepts messages again
    pipeline.sms.reset()
    job = pipeline.wait_for(job_id, "done", "failed", "rejected")

    # Then the step was retried without the operator and each phone got the SMS once
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.steps(job_id)["notify_sms"].attempts >= 2
    assert sms_per_phone(pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    assert len(pipeline.bureau.received) == 1


def test_cpu_pool_process_killed_mid_step_is_redone_once(start_pipeline, tmp_path: Path) -> None:
    # Given a job whose preview takes a few seconds to render
    pipeline = start_pipeline()
    folder = tmp_path / "samples"
    folder.mkdir()
    heavy = write_signa_pdf(
        folder / "0537_Technoyug_Flier_Leonov.pdf", [signa_sheet(vector_objects=HEAVY_OBJECTS)] * 4
    )
    job_id = pipeline.submit(heavy)
    rendering = wait_until(
        lambda: pipeline.steps(job_id)["render_preview"].state == STARTED, 30, interval=0.05
    )
    assert rendering, pipeline.step_summary(job_id)

    # When the pool processes of the cpu worker die under it (out of memory, kill -9)
    killed = kill_children(pipeline.processes["worker-cpu"].pid)
    assert killed

    # Then the step is given out again (task_reject_on_worker_lost) and the job completes,
    # with one upload of each file and one SMS per phone
    job = pipeline.wait_for(job_id, "done", "failed", "rejected", timeout=90)
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.steps(job_id)["render_preview"].attempts == 2
    assert len(pipeline.bureau.received) == 1 and len(pipeline.press.received) == 1
    assert sms_per_phone(pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}


def children_of(parent: int) -> list[int]:
    """Pids of the direct children of ``parent`` (a worker this test started)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def kill_children(parent: int, wait: float = 30.0) -> list[int]:
    """SIGKILL the direct children of ``parent``; their pids.

    A prefork pool whose children were just killed starts new ones a moment later: wait up
    to ``wait`` seconds for some to be there, so a second kill never finds an empty pool.
    """
    import os
    import signal

    deadline = time.monotonic() + wait
    children = children_of(parent)
    while not children and time.monotonic() < deadline:
        time.sleep(0.2)
        children = children_of(parent)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    return children
