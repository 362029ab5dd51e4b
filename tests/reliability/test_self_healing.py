"""Faults that heal by themselves: a hung step, a broker that stops answering.

Real workers, beat (the reconciler every 2 s), the run's own redis-server, FTP and SMS sinks.
Each test asserts the shop's outcome (every file in one job, done, each upload and SMS once,
nobody typed a command) and the seconds from the end of the fault to the last job done.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.polling import wait_until
from tests.pipeline_harness import Pipeline
from tests.redis_server import RedisServer
from tests.reliability.outcome import burst, check_outcome
from tests.services import require

#: The reconciler every 2 s, waits capped at 2 s, a step hung after 40 s without progress.
QUICK = {
    "PREPRESS_RECONCILE_EVERY": "2",
    "PREPRESS_MAX_BACKOFF": "2",
    "PREPRESS_HUNG_AFTER": "40",
}
#: Steps the cpu worker's prefork pool runs.
CPU_STEPS = ("validate", "detect_press", "count_plates", "detect_outputter", "render_preview")
#: The shop's goal: every job done within this many seconds of the end of a fault.
HEAL_WITHIN = 120.0


def running_cpu_steps(pipeline: Pipeline) -> list[tuple[int, str, str]]:
    """(job id, step, lease owner) of the cpu steps running now (a direct, quick read)."""
    path = pipeline.url.removeprefix("sqlite:///")
    marks = ",".join("?" * len(CPU_STEPS))
    with sqlite3.connect(path, timeout=5) as db:
        return db.execute(
            f"SELECT job_id, name, lease_owner FROM step WHERE state = 'running' "
            f"AND lease_owner != '' AND name IN ({marks})",
            CPU_STEPS,
        ).fetchall()


def stop_a_running_step(pipeline: Pipeline, timeout: float = 60) -> tuple[int, str, int]:
    """SIGSTOP the pool process of a cpu step while the step runs; (job, step, pid)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job_id, step, owner in running_cpu_steps(pipeline):
            pid = int(owner.split(":")[1])
            os.kill(pid, signal.SIGSTOP)
            if (job_id, step, owner) in running_cpu_steps(pipeline):
                return job_id, step, pid
            os.kill(pid, signal.SIGCONT)  # it finished meanwhile: try another
        time.sleep(0.01)
    raise AssertionError("no cpu step could be caught running")


def seconds_to_all_done(pipeline: Pipeline, count: int, since: float) -> float:
    """Wait until ``count`` jobs are final; the seconds from ``since`` to then."""
    pipeline.wait_for_jobs(count, timeout=HEAL_WITHIN + 60)
    return time.monotonic() - since


def test_step_of_a_frozen_worker_process_is_continued_and_its_late_end_dropped(
    start_pipeline, tmp_path: Path
) -> None:
    # Given workers, beat and a burst of files on their way
    pipeline = start_pipeline(env=QUICK)
    pipeline.start_beat()
    pdfs = burst(tmp_path / "samples", 10)
    for pdf in pdfs:
        pipeline.submit(pdf)

    # When the pool process running a cpu step freezes (SIGSTOP: alive, silent, no progress)
    job_id, step, pid = stop_a_running_step(pipeline)
    frozen = time.monotonic()
    try:
        job = pipeline.wait_for(job_id, timeout=HEAL_WITHIN)
        healed = time.monotonic() - frozen
    finally:
        os.kill(pid, signal.SIGCONT)

    # Then its job was continued elsewhere and done well within the shop's two minutes
    assert job.status == "done", pipeline.step_summary(job_id)
    assert pipeline.steps(job_id)[step].attempts >= 2
    print(f"\nhung step: job {job_id} done {healed:.0f} s after its {step} froze")
    assert healed < HEAL_WITHIN
    # And the frozen run, woken up, records nothing over the run that replaced it
    taken_over = f"step {step} of job {job_id} was taken over"
    assert wait_until(lambda: taken_over in pipeline.logs(), 30), pipeline.logs()[-3000:]
    assert pipeline.steps(job_id)[step].state == "done"
    pipeline.wait_for_jobs(len(pdfs), timeout=HEAL_WITHIN)
    outcome = check_outcome(pipeline, pdfs)
    assert outcome.clean, outcome.problems


