"""One host's configuration: its own prepress.toml plus the shop's settings, checked.

A host's prepress.toml is one of two kinds:

* a **shop file** has ``[presses]``: it holds the whole shop (the single host, or the main
  host the settings are pushed from). It is used as it is. Once settings were pushed, a
  process that takes work (``prepress up``, ``worker``, ``watch``, ``beat``) refuses to start
  when any shop section differs from the pushed version, naming the sections and the fix.
* a **host file** has no ``[presses]``: only broker, database, paths and the secrets this host
  needs. The shop's settings come from the pushed version; a shop section it still has must
  be equal to the pushed one.

Nothing pushed and a shop file: the file wins (one host needs no extra step). Nothing pushed
and a host file: a configuration error saying to push from the main host.

The pushed settings are read through ``pushed(database_url)``, a function the caller passes
(models/shop_settings.py reads them from the database), so this module stays free of it.

:func:`load_host_config` is the one loader: every process (the CLI, the workers, watcher and
beat, the reload between tasks, the dashboard, the demo) reads its configuration through it,
with the environment's overrides applied once (reader.with_environment).
:func:`load_config` is the same loader for a shop file with no database to ask.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config.reader import (
    config_from_dict,
    database_url_from,
    read_toml,
    warn_if_world_readable,
    with_environment,
)
from pipeline.config.settings import DEFAULT_BROKER_URL, Config
from pipeline.config.shared import (
    SHOP_SECTIONS,
    ShopSettings,
    local_part,
    shop_settings,
    with_shop_settings,
)
from pipeline.errors import ConfigError

#: Queues a worker may serve: cpu (analysis, previews), io (uploads, SMS, records), ops (backup).
QUEUES = ("cpu", "io", "ops")
#: Host names of a broker on this machine.
_LOCAL_HOSTS = frozenset({"", "localhost", "localhost.localdomain"})

#: Reads the pushed shop settings of the database at a URL (None: nothing pushed).
PushedReader = Callable[[str], "PushedSettings | None"]
#: Readies the database at a URL before anything is read from it (a process migrates).
DatabaseHook = Callable[[str], None]


@dataclass(frozen=True)
class PushedSettings:
    """A version of the shop's settings as stored: who pushed it, when, from where."""

    settings: ShopSettings
    version: int
    pushed_by: str
    pushed_at: str
    source: str

    def label(self) -> str:
        return (
            f"version {self.version} ({self.settings.short}, pushed by {self.pushed_by} "
            f"at {self.pushed_at})"
        )


@dataclass(frozen=True)
class HostConfig:
    """A host's checked configuration and where its shop settings came from."""

    config: Config
    #: The pushed version of the shop's settings; None when nothing was pushed or looked up.
    pushed: PushedSettings | None
    #: The shop's settings as this host uses them.
    shop: ShopSettings
    #: True when the shop's settings came from the pushed version (a host file).
    from_pushed: bool

    def origin(self) -> str:
        """Where the shop's settings came from, for the start-up line."""
        if self.pushed is None:
            return f"{self.shop.short} from {self.config.source} (nothing pushed)"
        where = "the database" if self.from_pushed else f"{self.config.source}, equal to"
        return f"{where} {self.pushed.label()}"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """A shop file's configuration, read by the one loader with no pushed settings to ask."""
    return load_host_config(path, _nothing_pushed).config


def _nothing_pushed(database_url: str) -> None:
    return None


