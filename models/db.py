"""Engine, sessions and migrations.

SQLite (WAL, busy timeout) is the embedded default; PostgreSQL is used by URL. The schema is
created on first start and changed only through the alembic migrations in models/migrations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

#: Seconds a SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_SECONDS = 30
#: Folder of the alembic environment.
MIGRATIONS = Path(__file__).parent / "migrations"


#: Engines of this process, by URL.
_engines: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """One engine per database URL per process."""
    if url not in _engines:
        _engines[url] = _create(url)
    return _engines[url]


def _forget_parent_connections() -> None:
    """In a forked child (Celery prefork), never reuse the parent's pooled connections."""
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


def _create(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (creates it on first start)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine_for(url)
    command.upgrade(config, "head")


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine_for(url), expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
