"""The nightly database backup: snapshot, compress, checksum, upload over SFTP, prune, restore.

A backup is one gzip file on the backup host, named ``prepress-YYYYMMDDTHHMMSSZ.<kind>.gz``
(``kind`` is ``sqlite`` or ``pgdump``), with ``<name>.sha256`` beside it in ``sha256sum``
format. SQLite is copied with the online backup API, so jobs keep writing while it runs;
PostgreSQL is dumped with ``pg_dump -Fc``. The file is uploaded under a temporary name, read
back and checked (size and sha256), and only then renamed, so a name without ``.partial`` is
always a complete backup. The snapshot itself is made by pipeline/snapshot.py; the SFTP
session, the upload algorithm and the error mapping are pipeline.delivery's (one code path
for bureaus and backups). Host keys are checked against ``[backup] known_hosts`` (else
``~/.ssh/known_hosts``): an unknown or changed key is refused, never added.

Retention: the newest backup of each of the ``keep_daily`` most recent days, plus the newest of
each of the ``keep_monthly`` most recent months, are kept; every other backup is deleted.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import posixpath
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import paramiko

from pipeline.config import BackupSettings, Config
from pipeline.delivery.mapping import map_exceptions
from pipeline.delivery.sending import send
from pipeline.delivery.sftp import SftpTransport, sftp_session
from pipeline.delivery.transfer import Target, Transfer
from pipeline.errors import (
    BackupFailed,
    BackupHostUnavailable,
    ConfigError,
    PermanentError,
    TransientError,
    mask_secrets,
)
from pipeline.files import sha256_of, sha256_of_stream
from pipeline.snapshot import (
    compress,
    database_kind,
    load_snapshot,
    snapshot,
    sqlite_path,
)

#: The sha256 of a local file (one helper for the whole package: pipeline/files.py).
file_sha256 = sha256_of
__all__ = ["BackupFailed", "database_kind", "file_sha256", "snapshot", "sqlite_path"]

log = logging.getLogger(__name__)

#: Name of a finished backup on the backup host.
NAME_RE = re.compile(r"^prepress-(?P<stamp>\d{8}T\d{6}Z)\.(?P<kind>sqlite|pgdump)\.gz$")
#: Suffix of the checksum file beside each backup.
CHECKSUM_SUFFIX = ".sha256"
#: Suffix of a file still being uploaded.
PARTIAL_SUFFIX = ".partial"
#: Seconds for the SSH connection and each SFTP operation.
SSH_TIMEOUT = 30.0
#: Seconds after which an unfinished upload's leftovers are deleted.
STALE_AFTER = 86400
#: Bytes read at a time when hashing and copying.
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BackupInfo:
    """One backup on the backup host."""

    name: str
    size: int
    taken_at: datetime  # UTC, from the name
    kind: str  # "sqlite" or "pgdump"
    sha256: str = ""


# --- names and retention -------------------------------------------------------------------


def backup_name(taken_at: datetime, kind: str) -> str:
    """The file name of a backup of ``kind`` taken at ``taken_at``."""
    return f"prepress-{taken_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.{kind}.gz"


def parse_name(name: str) -> tuple[datetime, str] | None:
    """(time taken, kind) of a backup name, or None for any other file."""
    match = NAME_RE.match(name)
    if not match:
        return None
    taken = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return taken, match["kind"]


def names_to_keep(names: Iterable[str], keep_daily: int, keep_monthly: int) -> set[str]:
    """The backup names retention keeps: newest per day for keep_daily days, per month for
    keep_monthly months. Names that are not backups are not considered."""
    dated = sorted(
        ((parsed[0], name) for name in names if (parsed := parse_name(name))), reverse=True
    )
    newest_by_day: dict[date, str] = {}
    newest_by_month: dict[tuple[int, int], str] = {}
    for taken, name in dated:
        newest_by_day.setdefault(taken.date(), name)
        newest_by_month.setdefault((taken.year, taken.month), name)
    days = sorted(newest_by_day, reverse=True)[:keep_daily]
    months = sorted(newest_by_month, reverse=True)[:keep_monthly]
    return {newest_by_day[d] for d in days} | {newest_by_month[m] for m in months}


# --- the beat schedule ------------------------------------------------------------------------


def backup_time(settings: BackupSettings) -> tuple[int, int]:
    """(hour, minute) of the nightly backup, local time."""
    hour, _, minute = settings.time.partition(":")
    return int(hour), int(minute)


# --- the backup host -------------------------------------------------------------------------


class _BackupHost:
    """The backup host as a target of pipeline.delivery: its SFTP session and the one error
    table (pipeline/delivery/mapping.py), worded as the backup's own errors: a fault a retry
    may cure is BackupHostUnavailable, a refusal BackupFailed."""

    def __init__(self, settings: BackupSettings) -> None:
        self.target = Target(
            scheme="sftp",
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password="",
            path=settings.remote_dir,
            masked=f"sftp://{settings.user}@{settings.host}:{settings.port}",
        )

    def failure(
        self, cls: type[TransientError | PermanentError], what: str, said: object
    ) -> BackupHostUnavailable | BackupFailed:
        where = f"backup host {self.target.user}@{self.target.host}:{self.target.port}"
        if issubclass(cls, TransientError):
            return BackupHostUnavailable(f"{where}: {what} ({said}); the backup is retried.")
        return BackupFailed(f"{where}: {what} ({said}); fix this, the next run will not help.")


@contextlib.contextmanager
def backup_host(settings: BackupSettings) -> Iterator[SftpTransport]:
    """An SFTP session on the backup host; the host key must already be known.

    Every error met inside the session (connect, upload, listing, prune) is classified.
    """
    _check_settings(settings)
    host = _BackupHost(settings)
    known_hosts = settings.known_hosts or None  # None: ~/.ssh/known_hosts
    with (
        map_exceptions(host.failure),
        sftp_session(
            host.target, host.failure, SSH_TIMEOUT, known_hosts, settings.key_file or None
        ) as sftp,
    ):
        yield sftp


class _BackupUpload(Transfer):
    """One file sent to the backup host: delivery's transfer, worded as the backup's."""

    def __init__(self, settings: BackupSettings, local: Path) -> None:
        host = _BackupHost(settings)
        remote = posixpath.join(settings.remote_dir, local.name)
        super().__init__(host.target, local, remote, local.stat().st_size, None)
        self.host = host
        self.replace = True  # names carry the time taken: a file of that name is this one

    def failure(
        self, cls: type[TransientError | PermanentError], what: str, said: object
    ) -> TransientError | PermanentError:
        return self.host.failure(cls, what, said)


def _check_settings(settings: BackupSettings) -> None:
    if not settings.enabled:
        raise ConfigError(
            "[backup] host and user are not set; add them to prepress.toml "
            "(see docs/operations.md)."
        )
    if settings.key_file and not Path(settings.key_file).is_file():
        raise ConfigError(
            f"backup.key_file = {settings.key_file}: file not found; create the "
            "key with ssh-keygen -t ed25519 and authorize its .pub on the "
            "backup host."
        )
    if settings.known_hosts and not Path(settings.known_hosts).is_file():
        raise ConfigError(
            f"backup.known_hosts = {settings.known_hosts}: file not found; "
            f"create it with ssh-keyscan -p {settings.port} {settings.host} and "
            "check the fingerprint."
        )


def _remote_sha256(sftp: paramiko.SFTPClient, path: str) -> str:
    with sftp.open(path, "rb") as handle:
        handle.prefetch()
        return sha256_of_stream(handle)


def _upload(sftp: SftpTransport, settings: BackupSettings, local: Path, sha256: str) -> None:
    """Upload ``local`` into the backup folder under ``<name>.partial``, the way bureau
    uploads go (pipeline.delivery), checking size and sha256 before the rename."""

    def verify(partial: str) -> None:
        if _remote_sha256(sftp.client, partial) != sha256:
            sftp.remove(partial)
            raise BackupFailed(
                f"{partial}: the uploaded copy differs from the local file {local.name} "
                "(sha256); check the backup host's disk and retry."
            )

    send(
        sftp,
        _BackupUpload(settings, local),
        settings.remote_dir,
        local.name,
        part=partial_name(local.name, sha256),
        verify=verify,
    )


def partial_name(name: str, sha256: str) -> str:
    """The temporary name of ``name`` while it uploads: ``<name>.<sha256 prefix>.partial``.

    Names carry the second the snapshot was taken, so a retry within that second makes a
    new snapshot (other bytes) under the same name; the checksum in the temporary name keeps
    it from resuming the first attempt's ``.partial``, which would only fail the readback.
    """
    return f"{name}.{sha256[:12]}{PARTIAL_SUFFIX}"


def list_remote(sftp: paramiko.SFTPClient, remote_dir: str) -> list[BackupInfo]:
    """Finished backups in ``remote_dir``, newest first."""
    try:
        entries = sftp.listdir_attr(remote_dir)
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        parsed = parse_name(entry.filename)
        if parsed and entry.st_mode is not None and stat.S_ISREG(entry.st_mode):
            found.append(BackupInfo(entry.filename, entry.st_size or 0, parsed[0], parsed[1]))
    return sorted(found, key=lambda info: info.taken_at, reverse=True)


def prune(
    sftp: paramiko.SFTPClient, settings: BackupSettings, now: datetime | None = None
) -> list[str]:
    """Delete the backups retention does not keep (and their checksums); return their names.

    Leftovers of interrupted runs (``.partial`` files, checksums without their backup) older
    than a day go too; younger ones may belong to a run still uploading.
    """
    _remove_stale_leftovers(sftp, settings.remote_dir, now or datetime.now(UTC))
    backups = list_remote(sftp, settings.remote_dir)
    keep = names_to_keep([b.name for b in backups], settings.keep_daily, settings.keep_monthly)
    removed = []
    for info in backups:
        if info.name in keep:
            continue
        for name in (info.name, info.name + CHECKSUM_SUFFIX):
            with contextlib.suppress(FileNotFoundError):
                sftp.remove(posixpath.join(settings.remote_dir, name))
        removed.append(info.name)
    return removed


def _remove_stale_leftovers(sftp: paramiko.SFTPClient, remote_dir: str, now: datetime) -> None:
    entries = sftp.listdir_attr(remote_dir)
    names = {entry.filename for entry in entries}
    for entry in entries:
        name = entry.filename
        orphan = (
            name.endswith(CHECKSUM_SUFFIX)
            and parse_name(name[: -len(CHECKSUM_SUFFIX)])
            and name[: -len(CHECKSUM_SUFFIX)] not in names
        )
        partial = name.endswith(PARTIAL_SUFFIX) and name.startswith("prepress-")
        age = now.timestamp() - (entry.st_mtime or 0)
        if (orphan or partial) and age > STALE_AFTER:
            with contextlib.suppress(FileNotFoundError):
                sftp.remove(posixpath.join(remote_dir, name))


# --- the operations ---------------------------------------------------------------------------


def run_backup(config: Config, now: datetime | None = None) -> BackupInfo:
    """Take, upload, verify and prune one backup; return what is now on the backup host."""
    settings = config.backup
    kind = database_kind(config.database_url)
    taken_at = now or datetime.now(UTC)
    name = backup_name(taken_at, kind)
    with tempfile.TemporaryDirectory(prefix="prepress-backup-") as work:
        raw, packed = Path(work) / "snapshot", Path(work) / name
        snapshot(config.database_url, raw)
        sha256 = compress(raw, packed)
        raw.unlink()
        checksum = Path(work) / (name + CHECKSUM_SUFFIX)
        checksum.write_text(f"{sha256}  {name}\n", encoding="ascii")
        with backup_host(settings) as sftp:
            _upload(sftp, settings, checksum, file_sha256(checksum))
            _upload(sftp, settings, packed, sha256)
            info = BackupInfo(name, packed.stat().st_size, taken_at.astimezone(UTC), kind, sha256)
            removed = prune(sftp.client, settings, now)
    log.info(
        "backup %s uploaded to %s:%s (%d bytes, sha256 %s); pruned %d old backup(s)",
        name,
        settings.host,
        settings.remote_dir,
        info.size,
        sha256,
        len(removed),
    )
    return info


def list_backups(config: Config) -> list[BackupInfo]:
    """The backups on the backup host, newest first."""
    with backup_host(config.backup) as sftp:
        return list_remote(sftp.client, config.backup.remote_dir)


def restore(config: Config, name: str, before_load: Callable[[], None] | None = None) -> None:
    """Download backup ``name``, check its sha256 and load it into the configured database.

    ``before_load`` runs after the file is verified and before the database is touched (the
    command asks for confirmation there).
    """
    parsed = parse_name(name)
    if parsed is None:
        raise BackupFailed(
            f"{name!r} is not a backup name; run `prepress backup list` and "
            "copy a name like prepress-20260101T023000Z.sqlite.gz."
        )
    settings = config.backup
    with tempfile.TemporaryDirectory(prefix="prepress-restore-") as work:
        packed, raw = Path(work) / name, Path(work) / "snapshot"
        remote = posixpath.join(settings.remote_dir, name)
        with backup_host(settings) as sftp:
            try:
                sftp.client.get(remote + CHECKSUM_SUFFIX, str(packed) + CHECKSUM_SUFFIX)
                sftp.client.get(remote, str(packed))
            except FileNotFoundError:
                raise BackupFailed(
                    f"{settings.host}:{remote}: backup or its {CHECKSUM_SUFFIX} "
                    "not found; run `prepress backup list`."
                ) from None
        expected = Path(str(packed) + CHECKSUM_SUFFIX).read_text(encoding="ascii").split()[:1]
        actual = file_sha256(packed)
        if expected != [actual]:
            raise BackupFailed(
                f"{settings.host}:{remote}: checksum mismatch (expected "
                f"{expected[0] if expected else 'nothing'}, got {actual}); the "
                "file is damaged, restore an older backup."
            )
        try:
            with gzip.open(packed, "rb") as source, raw.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
        except (OSError, EOFError) as exc:
            raise BackupFailed(f"{name}: cannot be decompressed ({exc}).") from None
        if before_load is not None:
            before_load()
        load_snapshot(config.database_url, parsed[1], raw)
    log.warning("database %s restored from backup %s", mask_secrets(config.database_url), name)
