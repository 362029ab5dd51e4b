"""A step's lease says it makes progress: a hung run gives it up and cannot record later.

Real databases (SQLite and PostgreSQL), real sockets and processes; ``hung_after`` is set
below its checked minimum through the settings object so that the tests take seconds.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import replace

import pytest

from models import steps, store
from models.job import SUCCEEDED, utcnow
from pipeline.config import Config
from tasks.base import heartbeat

#: Seconds without progress after which the steps of these tests count as hung.
HUNG_AFTER = 1.0


@pytest.fixture
def quick(config: Config, database_url: str) -> Config:
    """The shop's configuration on the test database, a step hung after 1 s."""
    return replace(config, database_url=database_url, retry=replace(config.retry, hung_after=1.0))


def claimed(config: Config) -> tuple[int, str]:
    """A new job whose validate step is claimed; its id and the lease owner."""
    job = store.create_job(config.database_url, "0537_Flier_Leonov.pdf")
    owner = steps.new_owner()
    assert steps.claim_step(config.database_url, job.id, "validate", owner).decision == "started"
    return job.id, owner


def validate_step(config: Config, job_id: int):  # noqa: ANN201
    """The validate step's row of the job."""
    return {s.name: s for s in store.steps_of(config.database_url, job_id)}["validate"]


def lease_alive(config: Config, job_id: int) -> bool:
    step = validate_step(config, job_id)
    return steps.lease_alive(step.lease_owner, step.lease_until)


def test_step_blocked_on_a_silent_peer_is_taken_over_and_its_late_finish_dropped(
    quick: Config,
) -> None:
    # Given a claimed step whose work waits on a peer that took the connection and says nothing,
    # in a thread that had started a program before the work (as a test run's servers are)
    job_id, first = claimed(quick)
    earlier = subprocess.Popen(["sleep", str(10 * HUNG_AFTER)])
    with socket.create_server(("127.0.0.1", 0)) as silent:
        peer = socket.create_connection(silent.getsockname())
        peer.settimeout(4 * HUNG_AFTER)

        # When the work blocks on it longer than hung_after
        with heartbeat(quick, job_id, "validate", first), pytest.raises(TimeoutError):
            peer.recv(1)
        peer.close()
    earlier.kill()
    earlier.wait()

    # Then the lease was given up: another run takes the step at once
    assert not lease_alive(quick, job_id)
    second = steps.new_owner()
    claim = steps.claim_step(quick.database_url, job_id, "validate", second)
    assert claim.decision == "started"
    # And the hung run's late finish is dropped, the new run's is recorded
    with pytest.raises(steps.LeaseLost):
        steps.finish_step(quick.database_url, job_id, "validate", "errored", owner=first)
    steps.finish_step(quick.database_url, job_id, "validate", SUCCEEDED, owner=second)
    step = validate_step(quick, job_id)
    assert (step.state, step.attempts, step.lease_owner) == (SUCCEEDED, 2, "")


def test_step_that_computes_or_runs_a_program_keeps_its_lease(quick: Config) -> None:
    # Given a claimed step
    job_id, owner = claimed(quick)
    before = validate_step(quick, job_id).lease_until

    # When its work computes for 3 hung_after, then waits 3 more for a program it started
    with heartbeat(quick, job_id, "validate", owner):
        deadline = time.monotonic() + 3 * HUNG_AFTER
        while time.monotonic() < deadline:
            sum(range(10_000))
        subprocess.run(["sleep", str(3 * HUNG_AFTER)], check=True)

    # Then the lease was renewed all along, and a second run is told the step is busy
    step = validate_step(quick, job_id)
    assert step.lease_owner == owner and step.lease_until > before
    assert step.lease_until.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    other = steps.claim_step(quick.database_url, job_id, "validate", steps.new_owner())
    assert other.decision == "busy"
