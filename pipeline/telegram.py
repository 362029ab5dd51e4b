"""A small client for the Telegram Bot API's ``sendMessage`` (alerts to staff).

::

    bot = TelegramBot(token, api_url="https://api.telegram.org")
    bot.send(chat_id="123456789", text="prepress: bureau Leonov unreachable for 12 min")

One POST of JSON ``{"chat_id", "text"}`` to ``<api_url>/bot<token>/sendMessage`` per message;
the answer is ``{"ok": true, "result": {...}}`` or ``{"ok": false, "error_code": N,
"description": "..."}``. HTTP 429 (too many requests, ``parameters.retry_after``), 5xx and
network faults raise :class:`AlertUnavailable`; 400/401/403/404 (bad token, unknown chat, bot
blocked) raise :class:`AlertRefused`.

The token is part of the URL, so it is masked in every message this module makes, and a
logging filter masks it in what urllib3 logs at debug level (it logs request lines).
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from pipeline.errors import AlertRefused, AlertUnavailable, mask_secrets

log = logging.getLogger(__name__)

#: Longest text Telegram accepts in one message (characters).
MAX_TEXT = 4096
#: Loggers that may print request URLs (and so the token) at debug level.
_URL_LOGGERS = ("urllib3.connectionpool", "requests")


class _MaskToken(logging.Filter):
    """Replaces the bot token in log records of the HTTP libraries."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "***"), None
        return True


class TelegramBot:
    """Sends messages as one bot; ``session`` is the seam for connection reuse or tests."""

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.telegram.org",
        timeout: float = 15.0,
        session: requests.Session | None = None,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        for name in _URL_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, _MaskToken) and f.token == token for f in logger.filters):
                logger.addFilter(_MaskToken(token))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> TelegramBot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def mask(self, text: str) -> str:
        return mask_secrets(text, (self.token,))

    def send(self, chat_id: str, text: str) -> int:
        """Send ``text`` to ``chat_id``; return Telegram's message id."""
        url = f"{self.api_url}/bot{self.token}/sendMessage"
        where = f"Telegram chat {chat_id}"
        try:
            response = self.session.post(
                url, json={"chat_id": chat_id, "text": text[:MAX_TEXT]}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise AlertUnavailable(
                self.mask(f"{where}: the Bot API cannot be reached ({type(exc).__name__}: {exc})")
            ) from None
        with response:
            answer = _json(response)
            if response.status_code == 200 and answer.get("ok"):
                return int(answer.get("result", {}).get("message_id", 0))
            raise self._error(where, response.status_code, answer)

    def _error(
        self, where: str, status: int, answer: dict[str, Any]
    ) -> AlertRefused | AlertUnavailable:
        said = self.mask(str(answer.get("description") or f"HTTP {status}"))
        if status == 429 or status >= 500:
            retry = (answer.get("parameters") or {}).get("retry_after")
            wait = f"; Telegram asks to wait {retry} s" if retry else ""
            return AlertUnavailable(f"{where}: {said}{wait}; a retry later may help.")
        return AlertRefused(
            f"{where}: {said}; check [alerts.telegram] token_env and the person's telegram chat "
            f"id (the person must have started a chat with the bot)."
        )


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
