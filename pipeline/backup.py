"""The nightly database backup: snapshot, compress, checksum, upload over SFTP, prune, restore.

A backup is one gzip file on the backup host, named ``prepress-YYYYMMDDTHHMMSSZ.<kind>.gz``
(``kind`` is ``sqlite`` or ``pgdump``), with ``<name>.sha256`` beside it in ``sha256sum``
format. SQLite is copied with the online backup API, so jobs keep writing while it runs;
PostgreSQL is dumped with ``pg_dump -Fc``. The file is uploaded under a temporary name, read
back and checked (size and sha256), and only then renamed, so a name without ``.partial`` is
always a complete backup. Host keys are checked against ``[backup] known_hosts`` (else
``~/.ssh/known_hosts``): an unknown or changed key is refused, never added.

Retention: the newest backup of each of the ``keep_daily`` most recent days, plus the newest of
each of the ``keep_monthly`` most recent months, are kept; every other backup is deleted.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import posixpath
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import paramiko

from pipeline.config import BackupSettings, Config
from pipeline.errors import BackupFailed, BackupHostUnavailable, ConfigError, mask_secrets

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


def database_kind(database_url: str) -> str:
    """``sqlite`` or ``pgdump`` for a SQLAlchemy URL; ConfigError for anything else."""
    scheme = urlsplit(database_url).scheme.split("+")[0]
    if scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgresql", "postgres"}:
        return "pgdump"
    raise ConfigError(
        f"database.url: cannot back up a {scheme!r} database; "
        "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB."
    )


def sqlite_path(database_url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL."""
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        raise ConfigError(
            f"database.url = {database_url!r}: an in-memory database cannot be "
            "backed up; point it at a file: sqlite:////srv/prepress/var/prepress.db"
        )
    return Path(path)


def _pg_target(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), env


def _run(argv: list[str], env: dict[str, str], what: str, secrets: tuple[str, ...]) -> None:
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupFailed(
            f"{argv[0]} not found; install the PostgreSQL client "
            "(apt-get install postgresql-client)"
        ) from None
    if result.returncode != 0:
        detail = mask_secrets(result.stderr.strip(), secrets)
        raise BackupFailed(f"{what} failed (status {result.returncode}): {detail}")


def snapshot(database_url: str, target: Path) -> None:
    """Write a consistent snapshot of the database to ``target`` (uncompressed)."""
    if database_kind(database_url) == "sqlite":
        source_path = sqlite_path(database_url)
        if not source_path.is_file():
            raise BackupFailed(f"{source_path}: database file not found; check database.url.")
        source = sqlite3.connect(source_path, timeout=60)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # all pages in one step: a single consistent read
        finally:
            copy.close()
            source.close()
        return
    url, env = _pg_target(database_url)
    password = urlsplit(database_url).password or ""
    _run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(target), f"--dbname={url}"],
        env,
        "pg_dump",
        (password,),
    )


def load_snapshot(database_url: str, kind: str, source: Path) -> None:
    """Replace the database's content with the snapshot in ``source``."""
    if database_kind(database_url) != kind:
        raise BackupFailed(
            f"a {kind} backup cannot be restored into {mask_secrets(database_url)};"
            " pick a backup of the configured database type."
        )
    if kind == "sqlite":
        target_path = sqlite_path(database_url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        snap = sqlite3.connect(source)
        live = sqlite3.connect(target_path, timeout=60)
        try:
            check = snap.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupFailed(f"{source.name}: the snapshot is damaged ({check}).")
            snap.backup(live)  # page by page under the writer lock: readers see old or new
        finally:
            live.close()
            snap.close()
        return
    url, env = _pg_target(database_url)
    password = urlsplit(database_url).password or ""
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={url}",
            str(source),
        ],
        env,
        "pg_restore",
        (password,),
    )


def compress(source: Path, target: Path) -> str:
    """gzip ``source`` into ``target``; return the sha256 of ``target``."""
    with source.open("rb") as raw, gzip.open(target, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)
    return file_sha256(target)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the backup host -------------------------------------------------------------------------


@contextlib.contextmanager
def backup_host(settings: BackupSettings) -> Iterator[paramiko.SFTPClient]:
    """An SFTP session on the backup host; the host key must already be known."""
    _check_settings(settings)
    client = paramiko.SSHClient()
    try:
        if settings.known_hosts:
            client.load_host_keys(settings.known_hosts)
        else:
            client.load_system_host_keys()
        # Never trust on first use: an unknown key is refused like a changed one.
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        _connect(client, settings)
        sftp = client.open_sftp()
        sftp.get_channel().settimeout(SSH_TIMEOUT)
        try:
            yield sftp
        finally:
            sftp.close()
    finally:
        client.close()


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


