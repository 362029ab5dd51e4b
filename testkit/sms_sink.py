"""A local HTTP server speaking smsc's ``send.php`` and ``status.php`` (demo and tests).

It keeps every message it accepted, with the id the client gave it, so ``status.php`` can say
whether it has one (``{"status": 1}``) or not (``{"status": -3}``) like the real provider. A
second send with an id it already has for that number is accepted again and counted in
``duplicates``: the real provider would deliver it again, so a test must see it.

Faults to rehearse: ``fail_with(code)`` (an error answer to send.php), ``fail_status(500)``
(every endpoint answers that HTTP status), ``delay(seconds, accept=...)`` (answers late,
before accepting, or dropping, the request), ``lose_answers(n, drop=...)`` (the next n sends
are accepted, then the answer is held past any client timeout or the connection is dropped:
a lost answer), ``reset()`` back to normal.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: Address the sink listens on.
LOOPBACK = "127.0.0.1"
#: Seconds between checks of the stop flag in the server thread.
_POLL = 0.05
#: Seconds a lost answer is held back (longer than any client timeout in the tests).
LOST_ANSWER_SECONDS = 30.0

#: The short texts smsc answers with, by error code.
SMS_ERRORS = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "IP is blocked",
    5: "invalid date format",
    6: "message is denied",
    7: "invalid number",
    8: "can't deliver the message",
    9: "duplicate request, wait a minute",
}


@dataclass
class SmsRecord:
    """One message the SMS sink accepted."""

    phones: str
    mes: str
    sender: str
    params: dict[str, str] = field(repr=False)
    id: str = ""
    accepted_at: float = field(default_factory=time.time)


class SmsSink:
    """An HTTP server speaking smsc's send.php and status.php; ``messages`` holds what it took.

    A request with another login or password gets error 2, like the real service.
    """

    def __init__(self, login: str = "shop", password: str = "sms-secret") -> None:
        self.login = login
        self.password = password
        self.messages: list[SmsRecord] = []
        self.duplicates: list[SmsRecord] = []
        self.requests = 0
        self.status_requests = 0
        self.error_code: int | None = None
        self.status: int | None = None
        self.delay_seconds = 0.0
        self.accept_late = True
        self.answers_to_lose = 0
        self.drop_lost = False
        self._by_id: dict[tuple[str, str], SmsRecord] = {}
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _sms_handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}/sys/send.php"
        self._thread: threading.Thread | None = None

    def start(self) -> SmsSink:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(_POLL,),
            name=f"sms-sink-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> SmsSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_with(self, code: int) -> None:
        self.error_code = code

    def fail_status(self, status: int) -> None:
        self.status = status

    def delay(self, seconds: float, accept: bool = True) -> None:
        """Answer sends ``seconds`` late; ``accept=False``: then drop them unrecorded (the
        request never fully arrived)."""
        self.delay_seconds, self.accept_late = seconds, accept

    def lose_answers(self, count: int, drop: bool = False) -> None:
        """Accept the next ``count`` sends, then hold the answer back (or drop the line)."""
        with self._lock:
            self.answers_to_lose, self.drop_lost = count, drop

    def reset(self) -> None:
        self.error_code = None
        self.status = None
        self.delay_seconds = 0.0
        self.accept_late = True
        self.answers_to_lose = 0

    def sent_to(self, phone: str) -> list[SmsRecord]:
        """The messages accepted for ``phone``."""
        return [m for m in self.messages if phone in m.phones.split(",")]

    def _refusal(self, params: dict[str, str]) -> int | None:
        if params.get("login") != self.login or params.get("psw") != self.password:
            return 2
        return None

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, Any] | None, bool]:
        """HTTP status, JSON body and whether to lose the answer, for one send.php request."""
        with self._lock:
            self.requests += 1
            if self.status:
                return self.status, None, False
            code = self.error_code or self._refusal(params)
            if code is None and not params.get("phones"):
                code = 1
            if code is not None:
                return 200, {"error": SMS_ERRORS.get(code, "error"), "error_code": code}, False
            return 200, self._accept(params), self._lose_this_answer()

    def _accept(self, params: dict[str, str]) -> dict[str, Any]:
        mes = params.get("mes", "")
        parts = max(1, -(-len(mes) // (160 if mes.isascii() else 70)))
        count = parts * len(params["phones"].split(","))
        ident = params.get("id") or str(next(self._ids))
        record = SmsRecord(params["phones"], mes, params.get("sender", ""), params, ident)
        self.messages.append(record)
        for phone in record.phones.split(","):
            if (ident, phone) in self._by_id:
                self.duplicates.append(record)
            self._by_id[(ident, phone)] = record
        return {"id": ident, "cnt": count, "cost": f"{0.5 * count:.2f}", "balance": "100.00"}

    def _lose_this_answer(self) -> bool:
        if self.answers_to_lose <= 0:
            return False
        self.answers_to_lose -= 1
        return True

    def answer_status(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON body for one status.php request."""
        with self._lock:
            self.status_requests += 1
            if self.status:
                return self.status, {}
            code = self._refusal(params)
            if code is None and not (params.get("id") and params.get("phone")):
                code = 1
            if code is not None:
                return 200, {"error": SMS_ERRORS.get(code, "error"), "error_code": code}
            phone = params["phone"].rstrip(",")
            record = self._by_id.get((params["id"].rstrip(","), phone))
            if record is None:
                return 200, {"status": -3, "last_date": "", "last_timestamp": 0, "err": 0}
            stamp = int(record.accepted_at)
            when = time.strftime("%d.%m.%Y %H:%M:%S", time.localtime(stamp))
            return 200, {"status": 1, "last_date": when, "last_timestamp": stamp, "err": 0}


def _sms_handler(sink: SmsSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(urlsplit(self.path).query)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length).decode("utf-8"))

        def _answer(self, query: str) -> None:
            params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
            if urlsplit(self.path).path.endswith("/status.php"):
                code, found = sink.answer_status(params)
                self._write(code, found or None)
                return
            if sink.delay_seconds:
                accept = sink.accept_late
                sink._release.wait(sink.delay_seconds)
                if not accept:
                    self.close_connection = True
                    return
            status, body, lose = sink.answer(params)
            if lose:
                self._lose(body)
                return
            self._write(status, body)

        def _lose(self, body: dict[str, Any] | None) -> None:
            """Accepted, but the client never hears it: the line drops, or the answer is late."""
            if sink.drop_lost:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            sink._release.wait(LOST_ANSWER_SECONDS)
            self._write(200, body)

        def _write(self, status: int, body: dict[str, Any] | None) -> None:
            payload = json.dumps(body).encode() if body is not None else b"server error"
            try:
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/json" if body is not None else "text/plain"
                )
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            logging.getLogger(__name__).debug("sms sink: " + format, *args)

    return Handler
