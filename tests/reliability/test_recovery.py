"""Ordinary faults are ridden out without a person (issue 10): real workers, beat, Redis, FTP.

Each test breaks something while files flow (the broker loses its data, processes are killed,
the bureau's FTP is down, prepress.toml is wrong) and then asserts the outcome the shop needs:
every file ends in exactly one job, done, its plate byte-identical on the bureau's FTP once,
its preview on the press's FTP once, each SMS once; nothing stuck and nobody typed
``prepress retry``. The reconciler runs every 2 s here and waits are capped at 2 s, so what
takes a minute in production takes seconds. Redis is the test run's own server: it is killed
and started again on the same port (tests/redis_server.py). The Redis tests run under a real
``prepress up``: a threads-pool worker of Celery 5.7 / kombu 5.7 can stop with "Unrecoverable
error" when its broker connection drops while it closes the channel, and the supervisor
starts it again, as docker-compose's ``restart: unless-stopped`` and systemd would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.job import WAITING
from testkit.polling import wait_until
from tests.pipeline_harness import ROOT, Pipeline
from tests.redis_server import RedisServer
from tests.reliability.outcome import burst, check_outcome
from tests.reliability.test_pipeline_faults import kill_children
from tests.services import free_port

#: Workers and beat of these tests: the reconciler every 2 s, at most 2 s between attempts.
FAST = {"PREPRESS_RECONCILE_EVERY": "2", "PREPRESS_MAX_BACKOFF": "2"}
#: Files per burst: enough that a fault lands in the middle of several chains.
FILES = 10
#: Seconds a burst may take to finish after the fault, recovery included.
RECOVERY = 120.0


def wait_until_done(pipeline: Pipeline, count: int, timeout: float = 60) -> None:
    """Wait until at least ``count`` jobs are done (the fault should land mid-burst)."""
    done = wait_until(lambda: sum(j.status == "done" for j in pipeline.jobs()) >= count, timeout)
    assert done, [(j.id, j.status, j.step) for j in pipeline.jobs()]


def assert_clean(pipeline: Pipeline, pdfs: list[Path]) -> None:
    pipeline.wait_for_jobs(len(pdfs), timeout=RECOVERY)
    outcome = check_outcome(pipeline, pdfs)
    assert outcome.clean, outcome.problems


def restart_redis(server: RedisServer) -> None:
    """Kill Redis and start it again on its port; this process drops its dead connections."""
    from kombu import pools as kombu_pools

    from tasks.app import app

    server.restart(kill=True)
    client = getattr(app.backend, "client", None)
    if client is not None:
        client.connection_pool.disconnect()
    # pooled connections remember the queues they declared, which the new server lacks
    kombu_pools.reset()  # closes and forgets every pool of this process
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def aof_redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The run's redis-server, started again with appendonly yes / everysec (as deployed)."""
    redis_server.appendonly = True
    restart_redis(redis_server)
    try:
        yield redis_server
    finally:
        redis_server.appendonly = False
        restart_redis(redis_server)


def test_redis_killed_mid_burst_without_persistence_loses_no_job(
    start_pipeline, redis_server: RedisServer, tmp_path: Path
) -> None:
    # Given a real `prepress up` (workers, beat with the reconciler) with a burst on its way
    pipeline = start_pipeline(workers=False, env=FAST)
    pipeline.start_up()
    pdfs = burst(tmp_path / "samples", FILES)
    for pdf in pdfs:
        pipeline.submit(pdf)
    wait_until_done(pipeline, 2)

    # When Redis is killed and started again empty: queued steps, retries, chord counts gone
    restart_redis(redis_server)

    # Then every file is done, delivered once, each SMS once, without `prepress retry`
    assert_clean(pipeline, pdfs)


def test_redis_with_aof_killed_mid_burst_leaves_nothing_stuck(
    start_pipeline, aof_redis: RedisServer, tmp_path: Path
) -> None:
    # Given a real `prepress up` on a Redis with appendonly (fsync every second), a burst on
    # its way
    pipeline = start_pipeline(workers=False, env=FAST)
    pipeline.start_up()
    pdfs = burst(tmp_path / "samples", FILES)
    for pdf in pdfs:
        pipeline.submit(pdf)
    wait_until_done(pipeline, 2)

    # When Redis is killed (its last second may be lost) and started again from its AOF,
    # leaving the messages the workers had taken unacknowledged for hours
    restart_redis(aof_redis)

    # Then nothing waits for the visibility timeout: every file is done, delivered once
    assert_clean(pipeline, pdfs)


