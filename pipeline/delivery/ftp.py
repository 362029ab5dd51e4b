"""The FTP and FTPS transport of :mod:`pipeline.delivery` (ftplib), passive by default."""

from __future__ import annotations

import ftplib
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.delivery.transfer import Target, Transfer, read_blocks

log = logging.getLogger(__name__)

#: FTP replies that mean the server cannot resume (REST unknown or refused).
NO_RESUME_REPLIES = ("500", "501", "502", "504", "554", "350")


@contextmanager
def ftp_session(target: Target, active: bool, timeout: float) -> Iterator[FtpTransport]:
    """A logged-in session on ``target`` (TLS-protected data for ftps://), binary mode."""
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
        yield FtpTransport(ftp, target)
        try:
            ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            pass  # the work is done; a server that hangs up without a goodbye is fine
    finally:
        ftp.close()


class FtpTransport:
    """:class:`pipeline.delivery.sending.Transport` over ftplib; works inside the folder it
    entered, so its paths are plain names."""

    def __init__(self, ftp: ftplib.FTP, target: Target) -> None:
        self.ftp = ftp
        self.target = target
        #: The login folder, where :meth:`listing` starts each folder from.
        self.home: str | None = None

    def enter(self, folder: str) -> str:
        """Change into ``folder`` (relative to the login folder), creating what is missing."""
        for piece in [p for p in folder.split("/") if p]:
            try:
                self.ftp.cwd(piece)
            except ftplib.error_perm:
                try:
                    self.ftp.mkd(piece)
                except ftplib.error_perm:
                    pass  # another upload made it in the meantime; cwd below tells
                self.ftp.cwd(piece)
        return ""

    def size(self, path: str) -> int | None:
        """None when the file does not exist or SIZE is not supported."""
        try:
            return self.ftp.size(path)
        except ftplib.error_perm:
            return None

    def store(self, path: str, offset: int, transfer: Transfer) -> None:
        """STOR from ``offset`` (REST); from 0 again when the server cannot resume."""
        try:
            conn = self.ftp.transfercmd(f"STOR {path}", rest=offset or None)
        except (ftplib.error_perm, ftplib.error_reply) as exc:
            if not offset or not str(exc).startswith(NO_RESUME_REPLIES):
                raise
            log.info(
                "%s: server cannot resume (%s); sending the whole file again",
                self.target.masked,
                exc,
            )
            offset = 0
            conn = self.ftp.transfercmd(f"STOR {path}")
        transfer.restart_at(offset)
        with conn:
            for block in read_blocks(transfer.local, offset):
                conn.sendall(block)
                transfer.advance(len(block))
            if isinstance(conn, ssl.SSLSocket):
                conn.unwrap()
        self.ftp.voidresp()

    def rename(self, source: str, final: str) -> None:
        try:
            self.ftp.rename(source, final)
        except ftplib.error_perm:
            # Some servers refuse to rename onto an existing file: replace it explicitly.
            self.ftp.delete(final)
            self.ftp.rename(source, final)

    def remove(self, path: str) -> None:
        self.ftp.delete(path)

    def listing(self, folder: str) -> set[str] | None:
        """The names in ``folder`` (relative to the login folder, as :meth:`enter` takes it),
        None when there is no such folder; nothing is created. NLST, which every server
        speaks; a server that answers an empty folder with 550 lists nothing."""
        if self.home is None:
            self.home = self.ftp.pwd()
        self.ftp.cwd(self.home)
        for piece in [p for p in folder.split("/") if p]:
            try:
                self.ftp.cwd(piece)
            except ftplib.error_perm as exc:
                if str(exc).startswith("550"):
                    return None
                raise
        try:
            names = self.ftp.nlst()
        except ftplib.error_perm as exc:
            if str(exc).startswith("550"):  # "No files found" on some servers
                return set()
            raise
        except ftplib.error_temp as exc:
            if str(exc).startswith("450"):  # the same on others
                return set()
            raise
        return {name.rstrip("/").rsplit("/", 1)[-1] for name in names}