def _connect(client: paramiko.SSHClient, settings: BackupSettings) -> None:
    """Log in with the configured key; turn paramiko's errors into messages with the fix."""
    where = f"{settings.user}@{settings.host}:{settings.port}"
    try:
        client.connect(
            settings.host,
            port=settings.port,
            username=settings.user,
            key_filename=settings.key_file or None,
            timeout=SSH_TIMEOUT,
            banner_timeout=SSH_TIMEOUT,
            auth_timeout=SSH_TIMEOUT,
            allow_agent=False,
            look_for_keys=not settings.key_file,
        )
    except paramiko.BadHostKeyException:
        raise BackupFailed(
            f"backup host {where}: its host key has CHANGED from the one in known_hosts; "
            "refusing to connect. Check the host; if the change is expected, replace the "
            "line in backup.known_hosts."
        ) from None
    except paramiko.AuthenticationException:
        raise BackupFailed(
            f"backup host {where}: login refused for key "
            f"{settings.key_file or '(default keys)'}; install the public key "
            "in the backup user's authorized_keys."
        ) from None
    except paramiko.SSHException as exc:
        if "known_hosts" not in str(exc):
            raise BackupHostUnavailable(f"backup host {where}: {exc}") from None
        raise BackupFailed(
            f"backup host {where}: host key unknown; refusing to connect. Add it with "
            f"ssh-keyscan -p {settings.port} {settings.host} >> "
            f"{settings.known_hosts or '~/.ssh/known_hosts'} after checking the "
            "fingerprint."
        ) from None
    except OSError as exc:
        raise BackupHostUnavailable(f"backup host {where} unreachable: {exc}") from None


def _makedirs(sftp: paramiko.SFTPClient, folder: str) -> None:
    current = "/" if folder.startswith("/") else ""
    for part in [p for p in folder.split("/") if p]:
        current = posixpath.join(current, part) if current else part
        try:
            sftp.stat(current)
        except FileNotFoundError:
            sftp.mkdir(current)


def _remote_sha256(sftp: paramiko.SFTPClient, path: str) -> str:
    digest = hashlib.sha256()
    with sftp.open(path, "rb") as handle:
        handle.prefetch()
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _upload(sftp: paramiko.SFTPClient, local: Path, remote: str, sha256: str) -> None:
    """Upload ``local`` to ``remote`` through a temporary name, checking it before the rename."""
    partial = remote + PARTIAL_SUFFIX
    sftp.put(str(local), partial, confirm=True)
    size = sftp.stat(partial).st_size
    if size != local.stat().st_size or _remote_sha256(sftp, partial) != sha256:
        sftp.remove(partial)
        raise BackupFailed(
            f"{remote}: the uploaded copy differs from the local file "
            f"(size {size} vs {local.stat().st_size}); check the backup host's "
            "disk and retry."
        )
    sftp.posix_rename(partial, remote)


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
            _makedirs(sftp, settings.remote_dir)
            remote = posixpath.join(settings.remote_dir, name)
            _upload(sftp, checksum, remote + CHECKSUM_SUFFIX, file_sha256(checksum))
            _upload(sftp, packed, remote, sha256)
            info = BackupInfo(name, packed.stat().st_size, taken_at.astimezone(UTC), kind, sha256)
            removed = prune(sftp, settings, now)
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
        return list_remote(sftp, config.backup.remote_dir)


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
                sftp.get(remote + CHECKSUM_SUFFIX, str(packed) + CHECKSUM_SUFFIX)
                sftp.get(remote, str(packed))
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


def notify_failure(config: Config, error: BaseException) -> None:
    """Send the admin an SMS about a failed backup when SMS is configured; never raises."""
    if not (config.sms.enabled and config.sms.admin):
        return
    body = mask_secrets(f"prepress backup FAILED: {error}", config.secrets())[:300]
    try:
        from pipeline.sms import SmsClient

        with SmsClient(config.sms) as client:
            for number in config.sms.admin:
                client.messages.create(to=number, body=body)
    except Exception:  # noqa: BLE001 - the backup error matters more than the SMS one
        log.exception("could not send the backup failure SMS to the admin")
