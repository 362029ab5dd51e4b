"""``prepress status`` as an admin reads it: a worker counted under every queue it serves, and
when a failing target was last tried."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from commands.dashboard import status_text, target_text
from pipeline.config import config_from_dict
from tasks import health as health_module
from tasks import probes
from tests.fixtures import BASE_CONFIG


def test_a_worker_serving_io_and_ops_counts_under_both(tmp_path: Path, monkeypatch) -> None:
    # Given a broker whose one io,ops worker and one cpu worker answer
    config = config_from_dict(
        dict(BASE_CONFIG, paths={"work_dir": str(tmp_path)}, celery={"broker_url": "redis://x/0"})
    )
    served = [
        {"hostname": "cpu@vm", "queues": ["cpu"]},
        {"hostname": "io@vm", "queues": ["io", "ops"]},
    ]
    monkeypatch.setattr(probes, "broker_error", lambda config: None)
    monkeypatch.setattr(
        probes, "queue_lengths", lambda url: {q: {"waiting": 0} for q in probes.QUEUES}
    )
    monkeypatch.setattr(probes, "workers", lambda config: served)
    health = health_module.Health()
    health.database = {"url": "sqlite:///x.db", "reachable": True, "migrated": True}
    health.hotfolder = {"path": str(tmp_path), "waiting": 0}
    # When the status is worked out and printed
    health_module._probe_broker(config, health)
    text = status_text(health)
    # Then the queue lines agree with the worker lines
    assert "queue      ops: 0 waiting, 1 worker(s)" in text
    assert "queue      io: 0 waiting, 1 worker(s)" in text
    assert "worker     io@vm: io, ops" in text


@pytest.mark.parametrize("tried", [True, False])
def test_a_failing_target_says_when_it_was_last_tried(tried: bool) -> None:
    at = datetime(2026, 11, 5, 18, 36, tzinfo=UTC).isoformat()
    target = {
        "label": "Leonov FTP", "where": "ftp://ctp:21", "state": "failing",
        "failing_since": at, "jobs_waiting": 0, "next_attempt_at": None,
        "last_error": "refused", "last_tried_at": at if tried else None,
    }  # fmt: skip
    assert ("last tried" in target_text(target)) is tried
