"""Upload a plate file or a preview to an FTP, FTPS or SFTP target, safely and resumably.

The bureau's RIP exposes whatever appears in its folder, so a file is written under a
temporary name (``.<name>.<fingerprint>.part``), its remote size is checked, and only then is
it renamed to the final name: a half-uploaded file never carries the final name. A broken
connection is resumed from the remote ``.part`` size (FTP ``REST``, SFTP offset) within the
call, and again by the next call when the task is retried. A final file already there with
the same size is not sent again, so a retried task does not upload twice.

Targets are URLs: ``ftp://user:pw@host:21/dir``, ``ftps://...`` (explicit TLS, ``AUTH TLS``)
and ``sftp://user[:pw]@host:22/dir``. An FTP path is relative to the login folder (as curl
reads it); an SFTP path is absolute, ``/~/dir`` is relative to the home folder.

Errors: :class:`DeliveryUnavailable` when a retry may help (refused, timeout, dropped, 4xx),
:class:`DeliveryRefused` when it will not (login, permission, disk full). Messages name the
target with its password masked, the file, what the server said and whether to retry.
"""

from __future__ import annotations

import ftplib
import hashlib
import logging
import posixpath
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.errors import (
    ConfigError,
    DeliveryRefused,
    DeliveryUnavailable,
    PermanentError,
    TransientError,
    mask_secrets,
)

log = logging.getLogger(__name__)

#: Seconds to wait for a connect or for any answer from the server.
DEFAULT_TIMEOUT = 30.0
#: Bytes read from disk and sent at a time: memory use does not grow with the file.
BLOCK_SIZE = 1024 * 1024
#: Times a transfer that broke after sending data is resumed within one call.
MAX_RESUMES = 5
#: Seconds to wait before resuming a broken transfer.
RESUME_PAUSE = 0.2
#: Bytes at each end of the local file that identify it in the ``.part`` name.
FINGERPRINT_BYTES = 64 * 1024
#: Progress percentages that are logged.
PROGRESS_STEPS = (20, 40, 60, 80)
#: Default port by scheme.
DEFAULT_PORTS = {"ftp": 21, "ftps": 21, "sftp": 22}
#: FTP replies that mean the server does not know a command (REST, SIZE).
_NOT_IMPLEMENTED = ("500", "501", "502", "504")
#: Called with (bytes sent so far, total bytes).
Progress = Callable[[int, int], None]


@dataclass
class UploadResult:
    """What an upload did. ``speed_mbps`` is MB/s (10^6 bytes) over the bytes sent in this call.

    ``target`` is the URL with its password masked; ``remote_path`` the final path on the server.
    ``skipped`` is True when the same file (same name and size) was already there.
    """

    target: str
    remote_path: str
    bytes: int
    seconds: float
    speed_mbps: float
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> UploadResult:
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


@dataclass(frozen=True)
class Target:
    """A parsed target URL. ``masked`` is safe to log; ``password`` never is."""

    scheme: str
    host: str
    port: int
    user: str
    password: str
    path: str
    masked: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        masked = mask_secrets(url)
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ConfigError(
                f"target {masked!r} is not an ftp://, ftps:// or sftp:// URL with a host; "
                f"write it like ftp://user:password@host:21/folder."
            )
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            raise ConfigError(f"target {masked!r} has a bad port number.") from None
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ("anonymous" if scheme != "sftp" else "")),
            password=unquote(parts.password or ""),
            path=unquote(parts.path),
            masked=masked,
        )

    def folder(self, remote_dir: str = "") -> str:
        """The remote folder: URL path joined with ``remote_dir``, normalised."""
        joined = posixpath.join(self.path or "/", remote_dir.strip("/")) if remote_dir \
            else (self.path or "/")
        folder = posixpath.normpath(joined)
        return "" if folder in ("/", ".") else folder

    def mask(self, text: str) -> str:
        return mask_secrets(text, (self.password,))


