"""The tables of the services prepress talks to or offers: ``[sms]``, ``[backup]``,
``[flower]``, ``[web]`` and ``[retry]``, each read and checked key by key.

A secret only one process needs is checked by that process: the dashboard's passwords by
:func:`require_web_passwords`, Flower's login by :func:`flower_credentials`. Every other
command runs without them (a cpu host, ``prepress status``, the workers).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeline.config.checking import Reader, check_placeholders
from pipeline.config.settings import (
    DEFAULT_BACKUP_PORT,
    DEFAULT_BACKUP_REMOTE_DIR,
    DEFAULT_BACKUP_RETRIES,
    DEFAULT_BACKUP_TIME,
    DEFAULT_BEHIND_PROXY,
    DEFAULT_CPU_SECONDS,
    DEFAULT_FLOWER_ADDRESS,
    DEFAULT_FLOWER_PORT,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_IDLE_MINUTES,
    DEFAULT_KEEP_DAILY,
    DEFAULT_KEEP_MONTHLY,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_FILE_MB,
    DEFAULT_MEMORY_MB,
    DEFAULT_RECONCILE_EVERY,
    DEFAULT_SESSION_HOURS,
    DEFAULT_SMS_API_URL,
    DEFAULT_SMS_PROVIDER,
    DEFAULT_SMS_TEMPLATE,
    DEFAULT_SMS_TIMEOUT,
    DEFAULT_WALL_SECONDS,
    DEFAULT_WEB_ADDRESS,
    DEFAULT_WEB_PORT,
    DEFAULT_WEB_ROLE,
    DEFAULT_WEB_SECRET_KEY_ENV,
    FLOWER_OAUTH_OPTIONS,
    MAX_BEHIND_PROXY,
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
from pipeline.errors import ConfigError


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
    provider = reader.text(raw, "sms.provider", DEFAULT_SMS_PROVIDER)
    if provider != DEFAULT_SMS_PROVIDER:
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
        timeout=reader.number(raw, "sms.timeout", DEFAULT_SMS_TIMEOUT),
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
            "retries",
        },
    )
    time = reader.text(raw, "backup.time", DEFAULT_BACKUP_TIME)
    hour, _, minute = time.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise reader.fail("backup.time", f"must be HH:MM local time, got {time!r}")
    return BackupSettings(
        host=reader.text(raw, "backup.host"),
        port=int(reader.number(raw, "backup.port", DEFAULT_BACKUP_PORT)),
        user=reader.text(raw, "backup.user"),
        key_file=reader.text(raw, "backup.key_file"),
        known_hosts=reader.text(raw, "backup.known_hosts"),
        remote_dir=reader.text(raw, "backup.remote_dir", DEFAULT_BACKUP_REMOTE_DIR),
        keep_daily=int(reader.number(raw, "backup.keep_daily", DEFAULT_KEEP_DAILY)),
        keep_monthly=int(reader.number(raw, "backup.keep_monthly", DEFAULT_KEEP_MONTHLY)),
        time=time,
        retries=int(reader.number(raw, "backup.retries", DEFAULT_BACKUP_RETRIES)),
    )


def _flower(reader: Reader, raw: Mapping[str, Any]) -> FlowerSettings:
    """``[flower]``; the user, password and OAuth options are checked here, whether or not
    this process starts Flower (whether Flower may start without them: flower_credentials)."""
    reader.only(raw, "flower", {"address", "port", "user", "password", "password_env", "oauth"})
    oauth = reader.table(raw, "flower.oauth")
    for key in oauth:
        if key not in FLOWER_OAUTH_OPTIONS:
            raise reader.fail(
                f"flower.oauth.{key}",
                f"unknown option; expected one of {', '.join(sorted(FLOWER_OAUTH_OPTIONS))}",
            )
    user = reader.text(raw, "flower.user")
    if ":" in user or "," in user:
        raise reader.fail("flower.user", "must not contain ':' or ','; choose another one")
    password = reader.secret(raw, "flower.password")
    if "," in password:
        raise reader.fail("flower.password", "must not contain ','; choose another one")
    return FlowerSettings(
        address=reader.text(raw, "flower.address", DEFAULT_FLOWER_ADDRESS),
        port=int(reader.number(raw, "flower.port", DEFAULT_FLOWER_PORT)),
        user=user,
        password=password,
        oauth={str(k): str(v) for k, v in oauth.items()},
    )


def flower_credentials(
    flower: FlowerSettings, source: object, address: str, insecure_local: bool
) -> dict[str, str]:
    """Flower's own environment variables for ``[flower]``'s login (basic auth, OAuth);
    ConfigError when Flower would be open to anyone, unless ``insecure_local`` on 127.0.0.1."""
    env: dict[str, str] = {}
    if flower.user and flower.password:
        env["FLOWER_BASIC_AUTH"] = f"{flower.user}:{flower.password}"
    elif flower.user or flower.password:
        raise ConfigError(
            f"{source}: flower.user and flower.password go together; set "
            "both (or PREPRESS_FLOWER_USER and PREPRESS_FLOWER_PASSWORD)."
        )
    env.update({f"FLOWER_{key.upper()}": value for key, value in flower.oauth.items()})
    if not env and not (insecure_local and address == DEFAULT_FLOWER_ADDRESS):
        raise ConfigError(
            f"{source}: Flower needs credentials: set [flower] user and password "
            "(or PREPRESS_FLOWER_USER / PREPRESS_FLOWER_PASSWORD) or [flower.oauth]; "
            f"without them it only starts on {DEFAULT_FLOWER_ADDRESS} with --insecure-local."
        )
    return env


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
        address=reader.text(raw, "web.address", DEFAULT_WEB_ADDRESS),
        port=int(reader.number(raw, "web.port", DEFAULT_WEB_PORT)),
        users=users,
        secret_key=os.environ.get(key_env or DEFAULT_WEB_SECRET_KEY_ENV, ""),
        secret_key_env=key_env or DEFAULT_WEB_SECRET_KEY_ENV,
        **_web_session(reader, raw),
    )


def _web_session(reader: Reader, raw: Mapping[str, Any]) -> dict[str, Any]:
    """How long a login lasts, which host names are ours, how many proxies are trusted."""
    hours = reader.number(raw, "web.session_hours", DEFAULT_SESSION_HOURS)
    idle = reader.number(raw, "web.idle_minutes", DEFAULT_IDLE_MINUTES)
    if hours <= 0 or idle <= 0:
        raise reader.fail("web", "session_hours and idle_minutes must be more than 0")
    proxies = raw.get("behind_proxy", DEFAULT_BEHIND_PROXY)
    if isinstance(proxies, bool):
        proxies = int(proxies)
    if not isinstance(proxies, int) or not 0 <= proxies <= MAX_BEHIND_PROXY:
        raise reader.fail(
            "web.behind_proxy",
            f"must be the number of reverse proxies in front (0 to {MAX_BEHIND_PROXY}) or "
            f"true, got {proxies!r}",
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
    role = reader.text(table, f"{key}.role", DEFAULT_WEB_ROLE)
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
    env_name = table.get("password_env")
    if env_name is not None and (not isinstance(env_name, str) or not env_name):
        raise reader.fail(f"{key}.password_env", "must name an environment variable")
    # Looked up, not required: only the dashboard needs it (require_web_passwords).
    password = os.environ.get(env_name, "") if env_name else ""
    return WebUser(
        name=name,
        role=role,
        password=password,
        password_hash=password_hash,
        password_env=env_name or "",
    )


def require_web_passwords(web: WebSettings, source: object) -> None:
    """The dashboard's check: every ``[web.users.X]`` with ``password_env`` has its password
    in this process's environment; ConfigError naming each key that lacks it."""
    missing = [
        f"web.users.{user.name}.password_env: environment variable {user.password_env!r} is "
        "not set or empty"
        for user in web.users.values()
        if user.password_env and not user.password
    ]
    if missing:
        raise ConfigError(
            f"{source}: the dashboard's users need their passwords:\n  - "
            + "\n  - ".join(missing)
            + "\nSet them in the dashboard's environment (prepress.env), or give the users a "
            "password_hash (`prepress web hash-password`)."
        )


def _retry(reader: Reader, raw: Mapping[str, Any]) -> RetrySettings:
    """``[retry]`` in seconds (environment overrides applied before: with_environment)."""
    reader.only(raw, "retry", {"max_backoff", "give_up_after", "reconcile_every"})
    values = {
        key: reader.number(raw, f"retry.{key}", default)
        for key, default in (
            ("max_backoff", DEFAULT_MAX_BACKOFF),
            ("give_up_after", DEFAULT_GIVE_UP_AFTER),
            ("reconcile_every", DEFAULT_RECONCILE_EVERY),
        )
    }
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
