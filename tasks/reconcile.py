"""Lost chains are found and continued from their first unfinished step.

A job's chain lives in messages: the next step's message waits in a broker queue, a worker
holds it (running, prefetched, or a retry waiting for its countdown), or it is in no message
at all because the step is running right now. A chain is *lost* when none of that is true
while the job is not final: the broker restarted without its data, a message was lost between
two steps, a worker was killed after it saved a step but before it sent the next one or
before the three detections were counted, the broker was down when a retry was to be sent.

Design
------
The database is the truth about progress (every step's state is saved before the chain moves
on); the broker and the workers are asked only whether a message for the job exists.

* Every ``[retry] reconcile_every`` seconds (30) a thread of the beat process makes a pass
  (beat runs exactly once per work folder: commands/lock.py). Not a Celery task on purpose:
  a worker that broadcasts ``inspect`` from inside a task while its broker connection drops
  can leave its own consumer dead. A pass lists the open jobs (queued or running) and
  treats one as alive when any of these holds: a step message for it waits in a broker
  queue (tasks/inflight.py reads the Redis lists, or the embedded broker's folder); a live
  worker holds one (``inspect`` active, reserved,
  scheduled; a message a worker has run for more than ``[retry] hung_after`` does not
  count: it is blocked, e.g. sending the next message to a broker that is gone); one of its
  steps is running under a live lease (models/steps.py: a heartbeat renews it while the
  step makes progress, a killed process loses it, a hung step gives it up; a held message
  does not count for a job whose running step's lease is dead: its process is frozen); its
  step waits for an attempt that is not overdue; or the job is younger than :data:`RECENT`
  (intake is still queueing it).
* A job that looks lost is only *suspected*. It is continued when the next pass finds it lost
  at the same step again, at least half a period later, so a step that just finished and is
  sending its successor is never mistaken for a lost one. Continuing is
  ``canvas.start(job, first unfinished step)``: done steps are not repeated.
* A flood of 500 files is 500 messages in the queue lists: all alive, none duplicated.
* Even if a chain is continued twice, no step runs twice at once and no side effect happens
  twice: every step claims a lease first (one run at a time), done steps are skipped, and the
  uploads and SMS are rows with unique keys. A message that comes back late (after the
  visibility timeout) finds its step done or its job final and stops there.
* ``prepress up`` calls :func:`reconcile_at_start` before it starts its processes: it holds
  the work folder's lock (commands/lock.py) and its workers are not running yet, so every open
  job without a message in a queue is continued at once; messages a killed worker had taken
  would otherwise wait for the visibility timeout.
* The embedded broker works the same way: its queue is a folder of message files; a message a
  worker has taken is invisible there, and is seen through ``inspect`` and the step's lease.

The reconciler never fails a job and never touches a final one; ``prepress retry`` is for
jobs that failed after ``give_up_after`` or on a permanent error.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from models import steps
from models.job import STARTED, WAITING, Job, Step, aware, utcnow
from pipeline.config import Config
from tasks import canvas, inflight
from tasks.app import app

log = logging.getLogger(__name__)

#: A job younger than this is left alone: intake may still be queueing its chain.
RECENT = timedelta(seconds=10)
#: A waiting step whose attempt is overdue by more than this has lost its retry message.
OVERDUE = timedelta(seconds=30)


class _Suspects:
    """Jobs found lost by the last pass of this process: job id -> (step, first seen)."""

    seen: dict[int, tuple[str, float]] = {}


def queues() -> set[str]:
    """The queues the step messages travel on."""
    routed = {route["queue"] for route in (app.conf.task_routes or {}).values()}
    return routed | {app.conf.task_default_queue}


def lost_jobs(config: Config, *, ask_workers: bool = True) -> list[tuple[Job, Step]]:
    """Open jobs without any sign of life, each with its first unfinished step."""
    open_jobs = steps.open_jobs(config.database_url)
    if not open_jobs:
        return []
    queued = inflight.queued_jobs(config, queues())
    held = inflight.held_jobs(app, hung_after=config.retry.hung_after) if ask_workers else set()
    now = utcnow()
    lost = []
    for job, rows in open_jobs:
        if job.id in queued or (ask_workers and now - aware(job.received_at) < RECENT):
            continue
        first = steps.first_unfinished(rows)
        if first is None or any(_in_flight(step, now, ask_workers) for step in rows):
            continue
        if job.id in held and first.state != STARTED:
            continue  # a worker holds its next message; a running step's lease says more
        lost.append((job, first))
    return lost


def _in_flight(step: Step, now, trust_schedule: bool) -> bool:
    """A step running under a live lease, or waiting for an attempt that is not overdue."""
    if step.state == STARTED:
        return steps.lease_alive(step.lease_owner, step.lease_until, now)
    if step.state == WAITING and trust_schedule and step.next_attempt_at is not None:
        return aware(step.next_attempt_at) + OVERDUE > now
    return False


def reconcile(config: Config) -> list[int]:
    """One pass: continue the jobs found lost at the same step by the previous pass too."""
    confirm_after = config.retry.reconcile_every / 2
    now = time.monotonic()
    suspects: dict[int, tuple[str, float]] = {}
    continued = []
    for job, step in lost_jobs(config):
        assert job.id is not None
        seen = _Suspects.seen.get(job.id)
        if seen is None or seen[0] != step.name:
            suspects[job.id] = (step.name, now)
        elif now - seen[1] < confirm_after:
            suspects[job.id] = seen
        else:
            continue_job(config, job, step.name)
            continued.append(job.id)
    _Suspects.seen = suspects
    return continued


def reconcile_at_start(config: Config) -> list[int]:
    """Continue every open job that has no message waiting in a queue (no worker runs yet)."""
    continued = []
    for job, step in lost_jobs(config, ask_workers=False):
        continue_job(config, job, step.name)
        assert job.id is not None
        continued.append(job.id)
    return continued


def continue_job(config: Config, job: Job, step: str) -> None:
    """Queue the job's chain again from ``step``."""
    assert job.id is not None
    log.warning(
        "job %s (%s): its chain was lost at %s (no message in the broker, no worker on it); "
        "continuing from there",
        job.id,
        job.name,
        step,
    )
    steps.reset(config.database_url, job.id)
    canvas.start(job.id, step)


def chain_alive(config: Config, job_id: int) -> bool:
    """True when the job has a message in the broker, on a worker, or a step in flight."""
    lost = {job.id for job, _ in lost_jobs(config)}
    return job_id not in lost


def run_forever(config: Config, stop: threading.Event) -> None:
    """The beat process's loop: a pass every ``[retry] reconcile_every`` seconds until
    ``stop``; a pass that fails (the broker is down) is logged and the next one tried."""
    while not stop.wait(_next_pass(config)):
        try:
            continued = reconcile(config)
        except Exception as exc:  # the broker or the database is unreachable right now
            log.warning("reconciler: could not look for lost jobs (%s); trying again", exc)
            continue
        if continued:
            log.warning("reconciler continued %d lost job(s): %s", len(continued), continued)


def _next_pass(config: Config) -> float:
    """Seconds to the next pass: half a period while suspects wait for their confirmation,
    so a lost job is continued within about one and a half periods of being seen lost."""
    every = config.retry.reconcile_every
    return every / 2 if _Suspects.seen else every


def start_in_background(config: Config) -> threading.Event:
    """Run :func:`run_forever` in a daemon thread of this process; set the event to stop."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(config, stop), name="reconciler")
    thread.daemon = True
    thread.start()
    return stop
