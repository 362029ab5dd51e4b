"""A private PostgreSQL cluster on a free port, for tests that stop and start the database.

Made with ``initdb`` and run with ``pg_ctl`` from /usr/lib/postgresql/*/bin, as the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root). Trust
authentication on 127.0.0.1 only; fsync off (a test cluster).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import free_port, require

__all__ = ["PostgresServer", "private_postgres"]

#: Seconds pg_ctl waits for the server to start or stop.
PG_CTL_WAIT = 60


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in ``folder`` listening on 127.0.0.1:``port``."""

    folder: Path
    port: int

    def url(self, database: str = "prepress") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def initdb(self) -> PostgresServer:
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        return self

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("start", "-o", options, "-l", str(self.folder / "postgres.log"))

    def stop(self) -> None:
        """A fast shutdown: sessions are cut, as in a restart of the service."""
        self._pg_ctl("stop", "-m", "fast")

    def _pg_ctl(self, *args: str) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", str(PG_CTL_WAIT), *args)

    def _run(self, *argv: str | None) -> None:
        user = _as_postgres() if os.geteuid() == 0 else None
        subprocess.run(
            [str(a) for a in argv],
            check=True,
            capture_output=True,
            timeout=PG_CTL_WAIT + 30,
            user=user,
            cwd=self.folder,
        )


def _as_postgres() -> str:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root without a postgres user to run a private cluster")
    return "postgres"


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A fresh cluster with an empty ``prepress`` database; removed afterwards."""
    require(_bin("initdb") is not None and _bin("pg_ctl") is not None, "PostgreSQL server binaries")
    folder = Path(tempfile.mkdtemp(prefix="prepress-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(_as_postgres())
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(folder, free_port()).initdb()
    server.start()
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("CREATE DATABASE prepress"))
        engine.dispose()
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped by the test
        shutil.rmtree(folder, ignore_errors=True)
