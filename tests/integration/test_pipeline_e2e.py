"""The whole pipeline with real workers over Redis: file in, plates ordered, press told, recorded.

Each test runs the cpu and io workers as subprocesses (tests/pipeline_harness.py) against local
FTP servers for the CTP bureau and the press and a local SMS provider.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.job import SKIPPED
from pipeline.chain import STEPS
from pipeline.files import sha256_of
from testkit.polling import wait_until
from testkit.samples import signa_sheet, write_signa_pdf
from testkit.shop import SPEEDMASTER_PHONE, STAFF_PHONE
from tests.pipeline_harness import Pipeline

#: The shop's everyday job: Speedmaster, bureau Leonov, 4 + 3 plates.
GOOD_NAME = "0537_Technoyug_Flier_Leonov.pdf"
#: Where Leonov wants a Speedmaster job (DOMAIN.md: the folder depends on the press).
GOOD_REMOTE = "leonov/_1030x770/0537_Technoyug_Flier_Leonov.pdf"
#: The mtime of a file loaded in import mode (the job's date must be this day).
OLD_MTIME = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
#: A name that breaks any code that hands it to a shell.
HOSTILE_NAME = "0602_Каталог $(touch x); a&b `id` it's_Leonov.pdf"


def good_pdf(folder: Path, name: str = GOOD_NAME) -> Path:
    """A two-sheet Signa file: CMYK, then Cyan, Magenta and a spot colour (7 plates)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_signa_pdf(
        folder / name,
        [signa_sheet(), signa_sheet(colorants=("Cyan", "Magenta", "PANTONE Warm Red C"))],
    )


def truncated_pdf(folder: Path, name: str = "0603_Broken_Leonov.pdf") -> Path:
    """A half-copied Signa file: its end (xref, trailer, %%EOF) is missing."""
    whole = good_pdf(folder / "whole")
    broken = folder / name
    broken.write_bytes(whole.read_bytes()[:-400])
    return broken


