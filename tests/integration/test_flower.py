"""``prepress flower``: its argument list, and a real Flower + worker + Redis on loopback."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from commands.flower import flower_launch
from pipeline.config import Config, config_from_dict
from pipeline.errors import ConfigError
from testkit.samples import signa_sheet, write_signa_pdf
from tests.fixtures import BASE_CONFIG
from tests.pipeline_harness import Pipeline
from tests.redis_server import RedisServer
from tests.services import free_port, port_open, require

#: Database of the run's own redis-server these tests use.
REDIS_DB = 7
#: Seconds Flower and the worker get to start.
START_TIMEOUT = 30.0
#: The repository root: the processes run from here.
ROOT = Path(__file__).resolve().parents[2]
#: `prepress` as the entry point runs it, from the repository.
PREPRESS = [sys.executable, "-c", "from commands.cli import main; main(prog_name='prepress')"]
USER, PASSWORD = "operator", "s3cret-$(rm -rf)-`x`"


def flower_config(tmp_path: Path, **flower: object) -> Config:
    raw = dict(BASE_CONFIG, paths={"work_dir": str(tmp_path / "work")}, flower=flower)
    return config_from_dict(raw, source=tmp_path / "prepress.toml")


# --- the argument list ------------------------------------------------------------------------


def test_credentials_go_to_the_environment_not_the_command_line(tmp_path: Path) -> None:
    # Given [flower] with a user and a password
    config = flower_config(tmp_path, user=USER, password=PASSWORD, address="0.0.0.0", port=5601)
    # When the launch is built
    launch = flower_launch(config, python="/venv/bin/python")
    # Then the password is only in FLOWER_BASIC_AUTH, state persists under var/
    assert PASSWORD not in " ".join(launch.argv)
    assert launch.env == {"FLOWER_BASIC_AUTH": f"{USER}:{PASSWORD}"}
    assert launch.argv == [
        "/venv/bin/python",
        "-m",
        "tasks.flower_guard",
        "-A",
        "tasks.app",
        "flower",
        "--persistent=True",
        f"--db={config.paths.var / 'flower.db'}",
        "--address=0.0.0.0",
        "--port=5601",
    ]


def test_oauth_options_are_passed_through(tmp_path: Path) -> None:
    # Given OAuth settings and no password
    config = flower_config(
        tmp_path,
        oauth={
            "auth": ".*@example\\.com",
            "auth_provider": "flower.views.auth.GithubLoginHandler",
            "oauth2_key": "key",
            "oauth2_secret": "oauth-secret",
            "oauth2_redirect_uri": "https://flower.example.com/login",
        },
    )
    # When the launch is built, then each option is a FLOWER_ variable
    launch = flower_launch(config)
    assert launch.env["FLOWER_OAUTH2_SECRET"] == "oauth-secret"
    assert launch.env["FLOWER_AUTH_PROVIDER"] == "flower.views.auth.GithubLoginHandler"
    assert "oauth-secret" not in " ".join(launch.argv)


def test_refuses_to_start_without_credentials(tmp_path: Path) -> None:
    # Given no credentials
    config = flower_config(tmp_path)
    # When started without --insecure-local, or on another address, then it is refused
    with pytest.raises(ConfigError, match="--insecure-local"):
        flower_launch(config)
    with pytest.raises(ConfigError, match="needs credentials"):
        flower_launch(config, address="0.0.0.0", insecure_local=True)
    # And on 127.0.0.1 with --insecure-local it starts without FLOWER_BASIC_AUTH
    assert flower_launch(config, insecure_local=True).env == {}


def test_user_without_password_is_refused(tmp_path: Path) -> None:
    config = flower_config(tmp_path, user=USER)
    with pytest.raises(ConfigError, match="go together"):
        flower_launch(config)


# --- a real Flower ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningFlower:
    url: str
    pid: int


def _include_modules_importable() -> list[str]:
    from tasks.app import app

    return [name for name in app.conf.include if importlib.util.find_spec(name) is None]


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_until(check: object, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(
        f"{what} did not start in {START_TIMEOUT} s:\n"
        f"{log.read_text(encoding='utf-8', errors='replace')[-3000:]}"
    )


@contextlib.contextmanager
def flower_process(env: dict[str, str], port: int, log: Path) -> Iterator[RunningFlower]:
    """`prepress flower --port PORT` with ``env``, until the block ends."""
    process = _start(PREPRESS + ["flower", "--port", str(port)], env, log)
    try:
        _wait_until(lambda: port_open("127.0.0.1", port), "Flower", log)
        yield RunningFlower(url=f"http://127.0.0.1:{port}", pid=process.pid)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def flower(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[RunningFlower]:
    """`prepress flower` and `prepress worker --queues io` on Redis db 7, password-protected."""
    missing = _include_modules_importable()
    require(not missing, f"the Celery app's task modules are not written yet: {missing}")
    tmp_path = tmp_path_factory.mktemp("flower")
    config_file = tmp_path / "prepress.toml"
    config_file.write_text(
        f'[paths]\nwork_dir = "{tmp_path / "work"}"\n'
        f'[celery]\nbroker_url = "{redis_server.url(REDIS_DB)}"\n'
        "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\n"
        "[outputters.Leonov]\n"
        f'[flower]\naddress = "127.0.0.1"\nuser = "{USER}"\n'
        'password_env = "TEST_FLOWER_PASSWORD"\n',
        encoding="utf-8",
    )
    config_file.chmod(0o600)
    env = _child_env(PREPRESS_CONFIG=str(config_file), TEST_FLOWER_PASSWORD=PASSWORD)
    worker_log = tmp_path / "worker.log"
    worker = _start(PREPRESS + ["worker", "--queues", "io", "--pool", "solo"], env, worker_log)
    try:
        with flower_process(env, free_port(), tmp_path / "flower.log") as running:
            _wait_until(lambda: b"ready" in worker_log.read_bytes(), "the worker", worker_log)
            yield running
    finally:
        _stop(worker)


def _child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FLOWER_", "PREPRESS_", "CELERY_"))
    }
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **extra)
    return env


def test_unauthenticated_requests_are_refused(flower: RunningFlower) -> None:
    # Given a running Flower with basic auth
    # When the API is called without credentials, with a wrong password and with the right one
    anonymous = requests.get(f"{flower.url}/api/workers", timeout=10)
    wrong = requests.get(f"{flower.url}/api/workers", auth=(USER, "guess"), timeout=10)
    right = requests.get(f"{flower.url}/api/workers", auth=(USER, PASSWORD), timeout=10)
    refused_apply = requests.post(
        f"{flower.url}/api/task/async-apply/tasks.retry_job", json={"args": [1]}, timeout=10
    )
    # And Flower's metrics and health check are asked for without credentials
    metrics = requests.get(f"{flower.url}/metrics", timeout=10)
    health = requests.get(f"{flower.url}/healthcheck", auth=(USER, "guess"), timeout=10)
    scraped = requests.get(f"{flower.url}/metrics", auth=(USER, PASSWORD), timeout=10)
    # Then only the right one gets through
    assert metrics.status_code == 401 and health.status_code == 401
    assert scraped.status_code == 200 and "flower_" in scraped.text
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert refused_apply.status_code == 401
    assert right.status_code == 200


def test_password_is_not_on_flowers_command_line(flower: RunningFlower) -> None:
    # Given a running Flower; when its command line is read as `ps` would
    cmdline = Path(f"/proc/{flower.pid}/cmdline").read_bytes().decode(errors="replace")
    # Then it is Flower, with the state file under var/, and without the password
    assert "flower" in cmdline and "--persistent=True" in cmdline
    assert PASSWORD not in cmdline


def _result(flower: RunningFlower, task_id: str) -> dict[str, object]:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        response = requests.get(
            f"{flower.url}/api/task/result/{task_id}", auth=(USER, PASSWORD), timeout=10
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        if body.get("state") in {"SUCCESS", "FAILURE"} or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_retry_job_is_accepted_and_executed_by_a_worker(flower: RunningFlower) -> None:
    # Given no job 987654
    # When an operator applies tasks.retry_job through Flower's API (the documented curl call)
    applied = requests.post(
        f"{flower.url}/api/task/async-apply/tasks.retry_job",
        auth=(USER, PASSWORD),
        json={"args": [987654]},
        timeout=10,
    )
    # Then Flower accepts it and the worker runs it to a clear failure naming the job
    assert applied.status_code == 200, applied.text
    body = _result(flower, applied.json()["task-id"])
    assert body["state"] == "FAILURE", body
    assert "987654" in json.dumps(body["result"]), body


def test_retry_job_completes_a_failed_job(
    start_pipeline: Callable[..., Pipeline], tmp_path: Path
) -> None:
    # Given a job that failed at upload_plate because the CTP bureau's FTP was down
    pipeline = start_pipeline(bureau_down=True, env={"PREPRESS_GIVE_UP_AFTER": "0"})
    job_id = pipeline.submit(write_signa_pdf(tmp_path / "0537_Flier_Leonov.pdf", [signa_sheet()]))
    failed = pipeline.wait_for(job_id)
    assert (failed.status, failed.step) == ("failed", "upload_plate")
    pipeline.bureau.start()
    # When an operator retries it through Flower's API
    env = dict(pipeline.env, PREPRESS_FLOWER_USER=USER, PREPRESS_FLOWER_PASSWORD=PASSWORD)
    with flower_process(env, free_port(), tmp_path / "flower.log") as running:
        refused = requests.post(
            f"{running.url}/api/task/async-apply/tasks.retry_job",
            json={"args": [job_id]},
            timeout=10,
        )
        applied = requests.post(
            f"{running.url}/api/task/async-apply/tasks.retry_job",
            auth=(USER, PASSWORD),
            json={"args": [job_id]},
            timeout=10,
        )
        assert refused.status_code == 401
        assert applied.status_code == 200, applied.text
        result = _result(running, applied.json()["task-id"])
    # Then the job completes: the plate reached the bureau
    assert result["state"] == "SUCCESS", result
    done = pipeline.wait_for(job_id)
    assert done.status == "done", pipeline.step_summary(job_id)
    assert any(name.endswith(".pdf") for name in pipeline.bureau.files())


def test_flower_command_without_credentials_exits_with_the_fix(tmp_path: Path) -> None:
    # Given a configuration without [flower] credentials
    from click.testing import CliRunner

    from commands.cli import main

    toml = tmp_path / "prepress.toml"
    toml.write_text(
        "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\n[outputters.Leonov]\n",
        encoding="utf-8",
    )
    # When `prepress flower` is started on all addresses
    result = CliRunner().invoke(
        main, ["--config", str(toml), "flower", "--address", "0.0.0.0", "--insecure-local"]
    )
    # Then it refuses with status 2 and says what to set
    assert result.exit_code == 2
    assert "needs credentials" in result.output and "PREPRESS_FLOWER_PASSWORD" in result.output
