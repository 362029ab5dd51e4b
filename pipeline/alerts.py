"""Telling a person: who hears about what, over which channel (SMS, Telegram).

``[staff.NAME] notify = [...]`` says which kinds (:data:`~pipeline.config.ALERT_KINDS`) a person
hears about; they are told on every channel they have (a phone: SMS through the [sms]
provider; a telegram chat id: the shop's bot). The plain ``[sms] admin`` numbers hear about
everything that is not about a single job (target, broker, workers, backup, disk), as before.

:class:`Notifier` never raises: a channel that fails is logged (secrets masked) and counted,
so the caller can try the alert again in its next round when nobody was reached. Deciding
*when* to alert (once per incident) is the watchdog's job (tasks/watchdog.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pipeline.config import Config
from pipeline.errors import mask_secrets
from pipeline.text import shown as escaped

log = logging.getLogger(__name__)

#: Kinds the plain ``[sms] admin`` numbers hear about.
ADMIN_KINDS = frozenset({"target", "broker", "workers", "backup", "disk"})
#: Longest SMS alert (characters); longer texts are cut.
SMS_ALERT_LENGTH = 300
#: Names of files listed in one alert; the rest are counted.
LISTED_FILES = 10


@dataclass(frozen=True)
class Address:
    """One way to reach one person: ``channel`` is ``sms`` or ``telegram``."""

    who: str
    channel: str
    to: str


#: Called after each send with the channel (``sms``, ``telegram``) and the fault, or None.
Outcome = Callable[[str, Exception | None], None]


class Notifier:
    """Sends alert texts to the people who asked for that kind; ``on_outcome`` hears how each
    send went (the watchdog keeps the SMS provider's and Telegram's health with it)."""

    def __init__(self, config: Config, on_outcome: Outcome | None = None) -> None:
        self.config = config
        self.on_outcome = on_outcome

    def addresses(self, kind: str) -> list[Address]:
        """Everyone who hears about ``kind``, once per channel and address."""
        found: list[Address] = []
        for member in self.config.staff.values():
            if kind not in member.notify:
                continue
            if member.phone and self.config.sms.enabled:
                found.append(Address(member.name, "sms", member.phone))
            if member.telegram and self.config.alerts.telegram_token:
                found.append(Address(member.name, "telegram", member.telegram))
        if kind in ADMIN_KINDS and self.config.sms.enabled:
            found += [Address("admin", "sms", phone) for phone in self.config.sms.admin]
        unique = {(a.channel, a.to): a for a in found}
        return list(unique.values())

    def tell(self, kind: str, text: str) -> tuple[int, int]:
        """Send ``text`` to everyone who hears about ``kind``; (reached, addresses)."""
        addresses = self.addresses(kind)
        reached = sum(self._send(address, text) for address in addresses)
        log.info("alert (%s) to %d of %d address(es): %s", kind, reached, len(addresses), text)
        return reached, len(addresses)

    def _send(self, address: Address, text: str) -> bool:
        try:
            if address.channel == "telegram":
                self._telegram(address.to, text)
            else:
                self._sms(address.to, text)
        except Exception as exc:  # one channel failing must not stop the others
            self._report(address.channel, exc)
            log.warning(
                "alert to %s (%s %s) not delivered: %s",
                address.who,
                address.channel,
                address.to,
                mask_secrets(str(exc), self.config.secrets()),
            )
            return False
        self._report(address.channel, None)
        return True

    def _report(self, channel: str, fault: Exception | None) -> None:
        if self.on_outcome is not None:
            try:
                self.on_outcome(channel, fault)
            except Exception as exc:  # telling people matters more
                log.warning("could not record how the %s alert went: %s", channel, exc)

    def _telegram(self, chat_id: str, text: str) -> None:
        from pipeline.telegram import TelegramBot

        alerts = self.config.alerts
        with TelegramBot(alerts.telegram_token, alerts.telegram_api_url, alerts.timeout) as bot:
            bot.send(chat_id, text)

    def _sms(self, phone: str, text: str) -> None:
        from pipeline.sms import SmsClient

        with SmsClient(self.config.sms) as client:
            client.messages.create(to=phone, body=text[:SMS_ALERT_LENGTH])


def file_list(lines: Iterable[str], limit: int = LISTED_FILES) -> str:
    """Up to ``limit`` lines, then how many more there are; a name's control characters are
    escaped so that a file name cannot add lines of its own."""
    items = [escaped(line) for line in lines]
    shown = "\n".join(f"- {line}" for line in items[:limit])
    more = len(items) - limit
    return shown + (f"\n... and {more} more" if more > 0 else "")
