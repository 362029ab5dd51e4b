"""Telling a person: who hears about what, over which channel (SMS, Telegram).

``[staff.NAME] notify = [...]`` says which kinds (:data:`~pipeline.config.ALERT_KINDS`) a person
hears about; they are told on every channel they have (a phone: SMS through the [sms]
provider; a telegram chat id: the shop's bot). The plain ``[sms] admin`` numbers hear about
everything that is not about a single job (target, broker, workers, backup, disk), as before.

:class:`Notifier` never raises: a channel that fails is logged (secrets masked) and counted,
so the caller can try the alert again in its next round when nobody was reached. Deciding
*when* to alert (once per incident) is the watchdog's job (tasks/watchdog.py).

An alert SMS is sent once, like a job's (pipeline/sms.py): given a ``reference`` (what the
alert is about and since when), each SMS carries an id made from it and the number; before
sending, the provider is asked whether it has that id already, and a send whose answer was
lost is settled by asking again, never by sending blindly a second time.
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
#: Longest SMS alert (characters): the provider sends a longer text as one message in several
#: parts (a second part costs less than a job left out); past it, an alert names as many jobs
#: as fit and counts the rest ("and 4 more"), and details are cut between words.
SMS_ALERT_LENGTH = 600
#: Longest Telegram alert (the Bot API takes 4096 characters per message).
TELEGRAM_ALERT_LENGTH = 4000
#: Names of files listed by :func:`file_list`; the rest are counted.
LISTED_FILES = 10
#: Shown where a detail was cut.
ELLIPSIS = "…"
#: A detail is cut only when at least this much of it fits; otherwise it is left out.
SHORTEST_DETAIL = 24


@dataclass(frozen=True)
class Alert:
    """An alert's text, made to fit a channel: ``head`` (what happened), then every job it is
    about (``jobs``: order and job name, one per line), then ``details`` (a reason per job, a
    target's last error). ``unlisted`` counts jobs the caller could not name (a long queue).

    :meth:`text` keeps the head and names every job before any detail; when the names alone do
    not fit, as many as fit are named and the rest counted ("... and 4 more"); details fill what
    is left, cut between words, never inside one."""

    head: str
    jobs: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    unlisted: int = 0

    def __str__(self) -> str:
        return self.text(None)

    def text(self, limit: int | None) -> str:
        """The alert in at most ``limit`` characters (None: whole)."""
        names = [f"- {escaped(name)}" for name in self.jobs]
        details = [escaped(line) for line in self.details]
        if limit is None:
            return "\n".join([self.head, *names, *_more(self.unlisted), *details])
        text = cut_words(self.head, limit - SHORTEST_DETAIL if names or self.unlisted else limit)
        size, listed = len(text), 0
        for name in names:  # as many names as fit, with room to count the rest
            rest = len(names) - listed - 1 + self.unlisted
            if size + 1 + len(name) + (1 + len(_more(rest)[0]) if rest else 0) > limit:
                break
            size, listed = size + 1 + len(name), listed + 1
        text = "\n".join([text, *names[:listed], *_more(len(names) - listed + self.unlisted)])
        for line in details:
            room = limit - len(text) - 1
            if len(line) <= room:
                text += "\n" + line
                continue
            if room >= SHORTEST_DETAIL:
                text += "\n" + cut_words(line, room)
            break
        return text


def _more(count: int) -> list[str]:
    return [f"... and {count} more"] if count > 0 else []


def cut_words(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut between words (an ellipsis says so)."""
    if len(text) <= limit:
        return text
    room = text[: max(limit - len(ELLIPSIS), 0) + 1]
    space = max(room.rfind(" "), room.rfind("\n"))
    kept = room[:space].rstrip(" ,;:—-\n") if space > 0 else ""
    return kept + ELLIPSIS


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

    def tell(self, kind: str, alert: Alert | str, reference: str = "") -> tuple[int, int]:
        """Send ``alert`` to everyone who hears about ``kind``; (reached, addresses). Each
        channel gets the text made to fit it (:meth:`Alert.text`).

        ``reference`` names this alert (the same on every attempt): its SMS go out once."""
        if isinstance(alert, str):
            alert = Alert(alert)
        addresses = self.addresses(kind)
        reached = sum(self._send(address, alert, reference) for address in addresses)
        log.info("alert (%s) to %d of %d address(es): %s", kind, reached, len(addresses), alert)
        return reached, len(addresses)

    def _send(self, address: Address, alert: Alert, reference: str) -> bool:
        try:
            if address.channel == "telegram":
                self._telegram(address.to, alert.text(TELEGRAM_ALERT_LENGTH))
            else:
                self._sms(address.to, alert.text(SMS_ALERT_LENGTH), reference)
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

    def _sms(self, phone: str, text: str, reference: str) -> None:
        from pipeline.errors import SmsOutcomeUnknown
        from pipeline.sms import SmsClient, alert_message_id

        body = text
        with SmsClient(self.config.sms) as client:
            if not reference:
                client.messages.create(to=phone, body=body)
                return
            ident = alert_message_id(reference, phone)
            if client.messages.status(to=phone, id=ident).known:
                log.info("alert SMS %s to %s was accepted before; not sent again", ident, phone)
                return
            try:
                client.messages.create(to=phone, body=body, id=ident)
            except SmsOutcomeUnknown:
                if not client.messages.status(to=phone, id=ident).known:
                    raise


def file_list(lines: Iterable[str], limit: int = LISTED_FILES) -> str:
    """Up to ``limit`` lines, then how many more there are; a name's control characters are
    escaped so that a file name cannot add lines of its own."""
    items = [escaped(line) for line in lines]
    shown = "\n".join(f"- {line}" for line in items[:limit])
    more = len(items) - limit
    return shown + (f"\n... and {more} more" if more > 0 else "")
