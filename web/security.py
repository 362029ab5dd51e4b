"""What every request and answer goes through: host names, origins, headers, errors, ids.

- ``Host`` must be an IP address or one of the dashboard's names (DNS rebinding: a page of
  another site whose name was pointed at this machine sends its own name).
- A request that changes something (POST and the like) coming from a browser page of another
  origin is refused (``Origin``, else ``Referer``); scripts that send neither still need a
  login (the API) or the form's CSRF token (the pages).
- Every answer carries a Content-Security-Policy without inline script, ``frame-ancestors
  'none'``, ``nosniff`` and a referrer policy; the session cookie is ``Secure`` whenever the
  request came over TLS (directly, or through the trusted proxies of ``[web] behind_proxy``).
- Ids in URLs past the id column (32 bits) are 404; an error answer names no server path.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: Methods that never change anything (no origin check).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The policy of every answer: only this site's scripts, styles, images; never in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Headers set on every answer.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: Largest id a URL may carry: job ids are 32-bit INTEGER columns on PostgreSQL (a larger
#: number in a query is an error there, not "no such job").
MAX_ID = 2**31 - 1
#: Host names always ours besides IP addresses.
LOCAL_NAMES = ("localhost",)
#: An absolute file path inside a message (shown by its last part only).
_PATH = re.compile(r"(?<![\w:/.])/(?:[^\s/'\"()]+/)+([^\s/'\"()]*)")


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: whole numbers that fit the database, else 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class SessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, ``Secure`` on requests that came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def install(app: Flask, web: Any, *, open_local: bool) -> None:
    """Put the checks, headers and error answers of this module on ``app``."""
    if web.behind_proxy:
        n = web.behind_proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    app.config["PREPRESS_HOSTS"] = own_host_names(web.address, web.allowed_hosts)
    app.session_interface = SessionInterface()
    app.before_request(check_host)
    if open_local:
        app.before_request(check_local_client)
    app.before_request(check_origin)
    app.after_request(add_headers)
    app.register_error_handler(HTTPException, error_answer)
    app.register_error_handler(Exception, unexpected_error)


def own_host_names(address: str, configured: tuple[str, ...]) -> frozenset[str]:
    """The names the dashboard answers to: configured, localhost, this machine's names."""
    names = {*LOCAL_NAMES, *configured, socket.gethostname(), socket.getfqdn()}
    if address and not _is_ip(address):
        names.add(address)
    return frozenset(n.lower().rstrip(".") for n in names if n)


def check_host() -> None:
    """400 for a Host that is neither an IP address nor one of ours (DNS rebinding)."""
    host = _hostname(request.host)
    if host is None or not (_is_ip(host) or host in current_app.config["PREPRESS_HOSTS"]):
        abort(
            400,
            "this dashboard does not answer to that host name; an administrator can add it "
            "to [web] allowed_hosts",
        )


def check_local_client() -> None:
    """Without users the dashboard only serves this machine."""
    if not _is_loopback(request.remote_addr or ""):
        abort(403, "this dashboard runs without users and serves only this machine")


def check_origin() -> None:
    """403 for a change sent by a page of another site (its Origin, else its Referer)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if sent is None:
        return  # not a browser page: the API's login or the form's token still applies
    if _origin_of(sent) != _origin_of(request.host_url):
        current_app.logger.warning(
            "refused %s %s from another site (origin %.100r)", request.method, request.path, sent
        )
        abort(403, "this change was sent from another site; use the dashboard itself")


def add_headers(answer: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        answer.headers.setdefault(name, value)
    if request.endpoint != "static":
        answer.headers.setdefault("Cache-Control", "no-store")
    return answer


def error_answer(error: HTTPException) -> Any:
    """The error page, or JSON under /api/; the message names no server path."""
    code = error.code or 500
    message = without_paths(error.description or "")
    if request.path.startswith("/api/"):
        answer = jsonify(error=message)
    else:
        answer = current_app.make_response(
            render_template("error.html", code=code, message=message)
        )
    answer.status_code = code
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            answer.headers[name] = value
    return answer


def unexpected_error(error: Exception) -> Any:
    """A 500 that tells the user nothing of the server; the log has the traceback."""
    if isinstance(error, HTTPException):
        return error_answer(error)
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    message = "something went wrong on the server; the dashboard's log has the details"
    if request.path.startswith("/api/"):
        return jsonify(error=message), 500
    return render_template("error.html", code=500, message=message), 500


def without_paths(text: str) -> str:
    """``text`` with every absolute file path cut to its last part."""
    return _PATH.sub(lambda m: m.group(1) or "…", text)


def _origin_of(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _hostname(host: str) -> str | None:
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return None
    return name.rstrip(".") if name else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_loopback(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False
