"""Who is told what: ``[staff.NAME]`` (a person, their channels, what they want to hear) and
``[alerts]`` (the Telegram bot and the thresholds the watchdog uses).

::

    [staff.olga]
    phone = "+380501112233"          # SMS through the [sms] provider
    telegram = "123456789"           # a Telegram chat id the shop's bot may write to
    notify = ["rejected", "failed", "held", "target", "broker", "workers", "backup", "disk"]

    [alerts]
    target_minutes = 10              # a bureau/press/SMS target waiting longer than this
    disk_free_gb = 5                 # free space of the work folder under this
    held_after = 2                   # hours a held job waits before staff are told again
    [alerts.telegram]
    token_env = "PREPRESS_TELEGRAM_TOKEN"   # the bot token, from the environment only

Presses and ``[sms] recipients`` may name staff instead of a number (``sms = ["olga"]``);
the name is replaced by that person's phone here. Reading is done by reader.py, which passes
its typed reader in; the types and defaults are in settings.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeline.config.settings import (
    ALERT_KINDS,
    DEFAULT_ALERT_TIMEOUT,
    DEFAULT_BACKUP_HOURS,
    DEFAULT_BROKER_MINUTES,
    DEFAULT_CHECK_SECONDS,
    DEFAULT_DISK_FREE_GB,
    DEFAULT_HELD_AFTER,
    DEFAULT_TARGET_MINUTES,
    DEFAULT_TELEGRAM_API_URL,
    DEFAULT_WORKERS_MINUTES,
    AlertSettings,
    StaffMember,
)


def read_staff(reader: Any, raw: Mapping[str, Any]) -> dict[str, StaffMember]:
    """``[staff.NAME]`` tables, checked."""
    staff = {}
    for name, table in raw.items():
        key = f"staff.{name}"
        if not isinstance(table, Mapping):
            raise reader.fail(key, "must be a table with phone, telegram and notify")
        reader.only(table, key, {"phone", "telegram", "notify"})
        notify = reader.strings(table, f"{key}.notify") if "notify" in table else ALERT_KINDS
        unknown = sorted(set(notify) - set(ALERT_KINDS))
        if unknown:
            raise reader.fail(
                f"{key}.notify", f"unknown kind(s) {unknown}; choose from {', '.join(ALERT_KINDS)}"
            )
        telegram = table.get("telegram", "")
        if isinstance(telegram, int) and not isinstance(telegram, bool):
            telegram = str(telegram)
        member = StaffMember(
            name=name,
            phone=reader.text(table, f"{key}.phone"),
            telegram=reader.text({"telegram": telegram}, f"{key}.telegram"),
            notify=tuple(notify),
        )
        if not (member.phone or member.telegram):
            raise reader.fail(key, "needs a phone or a telegram chat id")
        staff[name] = member
    return staff


def read_alerts(reader: Any, raw: Mapping[str, Any]) -> AlertSettings:
    """``[alerts]`` and ``[alerts.telegram]``, checked; the token comes from the environment."""
    numbers = {
        "target_minutes": DEFAULT_TARGET_MINUTES,
        "broker_minutes": DEFAULT_BROKER_MINUTES,
        "workers_minutes": DEFAULT_WORKERS_MINUTES,
        "disk_free_gb": DEFAULT_DISK_FREE_GB,
        "backup_hours": DEFAULT_BACKUP_HOURS,
        "held_after": DEFAULT_HELD_AFTER,
        "check_seconds": DEFAULT_CHECK_SECONDS,
        "timeout": DEFAULT_ALERT_TIMEOUT,
    }
    reader.only(raw, "alerts", {*numbers, "telegram"})
    telegram = reader.table(raw, "alerts.telegram")
    reader.only(telegram, "alerts.telegram", {"token_env", "api_url"})
    token = ""
    env_name = telegram.get("token_env")
    if env_name is not None:
        if not isinstance(env_name, str) or not os.environ.get(env_name):
            raise reader.fail(
                "alerts.telegram.token_env",
                f"environment variable {env_name!r} "
                "is not set; put the bot token there, never in the file",
            )
        token = os.environ[env_name]
    values = {k: reader.number(raw, f"alerts.{k}", v) for k, v in numbers.items()}
    return AlertSettings(
        telegram_token=token,
        telegram_api_url=reader.text(
            telegram, "alerts.telegram.api_url", DEFAULT_TELEGRAM_API_URL
        ).rstrip("/"),
        **values,
    )


def resolve_phones(
    reader: Any, numbers: tuple[str, ...], key: str, staff: Mapping[str, StaffMember]
) -> tuple[str, ...]:
    """Numbers as given, staff names replaced by their phone; an unknown name is an error."""
    resolved = []
    for entry in numbers:
        if entry[:1] in "+0123456789":
            resolved.append(entry)
            continue
        member = staff.get(entry)
        if member is None or not member.phone:
            known = ", ".join(n for n, m in staff.items() if m.phone) or "none"
            raise reader.fail(
                key,
                f"{entry!r} is neither a phone number nor a [staff] member "
                f"with a phone (known: {known})",
            )
        resolved.append(member.phone)
    return tuple(dict.fromkeys(resolved))
