"""``prepress status``: a quick, honest answer with the broker down, up without workers, and
with the pipeline's workers running; and ``prepress up`` adding the dashboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from commands.supervisor import Supervisor
from models.db import migrate
from testkit.shop import write_config
from tests.pipeline_harness import ROOT, Pipeline
from tests.redis_server import RedisServer
from tests.services import free_port

#: A broker password that must never be printed.
BROKER_SECRET = "broker-pw-8086"
#: The contract: an answer within this many seconds even when peers are down.
ANSWER_SECONDS = 10.0


def shop_toml(tmp_path: Path, broker_url: str, database: bool = True) -> Path:
    """A minimal shop whose database is migrated (or not created at all)."""
    work = tmp_path / "work"
    sections = {
        "paths": {"work_dir": str(work)},
        "celery": {"broker_url": broker_url},
        "presses.Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10},
        "outputters.Leonov": {},
    }
    path = write_config(tmp_path / "prepress.toml", sections)
    if database:
        migrate(f"sqlite:///{work / 'var' / 'prepress.db'}")
    return path


def status(config_path: Path, *args: str) -> tuple[int, dict, float]:
    """Run ``prepress status --json`` as the admin would: a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREPRESS_", "CELERY_"))}
    env["PYTHONPATH"] = str(ROOT)
    argv = [sys.executable, "-m", "commands", "--config", str(config_path), "status", *args]
    started = time.monotonic()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    seconds = time.monotonic() - started
    answer = json.loads(result.stdout) if "--json" in args else {"text": result.stdout}
    return result.returncode, answer, seconds


def test_status_with_the_broker_and_database_down_answers_fast(tmp_path: Path) -> None:
    # Given a broker URL with a password on a port nobody listens on, and no database yet
    url = f"redis://:{BROKER_SECRET}@127.0.0.1:{free_port()}/0"
    config_path = shop_toml(tmp_path, url, database=False)
    (tmp_path / "work" / "hotfolder").mkdir(parents=True)
    (tmp_path / "work" / "hotfolder" / "0537_Flier_Leonov.pdf").write_bytes(b"%PDF-1.4")

    # When the admin asks for the status
    code, answer, seconds = status(config_path, "--json")

    # Then it says not healthy, quickly, naming what is down with the password masked
    assert code == 1 and seconds < ANSWER_SECONDS
    assert answer["broker"]["reachable"] is False and "***" in answer["broker"]["url"]
    assert answer["database"]["reachable"] is False
    assert any("celery.broker_url" in problem for problem in answer["problems"])
    assert BROKER_SECRET not in json.dumps(answer)
    # And the local facts are there all the same
    assert answer["hotfolder"]["waiting"] == 1 and answer["disk"]["free_gb"] > 0


def test_status_with_the_broker_up_but_no_worker_is_not_healthy(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    # Given a reachable broker and a migrated database, but no worker running
    config_path = shop_toml(tmp_path, redis_server.url(12))

    # When the status is asked, also for people
    code, answer, seconds = status(config_path, "--json")
    text = status(config_path)[1]["text"]

    # Then broker and database are fine, and the missing workers are the problem
    assert code == 1 and seconds < ANSWER_SECONDS
    assert answer["broker"]["reachable"] and answer["database"]["migrated"]
    assert answer["queues"]["cpu"] == {"waiting": 0, "workers": 0}
    assert answer["problems"] == [
        "no worker answers for the cpu queue",
        "no worker answers for the io queue",
    ]
    assert answer["mode"] == "normal" and answer["last_backup"] is None
    assert "NOT healthy" in text and "database" in text and "migrated" in text


def test_status_lists_every_worker_with_its_queues(running_pipeline: Pipeline) -> None:
    # Given the pipeline's cpu and io workers running
    # When the status is asked
    code, answer, _ = status(running_pipeline.config_path, "--json")

    # Then it is healthy and names each worker with the queues it serves
    assert code == 0, answer["problems"]
    queues = {w["hostname"].split("@")[0]: w["queues"] for w in answer["workers"]}
    assert queues == {"cpu": ["cpu"], "io": ["io"]}
    assert answer["queues"]["io"]["workers"] == 1


def test_up_runs_the_dashboard_only_when_it_has_users(tmp_path: Path) -> None:
    plain = Supervisor.for_up(tmp_path / "prepress.toml")
    with_web = Supervisor.for_up(tmp_path / "prepress.toml", web=True)
    assert "web" not in [c.name for c in plain.children]
    web = next(c for c in with_web.children if c.name == "web")
    assert web.argv[-1] == "web" and "--config" in web.argv