def test_broker_that_stops_answering_mid_burst_heals_within_two_minutes(
    start_pipeline, redis_server: RedisServer, tmp_path: Path
) -> None:
    # Given a real `prepress up` with a burst on its way
    pipeline = start_pipeline(workers=False, env=QUICK)
    pipeline.start_up()
    pdfs = burst(tmp_path / "samples", 10)
    for pdf in pdfs:
        pipeline.submit(pdf)
    assert wait_until(lambda: any(j.status == "done" for j in pipeline.jobs()), 60)

    # When Redis freezes for 30 s: connections stay open and nothing answers on them
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(30)
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    back = time.monotonic()

    # Then every file is done, delivered once, each SMS once, within two minutes
    healed = seconds_to_all_done(pipeline, len(pdfs), back)
    print(f"\nbroker frozen 30 s: last job done {healed:.0f} s after it answered again")
    outcome = check_outcome(pipeline, pdfs)
    assert outcome.clean, outcome.problems
    assert healed < HEAL_WITHIN
    assert all(p.poll() is None for p in pipeline.processes.values())


def restart_exited_workers(pipeline: Pipeline, statuses: list[int]) -> None:
    """Start again a bare worker that exited, as systemd's Restart=on-failure would (a
    worker exiting 0 would stay down there: it is recorded and the test fails on it)."""
    for name in ("worker-cpu", "worker-io"):
        process = pipeline.processes.get(name)
        if process is not None and process.poll() is not None:
            statuses.append(process.returncode)
            if process.returncode != 0:
                pipeline.start_worker(name.removeprefix("worker-"))


def test_bare_workers_recover_or_exit_failed_when_redis_restarts_empty(
    start_pipeline, redis_server: RedisServer, tmp_path: Path
) -> None:
    # Given bare workers (as systemd or compose run them) and beat, a burst on its way
    pipeline = start_pipeline(env=QUICK)
    pipeline.start_beat()
    pdfs = burst(tmp_path / "samples", 10)
    for pdf in pdfs:
        pipeline.submit(pdf)
    assert wait_until(lambda: any(j.status == "done" for j in pipeline.jobs()), 60)

    # When Redis is killed and started again without its data
    from tests.reliability.test_recovery import restart_redis

    restart_redis(redis_server)
    back = time.monotonic()

    # Then no worker lives on consuming nothing: each one recovers or exits non-zero (and is
    # started again by its supervisor), and every job is done within two minutes
    exits: list[int] = []

    def all_final() -> bool:
        restart_exited_workers(pipeline, exits)
        jobs = pipeline.jobs()
        return len(jobs) == len(pdfs) and all(j.status in ("done", "failed") for j in jobs)

    assert wait_until(all_final, HEAL_WITHIN + 30, interval=1), (
        f"exits {exits}",
        [(j.id, j.status, j.step) for j in pipeline.jobs()],
    )
    healed = time.monotonic() - back
    print(f"\nredis restarted empty under bare workers: done {healed:.0f} s later, exits {exits}")
    assert 0 not in exits
    outcome = check_outcome(pipeline, pdfs)
    assert outcome.clean, outcome.problems
    assert healed < HEAL_WITHIN


def test_database_restarted_for_30_s_mid_burst_fails_no_job(
    start_pipeline, private_postgres, tmp_path: Path
) -> None:
    # Given workers and beat on a PostgreSQL of their own, a burst on its way
    pipeline = start_pipeline(private_postgres.url(), env=QUICK)
    pipeline.start_beat()
    pdfs = burst(tmp_path / "samples", 10)
    for pdf in pdfs:
        pipeline.submit(pdf)
    assert wait_until(lambda: any(j.status == "done" for j in pipeline.jobs()), 60)

    # When PostgreSQL is stopped (sessions cut) and started again 30 s later
    private_postgres.stop()
    try:
        time.sleep(5)
        status = pipeline.cli("status")
        time.sleep(25)
    finally:
        private_postgres.start()
    back = time.monotonic()

    # Then `prepress status` said so while it lasted
    assert status.exit_code == 1 and "database" in status.output, status.output
    assert "not reachable" in status.output, status.output
    # And every job is done, none failed for it, no worker gave up, within two minutes
    healed = seconds_to_all_done(pipeline, len(pdfs), back)
    print(f"\ndatabase down 30 s: last job done {healed:.0f} s after it was back")
    outcome = check_outcome(pipeline, pdfs)
    assert outcome.clean, outcome.problems
    assert healed < HEAL_WITHIN
    assert all(p.poll() is None for p in pipeline.processes.values())


