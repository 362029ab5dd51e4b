"""The SFTP half of :mod:`pipeline.delivery` (paramiko), with the same safety rules.

The server's host key must already be in ``known_hosts``: an unknown or changed key is refused,
never added (a bureau impersonated on the network would receive the shop's jobs).
Authentication is by ``key_file`` or by the password in the URL.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import paramiko  # type: ignore[import-untyped]

from pipeline.delivery.transfer import (
    Target,
    Transfer,
    UploadResult,
    part_name,
    read_blocks,
)
from pipeline.errors import (
    DeliveryRefused,
    DeliveryUnavailable,
    PermanentError,
    TransientError,
)

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


class Endpoint(Protocol):
    """What an SFTP session needs of its user: the target, and how to word a failure.

    A :class:`Transfer` is one; the database backup (pipeline/backup.py) is another, so both
    share one session and one error mapping.
    """

    target: Target

    def failure(
        self, cls: type[TransientError | PermanentError], what: str, said: object
    ) -> TransientError | PermanentError: ...


def upload_sftp(
    transfer: Transfer,
    folder: str,
    name: str,
    *,
    timeout: float,
    known_hosts: str | Path | None,
    key_file: str | Path | None,
) -> UploadResult:
    """One attempt to upload ``transfer.local`` into ``folder``/``name`` over SFTP."""
    part = posix_join(folder, part_name(name, transfer.local))
    final = posix_join(folder, name)
    with _sftp_errors(transfer), _sftp_session(transfer, timeout, known_hosts, key_file) as sftp:
        _makedirs(sftp, folder)
        if not transfer.replace and _size(sftp, final) == transfer.total:
            log.info(
                "%s already at %s %s with the same size; not sent again",
                transfer.local.name,
                transfer.target.masked,
                final,
            )
            return transfer.result(skipped=True)
        offset = _size(sftp, part) or 0
        if offset > transfer.total:
            offset = 0
        _store(sftp, transfer, part, offset)
        remote_size = _size(sftp, part)
        if remote_size != transfer.total:
            raise transfer.failure(
                DeliveryUnavailable,
                "the uploaded size does not match",
                f"{remote_size} bytes instead of {transfer.total}",
            )
        _rename(sftp, part, final)
        return transfer.result()


def login_sftp(
    endpoint: Endpoint,
    timeout: float,
    known_hosts: str | Path | None = None,
    key_file: str | Path | None = None,
) -> None:
    """Connect and log in, upload nothing (a probe of an idle target)."""
    with _sftp_errors(endpoint), _sftp_session(endpoint, timeout, known_hosts, key_file):
        pass


def posix_join(folder: str, name: str) -> str:
    """``folder``/``name``; a folder starting ``/~/`` or ``~`` is relative to the home folder."""
    if folder in ("", "/~", "~") or folder.startswith(("/~/", "~/")):
        folder = folder.lstrip("/").removeprefix("~").lstrip("/")
        return f"{folder}/{name}" if folder else name
    return f"{folder or ''}/{name}"


@contextmanager
def _sftp_session(
    transfer: Endpoint, timeout: float, known_hosts: str | Path | None, key_file: str | Path | None
) -> Iterator[paramiko.SFTPClient]:
    target = transfer.target
    hosts_file = Path(known_hosts or DEFAULT_KNOWN_HOSTS).expanduser()
    if not hosts_file.is_file():
        raise transfer.failure(
            DeliveryRefused,
            "no known_hosts file to check the server's "
            f"host key; add the host with: ssh-keyscan -p {target.port} "
            f"{target.host} >> {hosts_file}",
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
            yield sftp
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


def _makedirs(sftp: paramiko.SFTPClient, folder: str) -> None:
    """Create ``folder`` and its parents when missing (like ``mkdir -p``)."""
    path = posix_join(folder, "").rstrip("/")
    if not path:
        return
    current = "/" if path.startswith("/") else ""
    for piece in [p for p in path.split("/") if p]:
        current = f"{current}{piece}"
        try:
            sftp.stat(current)
        except FileNotFoundError:
            try:
                sftp.mkdir(current)
            except OSError:
                sftp.stat(current)  # made by another upload meanwhile, else the real error
        current += "/"


def _size(sftp: paramiko.SFTPClient, path: str) -> int | None:
    try:
        return sftp.stat(path).st_size
    except FileNotFoundError:
        return None


def _store(sftp: paramiko.SFTPClient, transfer: Transfer, part: str, offset: int) -> None:
    """Write the file into ``part`` from ``offset`` on; pipelined, so acks do not stall it."""
    transfer.restart_at(offset)
    with sftp.open(part, "r+" if offset else "w") as remote:
        remote.set_pipelined(True)
        if "OpenSSH" in sftp.get_channel().get_transport().remote_version:
            remote.MAX_REQUEST_SIZE = OPENSSH_WRITE_SIZE
        if offset:
            remote.seek(offset)
        for block in read_blocks(transfer.local, offset):
            remote.write(block)
            transfer.advance(len(block))


def _rename(sftp: paramiko.SFTPClient, part: str, final: str) -> None:
    try:
        sftp.posix_rename(part, final)  # atomic replace (OpenSSH extension)
    except OSError:
        if _size(sftp, final) is not None:
            sftp.remove(final)
        sftp.rename(part, final)


@contextmanager
def _sftp_errors(transfer: Endpoint) -> Iterator[None]:
    """Turn paramiko and socket errors into DeliveryUnavailable or DeliveryRefused."""
    try:
        yield
    except (TransientError, PermanentError):
        raise
    except paramiko.BadHostKeyException as exc:
        raise transfer.failure(
            DeliveryRefused,
            "the server's host key differs from "
            "known_hosts (a different machine answers: check before "
            "trusting it)",
            exc,
        ) from None
    except paramiko.AuthenticationException as exc:
        raise transfer.failure(
            DeliveryRefused, "login refused (check the user, key file or password)", exc
        ) from None
    except PermissionError as exc:
        raise transfer.failure(
            DeliveryRefused, "permission denied (check the folder and the account's rights)", exc
        ) from None
    except paramiko.SSHException as exc:
        if "known_hosts" in str(exc):
            raise transfer.failure(
                DeliveryRefused,
                "the server's host key is not in "
                "known_hosts (add it after checking its fingerprint)",
                exc,
            ) from None
        raise transfer.failure(DeliveryUnavailable, "the SSH connection failed", exc) from None
    except socket.gaierror as exc:
        raise transfer.failure(
            DeliveryUnavailable, "host name not found (check the URL if this persists)", exc
        ) from None
    except TimeoutError as exc:
        raise transfer.failure(DeliveryUnavailable, "no answer within the timeout", exc) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise transfer.failure(
                DeliveryRefused, "the server's disk or quota is full", exc
            ) from None
        raise transfer.failure(
            DeliveryUnavailable, "the connection broke or the server failed", exc
        ) from None
    except EOFError as exc:
        raise transfer.failure(DeliveryUnavailable, "the connection broke", exc) from None