def test_good_file_ends_done_with_plate_preview_sms_and_one_row(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given a good Signa file for Speedmaster and bureau Leonov
    pdf = good_pdf(tmp_path / "samples")

    # When it is taken like the watcher takes a file
    job_id = running_pipeline.submit(pdf)
    job = running_pipeline.wait_for(job_id)

    # Then the plate, the preview and the SMS went out once each
    assert job.status == "done", running_pipeline.step_summary(job_id)
    assert_sms_and_uploads(running_pipeline, job_id)
    # And the job is one row with its facts, every step done, the original archived
    assert [j.id for j in running_pipeline.jobs()] == [job_id]
    assert (job.press, job.outputter, job.plates, job.order) == ("Speedmaster", "Leonov", 7, "0537")
    assert {s.state for s in running_pipeline.steps(job_id).values()} == {"done"}
    archived = running_pipeline.work / job.archive_path
    assert (
        archived.name == f"{job_id}_{GOOD_NAME}"
        and archived.parent.parent.parent.parent == running_pipeline.work / "done"
    )
    assert sha256_of(archived) == job.sha256
    assert not any((running_pipeline.work / "spool").iterdir())
    # And no password reached the workers' logs
    logs = running_pipeline.logs()
    assert all(secret not in logs for secret in ("ctp-pw", "press-pw", "sms-pw"))


def sms_per_phone(pipeline: Pipeline) -> dict[str, int]:
    """How many SMS each phone got from the sink's point of view."""
    phones = [p for m in pipeline.sms.messages for p in m.phones.split(",")]
    return {phone: phones.count(phone) for phone in phones}


def assert_sms_and_uploads(pipeline: Pipeline, job_id: int) -> None:
    job = pipeline.job(job_id)
    assert pipeline.bureau.files() == [GOOD_REMOTE]
    assert len(pipeline.bureau.received) == 1
    assert sha256_of(pipeline.bureau.root / GOOD_REMOTE) == job.sha256
    assert pipeline.press.files() == [f"speedmaster/{Path(job.name).stem}_preview.pdf"]
    assert len(pipeline.press.received) == 1
    assert sms_per_phone(pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    assert all("0537" in m.mes and "Speedmaster" in m.mes for m in pipeline.sms.messages)


def test_truncated_file_is_rejected_into_failed_with_its_reason(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given a half-copied file
    pdf = truncated_pdf(tmp_path / "samples")

    # When it is taken
    job_id = running_pipeline.submit(pdf)
    job = running_pipeline.wait_for(job_id)

    # Then the job is rejected at validate, once (bad input is not retried), with its reason
    assert (job.status, job.step, job.error_code) == ("rejected", "validate", "damaged_pdf")
    assert pdf.name in job.error and "truncated" in job.error
    assert running_pipeline.steps(job_id)["validate"].attempts == 1
    # And the file sits in failed/<job>_<name> with the reason beside it
    failed = running_pipeline.work / "failed"
    kept = failed / f"{job_id}_{pdf.name}"
    assert kept.read_bytes() == pdf.read_bytes()
    assert "damaged_pdf" in (failed / f"{kept.name}.error.txt").read_text(encoding="utf-8")
    # And nothing went out
    assert running_pipeline.bureau.files() == [] and running_pipeline.sms.messages == []


def queue_chain_again(pipeline: Pipeline, job_id: int, timeout: float = 60) -> str:
    """Queue the job's whole chain from a process of its own (this one's Celery app carries
    the state of earlier tests) and poll the state of its last task in the result backend."""
    import json
    import subprocess
    import sys

    import redis

    code = "import sys; from tasks import canvas; print(canvas.start(int(sys.argv[1])))"
    queued = subprocess.run(
        [sys.executable, "-c", code, str(job_id)],
        env=pipeline.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    last = queued.stdout.strip().splitlines()[-1]
    client = redis.Redis.from_url(pipeline.config.result_backend)
    deadline = time.monotonic() + timeout
    state = "PENDING"
    try:
        while state not in ("SUCCESS", "FAILURE") and time.monotonic() < deadline:
            raw = client.get(f"celery-task-meta-{last}")
            state = json.loads(raw)["status"] if raw else "PENDING"
            time.sleep(0.2)
    finally:
        client.close()
    return state


def test_a_step_run_again_after_done_does_not_upload_or_send_again(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given a job that is done, and the FTP servers emptied (a second upload would show)
    from tasks import stages

    job_id = running_pipeline.submit(good_pdf(tmp_path / "samples"))
    before = running_pipeline.wait_for(job_id, "done")
    for sink in (running_pipeline.bureau, running_pipeline.press):
        for path in sink.root.rglob("*.pdf"):
            path.unlink()
    attempts = {name: s.attempts for name, s in running_pipeline.steps(job_id).items()}

    # When its side-effect steps run again here, and its whole chain is queued again
    results = [
        task.run(job_id)
        for task in (stages.upload_plate, stages.upload_preview, stages.notify_sms, stages.persist)
    ]
    state = queue_chain_again(running_pipeline, job_id)
    assert state == "SUCCESS", state

    # Then nothing was uploaded or sent a second time and the record did not change
    assert set(results) <= {"done", SKIPPED}
    assert running_pipeline.bureau.files() == [] and len(running_pipeline.bureau.received) == 1
    assert running_pipeline.press.files() == [] and len(running_pipeline.press.received) == 1
    assert sms_per_phone(running_pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    after = running_pipeline.job(job_id)
    assert (after.status, after.archive_path) == ("done", before.archive_path)
    assert {n: s.attempts for n, s in running_pipeline.steps(job_id).items()} == attempts


@pytest.mark.parametrize("mode", ["dry-run", "import"])
def test_dry_run_and_import_modes_upload_and_send_nothing(
    start_pipeline, tmp_path: Path, mode: str
) -> None:
    # Given a running pipeline switched to the mode by the operator
    pipeline = start_pipeline()
    switched = pipeline.cli("mode", mode)
    assert switched.exit_code == 0 and switched.output.strip() == mode
    pdf = good_pdf(tmp_path / "samples")
    os.utime(pdf, (OLD_MTIME.timestamp(), OLD_MTIME.timestamp()))  # a file from the history

    # When a good file is taken
    job_id = pipeline.submit(pdf)
    job = pipeline.wait_for(job_id)

    # Then the job is done and recorded, but nothing was uploaded or sent
    assert job.status == "done", pipeline.step_summary(job_id)
    assert (job.mode, job.press, job.outputter, job.plates) == (mode, "Speedmaster", "Leonov", 7)
    # And an imported job is dated by its file, a dry run by its arrival
    job_date = job.job_date.replace(tzinfo=UTC)
    assert (job_date == OLD_MTIME) if mode == "import" else (job_date > OLD_MTIME)
    assert pipeline.bureau.received == [] and pipeline.press.received == []
    assert pipeline.sms.messages == [] and pipeline.sms.requests == 0
    # And the job says why: the three side-effect steps are skipped naming the mode
    steps = pipeline.steps(job_id)
    for name in ("upload_plate", "upload_preview", "notify_sms"):
        assert steps[name].state == SKIPPED and mode in steps[name].note
    shown = pipeline.cli("show", str(job_id))
    assert shown.exit_code == 0 and f"mode         {mode}" in shown.output


def test_hostile_file_name_goes_through_end_to_end(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given a good file whose name has Cyrillic, $( ), ;, &, backquotes and a quote
    pdf = good_pdf(tmp_path / "samples", HOSTILE_NAME)

    # When it is taken
    job_id = running_pipeline.submit(pdf)
    job = running_pipeline.wait_for(job_id)

    # Then it is done, delivered under its own name, and no shell ever ran a piece of it
    assert job.status == "done", running_pipeline.step_summary(job_id)
    assert job.name == HOSTILE_NAME and job.job_name
    assert running_pipeline.bureau.files() == [f"leonov/_1030x770/{HOSTILE_NAME}"]
    assert running_pipeline.press.files() == [f"speedmaster/{Path(HOSTILE_NAME).stem}_preview.pdf"]
    assert sms_per_phone(running_pipeline) == {STAFF_PHONE: 1, SPEEDMASTER_PHONE: 1}
    assert (running_pipeline.work / job.archive_path).name == f"{job_id}_{HOSTILE_NAME}"
    assert not list(tmp_path.rglob("x")) and not list(Path.cwd().glob("x"))


@pytest.mark.postgres
def test_good_file_on_postgresql(start_pipeline, postgres_url: str, tmp_path: Path) -> None:
    # Given a pipeline whose jobs are recorded in PostgreSQL
    pipeline = start_pipeline(postgres_url)

    # When a good file and a truncated one are taken
    good = pipeline.submit(good_pdf(tmp_path / "samples"))
    bad = pipeline.submit(truncated_pdf(tmp_path / "bad"))

    # Then the good one is done with its uploads and SMS, the bad one rejected
    assert pipeline.wait_for(good).status == "done", pipeline.step_summary(good)
    assert_sms_and_uploads(pipeline, good)
    assert pipeline.wait_for(bad).status == "rejected"
    assert sorted(j.id for j in pipeline.jobs()) == sorted([good, bad])


def test_prepress_process_wait_shows_the_steps_and_prints_the_done_job(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given a good file outside the hotfolder
    pdf = good_pdf(tmp_path / "samples")

    # When the operator submits it with `prepress process FILE --wait --json`
    result = running_pipeline.cli("process", str(pdf), "--wait", "--json")

    # Then the command ends 0 and prints the done job with its steps, delivery and SMS
    assert result.exit_code == 0, result.output
    job = json.loads(result.output)
    assert (job["status"], job["name"], job["plates"]) == ("done", GOOD_NAME, 7)
    assert [s["state"] for s in job["steps"]] == ["done"] * len(STEPS)
    assert {d["kind"]: d["remote_path"] for d in job["deliveries"]}["plate"].endswith(
        "_1030x770/0537_Technoyug_Flier_Leonov.pdf"
    )
    assert "ctp-pw" not in result.output and "sms-pw" not in result.output
    # And the file itself stays where it was: process takes a copy
    assert pdf.is_file() and running_pipeline.bureau.files() == [GOOD_REMOTE]


def test_reprocess_runs_a_done_job_again_as_a_new_job(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given a job that is done and archived
    first = running_pipeline.wait_for(running_pipeline.submit(good_pdf(tmp_path / "samples")))
    assert first.status == "done"

    # When the operator reprocesses it, confirming
    result = running_pipeline.cli("reprocess", str(first.id), input="y\n")
    assert result.exit_code == 0, result.output
    assert "NOT sent again" in result.output and "--force-upload" in result.output

    # Then a new job ran the whole chain on a copy of the archived original
    jobs = running_pipeline.wait_for_jobs(2)
    second = jobs[-1]
    assert (second.status, second.reprocess_of, second.name) == ("done", first.id, GOOD_NAME)
    assert second.sha256 == first.sha256 and second.archive_path != first.archive_path
    assert (running_pipeline.work / first.archive_path).is_file()
    assert (running_pipeline.work / second.archive_path).is_file()
    assert sms_per_phone(running_pipeline) == {STAFF_PHONE: 2, SPEEDMASTER_PHONE: 2}
    # And the bureau got the plate file once: the second upload found it there
    assert len(running_pipeline.bureau.received) == 1

    # When it is reprocessed as a remake with --force-upload
    remake = running_pipeline.cli("reprocess", str(first.id), "--force-upload", "--yes", "--json")
    assert remake.exit_code == 0, remake.output
    third = running_pipeline.wait_for(json.loads(remake.output)["job"])
    # Then the plate file is sent again
    assert third.status == "done"
    assert len(running_pipeline.bureau.received) == 2


def test_a_declined_reprocess_queues_nothing(running_pipeline: Pipeline, tmp_path: Path) -> None:
    # Given a done job
    first = running_pipeline.wait_for(running_pipeline.submit(good_pdf(tmp_path / "samples")))
    # When the operator answers no
    result = running_pipeline.cli("reprocess", str(first.id), input="n\n")
    # Then nothing is queued
    assert result.exit_code == 1 and len(running_pipeline.jobs()) == 1


def test_several_files_at_once_each_reach_their_bureau_and_press(
    running_pipeline: Pipeline, tmp_path: Path
) -> None:
    # Given four jobs for different presses and bureaus, taken at the same moment
    samples = tmp_path / "samples"
    good_pdf(samples)
    write_signa_pdf(
        samples / "0601_Flier_Korol.pdf",
        [signa_sheet(outputter="Korol", colorants=("Cyan", "Magenta", "PANTONE Reflex Blue C"))],
    )
    write_signa_pdf(
        samples / "0602_Каталог (весна)_Leonov.pdf",
        [signa_sheet(press="Dominant", plate_mm=(650, 550), paper_mm=(600, 450), gripper_mm=8)] * 2,
    )
    write_signa_pdf(
        samples / "0700_Remake_Admin.pdf",
        [
            signa_sheet(
                press="Planeta", outputter="Admin", plate_mm=(1010, 820), paper_mm=(900, 700)
            )
        ],
    )

    # When they are all submitted at once
    ids = [running_pipeline.submit(pdf) for pdf in sorted(samples.glob("*.pdf"))]
    jobs = [running_pipeline.wait_for(job_id) for job_id in ids]

    # Then every job is done with its own facts
    assert [j.status for j in jobs] == ["done"] * 4, [running_pipeline.step_summary(i) for i in ids]
    facts = {j.order: (j.press, j.outputter, j.plates) for j in jobs}
    assert facts == {
        "0537": ("Speedmaster", "Leonov", 7),
        "0601": ("Speedmaster", "Korol", 3),
        "0602": ("Dominant", "Leonov", 8),
        "0700": ("Planeta", "Admin", 4),
    }
    # And each plate file is in its bureau's folder under its bureau's name, once;
    # Admin (the shop itself) has no server
    assert running_pipeline.bureau.files() == [
        "korol/0601_Flier_1030_3Plates_CM-ReflexBlueC.pdf",
        "leonov/_1030x770/0537_Technoyug_Flier_Leonov.pdf",
        "leonov/_ADAST/0602_Каталог (весна)_Leonov.pdf",
    ]
    assert len(running_pipeline.bureau.received) == 3
    # And the previews went to the presses that have a server (Planeta has none)
    assert running_pipeline.press.files() == [
        "dominant/0602_Каталог (весна)_Leonov_preview.pdf",
        "speedmaster/0537_Technoyug_Flier_Leonov_preview.pdf",
        "speedmaster/0601_Flier_Korol_preview.pdf",
    ]
    # And the staff got one SMS per job, the Speedmaster's crew one per Speedmaster job,
    # nobody one for the Admin job
    sent = sorted(
        (phone, m.mes.split()[0])
        for m in running_pipeline.sms.messages
        for phone in m.phones.split(",")
    )
    assert sent == sorted(
        [
            (STAFF_PHONE, "0537"),
            (STAFF_PHONE, "0601"),
            (STAFF_PHONE, "0602"),
            (SPEEDMASTER_PHONE, "0537"),
            (SPEEDMASTER_PHONE, "0601"),
        ]
    )


def test_prepress_up_runs_the_pipeline_and_stops_cleanly(start_pipeline, tmp_path: Path) -> None:
    # Given `prepress up` (workers, watcher and beat under one supervisor)
    pipeline = start_pipeline(workers=False)
    pipeline._spawn("up", "up")
    pipeline.wait_ready(["cpu", "io"])

    # When a good file is dropped into the hotfolder
    pipeline.drop(good_pdf(tmp_path / "samples"))
    job = pipeline.wait_for_jobs(1)[0]

    # Then it goes through to the end
    assert job.status == "done", pipeline.step_summary(job.id)
    assert pipeline.bureau.files() == [GOOD_REMOTE]

    # When the supervisor gets SIGTERM (systemd stop, Ctrl-C)
    up = pipeline.processes.pop("up")
    up.send_signal(signal.SIGTERM)

    # Then it and every process it started are gone within its grace period
    assert up.wait(timeout=30) is not None
    assert wait_until(lambda: not processes_using(pipeline.config_path), 25), processes_using(
        pipeline.config_path
    )


def processes_using(config_path: Path) -> list[str]:
    """Command lines of the running processes started with this configuration."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if str(config_path).encode() in argv:
            found.append(" ".join(a.decode(errors="replace") for a in argv))
    return found
