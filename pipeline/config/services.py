"""The tables of the services prepress talks to or offers: ``[sms]``, ``[backup]``,
``[flower]``, ``[web]`` and ``[retry]``, each read and checked key by key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeline.config.checking import Reader, check_placeholders
from pipeline.config.settings import (
    DEFAULT_BACKUP_TIME,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_IDLE_MINUTES,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_RECONCILE_EVERY,
    DEFAULT_SESSION_HOURS,
    DEFAULT_SMS_API_URL,
    DEFAULT_SMS_TEMPLATE,
    WEB_ROLES,
    BackupSettings,
    FlowerSettings,
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
    reader.only(
        raw,
        "web",
        {
            "address",
            "port",
            "users",
            "secret_key_env",
            "session_hours",
            "idle_minutes",
            "allowed_hosts",
            "behind_proxy",
        },
    )
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
        secret_key_env=key_env or "PREPRESS_WEB_SECRET_KEY",
        **_web_session(reader, raw),
    )


def _web_session(reader: Reader, raw: Mapping[str, Any]) -> dict[str, Any]:
    """How long a login lasts, which host names are ours, how many proxies are trusted."""
    hours = reader.number(raw, "web.session_hours", DEFAULT_SESSION_HOURS)
    idle = reader.number(raw, "web.idle_minutes", DEFAULT_IDLE_MINUTES)
    if hours <= 0 or idle <= 0:
        raise reader.fail("web", "session_hours and idle_minutes must be more than 0")
    proxies = raw.get("behind_proxy", 0)
    if isinstance(proxies, bool):
        proxies = int(proxies)
    if not isinstance(proxies, int) or not 0 <= proxies <= 5:
        raise reader.fail(
            "web.behind_proxy",
            f"must be the number of reverse proxies in front (0 to 5) or true, got {proxies!r}",
        )
    hosts = reader.strings(raw, "web.allowed_hosts")
    for host in hosts:
        if not host or any(c in host for c in "/:@ "):
            raise reader.fail(
                "web.allowed_hosts", f"{host!r} is not a host name; write names like prepress.shop"
            )
    return {
        "session_hours": hours,
        "idle_minutes": idle,
        "allowed_hosts": tuple(h.lower().rstrip(".") for h in hosts),
        "behind_proxy": proxies,
    }


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
