"""A small Twilio-style client for the smsc.ua (SMS Centre) HTTP API.

::

    client = SmsClient(config.sms)
    sent = client.messages.create(to="+380501112233", body="0537 Flier 8->Speedmaster Leonov")
    sent.id, sent.count, sent.cost

One POST to ``send.php`` per call, JSON answers (``fmt=3``) with the cost (``cost=3``).
The provider's error codes map onto the error tree: codes that need an operator (bad
parameters, login, balance, text, number, undeliverable) raise :class:`SmsRefused`; codes that
pass by themselves (IP blocked for a while, too many requests), HTTP 5xx, timeouts and
connection errors raise :class:`SmsUnavailable`. The password never appears in a message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests

from pipeline.config import SmsSettings
from pipeline.errors import ConfigError, SmsRefused, SmsUnavailable, mask_secrets

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

    def post(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST to send.php and return the decoded JSON; network faults become SmsUnavailable."""
        url = self.settings.api_url
        try:
            response = self.session.post(url, data=params, timeout=self.settings.timeout)
        except requests.Timeout:
            raise SmsUnavailable(
                self.mask(
                    f"SMS provider {url} did not answer within {self.settings.timeout:g} s; "
                    f"a retry later may help."
                )
            ) from None
        except requests.RequestException as exc:
            raise SmsUnavailable(
                self.mask(
                    f"SMS provider {url} cannot be reached ({type(exc).__name__}: {exc}); "
                    f"a retry later may help."
                )
            ) from None
        with response:
            return self._decode(response)

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

    def create(self, to: str, body: str) -> SentMessage:
        """Send ``body`` to the phone number ``to`` (international format)."""
        settings = self.client.settings
        params = {
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
        answer = self.client.post(params)
        if "error_code" in answer or "error" in answer:
            raise self._error(to, answer)
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

    def _error(self, to: str, answer: dict[str, Any]) -> SmsRefused | SmsUnavailable:
        code = answer.get("error_code")
        code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
        meaning = ERROR_MEANINGS.get(code or 0, "unknown error")
        said = answer.get("error", "")
        if code in TRANSIENT_CODES:
            return SmsUnavailable(
                self.client.mask(
                    f"SMS to {to} not sent: provider error {code} ({meaning}; said {said!r}); "
                    f"a retry later may help."
                )
            )
        return SmsRefused(
            self.client.mask(
                f"SMS to {to} not sent: provider error {code} ({meaning}; said {said!r}); "
                f"retrying will not help until the [sms] settings, the balance or the number "
                f"is fixed."
            )
        )


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
