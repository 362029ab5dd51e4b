"""The broker keeps its data where we deploy, and its visibility timeout outlasts every step."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

import celeryconfig
from pipeline.config import DEFAULT_VISIBILITY_TIMEOUT, config_from_dict
from tests.fixtures import BASE_CONFIG

#: The repository root.
ROOT = Path(__file__).resolve().parents[2]


def test_compose_and_ansible_run_redis_with_an_append_only_file_synced_every_second() -> None:
    # Given the docker-compose file and the Ansible role's Redis settings
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = " ".join(compose["services"]["redis"]["command"])
    role = (ROOT / "ops/ansible/roles/redis/templates/prepress.conf.j2").read_text()

    # Then both keep an AOF, fsynced every second
    assert "--appendonly yes" in command and "--appendfsync everysec" in command
    lines = {line.strip() for line in role.splitlines()}
    assert {"appendonly yes", "appendfsync everysec"} <= lines


def test_visibility_timeout_outlasts_the_longest_step_and_the_longest_retry_wait() -> None:
    # Given the defaults, the example configuration and the production template
    config = config_from_dict(BASE_CONFIG)
    example = tomllib.loads((ROOT / "prepress.example.toml").read_text(encoding="utf-8"))
    template = (ROOT / "ops/ansible/roles/prepress/templates/prepress.toml.j2").read_text()
    cpu_hard_limit = max(a["time_limit"] for a in celeryconfig.task_annotations.values())

    # Then a CPU step is killed long before Redis would give its message to another worker,
    # and a retry waiting for its countdown (unacknowledged in a worker) is never handed out
    for timeout in (
        config.visibility_timeout,
        example["celery"]["visibility_timeout"],
        int(template.split("visibility_timeout = ")[1].split()[0]),
    ):
        assert timeout == DEFAULT_VISIBILITY_TIMEOUT
        assert timeout >= 10 * cpu_hard_limit
        assert timeout >= 100 * config.retry.max_backoff
    assert celeryconfig.broker_transport_options["visibility_timeout"] == DEFAULT_VISIBILITY_TIMEOUT
