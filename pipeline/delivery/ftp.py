"""The FTP and FTPS half of :mod:`pipeline.delivery` (ftplib), passive by default."""

from __future__ import annotations

import ftplib
import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.delivery.transfer import (
    Login,
    Target,
    Transfer,
    UploadResult,
    part_name,
    read_blocks,
)
from pipeline.errors import DeliveryRefused, DeliveryUnavailable, PermanentError, TransientError

log = logging.getLogger(__name__)

#: FTP replies that mean the server does not know a command (REST, SIZE).
_NOT_IMPLEMENTED = ("500", "501", "502", "504")


def upload_ftp(
    transfer: Transfer, folder: str, name: str, active: bool, timeout: float
) -> UploadResult:
    part = part_name(name, transfer.local)
    with _ftp_errors(transfer), _ftp_session(transfer.target, active, timeout) as ftp:
        _ftp_enter(ftp, folder)
        if not transfer.replace and _ftp_size(ftp, name) == transfer.total:
            log.info(
                "%s already at %s %s with the same size; not sent again",
                transfer.local.name,
                transfer.target.masked,
                transfer.remote_path,
            )
            return transfer.result(skipped=True)
        offset = _ftp_size(ftp, part) or 0
        if offset > transfer.total:
            ftp.delete(part)
            offset = 0
        _ftp_store(ftp, transfer, part, offset)
        remote_size = _ftp_size(ftp, part)
        if remote_size is not None and remote_size != transfer.total:
            raise transfer.failure(
                DeliveryUnavailable,
                "the uploaded size does not match",
                f"{remote_size} bytes instead of {transfer.total}",
            )
        _ftp_rename(ftp, part, name)
        return transfer.result()


@contextmanager
def _ftp_session(target: Target, active: bool, timeout: float) -> Iterator[ftplib.FTP]:
    ftp: ftplib.FTP = (
        ftplib.FTP_TLS(timeout=timeout) if target.scheme == "ftps" else ftplib.FTP(timeout=timeout)
    )
    ftp.encoding = "utf-8"
    try:
        ftp.connect(target.host, target.port)
        ftp.login(target.user, target.password)
        if isinstance(ftp, ftplib.FTP_TLS):
            ftp.prot_p()
        ftp.set_pasv(not active)
        ftp.voidcmd("TYPE I")
        yield ftp
        try:
            ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            pass  # the work is done; a server that hangs up without a goodbye is fine
    finally:
        ftp.close()


def _ftp_enter(ftp: ftplib.FTP, folder: str) -> None:
    """Change into ``folder`` (relative to the login folder), creating what is missing."""
    for part in [p for p in folder.split("/") if p]:
        try:
            ftp.cwd(part)
        except ftplib.error_perm:
            try:
                ftp.mkd(part)
            except ftplib.error_perm:
                pass  # another upload made it in the meantime; cwd below tells
            ftp.cwd(part)


def _ftp_size(ftp: ftplib.FTP, name: str) -> int | None:
    """Remote size of ``name``, None when it does not exist or SIZE is not supported."""
    try:
        return ftp.size(name)
    except ftplib.error_perm:
        return None


def _ftp_store(ftp: ftplib.FTP, transfer: Transfer, part: str, offset: int) -> None:
    """Send the file from ``offset`` into ``part``; restart from 0 when REST is refused."""
    try:
        conn = ftp.transfercmd(f"STOR {part}", rest=offset or None)
    except (ftplib.error_perm, ftplib.error_reply) as exc:
        if not offset or not str(exc).startswith((*_NOT_IMPLEMENTED, "554", "350")):
            raise
        log.info(
            "%s: server cannot resume (%s); sending the whole file again",
            transfer.target.masked,
            exc,
        )
        offset = 0
        conn = ftp.transfercmd(f"STOR {part}")
    transfer.restart_at(offset)
    with conn:
        for block in read_blocks(transfer.local, offset):
            conn.sendall(block)
            transfer.advance(len(block))
        if isinstance(conn, ssl.SSLSocket):
            conn.unwrap()
    ftp.voidresp()


def _ftp_rename(ftp: ftplib.FTP, part: str, name: str) -> None:
    try:
        ftp.rename(part, name)
    except ftplib.error_perm:
        # Some servers refuse to rename onto an existing file: replace it explicitly.
        ftp.delete(name)
        ftp.rename(part, name)


def login_ftp(target: Target, active: bool, timeout: float) -> None:
    """Connect and log in, upload nothing (a probe of an idle target)."""
    with _ftp_errors(Login(target)), _ftp_session(target, active, timeout):
        pass


@contextmanager
def _ftp_errors(transfer: Transfer | Login) -> Iterator[None]:
    """Turn ftplib and socket errors into DeliveryUnavailable or DeliveryRefused."""
    try:
        yield
    except (TransientError, PermanentError):
        raise
    except ftplib.error_perm as exc:
        raise transfer.failure(DeliveryRefused, _ftp_refusal(str(exc)), exc) from None
    except (ftplib.error_temp, ftplib.error_reply, ftplib.error_proto) as exc:
        raise transfer.failure(
            DeliveryUnavailable, "the server is busy or answered oddly", exc
        ) from None
    except socket.gaierror as exc:
        raise transfer.failure(
            DeliveryUnavailable, "host name not found (check the URL if this persists)", exc
        ) from None
    except TimeoutError as exc:
        raise transfer.failure(DeliveryUnavailable, "no answer within the timeout", exc) from None
    except ConnectionRefusedError as exc:
        raise transfer.failure(DeliveryUnavailable, "connection refused", exc) from None
    except (OSError, EOFError) as exc:
        raise transfer.failure(DeliveryUnavailable, "the connection broke", exc) from None


def _ftp_refusal(reply: str) -> str:
    code = reply[:3]
    return {
        "530": "login refused (check user and password in the target URL)",
        "550": "permission denied or no such folder (check the folder and the account's rights)",
        "552": "the server's disk or quota is full (the bureau must make room)",
        "553": "file name not allowed by the server (check the filename template)",
    }.get(code, "the server refused the request")
