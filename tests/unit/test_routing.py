"""Where tasks go: cpu steps to cpu, the backup to ops (where beat and the key are), the rest
to io; ``prepress up``'s io worker serves ops too."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.supervisor import Supervisor
from tasks.app import app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("tasks.validate", "cpu"),
        ("tasks.render_preview", "cpu"),
        ("tasks.backup_database", "ops"),
        ("tasks.upload_plate", "io"),
        ("tasks.retry_job", "io"),
    ],
)
def test_each_task_goes_to_the_queue_of_the_hosts_that_can_run_it(task: str, queue: str) -> None:
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def test_prepress_up_serves_the_ops_queue_beside_io() -> None:
    workers = {c.name: c.argv for c in Supervisor.for_up(Path("prepress.toml")).children}
    assert workers["worker-io"][-2:] == ["--queues", "io,ops"]
    assert workers["worker-cpu"][-2:] == ["--queues", "cpu"]
