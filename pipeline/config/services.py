"""The tables of the services prepress talks to or offers: ``[sms]``, ``[backup]``,
``[flower]``, ``[web]`` and ``[retry]``, each read and checked key by key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeline.config.checking import Reader, check_placeholders
from pipeline.config.settings import (
    DEFAULT_BACKUP_TIME,
    DEFAULT_CPU_SECONDS,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_FILE_MB,
    DEFAULT_MEMORY_MB,
    DEFAULT_RECONCILE_EVERY,
    DEFAULT_SMS_API_URL,
    DEFAULT_SMS_TEMPLATE,
    DEFAULT_WALL_SECONDS,
    MAX_BUDGET_SECONDS,
    WEB_ROLES,
    BackupSettings,
    FlowerSettings,
    Limits,
    RetrySettings,
    SmsSettings,
    WebSettings,
    WebUser,
)


def _sms(reader: Reader, raw: Mapping[str, Any]) -> SmsSettings:
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


def _backup(reader: Reader, raw: Mapping[str, Any]) -> BackupSettings:
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


def _flower(reader: Reader, raw: Mapping[str, Any]) -> FlowerSettings:
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


def _web(reader: Reader, raw: Mapping[str, Any]) -> WebSettings:
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


def _web_user(reader: Reader, name: str, table: Any) -> WebUser:
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


def _retry(reader: Reader, raw: Mapping[str, Any]) -> RetrySettings:
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


def _limits(reader: Reader, raw: Mapping[str, Any]) -> Limits:
    """``[limits]``: the per-file budget; seconds stay under the Celery backstop."""
    reader.only(raw, "limits", {"wall_seconds", "cpu_seconds", "memory_mb", "max_file_mb"})
    limits = Limits(
        wall_seconds=reader.number(raw, "limits.wall_seconds", DEFAULT_WALL_SECONDS),
        cpu_seconds=reader.number(raw, "limits.cpu_seconds", DEFAULT_CPU_SECONDS),
        memory_mb=int(reader.number(raw, "limits.memory_mb", DEFAULT_MEMORY_MB)),
        max_file_mb=int(reader.number(raw, "limits.max_file_mb", DEFAULT_MAX_FILE_MB)),
    )
    for key in ("wall_seconds", "cpu_seconds"):
        if not 1 <= getattr(limits, key) <= MAX_BUDGET_SECONDS:
            raise reader.fail(
                f"limits.{key}",
                f"must be between 1 and {MAX_BUDGET_SECONDS} seconds (the step's hard "
                f"stop is longer), got {getattr(limits, key):g}",
            )
    if limits.memory_mb < 256 or limits.max_file_mb < 1:
        raise reader.fail(
            "limits.memory_mb" if limits.memory_mb < 256 else "limits.max_file_mb",
            "memory_mb must be at least 256 and max_file_mb at least 1",
        )
    return limits
