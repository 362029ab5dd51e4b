"""The delivery and notification targets of a configuration, by name: what each one is called.

A *target* is a peer a step or an alert sends to: each CTP bureau's FTP/FTPS/SFTP, each
press's preview FTP, the SMS provider, Telegram and the backup host. Each has a stable
``key`` (``bureau:Leonov``, ``press:Speedmaster``, ``sms``, ``telegram``, ``backup``) under
which its health is kept (models/targets.py), a ``label`` people read ("Leonov FTP") and
``where`` it is (scheme, host and port; never a user or password).

Which target a step waits on is decided here too (:func:`for_step`), once, for the watchdog,
the status, the dashboard and the steps that record their outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.chain import target_of
from pipeline.config import Config


@dataclass(frozen=True)
class TargetRef:
    """One target: ``key`` names its record, ``label`` is for people, ``where`` is safe to show."""

    key: str
    label: str
    where: str


def where(url: str | None) -> str:
    """scheme://host:port of a target URL, without user, password or path."""
    if not url:
        return "not configured"
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" if port is None else f"{parts.scheme}://{host}:{port}"


def _protocol(url: str) -> str:
    return (urlsplit(url).scheme or "ftp").upper()


def bureau(config: Config, name: str) -> TargetRef | None:
    """The plate target of CTP bureau ``name`` (None when it has no url)."""
    outputter = config.outputters.get(name)
    if outputter is None or not outputter.url:
        return None
    return TargetRef(f"bureau:{name}", f"{name} {_protocol(outputter.url)}", where(outputter.url))


def press_preview(config: Config, name: str) -> TargetRef | None:
    """The preview target of press ``name`` (None when it has no preview_url)."""
    press = config.presses.get(name)
    if press is None or not press.preview_url:
        return None
    label = f"{name} preview {_protocol(press.preview_url)}"
    return TargetRef(f"press:{name}", label, where(press.preview_url))


def sms(config: Config) -> TargetRef | None:
    if not config.sms.enabled:
        return None
    return TargetRef("sms", "SMS provider", where(config.sms.api_url))


def telegram(config: Config) -> TargetRef | None:
    if not config.alerts.telegram_token:
        return None
    return TargetRef("telegram", "Telegram", where(config.alerts.telegram_api_url))


def backup_host(config: Config) -> TargetRef | None:
    settings = config.backup
    if not settings.enabled:
        return None
    return TargetRef("backup", "backup host", f"sftp://{settings.host}:{settings.port}")


def configured(config: Config) -> list[TargetRef]:
    """Every target this configuration sends to, bureaus first."""
    found = [bureau(config, name) for name in sorted(config.outputters)]
    found += [press_preview(config, name) for name in sorted(config.presses)]
    found += [sms(config), telegram(config), backup_host(config)]
    return [ref for ref in found if ref is not None]


def for_step(config: Config, step: str, outputter: str, press: str) -> TargetRef | None:
    """The target step ``step`` of a job (with this bureau and press) sends to, if any."""
    kind = target_of(step)
    if kind == "bureau":
        return bureau(config, outputter)
    if kind == "press":
        return press_preview(config, press)
    if kind == "sms":
        return sms(config)
    return None
