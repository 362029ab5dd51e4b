"""A running prepress pipeline for end-to-end tests: real workers over Redis, real sinks.

``running_pipeline`` gives a :class:`Pipeline`: a prepress.toml in tmp_path whose CTP bureaus
and press send to local FTP servers and whose SMS go to a local smsc look-alike, a SQLite
database in tmp_path, database 13 of the test run's own redis-server as broker (flushed
first), and the cpu and io workers as subprocesses (``python -m commands worker``) logging
into tmp_path. ``start_pipeline`` is the factory behind it, for tests that need another
database, a bureau that is down, the watcher, or extra environment for the workers. Workers
are stopped at teardown (SIGTERM, then kill) and their logs are printed when the test failed.
"""

from __future__ import annotations

import functools
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline.chain import FINAL_STATUSES
from testkit.polling import wait_until
from testkit.shop import local_shop
from testkit.shop import write_config as demo_write_config
from testkit.sinks import FtpSink, SmsSink
from tests.redis_server import RedisServer

__all__ = [
    "CountingFtpSink",
    "Pipeline",
    "pytest_runtest_makereport",
    "redis_broker",
    "running_pipeline",
    "start_pipeline",
]

#: Database of the test run's own redis-server the pipeline tests use; flushed before each.
REDIS_DB = 13
#: Seconds the workers get to answer a ping after they were started.
READY_TIMEOUT = 90.0
#: Seconds a worker gets to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
#: Seconds a test waits for a job to reach a final state by default.
JOB_TIMEOUT = 60.0
#: The project root: the workers run ``python -m commands`` from here.
ROOT = Path(__file__).resolve().parents[1]
#: Job statuses after which nothing more happens.
FINAL = FINAL_STATUSES


class CountingFtpSink(FtpSink):
    """An :class:`FtpSink` that lists every file it received and may listen on a chosen port.

    ``received`` holds the paths (relative to ``root``) of completed STORs, so a test can tell
    one upload from two even when the second would overwrite the first; ``stored`` the same
    with the file's size on the server right after each STOR (a client killed mid-transfer
    closes its data connection, and the server counts that STOR as completed with the bytes it
    got). ``port`` lets a test point the configuration at a server that is not running yet
    ("the FTP is down").
    """

    def __init__(self, root: Path, user: str, password: str, port: int = 0) -> None:
        super().__init__(root, user, password)
        self.port = port
        self.received: list[str] = []
        self.stored: list[tuple[str, int]] = []

    def start(self) -> CountingFtpSink:
        import threading

        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.ioloop import IOLoop
        from pyftpdlib.servers import FTPServer

        self.root.mkdir(parents=True, exist_ok=True)
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self.root), perm=self.permissions)
        handler = self._handler_class()
        handler.authorizer = authorizer
        self._server = FTPServer((self.host, self.port), handler, ioloop=IOLoop())
        self.port = self._server.address[1]
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, name=f"ftp-sink-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def _handler_class(self) -> Any:
        sink = self
        base = super()._handler_class()

        class Counting(base):  # type: ignore[misc,valid-type]
            def on_file_received(self, file: str) -> None:
                name = str(Path(file).relative_to(sink.root))
                sink.received.append(name)
                sink.stored.append((name, Path(file).stat().st_size))

        return Counting

    def files(self) -> list[str]:
        """Final files on the server (no hidden ``.part`` files), relative to ``root``."""
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )


