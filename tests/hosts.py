"""A second host for tests: a network namespace behind a veth pair, and a PostgreSQL cluster.

:class:`SecondHost` makes ``ip netns`` namespace with one end of a veth pair on an address of
its own (``10.213.N.2``) and the other end on this host (``10.213.N.1``); a process started
with :meth:`SecondHost.command` sees only its own loopback and that link, so it reaches the
first host's services the way a worker on another machine does. :class:`PostgresCluster` is
a throwaway cluster (``initdb`` + ``pg_ctl`` as the ``postgres`` user, in a temporary folder)
listening on a chosen address with scram-sha-256 passwords, as the Ansible role sets it up.
Both clean up after themselves, also when the test failed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tests.services import free_port, port_open, require

__all__ = ["PostgresCluster", "SecondHost", "require_second_host"]

#: Seconds ``ip`` gets per call.
IP_TIMEOUT = 15
#: Seconds the cluster gets to start or stop.
PG_TIMEOUT = 60


def require_second_host() -> None:
    """Skip (fail under CI) unless this process may make namespaces: root and iproute2."""
    require(os.geteuid() == 0, "network namespaces need root")
    require(shutil.which("ip") is not None, "iproute2 (ip) is not installed")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=IP_TIMEOUT)


@dataclass
class SecondHost:
    """A network namespace linked to this host by a veth pair on 10.213.N.0/24."""

    name: str = field(default_factory=lambda: f"prepress-{os.getpid()}")
    subnet: int = field(default_factory=lambda: 1 + os.getpid() % 250)
    created: bool = False

    @property
    def first_address(self) -> str:
        """This host's end of the link: where the second host finds Redis and PostgreSQL."""
        return f"10.213.{self.subnet}.1"

    @property
    def address(self) -> str:
        return f"10.213.{self.subnet}.2"

    @property
    def _veth(self) -> tuple[str, str]:
        tag = f"{os.getpid() % 100000}"
        return f"pph{tag}", f"ppn{tag}"  # interface names: at most 15 characters

    def create(self) -> SecondHost:
        outside, inside = self._veth
        _ip("netns", "add", self.name)
        self.created = True
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", self.name)
        _ip("addr", "add", f"{self.first_address}/24", "dev", outside)
        _ip("link", "set", outside, "up")
        for args in (
            ("addr", "add", f"{self.address}/24", "dev", inside),
            ("link", "set", inside, "up"),
            ("link", "set", "lo", "up"),
        ):
            _ip("netns", "exec", self.name, "ip", *args)
        return self

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` as run on the second host."""
        return ["ip", "netns", "exec", self.name, *argv]

    def destroy(self) -> None:
        """Remove the namespace and the link (either may already be gone)."""
        outside, _ = self._veth
        for args in (("netns", "del", self.name), ("link", "del", outside)):
            subprocess.run(["ip", *args], capture_output=True, timeout=IP_TIMEOUT, check=False)
        self.created = False


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster of its own, listening on ``address`` with a password."""

    address: str
    password: str
    clients: str
    user: str = "prepress"
    port: int = 0
    folder: Path | None = None

    @property
    def url(self) -> str:
        secret = quote(self.password, safe="")
        return f"postgresql+psycopg://{self.user}:{secret}@{self.address}:{self.port}/postgres"

    def start(self) -> PostgresCluster:
        binaries = _postgres_bin()
        self.port = self.port or free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="prepress-pg-"))
        owner = pwd.getpwnam("postgres")
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        secret = self.folder / "pwfile"
        secret.write_text(self.password + "\n", encoding="utf-8")
        os.chown(secret, owner.pw_uid, owner.pw_gid)
        secret.chmod(0o600)
        data = self.folder / "data"
        self._as_postgres(
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            self.user,
            f"--pwfile={secret}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        )
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"listen_addresses = '{self.address}'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\nfsync = off\n"
                "password_encryption = 'scram-sha-256'\n"
            )
        with open(data / "pg_hba.conf", "a", encoding="utf-8") as hba:
            hba.write(f"host all {self.user} {self.clients} scram-sha-256\n")
        self._as_postgres(
            str(binaries / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-w", "start"
        )
        deadline = time.monotonic() + PG_TIMEOUT
        while not port_open(self.address, self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
            self._as_postgres(
                str(_postgres_bin() / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"
            )
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def _as_postgres(self, *argv: str) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT,
            check=False,
            cwd=self.folder,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stdout}{result.stderr}")


def _postgres_bin() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(n) for n in p.parts[-3].split(".") if n.isdigit()],
    )
    require(bool(found), "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing")
    require(shutil.which("runuser") is not None and _has_user("postgres"), "no postgres user")
    return found[-1].parent


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