def load_host_config(
    path: str | os.PathLike[str] | None,
    pushed: PushedReader,
    *,
    queues: Iterable[str] | None = None,
    check: bool = False,
    prepare: DatabaseHook | None = None,
) -> HostConfig:
    """This host's configuration; raise ConfigError naming the file, the keys and the fix.

    ``check`` (processes that take work) refuses a shop file that differs from the pushed
    settings, and SQLite when the broker is on another host. ``queues`` are what this process
    serves: an io worker must have the upload and SMS secrets; without io none is looked up
    (a cpu-only host has none). None means a command, not a worker: it looks up secrets only
    when its file is a shop file. ``prepare`` gets the database URL first (a process migrates).
    """
    source, file = read_toml(path)
    raw = with_environment(file)
    own = shop_settings(raw)
    shop_file = "presses" in own.sections
    database_url = database_url_from(raw, source)
    if prepare is not None:
        prepare(database_url)
    if check:
        check_shareable_database(database_url, _broker_url(raw), source)
    current = pushed(database_url) if check or not shop_file else None
    if current is not None:
        names = SHOP_SECTIONS if shop_file else tuple(own.sections)
        differing = own.differing(current.settings, names)
        if differing:
            raise ConfigError(_differ_message(source, differing, current, shop_file))
    if shop_file:
        merged, shop = dict(raw), own
    elif current is not None:
        merged, shop = with_shop_settings(raw, current.settings), current.settings
    else:
        raise ConfigError(_nothing_pushed_message(source))
    serves = tuple(queues) if queues is not None else None
    if serves is not None and "io" in serves:
        check_io_secrets(merged, shop.stripped if not shop_file else (), source)
    elif serves is not None or not shop_file:
        merged = without_io_secrets(merged)
    config = config_from_dict(merged, source=source)
    warn_if_world_readable(source, config)
    return HostConfig(config, current, shop, from_pushed=not shop_file)


