"""docker-compose.yml: the services the issue asks for, each running a real prepress command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest

from commands.cli import COMMANDS, main

yaml = pytest.importorskip("yaml", reason="PyYAML comes with ansible-core (the test extra)")

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
WORKER_FILE = COMPOSE_FILE.with_name("docker-compose.worker.yml")
PREPRESS_SERVICES = {"worker-cpu", "worker-io", "watcher", "beat", "flower"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """docker-compose.yml, parsed (YAML anchors and merge keys resolved)."""
    parsed: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return parsed


def test_has_every_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == PREPRESS_SERVICES | {"redis", "postgres"}


def _parse(argv: list[str]) -> click.Context:
    """Resolve ``prepress ARGS`` with click without running it: unknown options fail here."""
    assert argv[0] == "prepress", argv
    name, *rest = argv[1:]
    assert name in COMMANDS, f"{name!r} is not a prepress subcommand; known: {sorted(COMMANDS)}"
    command = main.get_command(click.Context(main), name)
    assert command is not None
    return command.make_context(name, list(rest))


@pytest.mark.parametrize("service", sorted(PREPRESS_SERVICES))
def test_each_service_runs_a_real_prepress_subcommand(
    compose: dict[str, Any], service: str
) -> None:
    # Given the service's command; when click parses it, then name and options are valid
    command = compose["services"][service]["command"]
    context = _parse(command)
    assert context.command.name in {"worker", "watch", "beat", "flower"}


def test_workers_split_the_queues_and_beat_runs_once(compose: dict[str, Any]) -> None:
    services = compose["services"]
    queues = {
        name: _parse(services[name]["command"]).params["queues"]
        for name in ("worker-cpu", "worker-io")
    }
    assert queues == {"worker-cpu": "cpu", "worker-io": "io,ops"}
    beats = [s for s in services.values() if s.get("command", [None])[:2] == ["prepress", "beat"]]
    assert len(beats) == 1
    assert beats[0].get("deploy", {}).get("replicas", 1) == 1


def test_flower_takes_its_credentials_from_the_environment(compose: dict[str, Any]) -> None:
    flower = compose["services"]["flower"]
    assert flower["environment"]["PREPRESS_FLOWER_PASSWORD"].startswith("${FLOWER_PASSWORD")
    assert "--insecure-local" not in flower["command"]


def test_hotfolder_and_var_are_volumes(compose: dict[str, Any]) -> None:
    assert {"hotfolder", "var"} <= set(compose["volumes"])
    for name in PREPRESS_SERVICES:
        mounts = {v.split(":")[1] for v in compose["services"][name]["volumes"]}
        assert {"/srv/prepress/work/hotfolder", "/srv/prepress/work/var"} <= mounts


def test_docker_compose_config_validates(tmp_path: Path) -> None:
    # `docker compose` is optional tooling: where the plugin is missing this skips, even under
    # CI (the file is still checked by the tests above).
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("the docker compose plugin is not installed")
    (tmp_path / "prepress.toml").write_text("", encoding="utf-8")
    result = subprocess.run(
        [
            docker,
            "compose",
            "-f",
            str(COMPOSE_FILE),
            "--project-directory",
            str(tmp_path),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "POSTGRES_PASSWORD": "x",
            "FLOWER_USER": "u",
            "FLOWER_PASSWORD": "p",
            "REDIS_PASSWORD": "r",
        },
    )
    assert result.returncode == 0, result.stderr


def test_redis_and_postgres_ask_for_passwords_and_publish_on_the_private_address(
    compose: dict[str, Any],
) -> None:
    redis, postgres = compose["services"]["redis"], compose["services"]["postgres"]
    assert "--requirepass" in redis["command"]
    assert compose["x-prepress"]["environment"]["PREPRESS_BROKER_URL"].startswith(
        "redis://:${REDIS_PASSWORD"
    )
    for service, port in ((redis, 6379), (postgres, 5432)):
        assert service["ports"] == [f"${{PREPRESS_PRIVATE_ADDRESS:-127.0.0.1}}:{port}:{port}"]


def test_worker_overlay_runs_only_cpu_workers_without_io_secrets() -> None:
    # Given the second host's compose file
    worker: dict[str, Any] = yaml.safe_load(WORKER_FILE.read_text(encoding="utf-8"))
    services = worker["services"]
    # Then it runs one cpu worker, knows only the broker and database passwords, and
    # mounts the main host's work folder over NFS
    assert list(services) == ["worker-cpu"]
    assert _parse(services["worker-cpu"]["command"]).params["queues"] == "cpu"
    assert set(services["worker-cpu"]["environment"]) == {
        "PREPRESS_CONFIG",
        "PREPRESS_BROKER_URL",
        "PREPRESS_DATABASE_URL",
        "TZ",
    }
    assert worker["volumes"]["work"]["driver_opts"]["type"] == "nfs"
