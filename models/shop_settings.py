"""The shop's settings in the database: every pushed version, the newest is the current one.

``prepress config push`` adds a version (its sha256, who pushed it, when, from which file);
pushing settings equal to the current version adds nothing. Every host reads the current
version at start (pipeline/config/hosts.py). The stored settings never hold a secret: the
URL passwords were removed before (pipeline/config/shared.py), and :func:`push` refuses
settings that still carry one.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel, col, select

from models.db import session
from models.job import utcnow
from pipeline.config.hosts import HostConfig, PushedSettings, load_host_config
from pipeline.config.shared import ShopSettings, url_password_keys
from pipeline.errors import ConfigError


class ShopSettingsVersion(SQLModel, table=True):
    """One pushed version of the shop's settings."""

    __tablename__ = "shop_settings"

    version: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True)
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    pushed_at: datetime = Field(default_factory=utcnow)
    pushed_by: str = ""
    source: str = ""


def current(url: str) -> PushedSettings | None:
    """The newest pushed version at ``url``; None when nothing was pushed (or no table yet)."""
    if _missing_sqlite_file(url):
        return None
    try:
        with session(url) as db:
            row = db.exec(
                select(ShopSettingsVersion).order_by(col(ShopSettingsVersion.version).desc())
            ).first()
    except SQLAlchemyError as exc:
        if _no_table(exc):
            return None
        raise ConfigError(
            f"cannot read the shop's settings from the database: {type(exc).__name__}; "
            f"check [database] url and that the database is reachable from this host"
        ) from None
    return _pushed(row) if row is not None else None


def history(url: str) -> list[PushedSettings]:
    """Every pushed version, newest first."""
    with session(url) as db:
        rows = db.exec(
            select(ShopSettingsVersion).order_by(col(ShopSettingsVersion.version).desc())
        ).all()
    return [_pushed(row) for row in rows]


def push(url: str, settings: ShopSettings, source: Path | None) -> tuple[PushedSettings, bool]:
    """Store ``settings`` as the current version; ``(version, True)`` when it is new.

    Settings equal to the current version are not stored again: ``(current, False)``.
    """
    leaking = url_password_keys(settings.sections)
    if leaking:
        raise ConfigError(f"{', '.join(leaking)}: a password in a URL; shop settings not pushed")
    latest = current(url)
    if latest is not None and latest.settings.sha256 == settings.sha256:
        return latest, False
    row = ShopSettingsVersion(
        sha256=settings.sha256,
        document=settings.document(),
        pushed_by=pusher(),
        source=str(source.resolve()) if source else "",
    )
    with session(url) as db:
        db.add(row)
    return _pushed(row), True


def host_config(
    path: str | os.PathLike[str] | None = None,
    *,
    queues: tuple[str, ...] | None = None,
    check: bool = False,
    prepare: Callable[[str], None] | None = None,
) -> HostConfig:
    """This host's configuration with the shop's settings from its database: the one loader
    (pipeline/config/hosts.py) with this package's reader of the pushed settings. Every
    process loads through here; the CLI's commands pass the same reader to the loader through
    commands/cli.py's ``pushed_settings``, which imports it only when it is asked."""
    return load_host_config(path, current, queues=queues, check=check, prepare=prepare)


def pusher() -> str:
    """Who pushes: ``user@host``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _pushed(row: ShopSettingsVersion) -> PushedSettings:
    assert row.version is not None
    return PushedSettings(
        settings=ShopSettings.from_document(row.document),
        version=row.version,
        pushed_by=row.pushed_by,
        pushed_at=f"{row.pushed_at:%Y-%m-%d %H:%M} UTC",
        source=row.source,
    )


def _missing_sqlite_file(url: str) -> bool:
    """A SQLite URL whose file does not exist: nothing pushed (and no empty file made)."""
    if not url.startswith("sqlite"):
        return False
    path = url.split("///", 1)[-1]
    return bool(path) and path != ":memory:" and not Path(path).exists()


def _no_table(exc: SQLAlchemyError) -> bool:
    text = str(exc).lower()
    return "shop_settings" in text and ("no such table" in text or "does not exist" in text)
