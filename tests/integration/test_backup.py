"""The database backup against a real OpenSSH sshd on loopback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from commands.cli import main
from models.db import migrate
from pipeline import backup
from pipeline.config import Config, config_from_dict
from tasks.app import BACKUP_ENTRY, beat_schedule
from testkit.sinks import SmsSink
from tests.fixtures import BASE_CONFIG
from tests.services import port_open, require
from tests.sshd import SshServer, make_ed25519_key

#: The project root, for the status process's import path.
ROOT = Path(__file__).resolve().parents[2]


def backup_config(
    tmp_path: Path, sshd: SshServer, database_url: str | None = None, **backup_keys: object
) -> Config:
    raw = dict(
        BASE_CONFIG,
        paths={"work_dir": str(tmp_path / "work")},
        database={"url": database_url or f"sqlite:///{tmp_path / 'prepress.db'}"},
        backup={
            "host": sshd.host,
            "port": sshd.port,
            "user": sshd.user,
            "key_file": str(sshd.key_file),
            "known_hosts": str(sshd.known_hosts),
            "remote_dir": str(sshd.root / "backups"),
            **backup_keys,
        },
    )
    return config_from_dict(raw, source=tmp_path / "prepress.toml")


def make_jobs_db(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE job (id INTEGER PRIMARY KEY, name TEXT, state TEXT)")
        db.executemany(
            "INSERT INTO job (name, state) VALUES (?, ?)",
            [(f"Заказ {i} $(rm) `x`", "done") for i in range(rows)],
        )
    db.close()


def read_rows(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT id, name, state FROM job ORDER BY id").fetchall()
    finally:
        db.close()


@pytest.fixture
def sqlite_config(tmp_path: Path, sshd: SshServer) -> Config:
    """A configuration with a SQLite database of 200 jobs and the test sshd as backup host."""
    config = backup_config(tmp_path, sshd)
    make_jobs_db(backup.sqlite_path(config.database_url), 200)
    return config


def test_backup_while_jobs_keep_writing(sqlite_config: Config, sshd: SshServer) -> None:
    # Given a writer inserting jobs as fast as it can
    db_path = backup.sqlite_path(sqlite_config.database_url)
    stop = threading.Event()
    written = []

    def write() -> None:
        db = sqlite3.connect(db_path, timeout=30)
        try:
            while not stop.is_set():
                with db:
                    db.execute("INSERT INTO job (name, state) VALUES ('new', 'queued')")
                written.append(1)
        finally:
            db.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        # When a backup runs meanwhile
        info = backup.run_backup(sqlite_config)
    finally:
        stop.set()
        writer.join()
    # Then the uploaded file is a sound snapshot holding between 200 and all rows
    remote = sshd.root / "backups" / info.name
    assert remote.stat().st_size == info.size
    assert backup.file_sha256(remote) == info.sha256
    checksum_line = Path(str(remote) + ".sha256").read_text(encoding="ascii")
    assert checksum_line == f"{info.sha256}  {info.name}\n"
    restored = sqlite_config.paths.work_dir / "check.db"
    restored.parent.mkdir(parents=True, exist_ok=True)
    backup.load_snapshot(f"sqlite:///{restored}", "sqlite", _gunzip(remote, restored.parent))
    count = len(read_rows(restored))
    assert written and 200 <= count <= 200 + len(written)
    assert not list((sshd.root / "backups").glob("*.partial"))


def _gunzip(packed: Path, folder: Path) -> Path:
    import gzip

    target = folder / "snapshot.sqlite"
    with gzip.open(packed, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def test_restore_round_trip_gives_identical_rows(sqlite_config: Config) -> None:
    # Given a backup of 200 jobs, after which the jobs table changes
    db_path = backup.sqlite_path(sqlite_config.database_url)
    before = read_rows(db_path)
    info = backup.run_backup(sqlite_config)
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM job WHERE id % 3 = 0")
        db.execute("UPDATE job SET state = 'failed'")
        db.execute("INSERT INTO job (name, state) VALUES ('later', 'queued')")
    db.close()
    # When the backup is restored
    backup.restore(sqlite_config, info.name)
    # Then the rows are exactly those of the backup
    assert read_rows(db_path) == before


def test_restore_command_asks_first_and_restores_with_yes(
    sqlite_config: Config, tmp_path: Path
) -> None:
    # Given a backup listed by `prepress backup list`
    toml = tmp_path / "prepress.toml"
    _write_toml(toml, sqlite_config)
    runner = CliRunner()
    made = runner.invoke(main, ["--config", str(toml), "backup", "now"])
    assert made.exit_code == 0, made.output
    name = made.output.split()[0]
    listed = runner.invoke(main, ["--config", str(toml), "backup", "list"])
    assert name in listed.output
    db_path = backup.sqlite_path(sqlite_config.database_url)
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM job")
    db.close()
    # When restore is answered "n", then run with --yes
    refused = runner.invoke(main, ["--config", str(toml), "restore", name], input="n\n")
    rows_after_refusal = len(read_rows(db_path))
    done = runner.invoke(main, ["--config", str(toml), "restore", name, "--yes"])
    # Then nothing changed on "n", and --yes restored the 200 jobs
    assert refused.exit_code == 1 and rows_after_refusal == 0
    assert done.exit_code == 0, done.output
    assert len(read_rows(db_path)) == 200


def _status(toml: Path) -> dict[str, Any]:
    """``prepress status --json`` in a process of its own (a process uses one broker for its
    life), on a broker nobody listens on: the last backup needs only the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREPRESS_", "CELERY_"))}
    env.update(PYTHONPATH=str(ROOT), PREPRESS_BROKER_URL="redis://127.0.0.1:1/0")
    argv = [sys.executable, "-m", "commands", "--config", str(toml), "status", "--json"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout)


