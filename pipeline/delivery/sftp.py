"""The SFTP transport of :mod:`pipeline.delivery` (paramiko), used by bureau uploads and by
the database backup (pipeline/backup.py) alike.

The server's host key must already be in ``known_hosts``: an unknown or changed key is refused,
never added (a bureau impersonated on the network would receive the shop's jobs).
Authentication is by ``key_file`` or by the password in the URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]

from pipeline.delivery.mapping import Failure
from pipeline.delivery.transfer import Target, Transfer, read_blocks
from pipeline.errors import DeliveryRefused

log = logging.getLogger(__name__)

#: Where host keys are looked up when the caller names no file.
DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
#: SSH channel window: large enough that the link, not the acknowledgements, sets the pace.
WINDOW_SIZE = 64 * 1024 * 1024
#: SSH packet size for the SFTP channel.
MAX_PACKET_SIZE = 256 * 1024
#: Ciphers tried first when the server offers them: AES-GCM needs no separate MAC pass, which
#: costs about 30 % less client CPU per byte than paramiko's default aes128-ctr + HMAC.
FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
#: Bytes per SFTP write request for OpenSSH servers, which take messages up to 256 KiB;
#: 4x paramiko's 32 KiB default halves the per-request cost. Other servers keep 32 KiB.
OPENSSH_WRITE_SIZE = 128 * 1024


def posix_join(folder: str, name: str) -> str:
    """``folder``/``name``; a folder starting ``/~/`` or ``~`` is relative to the home folder."""
    if folder in ("", "/~", "~") or folder.startswith(("/~/", "~/")):
        folder = folder.lstrip("/").removeprefix("~").lstrip("/")
        return f"{folder}/{name}" if folder else name
    return f"{folder or ''}/{name}"


@contextmanager
def sftp_session(
    target: Target,
    failure: Failure,
    timeout: float,
    known_hosts: str | Path | None,
    key_file: str | Path | None,
) -> Iterator[SftpTransport]:
    """A logged-in SFTP session on ``target`` whose host key ``known_hosts`` must know.

    ``failure`` words the refusal when there is no ``known_hosts`` file at all.
    """
    hosts_file = Path(known_hosts or DEFAULT_KNOWN_HOSTS).expanduser()
    if not hosts_file.is_file():
        raise failure(
            DeliveryRefused,
            "no known_hosts file to check the server's host key; add the host with: "
            f"ssh-keyscan -p {target.port} {target.host} >> {hosts_file}",
            f"{hosts_file} not found",
        )
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.load_system_host_keys(str(hosts_file))
    try:
        client.connect(
            target.host,
            port=target.port,
            username=target.user or None,
            password=target.password or None,
            key_filename=str(key_file) if key_file else None,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            allow_agent=False,
            look_for_keys=not (key_file or target.password),
            transport_factory=_fast_transport,
        )
        transport = client.get_transport()
        assert transport is not None
        sftp = paramiko.SFTPClient.from_transport(
            transport, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE
        )
        assert sftp is not None
        try:
            sftp.get_channel().settimeout(timeout)
            yield SftpTransport(sftp)
        finally:
            sftp.close()
    finally:
        client.close()


def _fast_transport(sock: Any, **kwargs: Any) -> paramiko.Transport:
    """A paramiko Transport that prefers :data:`FAST_CIPHERS` (others stay allowed)."""
    transport = paramiko.Transport(sock, **kwargs)
    options = transport.get_security_options()
    fast = [c for c in FAST_CIPHERS if c in options.ciphers]
    options.ciphers = tuple(fast + [c for c in options.ciphers if c not in fast])
    return transport


class SftpTransport:
    """:class:`pipeline.delivery.sending.Transport` over paramiko. ``client`` is the open
    SFTP client, for what an upload does not cover (the backup lists, reads and prunes)."""

    def __init__(self, client: paramiko.SFTPClient) -> None:
        self.client = client

    def enter(self, folder: str) -> str:
        """Create ``folder`` and its parents when missing (like ``mkdir -p``)."""
        path = posix_join(folder, "").rstrip("/")
        current = "/" if path.startswith("/") else ""
        for piece in [p for p in path.split("/") if p]:
            current = f"{current}{piece}"
            try:
                self.client.stat(current)
            except FileNotFoundError:
                try:
                    self.client.mkdir(current)
                except OSError:
                    self.client.stat(current)  # made by another upload meanwhile, else the error
            current += "/"
        return path

    def size(self, path: str) -> int | None:
        try:
            return self.client.stat(path).st_size
        except FileNotFoundError:
            return None

    def store(self, path: str, offset: int, transfer: Transfer) -> None:
        """Write from ``offset`` on; pipelined, so acknowledgements do not stall it."""
        transfer.restart_at(offset)
        with self.client.open(path, "r+" if offset else "w") as remote:
            remote.set_pipelined(True)
            if "OpenSSH" in self.client.get_channel().get_transport().remote_version:
                remote.MAX_REQUEST_SIZE = OPENSSH_WRITE_SIZE
            if offset:
                remote.seek(offset)
            for block in read_blocks(transfer.local, offset):
                remote.write(block)
                transfer.advance(len(block))

    def rename(self, source: str, final: str) -> None:
        try:
            self.client.posix_rename(source, final)  # atomic replace (OpenSSH extension)
        except OSError:
            if self.size(final) is not None:
                self.client.remove(final)
            self.client.rename(source, final)

    def remove(self, path: str) -> None:
        self.client.remove(path)

    def listing(self, folder: str) -> set[str] | None:
        """The names in ``folder`` (as :meth:`enter` takes it), None when there is no such
        folder; nothing is created."""
        path = posix_join(folder, "").rstrip("/") or "."  # "": the login folder, as enter()
        try:
            return set(self.client.listdir(path))
        except FileNotFoundError:
            return None
