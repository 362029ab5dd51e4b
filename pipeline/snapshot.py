"""The database side of the backup: a consistent snapshot, loading one back, compressing.

SQLite is copied with the online backup API, so jobs keep writing while it runs; PostgreSQL
is dumped with ``pg_dump -Fc`` and restored with ``pg_restore`` (the password goes through
the environment, never the command line). pipeline/backup.py moves the files to and from the
backup host.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pipeline.errors import BackupFailed, ConfigError, mask_secrets
from pipeline.files import sha256_of
from pipeline.text import outside_text

#: Bytes read at a time when compressing.
CHUNK = 1024 * 1024


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
        detail = outside_text(result.stderr, secrets)  # masked, one line, cut
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
    return sha256_of(target)