def test_backup_now_is_the_last_backup_status_shows(tmp_path: Path, sshd: SshServer) -> None:
    # Given a shop with a migrated database and no backup taken yet
    config = backup_config(tmp_path, sshd)
    migrate(config.database_url)
    toml = tmp_path / "prepress.toml"
    _write_toml(toml, config)
    before = _status(toml)
    # When the operator takes a backup by hand
    made = CliRunner().invoke(main, ["--config", str(toml), "backup", "now", "--json"])
    assert made.exit_code == 0, made.output
    # Then `prepress status` shows it as the last backup, read from the database
    after = _status(toml)
    assert before["last_backup"] is None
    assert after["last_backup"]["name"] == json.loads(made.output)["name"]
    assert after["last_backup"]["size"] == json.loads(made.output)["size"] > 0
    assert not (config.paths.var / "last-backup.json").exists()


def _write_toml(path: Path, config: Config, extra: str = "") -> None:
    settings = config.backup
    presses = "\n".join(
        f"[presses.{p.name}]\nplate_mm = [{p.plate_mm[0]}, {p.plate_mm[1]}]\n"
        f"gripper_mm = {p.gripper_mm}\n"
        for p in config.presses.values()
    )
    path.write_text(
        f'[paths]\nwork_dir = "{config.paths.work_dir}"\n'
        f'[database]\nurl = "{config.database_url}"\n{presses}'
        "[outputters.Leonov]\n"
        f'[backup]\nhost = "{settings.host}"\nport = {settings.port}\nuser = "{settings.user}"\n'
        f'key_file = "{settings.key_file}"\nknown_hosts = "{settings.known_hosts}"\n'
        f'remote_dir = "{settings.remote_dir}"\n' + extra,
        encoding="utf-8",
    )
    path.chmod(0o600)


