"""prepress.toml: finding, reading and checking it; the defaults and types are in settings.py.

The file is found by ``--config PATH``, else ``$PREPRESS_CONFIG``, else ``./prepress.toml``.
Every problem raises :class:`ConfigError` naming the file and the key. Secrets may sit in the
file (a warning is logged when it is readable by group or others) or in environment variables
the file names (``password_env``); they are resolved here and never stored anywhere else.
"""

from __future__ import annotations

import logging
import os
import stat
import string
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config.people import read_alerts, read_staff, resolve_phones
from pipeline.config.settings import (
    CONFIG_ENV,
    DEFAULT_BACKUP_TIME,
    DEFAULT_BROKER_URL,
    DEFAULT_CONFIG_NAME,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_MARKS,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_RECONCILE_EVERY,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SMS_API_URL,
    DEFAULT_SMS_TEMPLATE,
    DEFAULT_STABLE_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    DEFAULT_WORK_DIR,
    PLACEHOLDERS,
    WEB_ROLES,
    BackupSettings,
    Config,
    FlowerSettings,
    Outputter,
    Paths,
    Press,
    RetrySettings,
    SmsSettings,
    WebSettings,
    WebUser,
)
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


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read, check and return the configuration; raise ConfigError naming file and key."""
    source, raw = read_toml(path)
    config = config_from_dict(raw, source=source)
    warn_if_world_readable(source, config)
    return config


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


def database_url_from(raw: Mapping[str, Any], source: Path | None = None) -> str:
    """The database URL parsed TOML names ($PREPRESS_DATABASE_URL first), checking only the
    keys it reads: a host reads its shop settings from there before the rest is checked."""
    reader = _Reader(source)
    return _database_url(reader, raw, _paths(reader, reader.table(raw, "paths"), _base(source)))


def config_from_dict(raw: Mapping[str, Any], source: Path | None = None) -> Config:
    """Build a Config from already parsed TOML (tests and the demo use this directly)."""
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
        },
    )
    paths = _paths(reader, reader.table(raw, "paths"), _base(source))
    celery = reader.table(raw, "celery")
    reader.only(celery, "celery", {"broker_url", "result_backend", "visibility_timeout"})
    broker = os.environ.get("PREPRESS_BROKER_URL") or reader.text(
        celery, "celery.broker_url", DEFAULT_BROKER_URL
    )
    watcher = reader.table(raw, "watcher")
    reader.only(watcher, "watcher", {"stable_seconds", "polling", "retention_days"})
    analysis = reader.table(raw, "analysis")
    reader.only(analysis, "analysis", {"max_pages"})
    staff = read_staff(reader, reader.table(raw, "staff"))
    presses = _staff_phones(reader, _presses(reader, reader.table(raw, "presses")), staff)
    outputters = _outputters(reader, reader.table(raw, "outputters"), presses)
    sms = _sms(reader, reader.table(raw, "sms"))
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
        result_backend=os.environ.get("PREPRESS_RESULT_BACKEND")
        or reader.text(celery, "celery.result_backend", broker),
        visibility_timeout=int(
            reader.number(celery, "celery.visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)
        ),
        stable_seconds=reader.number(watcher, "watcher.stable_seconds", DEFAULT_STABLE_SECONDS),
        polling=reader.boolean(watcher, "watcher.polling", False),
        retention_days=int(
            reader.number(watcher, "watcher.retention_days", DEFAULT_RETENTION_DAYS)
        ),
        max_pages=int(reader.number(analysis, "analysis.max_pages", 2000)),
        sms=sms,
        backup=_backup(reader, reader.table(raw, "backup")),
        flower=_flower(reader, reader.table(raw, "flower")),
        web=_web(reader, reader.table(raw, "web")),
        staff=staff,
        alerts=read_alerts(reader, reader.table(raw, "alerts")),
        retry=_retry(reader, reader.table(raw, "retry")),
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
    reader.only(raw, "paths", {"work_dir", "hotfolder", "done", "failed"})

    def resolve(key: str, default: str = "") -> Path | None:
        text = reader.text(raw, f"paths.{key}", default)
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else base / path

    work_dir = resolve("work_dir", DEFAULT_WORK_DIR)
    assert work_dir is not None
    return Paths(work_dir, resolve("hotfolder"), resolve("done"), resolve("failed"))


def check_placeholders(template: str, key: str, source: Path | None) -> None:
    """Raise ConfigError when ``template`` uses a placeholder prepress does not fill."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(
            f"{source}: {key} = {template!r} is not a valid template ({exc})."
        ) from None
    unknown = sorted(n for n in names if n.split(".")[0].split("[")[0] not in PLACEHOLDERS)
    if unknown or "" in names:
        raise ConfigError(
            f"{source}: {key} uses unknown placeholder(s) {unknown or ['{}']}; "
            f"allowed: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}."
        )


