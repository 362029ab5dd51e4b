"""prepress.toml: finding, reading and checking it; the defaults and types are in settings.py.

The file is found by ``--config PATH``, else ``$PREPRESS_CONFIG``, else ``./prepress.toml``.
Environment variables that override keys (``PREPRESS_BROKER_URL``...: settings.ENV_OVERRIDES)
are applied by :func:`with_environment` alone, once per load (pipeline/config/hosts.py's
loader). Every problem raises :class:`ConfigError` naming the file and the key. Secrets may
sit in the file (a warning is logged when it is readable by group or others) or in
environment variables the file names (``password_env``); they are resolved here and never
stored anywhere else.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config.checking import Reader as _Reader
from pipeline.config.checking import check_placeholders
from pipeline.config.checking import with_password as _with_password
from pipeline.config.invoice import INVOICE_KEY, read_invoice_columns
from pipeline.config.ledger import (
    OUTPUTTER_KEYS,
    read_currency,
    read_lead_hours,
    read_prices,
    read_remake_reasons,
    read_taken,
    read_ticket,
)
from pipeline.config.people import read_alerts, read_staff, resolve_phones
from pipeline.config.preflight import read_preflight, settings_from
from pipeline.config.services import _backup, _flower, _limits, _retry, _sms, _web
from pipeline.config.settings import (
    CONFIG_ENV,
    DEFAULT_BROKER_URL,
    DEFAULT_CONFIG_NAME,
    DEFAULT_DATABASE_FILE,
    DEFAULT_FTP_ACTIVE,
    DEFAULT_MARKS,
    DEFAULT_MAX_PAGES,
    DEFAULT_MIN_FREE_MB,
    DEFAULT_NOTIFY,
    DEFAULT_POLLING,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_STABLE_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    DEFAULT_WORK_DIR,
    ENV_OVERRIDES,
    NUMERIC_OVERRIDES,
    Config,
    Outputter,
    Paths,
    Press,
)
from pipeline.config.shop import read_csv_format, read_targets
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

#: Internal: configuration files this process (or its parent) already warned about.
_WARNED_ENV = "_PREPRESS_WARNED_READABLE"


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where the configuration is: the explicit path, $PREPRESS_CONFIG, or ./prepress.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def read_toml(path: str | os.PathLike[str] | None = None) -> tuple[Path, dict[str, Any]]:
    """Find prepress.toml and parse it, unchecked: ``(where it is, its tables)``."""
    source = find_config_path(path)
    try:
        return source, tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{source}: configuration file not found. Copy prepress.example.toml to "
            f"{source} or pass --config PATH (or set ${CONFIG_ENV})."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc}); fix the syntax.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{source}: arrays or tables nested too deep to read; fix the file."
        ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ConfigError(f"{source}: cannot be read ({exc.strerror}).") from None


def with_environment(
    raw: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """``raw`` with the keys :data:`ENV_OVERRIDES` names replaced by the variables that are set.

    The one place these variables are read. An override also replaces the key's ``_env``
    form (``PREPRESS_FLOWER_PASSWORD`` wins over ``[flower] password_env``).
    """
    merged = dict(raw)
    for name, (section, key) in ENV_OVERRIDES.items():
        given = environ.get(name)
        if not given:
            continue
        table = merged.get(section, {})
        if not isinstance(table, Mapping):
            continue  # not a table: the reader names the key
        kept = {k: v for k, v in table.items() if k != f"{key}_env"}
        merged[section] = {**kept, key: _override_value(name, given)}
    return merged


def _override_value(name: str, given: str) -> str | float:
    if name not in NUMERIC_OVERRIDES:
        return given
    try:
        return float(given)
    except ValueError:
        raise ConfigError(f"${name}: must be a number, got {given!r}; fix the variable.") from None


def database_url_from(raw: Mapping[str, Any], source: Path | None = None) -> str:
    """The database URL parsed TOML names (after with_environment), checking only the keys it
    reads: a host reads its shop settings from there before the rest is checked."""
    reader = _Reader(source)
    return _database_url(reader, raw, _paths(reader, reader.table(raw, "paths"), _base(source)))


def config_from_dict(raw: Mapping[str, Any], source: Path | None = None) -> Config:
    """Build a Config from already parsed TOML, as given: processes load through the one
    loader (pipeline.config.hosts.load_host_config), which applies the environment first;
    tests build one from a dict."""
    reader = _Reader(source)
    reader.only(
        raw,
        "",
        {
            "paths",
            "database",
            "celery",
            "watcher",
            "presses",
            "outputters",
            "marks",
            "sms",
            "backup",
            "flower",
            "analysis",
            "web",
            "staff",
            "alerts",
            "retry",
            "preflight",
            "limits",
            "shop",
            "remakes",
            "targets",
        },
    )
    paths = _paths(reader, reader.table(raw, "paths"), _base(source))
    celery = reader.table(raw, "celery")
    reader.only(celery, "celery", {"broker_url", "result_backend", "visibility_timeout"})
    broker = reader.text(celery, "celery.broker_url", DEFAULT_BROKER_URL)
    watcher = reader.table(raw, "watcher")
    reader.only(watcher, "watcher", {"stable_seconds", "polling", "retention_days"})
    analysis = reader.table(raw, "analysis")
    reader.only(analysis, "analysis", {"max_pages"})
    staff = read_staff(reader, reader.table(raw, "staff"))
    presses = _staff_phones(reader, _presses(reader, reader.table(raw, "presses")), staff)
    outputters = _outputters(reader, reader.table(raw, "outputters"), presses)
    sms = _sms(reader, reader.table(raw, "sms"))
    csv_separator, locale = read_csv_format(reader, raw)
    sms = replace(
        sms,
        recipients=resolve_phones(reader, sms.recipients, "sms.recipients", staff),
        admin=resolve_phones(reader, sms.admin, "sms.admin", staff),
    )
    return Config(
        source=source,
        presses=presses,
        outputters=outputters,
        marks=_marks(reader, reader.table(raw, "marks")),
        paths=paths,
        database_url=_database_url(reader, raw, paths),
        broker_url=broker,
        result_backend=reader.text(celery, "celery.result_backend", broker),
        visibility_timeout=int(
            reader.number(celery, "celery.visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)
        ),
        stable_seconds=reader.number(watcher, "watcher.stable_seconds", DEFAULT_STABLE_SECONDS),
        polling=reader.boolean(watcher, "watcher.polling", DEFAULT_POLLING),
        retention_days=int(
            reader.number(watcher, "watcher.retention_days", DEFAULT_RETENTION_DAYS)
        ),
        max_pages=int(reader.number(analysis, "analysis.max_pages", DEFAULT_MAX_PAGES)),
        sms=sms,
        backup=_backup(reader, reader.table(raw, "backup")),
        flower=_flower(reader, reader.table(raw, "flower")),
        web=_web(reader, reader.table(raw, "web")),
        staff=staff,
        alerts=read_alerts(reader, reader.table(raw, "alerts")),
        retry=_retry(reader, reader.table(raw, "retry")),
        preflight=settings_from(
            read_preflight(reader, reader.table(raw, "preflight"), "preflight")
        ),
        limits=_limits(reader, reader.table(raw, "limits")),
        currency=read_currency(reader, raw),
        csv_separator=csv_separator,
        locale=locale,
        probe_minutes=read_targets(reader, raw),
        remake_reasons=read_remake_reasons(reader, raw),
    )


def _staff_phones(
    reader: _Reader, presses: dict[str, Press], staff: Mapping[str, Any]
) -> dict[str, Press]:
    """Press ``sms`` lists may name [staff] members: their phones replace the names."""
    return {
        name: replace(press, sms=resolve_phones(reader, press.sms, f"presses.{name}.sms", staff))
        for name, press in presses.items()
    }


def _paths(reader: _Reader, raw: Mapping[str, Any], base: Path) -> Paths:
    """``[paths]``: the work folder, and optionally the hotfolder, done/ and failed/ elsewhere.

    Relative paths are relative to the configuration file's folder.
    """
    reader.only(raw, "paths", {"work_dir", "hotfolder", "done", "failed", "min_free_mb"})

    def resolve(key: str, default: str = "") -> Path | None:
        text = reader.text(raw, f"paths.{key}", default)
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else base / path

    work_dir = resolve("work_dir", DEFAULT_WORK_DIR)
    assert work_dir is not None
    min_free = reader.number(raw, "paths.min_free_mb", DEFAULT_MIN_FREE_MB)
    if min_free < 0 or min_free != int(min_free):
        raise reader.fail(
            "paths.min_free_mb", f"must be a whole number of MB, 0 or more, got {min_free:g}"
        )
    return Paths(work_dir, resolve("hotfolder"), resolve("done"), resolve("failed"), int(min_free))


def _base(source: Path | None) -> Path:
    """The folder relative paths in the configuration start from."""
    return source.parent if source else Path.cwd()


def _database_url(reader: _Reader, raw: Mapping[str, Any], paths: Paths) -> str:
    database = reader.table(raw, "database")
    reader.only(database, "database", {"url"})
    return reader.text(database, "database.url", f"sqlite:///{paths.var / DEFAULT_DATABASE_FILE}")


def _presses(reader: _Reader, raw: Mapping[str, Any]) -> dict[str, Press]:
    if not raw:
        raise reader.fail(
            "presses",
            "no press configured; add a [presses.NAME] table with plate_mm and gripper_mm",
        )
    presses = {}
    for name, table in raw.items():
        key = f"presses.{name}"
        if not isinstance(table, Mapping):
            raise reader.fail(key, "must be a table")
        reader.only(
            table,
            key,
            {
                "plate_mm",
                "gripper_mm",
                "preview_url",
                "password_env",
                "sms",
                "plate_cost",
                "preflight",
            },
        )
        plate = table.get("plate_mm")
        if (
            not isinstance(plate, list)
            or len(plate) != 2
            or not all(isinstance(v, int | float) and v > 0 for v in plate)
        ):
            raise reader.fail(f"{key}.plate_mm", f"must be [width, height] in mm, got {plate!r}")
        if "gripper_mm" not in table:
            raise reader.fail(
                f"{key}.gripper_mm", "missing; the paper edge above the plate's bottom edge, in mm"
            )
        presses[name] = Press(
            name=name,
            plate_mm=(float(plate[0]), float(plate[1])),
            gripper_mm=reader.number(table, f"{key}.gripper_mm"),
            preview_url=_with_password(
                reader.text(table, f"{key}.preview_url") or None,
                table.get("password_env"),
                f"{key}.password_env",
                reader,
            ),
            sms=reader.strings(table, f"{key}.sms"),
            plate_cost=(
                reader.number(table, f"{key}.plate_cost") if "plate_cost" in table else None
            ),
            preflight=read_preflight(
                reader, reader.table(table, f"{key}.preflight"), f"{key}.preflight"
            ),
        )
    return presses


def _outputters(
    reader: _Reader, raw: Mapping[str, Any], presses: Mapping[str, Press]
) -> dict[str, Outputter]:
    if not raw:
        raise reader.fail("outputters", "no CTP bureau configured; add an [outputters.NAME] table")
    outputters = {}
    for name, table in raw.items():
        key = f"outputters.{name}"
        if not isinstance(table, Mapping):
            raise reader.fail(key, "must be a table")
        reader.only(
            table,
            key,
            {"url", "password_env", "dir_by_press", "filename", "notify", "active", "preflight"}
            | OUTPUTTER_KEYS
            | {INVOICE_KEY},
        )
        dirs = reader.table(table, f"{key}.dir_by_press")
        for press, folder in dirs.items():
            if press not in presses:
                raise reader.fail(
                    f"{key}.dir_by_press.{press}",
                    f"press not configured; known: {', '.join(presses)}",
                )
            if not isinstance(folder, str):
                raise reader.fail(f"{key}.dir_by_press.{press}", "must be a string")
        filename = reader.text(table, f"{key}.filename") or None
        if filename:
            check_placeholders(filename, f"{key}.filename", reader.source)
        taken = read_taken(reader, table, key)
        outputters[name] = Outputter(
            name=name,
            url=_with_password(
                reader.text(table, f"{key}.url") or None,
                table.get("password_env"),
                f"{key}.password_env",
                reader,
            ),
            dir_by_press=dict(dirs),
            filename=filename,
            notify=reader.boolean(table, f"{key}.notify", DEFAULT_NOTIFY),
            active=reader.boolean(table, f"{key}.active", DEFAULT_FTP_ACTIVE),
            preflight=read_preflight(
                reader, reader.table(table, f"{key}.preflight"), f"{key}.preflight"
            ),
            ticket=read_ticket(reader, table, key),
            lead_hours=read_lead_hours(reader, table, key),
            taken_poll_minutes=taken[0],
            taken_alert_hours=taken[1],
            prices=read_prices(reader, table, key),
            invoice=read_invoice_columns(reader, table, key),
        )
    return outputters


def _marks(reader: _Reader, raw: Mapping[str, Any]) -> dict[str, str]:
    import re

    marks = dict(DEFAULT_MARKS)
    for name, table in raw.items():
        key = f"marks.{name}"
        if not isinstance(table, Mapping):
            raise reader.fail(key, "must be a table with a pattern")
        reader.only(table, key, {"pattern"})
        pattern = reader.text(table, f"{key}.pattern")
        try:
            groups = set(re.compile(pattern).groupindex)
        except re.error as exc:
            raise reader.fail(f"{key}.pattern", f"not a valid regular expression ({exc})") from None
        if not groups & {"press", "outputter", "paper_w"}:
            raise reader.fail(
                f"{key}.pattern", "needs a named group press, outputter or paper_w and paper_h"
            )
        marks[name] = pattern
    return marks


def _holds_secrets(config: Config) -> bool:
    """Passwords of services, of the database and broker URLs, and password hashes (a hash
    read by others can be attacked offline)."""
    urls = (config.database_url, config.broker_url, config.result_backend)
    hashes = [user.password_hash for user in config.web.users.values()]
    return bool(config.secrets() or any(_url_password(url) for url in urls) or any(hashes))


def _url_password(url: str) -> str:
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def warn_if_world_readable(source: Path, config: Config) -> None:
    """Warn once per file: the processes ``prepress up`` starts inherit that it was said."""
    mode = source.stat().st_mode
    said = os.environ.get(_WARNED_ENV, "").split(os.pathsep)
    if _holds_secrets(config) and mode & (stat.S_IRGRP | stat.S_IROTH) and str(source) not in said:
        os.environ[_WARNED_ENV] = os.pathsep.join([*filter(None, said), str(source)])
        log.warning(
            "%s holds passwords and is readable by group or others; "
            "run: chmod 600 %s (or move them to environment variables)",
            source,
            source,
        )