class Transfer:
    """Progress of one upload: counts bytes, logs 20/40/60/80 %, calls the callback."""

    def __init__(self, target: Target, local: Path, remote_path: str, total: int,
                 callback: Progress | None) -> None:
        self.target = target
        self.local = local
        self.remote_path = remote_path
        self.total = total
        self.callback = callback
        self.position = 0
        self.sent = 0
        self.sending = False  # this attempt reached the data phase
        self.started = time.monotonic()
        self._next_step = 0

    def restart_at(self, offset: int) -> None:
        """The data phase of an attempt begins at ``offset`` (0, or the remote .part size)."""
        self.position = offset
        self.sending = True
        while (self._next_step < len(PROGRESS_STEPS)
               and offset * 100 >= PROGRESS_STEPS[self._next_step] * max(self.total, 1)):
            self._next_step += 1

    def advance(self, count: int) -> None:
        self.position += count
        self.sent += count
        if self.callback:
            self.callback(self.position, self.total)
        reached = None
        while (self._next_step < len(PROGRESS_STEPS)
               and self.position * 100 >= PROGRESS_STEPS[self._next_step] * self.total):
            reached = PROGRESS_STEPS[self._next_step]
            self._next_step += 1
        if reached is not None:  # one line for a block that passed several steps
            log.info("upload %s -> %s %s: %d%% (%d of %d bytes)", self.local.name,
                     self.target.masked, self.remote_path, reached, self.position, self.total)

    def result(self, skipped: bool = False) -> UploadResult:
        seconds = time.monotonic() - self.started
        speed = self.sent / seconds / 1e6 if seconds > 0 else 0.0
        if not skipped:
            log.info("uploaded %s -> %s %s: %d bytes in %.1f s (%.1f MB/s)", self.local.name,
                     self.target.masked, self.remote_path, self.total, seconds, speed)
        return UploadResult(target=self.target.masked, remote_path=self.remote_path,
                            bytes=self.total, seconds=round(seconds, 3),
                            speed_mbps=round(speed, 2), skipped=skipped)

    def failure(self, cls: type[TransientError | PermanentError], what: str,
                said: object) -> TransientError | PermanentError:
        """An error naming target, file, what the server said and whether a retry helps."""
        hint = ("A retry later may help." if issubclass(cls, TransientError)
                else "Retrying will not help until this is fixed.")
        return cls(self.target.mask(
            f"upload of {self.local.name} to {self.target.masked} ({self.remote_path}): "
            f"{what}; server said: {said or type(said).__name__}. {hint}"))


def upload(local_path: str | Path, url: str, remote_dir: str = "",
           remote_name: str | None = None, *, active: bool = False,
           timeout: float = DEFAULT_TIMEOUT, progress: Progress | None = None,
           known_hosts: str | Path | None = None,
           key_file: str | Path | None = None) -> UploadResult:
    """Upload ``local_path`` to ``url``/``remote_dir``/``remote_name`` (default: its own name).

    The remote folder is created when missing. ``active`` selects FTP active mode (passive is
    the default). ``known_hosts`` (default ``~/.ssh/known_hosts``) and ``key_file`` are for
    SFTP; an SFTP host whose key is not in ``known_hosts`` is refused.
    """
    local = Path(local_path)
    if not local.is_file():
        raise FileNotFoundError(f"{local}: file to upload does not exist (moved or deleted?).")
    target = Target.parse(url)
    name = remote_name or local.name
    if "/" in name or name in (".", ".."):
        raise ConfigError(f"remote name {name!r} for {local.name} is not a plain file name; "
                          f"check the outputter's filename template.")
    folder = target.folder(remote_dir)
    transfer = Transfer(target, local, posixpath.join(folder or "/", name),
                        local.stat().st_size, progress)
    if target.scheme == "sftp":
        from pipeline.sftp import upload_sftp

        return with_resume(transfer, lambda: upload_sftp(
            transfer, folder, name, timeout=timeout, known_hosts=known_hosts, key_file=key_file))
    return with_resume(transfer, lambda: _upload_ftp(transfer, folder, name, active, timeout))


def with_resume(transfer: Transfer, attempt: Callable[[], UploadResult]) -> UploadResult:
    """Run ``attempt``; when it broke while sending data, run it again (it resumes).

    A fault before the data phase (refused, timeout, login), or a resume that sent nothing,
    is raised at once: the task's retry with backoff is the right answer to a server that is
    down.
    """
    sent_before = -1
    for resumes in range(MAX_RESUMES + 1):
        transfer.sending = False
        try:
            return attempt()
        except DeliveryUnavailable as exc:
            stalled = transfer.sent == sent_before  # a resume that moved nothing: stop
            if not transfer.sending or stalled or resumes == MAX_RESUMES:
                raise
            sent_before = transfer.sent
            log.warning("%s; resuming from the remote .part file", exc)
            time.sleep(RESUME_PAUSE)
    raise AssertionError("unreachable")