def _base(source: Path | None) -> Path:
    """The folder relative paths in the configuration start from."""
    return source.parent if source else Path.cwd()


def _database_url(reader: _Reader, raw: Mapping[str, Any], paths: Paths) -> str:
    database = reader.table(raw, "database")
    reader.only(database, "database", {"url"})
    return os.environ.get("PREPRESS_DATABASE_URL") or reader.text(
        database, "database.url", f"sqlite:///{paths.var / 'prepress.db'}"
    )


class _Reader:
    """Typed access to parsed TOML with messages that name the file and the key."""

    def __init__(self, source: Path | None) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source or 'configuration'}: {key}: {problem}")

    def only(self, table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                name = f"{prefix}.{key}" if prefix else key
                raise self.fail(name, f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        return value

    def text(self, raw: Mapping[str, Any], key: str, default: str = "") -> str:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {value!r}")
        return value

    def number(self, raw: Mapping[str, Any], key: str, default: float) -> float:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(key, f"must be a number >= 0, got {value!r}")
        return float(value)

    def boolean(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def strings(self, raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"must be a list of strings, got {value!r}")
        return tuple(value)

    def secret(self, raw: Mapping[str, Any], key: str) -> str:
        """A password given inline or through ``<name>_env`` naming an environment variable."""
        name = key.rsplit(".", 1)[-1]
        env_name = raw.get(f"{name}_env")
        if env_name is not None:
            if not isinstance(env_name, str) or env_name not in os.environ:
                raise self.fail(f"{key}_env", f"environment variable {env_name!r} is not set")
            return os.environ[env_name]
        return self.text(raw, key)


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
            {"plate_mm", "gripper_mm", "preview_url", "password_env", "sms", "plate_cost"},
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
            gripper_mm=reader.number(table, f"{key}.gripper_mm", 0),
            preview_url=_with_password(
                reader.text(table, f"{key}.preview_url") or None,
                table.get("password_env"),
                f"{key}.password_env",
                reader,
            ),
            sms=reader.strings(table, f"{key}.sms"),
            plate_cost=(
                reader.number(table, f"{key}.plate_cost", 0) if "plate_cost" in table else None
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
            table, key, {"url", "password_env", "dir_by_press", "filename", "notify", "active"}
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
            notify=reader.boolean(table, f"{key}.notify", True),
            active=reader.boolean(table, f"{key}.active", False),
        )
    return outputters


def _with_password(url: str | None, env_name: Any, key: str, reader: _Reader) -> str | None:
    """Put the password from the named environment variable into the URL."""
    if url is None or env_name is None:
        return url
    if not isinstance(env_name, str) or env_name not in os.environ:
        raise reader.fail(key, f"environment variable {env_name!r} is not set")
    from urllib.parse import quote

    parts = urlsplit(url)
    user = parts.username or "anonymous"
    host = parts.hostname or ""
    netloc = f"{user}:{quote(os.environ[env_name], safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()


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


def _sms(reader: _Reader, raw: Mapping[str, Any]) -> SmsSettings:
    reader.only(
        raw,
        "sms",
        {
            "provider",
            "api_url",
            "login",
            "password",
            "password_env",
            "sender",
            "recipients",
            "admin",
            "template",
            "timeout",
        },
    )
    template = reader.text(raw, "sms.template", DEFAULT_SMS_TEMPLATE)
    check_placeholders(template, "sms.template", reader.source)
    provider = reader.text(raw, "sms.provider", "smsc")
    if provider != "smsc":
        raise reader.fail("sms.provider", f"unknown provider {provider!r}; supported: smsc")
    return SmsSettings(
        provider=provider,
        api_url=reader.text(raw, "sms.api_url", DEFAULT_SMS_API_URL),
        login=reader.text(raw, "sms.login"),
        password=reader.secret(raw, "sms.password"),
        sender=reader.text(raw, "sms.sender"),
        recipients=reader.strings(raw, "sms.recipients"),
        admin=reader.strings(raw, "sms.admin"),
        template=template,
        timeout=reader.number(raw, "sms.timeout", 15.0),
    )


def _backup(reader: _Reader, raw: Mapping[str, Any]) -> BackupSettings:
    reader.only(
        raw,
        "backup",
        {
            "host",
            "port",
            "user",
            "key_file",
            "known_hosts",
            "remote_dir",
            "keep_daily",
            "keep_monthly",
            "time",
        },
    )
    time = reader.text(raw, "backup.time", DEFAULT_BACKUP_TIME)
    hour, _, minute = time.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise reader.fail("backup.time", f"must be HH:MM local time, got {time!r}")
    return BackupSettings(
        host=reader.text(raw, "backup.host"),
        port=int(reader.number(raw, "backup.port", 22)),
        user=reader.text(raw, "backup.user"),
        key_file=reader.text(raw, "backup.key_file"),
        known_hosts=reader.text(raw, "backup.known_hosts"),
        remote_dir=reader.text(raw, "backup.remote_dir", "prepress-backups"),
        keep_daily=int(reader.number(raw, "backup.keep_daily", 14)),
        keep_monthly=int(reader.number(raw, "backup.keep_monthly", 12)),
        time=time,
    )


def _flower(reader: _Reader, raw: Mapping[str, Any]) -> FlowerSettings:
    reader.only(raw, "flower", {"address", "port", "user", "password", "password_env", "oauth"})
    oauth = reader.table(raw, "flower.oauth")
    return FlowerSettings(
        address=reader.text(raw, "flower.address", "127.0.0.1"),
        port=int(reader.number(raw, "flower.port", 5555)),
        user=os.environ.get("PREPRESS_FLOWER_USER") or reader.text(raw, "flower.user"),
        password=os.environ.get("PREPRESS_FLOWER_PASSWORD")
        or reader.secret(raw, "flower.password"),
        oauth={str(k): str(v) for k, v in oauth.items()},
    )


def _web(reader: _Reader, raw: Mapping[str, Any]) -> WebSettings:
    reader.only(raw, "web", {"address", "port", "users", "secret_key_env"})
    key_env = reader.text(raw, "web.secret_key_env")
    if key_env and key_env not in os.environ:
        raise reader.fail("web.secret_key_env", f"environment variable {key_env!r} is not set")
    users = {
        name: _web_user(reader, name, table)
        for name, table in reader.table(raw, "web.users").items()
    }
    return WebSettings(
        address=reader.text(raw, "web.address", "127.0.0.1"),
        port=int(reader.number(raw, "web.port", 8080)),
        users=users,
        secret_key=os.environ.get(key_env or "PREPRESS_WEB_SECRET_KEY", ""),
    )


def _web_user(reader: _Reader, name: str, table: Any) -> WebUser:
    """One ``[web.users.NAME]``: a role and a password by environment variable or by hash."""
    key = f"web.users.{name}"
    if not isinstance(table, Mapping):
        raise reader.fail(key, "must be a table with role and password_env or password_hash")
    reader.only(table, key, {"role", "password_env", "password_hash"})
    role = reader.text(table, f"{key}.role", "viewer")
    if role not in WEB_ROLES:
        raise reader.fail(f"{key}.role", f"{role!r} is not a role; choose {' or '.join(WEB_ROLES)}")
    password_hash = reader.text(table, f"{key}.password_hash")
    if ("password_env" in table) == bool(password_hash):
        raise reader.fail(
            key,
            "set exactly one of password_env (an environment variable "
            "holding the password) and password_hash (from `prepress web "
            "hash-password`)",
        )
    password = reader.secret(table, f"{key}.password") if "password_env" in table else ""
    if "password_env" in table and not password:
        raise reader.fail(f"{key}.password_env", "the environment variable is empty")
    return WebUser(name=name, role=role, password=password, password_hash=password_hash)


def _retry(reader: _Reader, raw: Mapping[str, Any]) -> RetrySettings:
    """``[retry]``, each key overridden by its environment variable (seconds)."""
    reader.only(raw, "retry", {"max_backoff", "give_up_after", "reconcile_every"})
    values = {}
    for key, default in (
        ("max_backoff", DEFAULT_MAX_BACKOFF),
        ("give_up_after", DEFAULT_GIVE_UP_AFTER),
        ("reconcile_every", DEFAULT_RECONCILE_EVERY),
    ):
        env = f"PREPRESS_{key.upper()}"
        given = os.environ.get(env)
        try:
            values[key] = float(given) if given else reader.number(raw, f"retry.{key}", default)
        except ValueError:
            raise reader.fail(f"${env}", f"must be a number of seconds, got {given!r}") from None
    if values["max_backoff"] < 1 or values["reconcile_every"] < 1:
        raise reader.fail("retry", "max_backoff and reconcile_every must be at least 1 second")
    return RetrySettings(**values)


def warn_if_world_readable(source: Path, config: Config) -> None:
    """Warn once per file: the processes ``prepress up`` starts inherit that it was said."""
    mode = source.stat().st_mode
    said = os.environ.get(_WARNED_ENV, "").split(os.pathsep)
    if config.secrets() and mode & (stat.S_IRGRP | stat.S_IROTH) and str(source) not in said:
        os.environ[_WARNED_ENV] = os.pathsep.join([*filter(None, said), str(source)])
        log.warning(
            "%s holds passwords and is readable by group or others; "
            "run: chmod 600 %s (or move them to environment variables)",
            source,
            source,
        )