def test_corrupted_remote_file_is_refused_on_restore(
    sqlite_config: Config, sshd: SshServer
) -> None:
    # Given a backup whose remote file had one byte flipped afterwards
    info = backup.run_backup(sqlite_config)
    remote = sshd.root / "backups" / info.name
    data = bytearray(remote.read_bytes())
    data[len(data) // 2] ^= 0xFF
    remote.write_bytes(bytes(data))
    db_path = backup.sqlite_path(sqlite_config.database_url)
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM job WHERE id > 10")
    db.close()
    # When it is restored
    with pytest.raises(backup.BackupFailed, match="checksum mismatch") as refused:
        backup.restore(sqlite_config, info.name)
    # Then the restore is refused and the database is untouched
    assert info.name in str(refused.value)
    assert len(read_rows(db_path)) == 10


def test_unknown_host_key_is_refused(tmp_path: Path, sshd: SshServer) -> None:
    # Given a known_hosts file that does not list the backup host
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("", encoding="ascii")
    config = backup_config(tmp_path, sshd, known_hosts=str(empty))
    make_jobs_db(backup.sqlite_path(config.database_url), 3)
    # When a backup runs, then it is refused and nothing is uploaded or added to known_hosts
    with pytest.raises(backup.BackupFailed, match="host key is not in known_hosts"):
        backup.run_backup(config)
    assert not (sshd.root / "backups").exists()
    assert empty.read_text(encoding="ascii") == ""


def test_changed_host_key_is_refused(tmp_path: Path, sshd: SshServer) -> None:
    # Given a known_hosts file with another key for the backup host
    other = make_ed25519_key(tmp_path / "other_host_key").split()
    changed = tmp_path / "known_hosts_changed"
    changed.write_text(f"[{sshd.host}]:{sshd.port} {other[0]} {other[1]}\n", encoding="ascii")
    config = backup_config(tmp_path, sshd, known_hosts=str(changed))
    # When the backups are listed, then the connection is refused as a changed key
    with pytest.raises(backup.BackupFailed, match="host key differs from known_hosts"):
        backup.list_backups(config)


def test_retention_keeps_exactly_what_it_should(tmp_path: Path, sshd: SshServer) -> None:
    # Given backups on the host: two a day for 40 days, plus one a month for a year before
    config = backup_config(tmp_path, sshd, keep_daily=3, keep_monthly=2)
    make_jobs_db(backup.sqlite_path(config.database_url), 1)
    folder = sshd.root / "backups"
    folder.mkdir()
    now = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    old = [now - timedelta(days=d, hours=h) for d in range(1, 41) for h in (0, 1)]
    old += [datetime(2025, m, 15, 2, 30, tzinfo=UTC) for m in range(1, 13)]
    for taken in old:
        name = backup.backup_name(taken, "sqlite")
        (folder / name).write_bytes(b"x")
        (folder / (name + ".sha256")).write_text("x", encoding="ascii")
    (folder / "notes.txt").write_text("not a backup", encoding="utf-8")
    stale = [
        folder / "prepress-20260301T023000Z.sqlite.gz.partial",
        folder / "prepress-20260302T023000Z.sqlite.gz.sha256",
    ]
    fresh = folder / "prepress-20260310T020000Z.sqlite.gz.partial"  # a run still uploading
    for leftover, age in ((stale[0], 2), (stale[1], 2), (fresh, 0.5)):
        leftover.write_bytes(b"x")
        mtime = (now - timedelta(hours=age * 24)).timestamp()
        os.utime(leftover, (mtime, mtime))
    # When tonight's backup runs
    info = backup.run_backup(config, now=now)
    # Then kept: tonight, the newest of the two previous days, the newest of February, and
    # an upload younger than a day; an old .partial and a checksum without backup are gone
    names = sorted(p.name for p in folder.iterdir())
    expected = sorted(
        [
            info.name,
            backup.backup_name(datetime(2026, 3, 9, 2, 30, tzinfo=UTC), "sqlite"),
            backup.backup_name(datetime(2026, 3, 8, 2, 30, tzinfo=UTC), "sqlite"),
            backup.backup_name(datetime(2026, 2, 28, 2, 30, tzinfo=UTC), "sqlite"),
        ]
    )
    assert names == sorted(expected + [n + ".sha256" for n in expected] + ["notes.txt", fresh.name])


def test_postgresql_round_trip(tmp_path: Path, sshd: SshServer) -> None:
    # Given a PostgreSQL database with a jobs table (skipped where no server runs)
    require(
        port_open("127.0.0.1", 5432) and shutil.which("pg_dump") is not None,
        "PostgreSQL on 127.0.0.1:5432 and pg_dump are needed",
    )
    psycopg = pytest.importorskip("psycopg")
    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"prepress_backup_{tmp_path.name[-12:].replace('-', '_').lower()}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        require(False, f"cannot log in to PostgreSQL as postgres: {exc}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    plain = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        with psycopg.connect(plain) as db:
            db.execute("CREATE TABLE job (id serial PRIMARY KEY, name text)")
            db.execute("INSERT INTO job (name) SELECT 'Заказ ' || g FROM generate_series(1, 50) g")
        config = backup_config(tmp_path, sshd, database_url=url)
        # When it is backed up, changed and restored
        info = backup.run_backup(config)
        with psycopg.connect(plain) as db:
            db.execute("DELETE FROM job WHERE id > 5")
        backup.restore(config, info.name)
        # Then all 50 rows are back
        with psycopg.connect(plain) as db:
            count = db.execute("SELECT count(*) FROM job").fetchone()
        assert info.name.endswith(".pgdump.gz")
        assert count == (50,)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_failed_backup_is_logged_recorded_and_told_to_the_admin(
    tmp_path: Path,
    sshd: SshServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a backup host whose key is not in known_hosts, and an SMS provider for the admin
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("", encoding="ascii")
    config = backup_config(tmp_path, sshd, known_hosts=str(empty))
    toml = tmp_path / "prepress.toml"
    from models.db import migrate
    from pipeline.config import load_config
    from tasks.app import use_config
    from tasks.ops import backup_database
    from tasks.watchdog import Watchdog

    with SmsSink("shop", "sms-pw") as sms:
        _write_toml(
            toml,
            config,
            f'[sms]\napi_url = "{sms.url}"\nlogin = "shop"\n'
            'password = "sms-pw"\nadmin = ["+380670000001"]\n',
        )
        config = load_config(toml)
        migrate(config.database_url)
        use_config(config)
        try:
            # When the nightly task runs (a refusal: not retried)
            result = backup_database.apply()
            with pytest.raises(backup.BackupFailed, match="host key is not in known_hosts"):
                result.get()
            # And the watchdog looks, twice
            Watchdog(config).check_backup()
            Watchdog(config).check_backup()
        finally:
            use_config(None)
    # Then the failure is in the log and the admin got one SMS, without the SMS password
    assert "nightly backup failed" in caplog.text and result.state == "FAILURE"
    assert [m.phones for m in sms.messages] == ["+380670000001"]
    assert "backup failed" in sms.messages[0].mes and "known_hosts" in sms.messages[0].mes
    assert "sms-pw" not in sms.messages[0].mes


def test_a_retry_in_the_same_second_does_not_resume_the_other_snapshots_partial(
    tmp_path: Path, sshd: SshServer
) -> None:
    # Given a first run at 02:30:00 cut 150 kB into its upload, its .partial left behind
    from testkit.sinks import CuttingProxy

    taken_at = datetime(2026, 3, 15, 2, 30, tzinfo=UTC)
    with CuttingProxy((sshd.host, sshd.port), cut_after=150_000) as line:
        known = tmp_path / "known_hosts_proxy"
        key = sshd.host_key_line.split(" ", 1)[1]
        known.write_text(f"[{line.host}]:{line.port} {key}\n", encoding="ascii")
        config = backup_config(tmp_path, sshd, known_hosts=str(known))
        config = replace(config, backup=replace(config.backup, host=line.host, port=line.port))
        database = backup.sqlite_path(config.database_url)
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE blob (data BLOB)")  # about 1 MB that gzip cannot shrink
            db.executemany("INSERT INTO blob VALUES (?)", [(os.urandom(4096),) for _ in range(256)])
        db.close()
        with pytest.raises(backup.BackupHostUnavailable):
            backup.run_backup(config, now=taken_at)
        assert list((sshd.root / "backups").glob("*.partial"))
        # When jobs change the database and the retry runs within the same second
        with sqlite3.connect(database) as db:
            db.execute("INSERT INTO blob VALUES (?)", (os.urandom(4096),))
        db.close()
        info = backup.run_backup(config, now=taken_at)

    # Then the retry's own snapshot is uploaded whole, not glued to the first one's start
    remote = sshd.root / "backups" / info.name
    assert remote.is_file() and backup.file_sha256(remote) == info.sha256
    assert [p.name for p in (sshd.root / "backups").glob("prepress-*.gz")] == [info.name]


def test_dropped_connection_is_retried_and_the_backup_is_there(
    tmp_path: Path, sshd: SshServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a line to the backup host that drops the first connection 150 kB into the upload
    from models.db import migrate
    from tasks.app import use_config
    from tasks.ops import backup_database
    from testkit.sinks import CuttingProxy

    with CuttingProxy((sshd.host, sshd.port), cut_after=150_000) as line:
        known = tmp_path / "known_hosts_proxy"
        key = sshd.host_key_line.split(" ", 1)[1]
        known.write_text(f"[{line.host}]:{line.port} {key}\n", encoding="ascii")
        config = backup_config(tmp_path, sshd, known_hosts=str(known))
        config = replace(config, backup=replace(config.backup, host=line.host, port=line.port))
        migrate(config.database_url)
        with sqlite3.connect(backup.sqlite_path(config.database_url)) as db:
            db.execute("CREATE TABLE blob (data BLOB)")  # about 1 MB that gzip cannot shrink
            db.executemany("INSERT INTO blob VALUES (?)", [(os.urandom(4096),) for _ in range(256)])
        db.close()
        use_config(config)
        try:
            # When the nightly task runs
            result = backup_database.apply()
        finally:
            use_config(None)

    # Then the dropped line was a transient fault, retried, and the backup is complete
    assert result.state == "SUCCESS", result.result
    assert "retry 1" in caplog.text and line.cuts_left <= 0
    name = result.result["name"]
    remote = sshd.root / "backups" / name
    assert remote.is_file() and backup.file_sha256(remote) == result.result["sha256"]
    finished = [p.name for p in (sshd.root / "backups").glob("prepress-*.gz")]
    assert finished == [name]  # the cut attempt left only a .partial (pruned after a day)
    from models import incidents

    ok, failed, _ = incidents.backup_outcomes(config.database_url)
    assert ok is not None and failed is None


def test_beat_runs_the_backup_at_the_configured_local_time(tmp_path: Path, sshd: SshServer) -> None:
    config = backup_config(tmp_path, sshd, time="01:05")
    entry = beat_schedule(config)[BACKUP_ENTRY]
    assert entry["task"] == "tasks.backup_database"
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {5}
