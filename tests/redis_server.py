"""A redis-server of the test run's own, on a free port: no test touches the shared Redis.

Two test runs on one host (two checkouts, a second pytest) each get their own server, so
nothing serialises them and a test may flush, kill or restart its Redis freely.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.services import free_port, port_open, require

__all__ = ["RedisServer", "redis_server"]

#: Seconds a redis-server gets to accept connections after it was started.
START_TIMEOUT = 10.0


@dataclass
class RedisServer:
    """One redis-server process; ``url(db)`` is its URL for a database number.

    ``host`` is the address it binds (another host's tests bind a veth address);
    ``password`` makes it ask clients for one (``requirepass``), as production does.
    """

    folder: Path
    port: int = 0
    appendonly: bool = False
    process: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"
    password: str = ""

    def url(self, db: int = 0) -> str:
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.port = self.port or free_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            shutil.which("redis-server") or "redis-server",
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--dir",
            str(self.folder),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "everysec",
            "--logfile",
            str(self.folder / "redis.log"),
        ]
        if self.password:  # on the command line of a test server only: ps shows it
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not port_open(self.host, self.port, timeout=0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server on port {self.port} did not start; see "
                    f"{self.folder / 'redis.log'}"
                )
            time.sleep(0.05)
        return self

    def stop(self, kill: bool = False) -> None:
        """Stop the server: SIGKILL (data not written) when ``kill``, else SIGTERM."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    def restart(self, kill: bool = True) -> None:
        """Kill and start again on the same port (what a crashed broker does)."""
        self.stop(kill=kill)
        self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """This test run's own redis-server (skipped without redis-server, failed under CI)."""
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()