#: The admin's phone in the disk test: alerts go there.
ADMIN_PHONE = "+380009990000"


@pytest.fixture
def small_work_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs mounted where the pipeline's work folder goes (tmp_path/work)."""
    work = tmp_path / "work"
    work.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(work)]
    require(os.geteuid() == 0 and subprocess.run(mount).returncode == 0, "root to mount a tmpfs")
    try:
        yield work
    finally:
        subprocess.run(["umount", "-l", str(work)], check=False)


def fill(disk: Path) -> Path:
    """Write a ballast file on ``disk`` until it is full; the ballast."""
    ballast = disk / "ballast"
    block = b"\0" * (1 << 20)
    with open(ballast, "wb") as writer:
        try:
            while True:
                writer.write(block)
                writer.flush()
        except OSError:
            pass
    return ballast


def test_full_work_disk_pauses_intake_jobs_wait_and_all_resume_when_space_is_back(
    start_pipeline, small_work_disk: Path, tmp_path: Path
) -> None:
    # Given `prepress up` whose work folder is a small disk (min_free_mb = 8), the hotfolder
    # on another disk (the share), the admin hearing about the disk
    pipeline = start_pipeline(workers=False, env=QUICK)
    text = pipeline.config_path.read_text(encoding="utf-8")
    text = text.replace("[paths]\n", "[paths]\nmin_free_mb = 8\nhotfolder = \"%s\"\n"
                        % (tmp_path / "share"), 1)  # fmt: skip
    text = text.replace("[sms]\n", f'[sms]\nadmin = ["{ADMIN_PHONE}"]\n', 1)
    text += "\n[alerts]\ndisk_free_gb = 0\ncheck_seconds = 2\n"
    pipeline.config_path.write_text(text, encoding="utf-8")
    (tmp_path / "share").mkdir()
    pipeline.start_up()
    first = burst(tmp_path / "samples", 10)
    for pdf in first:
        pipeline.drop(pdf)
    assert wait_until(lambda: any(j.status == "done" for j in pipeline.jobs()), 60)

    # When the work disk fills up while jobs run, and more files are dropped meanwhile
    ballast = fill(small_work_disk)
    late = burst(tmp_path / "late", 5, prefix="late")
    for pdf in late:
        pipeline.drop(pdf)
    time.sleep(20)

    # Then the new files stay whole on the share, nothing is half-copied into spool/, and no
    # job failed for it
    share = tmp_path / "share"
    assert sorted(p.name for p in share.iterdir()) == sorted(p.name for p in late)
    assert not [p for p in (small_work_disk / "spool").rglob(".*")], "half-copied files"
    assert not [j for j in pipeline.jobs() if j.status == "failed"]

    # When space is back
    ballast.unlink()
    back = time.monotonic()

    # Then every file is done, each upload and job SMS once, within two minutes
    healed = seconds_to_all_done(pipeline, len(first) + len(late), back)
    print(f"\nwork disk full: last job done {healed:.0f} s after space was back")
    assert healed < HEAL_WITHIN
    # And the admin was told once that the disk was full (and once that it is free again)
    alerts = pipeline.sms.sent_to(ADMIN_PHONE)
    assert len([m for m in alerts if "GB free on the disk" in m.mes]) == 1, alerts
    pipeline.sms.messages[:] = [m for m in pipeline.sms.messages if m not in alerts]
    outcome = check_outcome(pipeline, first + late)
    assert outcome.clean, outcome.problems