@dataclass
class Pipeline:
    """A configured work folder with its running processes and the sinks they send to."""

    folder: Path
    config_path: Path
    bureau: CountingFtpSink
    press: CountingFtpSink
    sms: SmsSink
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def config(self) -> Any:
        from pipeline.config import load_config

        return load_config(self.config_path)

    @functools.cached_property
    def url(self) -> str:
        """The database URL (read once: teardown needs it even if the file changed)."""
        return str(self.config.database_url)

    @property
    def work(self) -> Path:
        return Path(self.config.paths.work_dir)

    # --- putting files in -----------------------------------------------------------------

    def submit(self, pdf: Path) -> int:
        """Take ``pdf`` like the watcher does (rename into spool/, job row, chain queued)."""
        from watcher import intake

        staged = self.folder / "incoming" / pdf.name
        staged.parent.mkdir(exist_ok=True)
        shutil.copy2(pdf, staged)  # keeps the mtime, which import mode records
        job_id = intake.submit(staged, self.config)
        assert job_id is not None, f"{staged} was not taken"
        return job_id

    def drop(self, pdf: Path) -> Path:
        """Put ``pdf`` into the hotfolder at once (hidden name, then a rename)."""
        hotfolder = self.config.paths.hotfolder
        hidden = hotfolder / f".{pdf.name}.copying"
        shutil.copyfile(pdf, hidden)
        return Path(hidden.rename(hotfolder / pdf.name))

    # --- watching jobs ----------------------------------------------------------------------

    def job(self, job_id: int) -> Any:
        from models import store

        return store.get_job(self.url, job_id)

    def jobs(self) -> list[Any]:
        from models import store

        return store.list_jobs(self.url)

    def steps(self, job_id: int) -> dict[str, Any]:
        from models import store

        return {step.name: step for step in store.steps_of(self.url, job_id)}

    def wait_for(self, job_id: int, *statuses: str, timeout: float = JOB_TIMEOUT) -> Any:
        """Wait until the job is in one of ``statuses`` (default: any final one); return it."""
        wanted = statuses or FINAL
        job = wait_until(lambda: _if(self.job(job_id), lambda j: j.status in wanted), timeout)
        if job is None:
            job = self.job(job_id)
            pytest.fail(
                f"job {job_id} is {job.status} at {job.step!r} after {timeout:.0f} s, "
                f"not {'/'.join(wanted)}; steps: {self.step_summary(job_id)}"
            )
        return job

    def wait_for_jobs(self, count: int, timeout: float = JOB_TIMEOUT) -> list[Any]:
        """Wait until there are ``count`` jobs, all final; return them oldest first."""
        jobs = wait_until(
            lambda: _if(
                self.jobs(), lambda js: len(js) >= count and all(j.status in FINAL for j in js)
            ),
            timeout,
        )
        if jobs is None:
            jobs = self.jobs()
            found = [(j.id, j.name, j.status) for j in jobs]
            open_steps = "\n".join(
                f"  job {j.id} ({j.status} at {j.step!r}): {self.step_summary(j.id)}"
                for j in jobs
                if j.status not in FINAL
            )
            pytest.fail(
                f"expected {count} final jobs within {timeout:.0f} s, found {found}\n"
                f"steps of the open ones:\n{open_steps}"
            )
        return list(reversed(jobs))

    def step_summary(self, job_id: int) -> str:
        return ", ".join(
            f"{s.name}={s.state}x{s.attempts}{' ' + s.error if s.error else ''}"
            for s in self.steps(job_id).values()
        )

    # --- commands and processes -------------------------------------------------------------

    def cli(self, *args: str, input: str | None = None) -> Any:
        """Run ``prepress --config <ours> ARGS`` in this process; return click's Result."""
        from click.testing import CliRunner

        from commands.cli import main

        argv = ["--config", str(self.config_path), *map(str, args)]
        return CliRunner().invoke(main, argv, input=input)

    def start_worker(self, queue: str) -> None:
        self._spawn(f"worker-{queue}", "worker", "--queues", queue, "--concurrency", "2")

    def start_watcher(self) -> None:
        """Start ``prepress watch`` and wait until it says it is watching."""
        self._spawn("watcher", "watch")
        log = self.folder / "logs" / "watcher.log"
        if wait_until(lambda: "watching" in log.read_text(errors="replace"), READY_TIMEOUT) is None:
            pytest.fail(f"the watcher did not start within {READY_TIMEOUT:.0f} s:\n{self.logs()}")

    def start_beat(self) -> None:
        """Start ``prepress beat`` (the reconciler's schedule) logging into logs/beat.log."""
        self._spawn("beat", "beat")

    def start_up(self, name: str = "up") -> None:
        """Start ``prepress up`` (workers, watcher, beat as its children) and wait for the
        workers to answer."""
        self._spawn(name, "up")
        self.wait_ready(["cpu", "io"])

    def _spawn(self, name: str, *args: str) -> None:
        logs = self.folder / "logs"
        logs.mkdir(exist_ok=True)
        argv = [sys.executable, "-m", "commands", "--config", str(self.config_path), *args]
        with open(logs / f"{name}.log", "ab") as output:
            self.processes[name] = subprocess.Popen(
                argv,
                cwd=self.folder,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it started: a crash, not a shutdown."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def wait_ready(self, hostnames: list[str]) -> None:
        """Wait until every worker named answers a ping over the broker."""
        from tasks.app import app

        deadline = time.monotonic() + READY_TIMEOUT
        answered: set[str] = set()
        while time.monotonic() < deadline:
            dead = {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}
            if dead:
                pytest.fail(f"pipeline process(es) exited at start: {dead}\n{self.logs()}")
            for reply in app.control.ping(timeout=0.5) or []:
                answered.update(h.split("@")[0] for h in reply)
            if set(hostnames) <= answered:
                return
        pytest.fail(
            f"workers {hostnames} did not answer a ping within {READY_TIMEOUT:.0f} s "
            f"(answered: {sorted(answered)})\n{self.logs()}"
        )

    def stop(self) -> None:
        """SIGTERM every process, then kill (its process group) what is still running."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def logs(self) -> str:
        parts = []
        for log in sorted((self.folder / "logs").glob("*.log")):
            text = log.read_text(encoding="utf-8", errors="replace")
            parts.append(f"===== {log.name} (last 12000 characters) =====\n{text[-12000:]}")
        return "\n".join(parts)


def _if(value: Any, condition: Callable[[Any], bool]) -> Any:
    return value if condition(value) else None


# --- fixtures ---------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can see that a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def redis_broker(redis_server: RedisServer) -> Iterator[str]:
    """The Redis URL the pipeline tests use (the run's own server), emptied first."""
    import redis

    url = redis_server.url(REDIS_DB)
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
    finally:
        client.close()


@pytest.fixture
def start_pipeline(
    tmp_path: Path,
    redis_broker: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., Pipeline]]:
    """A factory: ``start_pipeline(database_url=None, *, bureau_down=False, workers=True,
    watcher=False, env=None, stable_seconds=1.0, visibility_timeout=600)``.

    ``bureau_down``: the CTP bureau's FTP is configured on a free port but not started, so
    uploads to it fail until the test calls ``pipeline.bureau.start()``. ``workers=False``
    leaves starting processes to the test (``prepress up``). ``env`` is added to the
    environment of the processes (``PREPRESS_GIVE_UP_AFTER``, ``PREPRESS_MAX_BACKOFF``).
    """
    started: list[Pipeline] = []
    sinks: list[Any] = []

    def start(
        database_url: str | None = None,
        *,
        bureau_down: bool = False,
        workers: bool = True,
        watcher: bool = False,
        env: dict[str, str] | None = None,
        stable_seconds: float = 1.0,
        visibility_timeout: int = 600,
    ) -> Pipeline:
        from tests.services import free_port

        bureau = CountingFtpSink(
            tmp_path / "ftp-bureau", "ctp", "ctp-pw$1", port=free_port() if bureau_down else 0
        )
        press = CountingFtpSink(tmp_path / "ftp-press", "press", "press-pw")
        sms = SmsSink("shop", "sms-pw")
        for sink in (sms, press) if bureau_down else (sms, press, bureau):
            sink.start()
            sinks.append(sink)
        sinks.append(bureau)  # stopped at the end whether the test started it or not
        config_path = write_config(
            tmp_path,
            bureau,
            press,
            sms,
            database_url,
            stable_seconds,
            visibility_timeout,
            redis_broker,
        )
        pipeline = Pipeline(
            tmp_path, config_path, bureau, press, sms, env=_child_env(config_path, env or {})
        )
        started.append(pipeline)
        _prepare_this_process(pipeline, monkeypatch)
        if workers:
            pipeline.start_worker("cpu")
            pipeline.start_worker("io")
            pipeline.wait_ready(["cpu", "io"])
        if watcher:
            pipeline.start_watcher()
        return pipeline

    try:
        yield start
    finally:
        for pipeline in started:
            pipeline.stop()
            failed = any(
                getattr(getattr(request.node, f"report_{when}", None), "failed", False)
                for when in ("setup", "call")
            )
            if failed:
                print(f"\n---- pipeline logs of {request.node.name} ----\n{pipeline.logs()}")
            _release_this_process(pipeline)
        for sink in sinks:
            sink.stop()


@pytest.fixture
def running_pipeline(start_pipeline: Callable[..., Pipeline]) -> Pipeline:
    """Workers for the cpu and io queues on SQLite and Redis, with FTP and SMS sinks."""
    return start_pipeline()


def write_config(
    folder: Path,
    bureau: FtpSink,
    press: FtpSink,
    sms: SmsSink,
    database_url: str | None,
    stable_seconds: float,
    visibility_timeout: int,
    broker_url: str,
) -> Path:
    """prepress.toml for the shop's presses and bureaus, every target a local sink."""
    sections = local_shop(folder / "work", broker_url, bureau, press, sms, stable_seconds)
    sections["database"] = {
        "url": database_url or f"sqlite:///{folder / 'work' / 'var' / 'prepress.db'}"
    }
    sections["celery"]["visibility_timeout"] = visibility_timeout
    return demo_write_config(folder / "prepress.toml", sections)


def _child_env(config_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREPRESS_", "CELERY_"))}
    env.update(
        PREPRESS_CONFIG=str(config_path),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    env.update(extra)
    return env


def _prepare_this_process(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migrate, and point this process's Celery app and task config at the pipeline."""
    from models.db import migrate
    from tasks.app import configure

    monkeypatch.setenv("PREPRESS_CONFIG", str(pipeline.config_path))
    for name in ("PREPRESS_DATABASE_URL", "PREPRESS_BROKER_URL", "PREPRESS_RESULT_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    config = pipeline.config
    config.paths.create()
    migrate(config.database_url)
    configure(config)


def _release_this_process(pipeline: Pipeline) -> None:
    from models.db import engine_for
    from tasks.app import app, use_config

    # Results this process waited for hold a pub/sub subscription in Redis: let them go now,
    # while the interpreter is whole, rather than as a ResourceWarning in some later test.
    # (Celery keeps the members of a chain's group as pending results in the sender.)
    gc.collect()
    backend = app.backend
    for mapping in getattr(backend, "_pending_results", ()):
        for waiters in list(mapping.values()):
            for result in list(waiters.values()):
                backend.remove_pending_result(result)
    consumer = getattr(backend, "result_consumer", None)
    if consumer is not None:
        consumer.stop()
    client = getattr(backend, "client", None)
    if client is not None:
        client.connection_pool.disconnect()
    use_config(None)
    engine_for(pipeline.url).dispose()
