"""Beat's schedule: retention always, the backup at the configured local time."""

from __future__ import annotations

from pipeline.config import config_from_dict
from tasks.app import beat_schedule
from tests.fixtures import BASE_CONFIG


def test_backup_is_scheduled_only_with_a_backup_host() -> None:
    assert set(beat_schedule(config_from_dict(BASE_CONFIG))) == {"clean-archive"}
    config = config_from_dict(dict(BASE_CONFIG, backup={"host": "b", "user": "u", "time": "01:05"}))
    entries = {e["task"]: e["schedule"] for e in beat_schedule(config).values()}
    assert entries["tasks.backup_database"].hour == {1}
    assert entries["tasks.backup_database"].minute == {5}
    assert entries["tasks.clean_archive"].hour == {3}
