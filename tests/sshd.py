"""An OpenSSH server on loopback for tests that talk SFTP (the backup host).

``sshd`` starts ``/usr/sbin/sshd -D -e -f <tmp config>`` on a free 127.0.0.1 port with a fresh
ed25519 host key and one authorized client key, running as the current user, and stops it at
teardown. The returned :class:`SshServer` names everything a client needs.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import free_port, require

__all__ = ["SSHD", "SshServer", "sshd", "make_ed25519_key"]

#: The OpenSSH server binary (package openssh-server).
SSHD = "/usr/sbin/sshd"
#: Privilege separation folder sshd insists on when started as root.
PRIVSEP_DIR = Path("/run/sshd")
#: Seconds sshd gets to accept connections.
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class SshServer:
    """Where the test sshd listens and the files a client needs to log in."""

    host: str
    port: int
    user: str
    key_file: Path  # client private key (ed25519, no passphrase)
    known_hosts: Path  # one line: [127.0.0.1]:PORT ssh-ed25519 AAAA...
    root: Path  # an empty folder to upload into
    host_key_line: str  # the known_hosts line, for tests that build their own files


def make_ed25519_key(path: Path, comment: str = "prepress-test") -> str:
    """Write a passphrase-less ed25519 key pair at ``path``; return the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text(encoding="ascii").strip()


def _wait_for_banner(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            why = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"sshd exited with status {process.returncode}: {why.strip()}")
        try:
            with socket.create_connection((host, port), timeout=0.5) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not listen on {host}:{port} within {START_TIMEOUT} s")


@pytest.fixture
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A running OpenSSH server on 127.0.0.1 that accepts the client key in ``key_file``."""
    require(
        os.access(SSHD, os.X_OK) and shutil.which("ssh-keygen") is not None,
        f"{SSHD} and ssh-keygen are needed (apt-get install openssh-server)",
    )
    if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    base = tmp_path_factory.mktemp("sshd")
    etc = base / "etc"
    etc.mkdir()
    root = base / "root"
    root.mkdir()
    host_key = etc / "ssh_host_ed25519_key"
    host_public = make_ed25519_key(host_key, "prepress-test-host")
    client_key = base / "client_ed25519"
    authorized = etc / "authorized_keys"
    authorized.write_text(make_ed25519_key(client_key) + "\n", encoding="ascii")
    authorized.chmod(0o600)
    host, port, user = "127.0.0.1", free_port(), getpass.getuser()
    key_type, key_data = host_public.split()[:2]
    host_key_line = f"[{host}]:{port} {key_type} {key_data}"
    known_hosts = base / "known_hosts"
    known_hosts.write_text(host_key_line + "\n", encoding="ascii")
    config = etc / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"ListenAddress {host}",
                f"Port {port}",
                f"HostKey {host_key}",
                f"PidFile {etc / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                f"AllowUsers {user}",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "StrictModes no",
                "UsePAM no",
                "X11Forwarding no",
                "AllowTcpForwarding no",
                "LogLevel ERROR",
                "Subsystem sftp internal-sftp",
                "",
            ]
        ),
        encoding="ascii",
    )
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for_banner(host, port, process)
        yield SshServer(
            host=host,
            port=port,
            user=user,
            key_file=client_key,
            known_hosts=known_hosts,
            root=root,
            host_key_line=host_key_line,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