def test_prepress_up_killed_and_started_again_finishes_every_job(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a real `prepress up` working on a burst of files
    pipeline = start_pipeline(workers=False, env=FAST)
    pipeline.start_up()
    pdfs = burst(tmp_path / "samples", FILES)
    for pdf in pdfs:
        pipeline.submit(pdf)
    wait_until_done(pipeline, 2)

    # When it is killed with SIGKILL, all its processes at once, and started again
    pipeline.kill("up")
    pipeline.start_up("up-again")

    # Then the jobs the dead workers held are continued at once and all are done, once
    # (whether a chain was lost depends on the moment of the kill; the outcome may not)
    assert_clean(pipeline, pdfs)


def test_workers_killed_while_files_flow_lose_and_repeat_nothing(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a pipeline with beat and a burst of files on their way
    pipeline = start_pipeline(env=FAST)
    pipeline.start_beat()
    pdfs = burst(tmp_path / "samples", FILES)
    for pdf in pdfs:
        pipeline.submit(pdf)

    # When the cpu worker's pool processes are killed twice and the whole io worker once
    # (kill -9), the io worker being started again a moment later
    for _ in range(2):
        wait_until_done(pipeline, 1 + _)
        assert kill_children(pipeline.processes["worker-cpu"].pid)
    pipeline.kill("worker-io")
    time.sleep(1)
    pipeline.start_worker("io")

    # Then every file is done, each plate, preview and SMS delivered exactly once
    assert_clean(pipeline, pdfs)


def test_bureau_down_jobs_wait_and_are_delivered_soon_after_it_is_back(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a CTP bureau whose FTP is down and jobs for it
    pipeline = start_pipeline(bureau_down=True, env=FAST)
    pdfs = burst(tmp_path / "samples", 4)
    ids = [pipeline.submit(pdf) for pdf in pdfs]

    # When the outage lasts 20 s
    waiting = wait_until(
        lambda: all(pipeline.steps(i)["upload_plate"].state == WAITING for i in ids), 30
    )
    assert waiting, [pipeline.step_summary(i) for i in ids]
    listing = pipeline.cli("jobs")
    shown = pipeline.cli("show", str(ids[0]))
    time.sleep(20)
    assert all(pipeline.job(i).status == "running" for i in ids)
    pipeline.bureau.start()
    back = time.monotonic()

    # Then the jobs were shown waiting, with the error and the next attempt, not failed
    assert listing.output.count("upload_plate waiting since") == len(ids), listing.output
    assert "next at" in listing.output and "ctp-pw" not in listing.output
    assert "waiting: automatic retry at" in shown.output, shown.output
    # And every job is delivered within the backoff cap of the bureau coming back
    assert_clean(pipeline, pdfs)
    assert time.monotonic() - back < 15
    assert min(pipeline.steps(i)["upload_plate"].attempts for i in ids) >= 5


def test_fixed_prepress_toml_reaches_the_waiting_job_without_a_restart(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a job waiting at upload_plate because the bureau's URL has a wrong port
    pipeline = start_pipeline(env=FAST)
    good = pipeline.config_path.read_text(encoding="utf-8")
    wrong_port = str(free_port())
    pipeline.config_path.write_text(good.replace(str(pipeline.bureau.port), wrong_port))
    [pdf] = burst(tmp_path / "samples", 1)
    job_id = pipeline.submit(pdf)
    assert wait_until(lambda: pipeline.steps(job_id)["upload_plate"].state == WAITING, 30)

    # When the operator first saves a broken file, then the right URL
    pipeline.config_path.write_text(good.replace("[sms]", "[sms"))
    attempts = pipeline.steps(job_id)["upload_plate"].attempts
    assert wait_until(lambda: pipeline.steps(job_id)["upload_plate"].attempts > attempts + 1, 20)
    assert pipeline.job(job_id).status == "running"
    pipeline.config_path.write_text(good)

    # Then the broken edit was reported and the last good config kept, and the job is
    # delivered to the fixed URL by the same workers
    assert_clean(pipeline, [pdf])
    logs = pipeline.logs()
    assert "keeping the last good configuration" in logs and "configuration reloaded" in logs
    assert all(p.poll() is None for p in pipeline.processes.values())


def test_second_supervisor_on_the_same_work_folder_refuses_to_start(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a running `prepress up`
    pipeline = start_pipeline(workers=False, env=FAST)
    pipeline.start_up()
    holder = pipeline.processes["up"].pid

    # When a second `prepress up`, a `watch` and a `beat` are started on the same work folder
    results = {
        command: subprocess.run(
            [sys.executable, "-m", "commands", "--config", str(pipeline.config_path), command],
            cwd=ROOT,
            env=pipeline.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        for command in ("up", "watch", "beat")
    }

    # Then each refuses with status 1 and names the process that holds the folder
    for command, result in results.items():
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert f"another `prepress {command}` already runs" in result.stderr
    assert f"pid {holder} " in results["up"].stderr
    assert "pid " in results["watch"].stderr and "watch" in results["watch"].stderr
    # And the first one goes on working
    [pdf] = burst(tmp_path / "samples", 1)
    pipeline.submit(pdf)
    assert_clean(pipeline, [pdf])


def test_retry_of_a_job_retrying_by_itself_does_nothing_and_now_cuts_the_wait(
    start_pipeline, tmp_path: Path
) -> None:
    # Given a job waiting at upload_plate (bureau down, waits up to 30 s)
    pipeline = start_pipeline(bureau_down=True, env={"PREPRESS_MAX_BACKOFF": "30"})
    [pdf] = burst(tmp_path / "samples", 1)
    job_id = pipeline.submit(pdf)

    def far_off() -> bool:
        step = pipeline.steps(job_id)["upload_plate"]
        return step.state == WAITING and step.next_attempt_at.timestamp() - time.time() > 5

    assert wait_until(far_off, 40), pipeline.step_summary(job_id)

    # When the operator runs `prepress retry` on it
    refused = pipeline.cli("retry", str(job_id))
    attempts = pipeline.steps(job_id)["upload_plate"].attempts

    # Then it says the job retries by itself and starts nothing
    assert refused.exit_code == 1 and "retrying by itself" in refused.output, refused.output
    assert "next at" in refused.output and "--now" in refused.output

    # When the bureau is back and the operator asks for `--now`
    pipeline.bureau.start()
    upcoming = pipeline.steps(job_id)["upload_plate"].next_attempt_at
    now = pipeline.cli("retry", "--now", str(job_id))
    assert now.exit_code == 0, now.output
    job = pipeline.wait_for(job_id, timeout=30)

    # Then the job is done before its scheduled attempt, with a single extra attempt
    assert job.status == "done", pipeline.step_summary(job_id)
    assert job.finished_at.timestamp() < upcoming.timestamp()
    assert pipeline.steps(job_id)["upload_plate"].attempts == attempts + 1
    assert check_outcome(pipeline, [pdf]).clean
