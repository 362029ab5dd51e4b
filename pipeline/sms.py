"""A small Twilio-style client for the smsc.ua (SMS Centre) HTTP API.

::

    client = SmsClient(config.sms)
    sent = client.messages.create(to="+380501112233", body="0537 Flier 8->Speedmaster Leonov",
                                  id="pp17-m5x2k1-3f9a0c")
    sent.id, sent.count, sent.cost
    client.messages.status(to="+380501112233", id="pp17-m5x2k1-3f9a0c").known

One POST to ``send.php`` per call, JSON answers (``fmt=3``) with the cost (``cost=3``).
The provider's error codes map onto the error tree: codes that need an operator (bad
parameters, login, balance, text, number, undeliverable) raise :class:`SmsRefused`; codes that
pass by themselves (IP blocked for a while, too many requests), HTTP 5xx, timeouts and
connection errors raise :class:`SmsUnavailable`. The password never appears in a message.

At most once, at least once: smsc lets the client name each message (``id`` on send.php: up
to 40 characters, Latin letters, digits, ``.``, ``-``, ``_``) and look it up later with
``status.php`` by ``id`` and ``phone``; status ``-3`` means the provider has no such message.
A send whose answer is lost after the request went out (read timeout, connection reset) raises
:class:`SmsOutcomeUnknown`: the caller must ask ``status`` before sending again, and sends
again only when the provider answers "not found". :func:`message_id` gives each (job,
recipient) its own id, the same on every attempt.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from pipeline.config import SmsSettings
from pipeline.errors import (
    ConfigError,
    SmsOutcomeUnknown,
    SmsRefused,
    SmsUnavailable,
    mask_secrets,
)

log = logging.getLogger(__name__)

#: smsc send.php error codes that a retry later can cure.
TRANSIENT_CODES = frozenset({4, 9})
#: What each smsc send.php error code means (from the provider's HTTP API documentation).
ERROR_MEANINGS = {
    1: "bad request parameters",
    2: "bad login or password, or this IP address is not allowed",
    3: "not enough money on the account",
    4: "this IP address is temporarily blocked after too many errors",
    5: "bad date format",
    6: "message refused (text or sender name)",
    7: "bad phone number",
    8: "message cannot be delivered to this number",
    9: "too many identical or concurrent requests",
}
#: status.php: the provider has no message with this id for this phone.
STATUS_NOT_FOUND = -3
#: What a message's status number means (status.php, from the provider's documentation).
STATUS_MEANINGS = {
    -3: "not found",
    -1: "waiting to be sent",
    0: "passed to the operator",
    1: "delivered",
    2: "read",
    3: "expired",
    4: "link clicked",
    20: "cannot be delivered",
    22: "bad number",
    23: "prohibited",
    24: "not enough money",
    25: "number unavailable",
}
#: Characters smsc allows in a client-given message id, and its longest length.
_ID_ALLOWED = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


def message_id(job_id: int, received_at: datetime, recipient: str) -> str:
    """The id of the SMS about job ``job_id`` to ``recipient``: the same on every attempt.

    ``pp<job>-<received, base 36>-<6 hex of the number>``: the job id alone would repeat after
    a fresh database; the time the job was received and the number make it unique.
    """
    stamp = _base36(int(received_at.timestamp()))
    number = hashlib.sha256(recipient.encode()).hexdigest()[:6]
    ident = f"pp{job_id}-{stamp}-{number}"
    assert _ID_ALLOWED.match(ident), ident
    return ident


def alert_message_id(reference: str, recipient: str) -> str:
    """The id of the alert SMS ``reference`` (what it is about and since when) to
    ``recipient``: the same on every attempt, so an alert, like a job's SMS, goes out once.

    ``pa-<12 hex of the reference>-<6 hex of the number>``.
    """
    about = hashlib.sha256(reference.encode()).hexdigest()[:12]
    number = hashlib.sha256(recipient.encode()).hexdigest()[:6]
    ident = f"pa-{about}-{number}"
    assert _ID_ALLOWED.match(ident), ident
    return ident


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        value, rest = divmod(value, 36)
        text = digits[rest] + text
        if not value:
            return text


@dataclass(frozen=True)
class MessageStatus:
    """What status.php says of one message: its status number (``-3``: not found)."""

    id: str
    code: int

    @property
    def known(self) -> bool:
        """True when the provider has the message (sent, queued, delivered or failed later)."""
        return self.code != STATUS_NOT_FOUND

    @property
    def meaning(self) -> str:
        return STATUS_MEANINGS.get(self.code, f"status {self.code}")


@dataclass(frozen=True)
class SentMessage:
    """The provider's answer: message id, number of SMS parts, cost (None if not given)."""

    id: str
    count: int
    cost: float | None = None


