"""What every protocol shares: the target URL, one transfer's progress, results and the
temporary ``.part`` name; the protocols themselves are in ftp.py and sftp.py."""

from __future__ import annotations

import hashlib
import logging
import posixpath
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.errors import (
    ConfigError,
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
        joined = (
            posixpath.join(self.path or "/", remote_dir.strip("/"))
            if remote_dir
            else (self.path or "/")
        )
        folder = posixpath.normpath(joined)
        return "" if folder in ("/", ".") else folder

    def mask(self, text: str) -> str:
        return mask_secrets(text, (self.password,))


class Transfer:
    """Progress of one upload: counts bytes, logs 20/40/60/80 %, calls the callback."""

    def __init__(
        self, target: Target, local: Path, remote_path: str, total: int, callback: Progress | None
    ) -> None:
        self.target = target
        self.local = local
        self.remote_path = remote_path
        self.total = total
        self.callback = callback
        #: Send again even when the server has a file of the same name and size (a remake).
        self.replace = False
        self.position = 0
        self.sent = 0
        self.sending = False  # this attempt reached the data phase
        self.started = time.monotonic()
        self._next_step = 0

    def restart_at(self, offset: int) -> None:
        """The data phase of an attempt begins at ``offset`` (0, or the remote .part size)."""
        self.position = offset
        self.sending = True
        while self._next_step < len(PROGRESS_STEPS) and offset * 100 >= PROGRESS_STEPS[
            self._next_step
        ] * max(self.total, 1):
            self._next_step += 1

    def advance(self, count: int) -> None:
        self.position += count
        self.sent += count
        if self.callback:
            self.callback(self.position, self.total)
        reached = None
        while (
            self._next_step < len(PROGRESS_STEPS)
            and self.position * 100 >= PROGRESS_STEPS[self._next_step] * self.total
        ):
            reached = PROGRESS_STEPS[self._next_step]
            self._next_step += 1
        # one line for a block that passed several steps; none for the block that ends the
        # file, whose completion result() reports
        if reached is not None and self.position < self.total:
            log.info(
                "upload %s -> %s %s: %d%% (%d of %d bytes)",
                self.local.name,
                self.target.masked,
                self.remote_path,
                reached,
                self.position,
                self.total,
            )

    def result(self, skipped: bool = False) -> UploadResult:
        seconds = time.monotonic() - self.started
        speed = self.sent / seconds / 1e6 if seconds > 0 else 0.0
        if not skipped:
            log.info(
                "uploaded %s -> %s %s: %d bytes in %.1f s (%.1f MB/s)",
                self.local.name,
                self.target.masked,
                self.remote_path,
                self.total,
                seconds,
                speed,
            )
        return UploadResult(
            target=self.target.masked,
            remote_path=self.remote_path,
            bytes=self.total,
            seconds=round(seconds, 3),
            speed_mbps=round(speed, 2),
            skipped=skipped,
        )

    def failure(
        self, cls: type[TransientError | PermanentError], what: str, said: object
    ) -> TransientError | PermanentError:
        """An error naming target, file, what the server said and whether a retry helps."""
        hint = (
            "A retry later may help."
            if issubclass(cls, TransientError)
            else "Retrying will not help until this is fixed."
        )
        # the server's own text often ends with a period ("530 Authentication failed.")
        reply = str(said or type(said).__name__).strip().rstrip(".")
        return cls(
            self.target.mask(
                f"upload of {self.local.name} to {self.target.masked} ({self.remote_path}): "
                f"{what}; server said: {reply}. {hint}"
            )
        )


@dataclass
class Login:
    """A connection that only logs in (a probe of an idle target): words its failures as a
    :class:`Transfer` does, naming the target, never its password."""

    target: Target

    def failure(
        self, cls: type[TransientError | PermanentError], what: str, said: object
    ) -> TransientError | PermanentError:
        reply = str(said or type(said).__name__).strip().rstrip(".")
        return cls(
            self.target.mask(f"login to {self.target.masked}: {what}; server said: {reply}.")
        )


@dataclass
class Listing:
    """A connection that lists upload folders (the plate files a bureau has not taken yet):
    words its failures as :class:`Login` does."""

    target: Target

    def failure(
        self, cls: type[TransientError | PermanentError], what: str, said: object
    ) -> TransientError | PermanentError:
        reply = str(said or type(said).__name__).strip().rstrip(".")
        return cls(
            self.target.mask(
                f"listing the upload folders on {self.target.masked}: {what}; server said: {reply}."
            )
        )


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