def part_name(name: str, local: Path) -> str:
    """The temporary name: ``.<name>.<fingerprint>.part``, hidden and ignored by RIPs.

    The fingerprint (size, first and last 64 KiB of the local file) keeps a ``.part`` left by
    an older version of the job from being resumed with the new one's tail: that would
    expose a plate made of two different files.
    """
    size = local.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=4)
    with local.open("rb") as source:
        digest.update(source.read(FINGERPRINT_BYTES))
        source.seek(max(size - FINGERPRINT_BYTES, 0))
        digest.update(source.read(FINGERPRINT_BYTES))
    return f".{name}.{digest.hexdigest()}.part"


def read_blocks(local: Path, offset: int) -> Iterator[bytes]:
    """The file from ``offset`` on, one block at a time."""
    with local.open("rb") as source:
        source.seek(offset)
        while block := source.read(BLOCK_SIZE):
            yield block


# --- FTP and FTPS ------------------------------------------------------------------------


def _upload_ftp(transfer: Transfer, folder: str, name: str, active: bool,
                timeout: float) -> UploadResult:
    part = part_name(name, transfer.local)
    with _ftp_errors(transfer), _ftp_session(transfer.target, active, timeout) as ftp:
        _ftp_enter(ftp, folder)
        if _ftp_size(ftp, name) == transfer.total:
            log.info("%s already at %s %s with the same size; not sent again",
                     transfer.local.name, transfer.target.masked, transfer.remote_path)
            return transfer.result(skipped=True)
        offset = _ftp_size(ftp, part) or 0
        if offset > transfer.total:
            ftp.delete(part)
            offset = 0
        _ftp_store(ftp, transfer, part, offset)
        remote_size = _ftp_size(ftp, part)
        if remote_size is not None and remote_size != transfer.total:
            raise transfer.failure(DeliveryUnavailable, "the uploaded size does not match",
                                   f"{remote_size} bytes instead of {transfer.total}")
        _ftp_rename(ftp, part, name)
        return transfer.result()


@contextmanager
def _ftp_session(target: Target, active: bool, timeout: float) -> Iterator[ftplib.FTP]:
    ftp: ftplib.FTP = ftplib.FTP_TLS(timeout=timeout) if target.scheme == "ftps" \
        else ftplib.FTP(timeout=timeout)
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
        log.info("%s: server cannot resume (%s); sending the whole file again",
                 transfer.target.masked, exc)
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


@contextmanager
def _ftp_errors(transfer: Transfer) -> Iterator[None]:
    """Turn ftplib and socket errors into DeliveryUnavailable or DeliveryRefused."""
    try:
        yield
    except (TransientError, PermanentError):
        raise
    except ftplib.error_perm as exc:
        raise transfer.failure(DeliveryRefused, _ftp_refusal(str(exc)), exc) from None
    except (ftplib.error_temp, ftplib.error_reply, ftplib.error_proto) as exc:
        raise transfer.failure(DeliveryUnavailable, "the server is busy or answered oddly",
                               exc) from None
    except socket.gaierror as exc:
        raise transfer.failure(DeliveryUnavailable, "host name not found (check the URL "
                               "if this persists)", exc) from None
    except TimeoutError as exc:
        raise transfer.failure(DeliveryUnavailable, "no answer within the timeout",
                               exc) from None
    except ConnectionRefusedError as exc:
        raise transfer.failure(DeliveryUnavailable, "connection refused", exc) from None
    except (OSError, EOFError) as exc:
        raise transfer.failure(DeliveryUnavailable, "the connection broke", exc) from None


def _ftp_refusal(reply: str) -> str:
    code = reply[:3]
    return {
        "530": "login refused (check user and password in the target URL)",
        "550": "permission denied or no such folder (check the folder and the account's "
               "rights)",
        "552": "the server's disk or quota is full (the bureau must make room)",
        "553": "file name not allowed by the server (check the filename template)",
    }.get(code, "the server refused the request")
