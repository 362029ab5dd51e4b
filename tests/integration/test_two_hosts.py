"""Two hosts: the main host (Redis, PostgreSQL, watcher, io worker) and a second host in a
network namespace that serves only the cpu queue, reaching the work folder by another path.

The second host's prepress.toml has only its own part (paths, database, broker): the shop's
settings come from ``prepress config push`` on the main host. Redis asks for a password and
PostgreSQL for a scram-sha-256 one, both listening only on the link between the hosts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.polling import wait_until
from testkit.samples import signa_sheet, write_signa_pdf
from testkit.shop import SPEEDMASTER_PHONE, STAFF_PHONE
from testkit.shop import write_config as write_toml
from testkit.sinks import SmsSink
from tests.hosts import PostgresCluster, SecondHost, require_second_host
from tests.pipeline_harness import (
    ROOT,
    CountingFtpSink,
    Pipeline,
    _child_env,
    write_config,
)
from tests.redis_server import RedisServer
from tests.services import require

#: Files dropped into the main host's hotfolder.
FILES = 6
#: Broker visibility timeout: seconds before a killed worker's task is given out again.
VISIBILITY = 4
#: Seconds a worker gets to say it is ready.
READY_TIMEOUT = 40.0
#: Seconds the jobs get to finish.
JOBS_TIMEOUT = 180.0  # a killed step is taken over when its lease (60 s) ends


@dataclass
class TwoHosts:
    """The main host's pipeline and what the second host needs to start its workers."""

    main: Pipeline
    second: SecondHost
    config: Path
    database_url: str
    broker_url: str

    def run(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        """``prepress ARGS`` on the second host; its result."""
        argv = self.second.command(self._prepress(config or self.config, *args))
        return subprocess.run(
            argv,
            env=self.main.env,
            cwd=self.config.parent,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start_cpu_worker(self) -> None:
        """``prepress worker --queues cpu`` on the second host, logging beside the main's."""
        argv = self.second.command(
            self._prepress(self.config, "worker", "--queues", "cpu", "--concurrency", "2")
        )
        log = self.main.folder / "logs" / "second-cpu.log"
        with open(log, "ab") as output:
            self.main.processes["second-cpu"] = subprocess.Popen(
                argv,
                env=self.main.env,
                cwd=self.config.parent,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_ready(self.main, "second-cpu", log)

    def _prepress(self, config: Path, *args: str) -> list[str]:
        return [sys.executable, "-m", "commands", "--config", str(config), *args]


def _wait_ready(pipeline: Pipeline, name: str, log: Path) -> None:
    offset = log.stat().st_size if log.exists() else 0

    def ready() -> bool:
        if pipeline.processes[name].poll() is not None:
            pytest.fail(f"{name} exited at start:\n{pipeline.logs()}")
        return " ready." in log.read_text(errors="replace")[offset:]

    if wait_until(ready, READY_TIMEOUT) is None:
        pytest.fail(f"{name} did not get ready in {READY_TIMEOUT:.0f} s:\n{pipeline.logs()}")


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoHosts]:
    """The main host running watcher and io worker, the second host linked and configured."""
    require_second_host()
    require(os.path.exists("/usr/bin/redis-server"), "redis-server is not installed")
    folder = tmp_path_factory.mktemp("two-hosts")
    second = SecondHost()
    cleanup: list = [second.destroy]
    try:
        second.create()
        redis = RedisServer(folder / "redis", host=second.first_address, password="broker-pw")
        cleanup.append(redis.start().stop)
        clients = f"{second.first_address.rsplit('.', 1)[0]}.0/24"
        postgres = PostgresCluster(second.first_address, "db-pw/2150", clients)
        cleanup.append(postgres.stop)
        postgres.start()
        main = _main_host(folder, postgres.url, redis.url(0), cleanup)
        link = folder / "second-host" / "mnt" / "work"
        link.parent.mkdir(parents=True)
        link.symlink_to(main.work)  # the NFS mount of the work folder, by another path
        config = write_toml(
            folder / "second-host" / "prepress.toml",
            {
                "paths": {"work_dir": str(link)},
                "database": {"url": postgres.url},
                "celery": {"broker_url": redis.url(0), "visibility_timeout": VISIBILITY},
            },
        )
        yield TwoHosts(main, second, config, postgres.url, redis.url(0))
    finally:
        for step in reversed(cleanup):
            step()


def _main_host(folder: Path, database_url: str, broker_url: str, cleanup: list) -> Pipeline:
    """The main host: sinks, prepress.toml with the shop, pushed; io worker and watcher."""
    bureau = CountingFtpSink(folder / "ftp-bureau", "ctp", "ctp-pw$1").start()
    press = CountingFtpSink(folder / "ftp-press", "press", "press-pw").start()
    sms = SmsSink("shop", "sms-pw")
    sms.start()
    cleanup += [bureau.stop, press.stop, sms.stop]
    config = write_config(folder, bureau, press, sms, database_url, 0.5, VISIBILITY, broker_url)
    main = Pipeline(folder, config, bureau, press, sms, env=_child_env(config, {}))
    cleanup.append(main.stop)
    pushed = subprocess.run(
        [sys.executable, "-m", "commands", "--config", str(config), "config", "push"],
        env=main.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr
    main._spawn("main-io", "worker", "--queues", "io,ops", "--concurrency", "4")
    _wait_ready(main, "main-io", folder / "logs" / "main-io.log")
    main.start_watcher()
    # the reconciler continues a chain whose step was killed between saving and sending on
    main.env["PREPRESS_RECONCILE_EVERY"] = "3"
    main.start_beat()
    return main


def _samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_signa_pdf(
            folder / f"06{n:02d}_Flier{n}_{'Leonov' if n % 2 else 'Korol'}.pdf",
            [signa_sheet(outputter="Leonov" if n % 2 else "Korol")] * 2,
            seed=n,
        )
        for n in range(FILES)
    ]


def test_cpu_steps_run_on_the_second_host_and_survive_its_kill(two_hosts: TwoHosts) -> None:
    # Given the second host's cpu worker, configured with only its own part of prepress.toml
    main = two_hosts.main
    two_hosts.start_cpu_worker()

    # When files are dropped on the main host and the second host's workers are killed -9
    # while the jobs are under way, then started again
    for pdf in _samples(main.folder / "samples"):
        main.drop(pdf)
    started = wait_until(lambda: [j for j in main.jobs() if j.step not in ("", "validate")], 40)
    assert started, [(j.id, j.status, j.step) for j in main.jobs()]
    unfinished = [j.id for j in main.jobs() if j.status != "done"]
    main.kill("second-cpu")
    time.sleep(VISIBILITY + 0.5)
    two_hosts.start_cpu_worker()
    jobs = main.wait_for_jobs(FILES, timeout=JOBS_TIMEOUT)

    # Then every job is done, its cpu steps ran on the second host (the only cpu worker),
    # and every plate reached the bureau once and every SMS was sent once
    assert unfinished, "the kill came after every job was done: it proved nothing"
    assert [j.status for j in jobs] == ["done"] * FILES, [main.step_summary(j.id) for j in jobs]
    second_log = (main.folder / "logs" / "second-cpu.log").read_text(errors="replace")
    main_log = (main.folder / "logs" / "main-io.log").read_text(errors="replace")
    assert "shop settings: the database version 1" in second_log
    for task in ("validate", "detect_press", "count_plates", "render_preview"):
        done_there = len(re.findall(rf"Task tasks\.{task}\[[^\]]+\] succeeded", second_log))
        assert done_there >= FILES, f"{task}: {done_there} runs on the second host"
        assert f"tasks.{task}[" not in main_log
    assert len(main.bureau.received) == FILES == len(set(main.bureau.received))
    for job in jobs:
        phones = sorted(
            p for m in main.sms.messages if m.mes.startswith(job.order) for p in m.phones.split(",")
        )
        assert phones == sorted([STAFF_PHONE, SPEEDMASTER_PHONE]), (job.order, phones)
    main.kill("second-cpu")


def test_second_host_refuses_what_it_cannot_do(two_hosts: TwoHosts, tmp_path: Path) -> None:
    # Given the second host's file once with a stale [presses], once with a SQLite database
    stale = write_toml(
        tmp_path / "stale.toml",
        {
            "paths": {"work_dir": str(tmp_path / "work")},
            "database": {"url": two_hosts.database_url},
            "celery": {"broker_url": two_hosts.broker_url},
            "presses.Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 12},
        },
    )
    sqlite = write_toml(
        tmp_path / "sqlite.toml",
        {
            "paths": {"work_dir": str(tmp_path / "work")},
            "database": {"url": f"sqlite:///{tmp_path / 'prepress.db'}"},
            "celery": {"broker_url": two_hosts.broker_url},
        },
    )

    # When a worker is started there with each, and one for io without the bureaus' passwords
    refusals = {
        "stale": two_hosts.run("worker", "--queues", "cpu", config=stale),
        "sqlite": two_hosts.run("worker", "--queues", "cpu", config=sqlite),
        "io": two_hosts.run("worker", "--queues", "io"),
    }

    # Then each refuses with status 2 and says which keys and what to do
    assert {name: r.returncode for name, r in refusals.items()} == dict.fromkeys(refusals, 2)
    assert re.search(r"\[presses\].* differ from the shop's settings", refusals["stale"].stderr)
    assert "prepress config diff" in refusals["stale"].stderr
    assert "[database] url is SQLite" in refusals["sqlite"].stderr
    assert "PostgreSQL" in refusals["sqlite"].stderr
    assert "outputters.Leonov.url: its password" in refusals["io"].stderr
    assert "prepress worker --queues cpu" in refusals["io"].stderr
    assert "ctp-pw" not in refusals["io"].stderr
