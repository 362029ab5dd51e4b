"""A local HTTP server speaking the Telegram Bot API's ``sendMessage`` (demo and tests).

``POST /bot<token>/sendMessage`` with JSON (or form) ``chat_id`` and ``text`` answers
``{"ok": true, "result": {"message_id": n, "chat": {"id": ...}, "text": ...}}``; another token
gets 401 Unauthorized, an unknown chat (when ``chats`` is given) 400 "chat not found", like the
real service. ``messages`` lists what it accepted; ``fail_status(500 | 429)`` rehearses faults.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

#: Address the sink listens on.
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class TelegramMessage:
    """One message the sink accepted."""

    chat_id: str
    text: str


class TelegramSink:
    """A Bot API look-alike for one bot ``token``; ``url`` is the api_url to configure."""

    def __init__(self, token: str = "123456:test-token", chats: set[str] | None = None) -> None:
        self.token = token
        self.chats = chats
        self.messages: list[TelegramMessage] = []
        self.requests = 0
        self.status: int | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> TelegramSink:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="telegram-sink", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> TelegramSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_status(self, status: int | None) -> None:
        self.status = status

    def to(self, chat_id: str) -> list[str]:
        """Texts sent to ``chat_id``."""
        return [m.text for m in self.messages if m.chat_id == chat_id]

    def answer(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON body for one request."""
        with self._lock:
            self.requests += 1
            if self.status == 429:
                return 429, _failure(429, "Too Many Requests: retry after 1", retry_after=1)
            if self.status:
                return self.status, _failure(self.status, "Internal Server Error")
            if path != f"/bot{self.token}/sendMessage":
                return 401 if path.startswith("/bot") else 404, _failure(401, "Unauthorized")
            chat, text = str(params.get("chat_id", "")), str(params.get("text", ""))
            if not chat or not text:
                return 400, _failure(400, "Bad Request: message text is empty")
            if self.chats is not None and chat not in self.chats:
                return 400, _failure(400, "Bad Request: chat not found")
            self.messages.append(TelegramMessage(chat, text))
            result = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": text,
            }
            return 200, {"ok": True, "result": result}


def _failure(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after:
        body["parameters"] = {"retry_after": retry_after}
    return body


def _handler(sink: TelegramSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(raw or "{}")
            else:
                params = {k: v[0] for k, v in parse_qs(raw).items()}
            status, body = sink.answer(self.path, params)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            # the request line holds the token: never log it, not even in the sink
            logging.getLogger(__name__).debug("telegram sink: %s", args[1] if args else "")

    return Handler