class SmsClient:
    """smsc.ua client; pass a ``requests.Session`` to reuse connections or to add a seam."""

    def __init__(self, settings: SmsSettings, session: requests.Session | None = None) -> None:
        if not settings.login or not settings.api_url:
            raise ConfigError("[sms] login and api_url must be set to send SMS.")
        self.settings = settings
        self.session = session or requests.Session()
        self.messages = Messages(self)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SmsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def mask(self, text: str) -> str:
        return mask_secrets(text, (self.settings.password,))

    @property
    def status_url(self) -> str:
        """status.php beside the configured send.php."""
        return self.settings.api_url.rsplit("/", 1)[0] + "/status.php"

    def post(self, params: dict[str, Any], url: str | None = None) -> dict[str, Any]:
        """POST to send.php (or ``url``) and return the decoded JSON.

        A fault before the request reached the provider raises SmsUnavailable; one after it
        may have (no answer in time, connection dropped) raises SmsOutcomeUnknown.
        """
        url = url or self.settings.api_url
        try:
            response = self.session.post(url, data=params, timeout=self.settings.timeout)
        except requests.RequestException as exc:
            raise self._network_error(url, exc) from None
        with response:
            return self._decode(response)

    def _network_error(self, url: str, exc: requests.RequestException) -> SmsUnavailable:
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        never_arrived = isinstance(exc, requests.ConnectTimeout) or isinstance(
            reason, NewConnectionError | ConnectTimeoutError
        )
        if never_arrived:
            return SmsUnavailable(
                self.mask(
                    f"SMS provider {url} cannot be reached ({type(exc).__name__}: {exc}); "
                    f"a retry later may help."
                )
            )
        said = (
            f"did not answer within {self.settings.timeout:g} s"
            if isinstance(exc, requests.Timeout)
            else f"dropped the connection ({type(exc).__name__})"
        )
        return SmsOutcomeUnknown(
            self.mask(
                f"SMS provider {url} {said} after the request was sent; whether it was "
                f"accepted is asked before any new attempt."
            )
        )

    def _decode(self, response: requests.Response) -> dict[str, Any]:
        url = self.settings.api_url
        if response.status_code >= 500:
            raise SmsUnavailable(
                self.mask(
                    f"SMS provider {url} answered HTTP {response.status_code}; "
                    f"a retry later may help."
                )
            )
        if response.status_code >= 400:
            raise SmsRefused(
                self.mask(
                    f"SMS provider {url} answered HTTP {response.status_code}; "
                    f"check [sms] api_url. Retrying will not help."
                )
            )
        try:
            answer = response.json()
        except ValueError:
            raise SmsUnavailable(
                self.mask(
                    f"SMS provider {url} answered something that is not JSON: "
                    f"{response.text[:200]!r}; a retry later may help."
                )
            ) from None
        if not isinstance(answer, dict):
            raise SmsUnavailable(
                self.mask(f"SMS provider {url} answered {answer!r}; a retry later may help.")
            )
        return answer


class Messages:
    """``client.messages``: the Twilio-style entry point."""

    def __init__(self, client: SmsClient) -> None:
        self.client = client

    def create(self, to: str, body: str, id: str | None = None) -> SentMessage:
        """Send ``body`` to the phone number ``to`` (international format), named ``id``."""
        settings = self.client.settings
        params: dict[str, Any] = {
            "login": settings.login,
            "psw": settings.password,
            "phones": to,
            "mes": body,
            "charset": "utf-8",
            "fmt": 3,
            "cost": 3,
        }
        if settings.sender:
            params["sender"] = settings.sender
        if id:
            params["id"] = id
        answer = self.client.post(params)
        if "error_code" in answer or "error" in answer:
            raise self._error(f"SMS to {to} not sent", answer)
        try:
            sent = SentMessage(
                id=str(answer["id"]),
                count=int(answer.get("cnt", 1)),
                cost=_number(answer.get("cost")),
            )
        except (KeyError, TypeError, ValueError):
            raise SmsUnavailable(
                self.client.mask(
                    f"SMS to {to}: provider answer has no message id: {answer!r}; "
                    f"a retry later may help."
                )
            ) from None
        log.info("SMS to %s sent: id %s, %d part(s), cost %s", to, sent.id, sent.count, sent.cost)
        return sent

    def status(self, to: str, id: str) -> MessageStatus:
        """Ask status.php about message ``id`` to ``to``; every fault is SmsUnavailable."""
        settings = self.client.settings
        params = {
            "login": settings.login,
            "psw": settings.password,
            "phone": to,
            "id": id,
            "fmt": 3,
            "charset": "utf-8",
        }
        try:
            answer = self.client.post(params, self.client.status_url)
        except SmsOutcomeUnknown as exc:  # asking twice does no harm
            raise SmsUnavailable(str(exc)) from None
        if "error_code" in answer or "error" in answer:
            raise self._error(f"status of SMS {id} to {to}", answer)
        try:
            return MessageStatus(id=id, code=int(answer["status"]))
        except (KeyError, TypeError, ValueError):
            raise SmsUnavailable(
                self.client.mask(f"status of SMS {id} to {to}: odd answer {answer!r}")
            ) from None

    def _error(self, subject: str, answer: dict[str, Any]) -> SmsRefused | SmsUnavailable:
        """The error for a provider error answer; ``subject`` says what it was about."""
        code = answer.get("error_code")
        code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
        meaning = ERROR_MEANINGS.get(code or 0, "unknown error")
        said = answer.get("error", "")
        if code in TRANSIENT_CODES:
            return SmsUnavailable(
                self.client.mask(
                    f"{subject}: provider error {code} ({meaning}; said {said!r}); "
                    f"a retry later may help."
                )
            )
        return SmsRefused(
            self.client.mask(
                f"{subject}: provider error {code} ({meaning}; said {said!r}); "
                f"retrying will not help until the [sms] settings, the balance or the number "
                f"is fixed."
            )
        )


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