def without_io_secrets(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` without the secrets only uploads and SMS need (for hosts that do neither)."""
    trimmed = dict(raw)
    for section in ("presses", "outputters"):
        tables = raw.get(section)
        if isinstance(tables, Mapping):
            trimmed[section] = {
                name: {k: v for k, v in table.items() if k != "password_env"}
                if isinstance(table, Mapping)
                else table
                for name, table in tables.items()
            }
    sms = raw.get("sms")
    if isinstance(sms, Mapping):
        trimmed["sms"] = {k: v for k, v in sms.items() if k not in {"password", "password_env"}}
    return trimmed


def missing_io_secrets(
    raw: Mapping[str, Any], stripped: Iterable[str], environ: Mapping[str, str]
) -> list[str]:
    """What an io worker lacks to upload and send SMS, one line per secret.

    ``raw`` is the host's merged configuration, ``stripped`` the keys whose URL password was
    removed before the shop's settings were pushed.
    """
    missing = []
    for key in stripped:
        if "password_env" not in _table_of(raw, key):
            missing.append(
                f"{key}: its password was written into the URL on the host that pushed the "
                f"shop settings, and passwords are never pushed; there, move it to "
                f'password_env = "NAME" and push again, and set NAME on this host'
            )
    for key, table in _tables_with_password_env(raw):
        name = table["password_env"]
        if not isinstance(name, str) or not environ.get(name):
            missing.append(f"{key}.password_env: environment variable {name!r} is not set")
    sms = raw.get("sms", {})
    if isinstance(sms, Mapping) and sms.get("login"):
        name = sms.get("password_env")
        if name is not None and not environ.get(str(name)):
            missing.append(f"sms.password_env: environment variable {name!r} is not set")
        elif name is None and not sms.get("password"):
            missing.append(
                "sms.password: [sms] login is set but this host has no SMS password; set the "
                "variable named by sms.password_env (or [sms] password in this host's file)"
            )
    return missing


def check_io_secrets(
    raw: Mapping[str, Any],
    stripped: Iterable[str],
    source: Path,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Refuse an io worker that could not upload or send: ConfigError listing what it lacks."""
    missing = missing_io_secrets(raw, stripped, environ)
    if missing:
        raise ConfigError(
            f"{source}: this worker serves the io queue (uploads to the bureaus and presses, "
            f"SMS) but lacks secrets:\n  - "
            + "\n  - ".join(missing)
            + "\nSet them in this host's environment (prepress.env), or serve only the cpu "
            "queue here: prepress worker --queues cpu"
        )


def check_shareable_database(database_url: str, broker_url: str, source: Path | None) -> None:
    """Refuse SQLite when the broker is on another host: other hosts cannot share the file."""
    if not database_url.startswith("sqlite") or is_local_broker(broker_url):
        return
    host = urlsplit(broker_url).hostname
    raise ConfigError(
        f"{source}: [database] url is SQLite ({database_url.split('///')[-1]}) "
        f"but [celery] broker_url is on {host}, so workers run on more than one host, and "
        f"a SQLite file cannot be shared between hosts. Use PostgreSQL on every host: "
        f'[database] url = "postgresql+psycopg://prepress@DB-HOST/prepress" (password in '
        f"$PREPRESS_DATABASE_URL), or keep the broker on 127.0.0.1 for a single host."
    )


def _broker_url(raw: Mapping[str, Any]) -> str:
    """The broker URL of ``raw`` (environment overrides already applied)."""
    celery = raw.get("celery")
    named = celery.get("broker_url") if isinstance(celery, Mapping) else None
    return str(named or DEFAULT_BROKER_URL)


def is_local_broker(url: str) -> bool:
    """True when the broker is embedded, a Unix socket or on a loopback address."""
    if url == "embedded" or "://" not in url or url.startswith(("redis+socket", "unix")):
        return True
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_queues(text: str) -> tuple[str, ...]:
    """``cpu,io`` as a tuple; ConfigError for a queue prepress has not."""
    queues = tuple(q.strip() for q in text.split(",") if q.strip())
    unknown = [q for q in queues if q not in QUEUES]
    if unknown or not queues:
        raise ConfigError(
            f"--queues {text!r}: unknown queue(s) {unknown}; choose from {', '.join(QUEUES)}"
        )
    return queues


def _differ_message(
    source: Path, differing: list[str], current: PushedSettings, shop_file: bool
) -> str:
    sections = ", ".join(f"[{name}]" for name in differing)
    fix = (
        "If this file is the shop's new settings, run `prepress config push` here; if "
        "the pushed ones are right, make these sections equal to them (`prepress config "
        "show`) or delete [presses], [outputters], [marks], [analysis], [staff] and the "
        "shop keys of [sms] from this host's file to use the pushed ones."
        if shop_file
        else "Delete these sections from this host's file (the pushed ones are used), or "
        "push the change from the main host."
    )
    return (
        f"{source}: {sections} differ from the shop's settings in the database "
        f"({current.label()}); this host refuses work so that every host decides alike. "
        f"`prepress config diff` shows how they differ. {fix}"
    )


def _nothing_pushed_message(source: Path) -> str:
    return (
        f"{source}: presses: none here, and no shop settings were pushed to the database. "
        f"This host's file holds only its own part (broker, database, paths, secrets): on the "
        f"main host, whose prepress.toml has the presses and bureaus, run `prepress config "
        f"push`, then start this host again."
    )


def _table_of(sections: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The table holding dotted ``key`` (``outputters.Leonov.url`` -> the Leonov table)."""
    table: Any = sections
    for part in key.split(".")[:-1]:
        table = table.get(part, {}) if isinstance(table, Mapping) else {}
    return table if isinstance(table, Mapping) else {}


def _tables_with_password_env(sections: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    found = []
    for section in ("presses", "outputters"):
        for name, table in sections.get(section, {}).items():
            if isinstance(table, Mapping) and "password_env" in table:
                found.append((f"{section}.{name}", table))
    return found


__all__ = [
    "QUEUES",
    "HostConfig",
    "PushedSettings",
    "check_io_secrets",
    "check_shareable_database",
    "is_local_broker",
    "load_config",
    "load_host_config",
    "local_part",
    "missing_io_secrets",
    "parse_queues",
    "without_io_secrets",
]
