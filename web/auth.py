"""Who is asking: session logins for pages, HTTP Basic for the API, roles, CSRF tokens.

Users come from ``[web.users.NAME]``; the role is looked up in the configuration on every
request, so a removed user or a changed role takes effect at once. A session cookie holds only
the user's name, the id of its session and the CSRF token, signed with the app's secret key;
the id is good only while the dashboard lists it (web/logins.py), so logout, the session's
lifetime and idle time end it on the server. Passwords and hashes never leave the
configuration. Failed logins on the form and over Basic auth are throttled per user and per
client address. Without users (``--insecure-local`` on loopback) everyone is the local
operator.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import TooManyRequests

from pipeline.config.settings import WebUser
from web.context import EXTENSION, config
from web.logins import LoginThrottle, PasswordCheck, SessionRegistry

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

#: The user everyone is when the dashboard runs without users on 127.0.0.1.
LOCAL_OPERATOR = WebUser(name="local", role="operator")
#: Roles by rank: an operator may do what a viewer may.
RANK = {"viewer": 0, "operator": 1}


#: Longest user name written to the log of a failed login.
LOGGED_NAME_CHARS = 64
#: Longest user name a throttling key keeps (longer ones are no user's anyway).
KEY_NAME_CHARS = 256


def users() -> dict[str, WebUser]:
    return dict(config().web.users)


def install(app: Any, hours: float, idle_minutes: float) -> None:
    """Give ``app`` its login state (see web/logins.py for why it lives in the process)."""
    check = PasswordCheck()
    for user in app.extensions[EXTENSION].web.users.values():
        check.prepare(user.password_hash or None, user.password or None)
    app.extensions["prepress.logins"] = {
        "throttle": LoginThrottle(),
        "sessions": SessionRegistry(hours, idle_minutes),
        "passwords": check,
    }


def _state(name: str) -> Any:
    return current_app.extensions["prepress.logins"][name]


def authenticate(name: str, password: str) -> WebUser | None:
    """The user when ``password`` is right; throttled, 429 once the limit is reached.

    Every wrong answer takes as long for an unknown name as for a known one.
    """
    keys = (f"user:{name[:KEY_NAME_CHARS]}", f"addr:{request.remote_addr}")
    wait = _state("throttle").admit(keys)
    shown = f"{name[:LOGGED_NAME_CHARS]!r}"
    if wait:
        log.warning("login refused for %s from %s: too many failures", shown, request.remote_addr)
        raise TooManyRequests(
            f"too many failed logins; try again in {wait:.0f} s", retry_after=int(wait + 0.999)
        )
    user = users().get(name)
    stored = (user.password_hash or None, user.password or None) if user else (None, None)
    try:
        right = _state("passwords").verify(*stored, password)  # also for an unknown name
    except Exception:  # a broken hash in the configuration: count it, let the error show
        _state("throttle").failed(keys)
        raise
    if user is not None and right:
        _state("throttle").succeeded(keys, forget=keys[:1])
        return user
    failures, delay = _state("throttle").failed(keys)
    log.warning("login failed for %s from %s (%d failure(s))", shown, request.remote_addr, failures)
    time.sleep(delay)
    return None


def current_user() -> WebUser | None:
    """The logged-in user of this page request, or None (also once the session ended)."""
    if current_app.config.get("PREPRESS_OPEN"):
        return LOCAL_OPERATOR
    name, sid = session.get("user", ""), session.get("sid", "")
    if "user_checked" not in g:
        g.user_checked = bool(name and sid) and _state("sessions").check(sid, name)
    return users().get(name) if g.user_checked else None


def may(user: WebUser | None, role: str) -> bool:
    return user is not None and RANK.get(user.role, -1) >= RANK[role]


def csrf_token() -> str:
    """This session's CSRF token (made on first use); every form carries it."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    """Before every form POST: the form's token must be the session's (400 otherwise)."""
    if request.method != "POST" or request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        abort(400, "the form is out of date or was not sent from this dashboard; reload the page")


def page(role: str = "viewer") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for logged-in users of ``role`` or higher; others go to the login form."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                target = url_for("auth.login", next=request.full_path.rstrip("?"))
                if request.headers.get("HX-Request"):  # htmx: load the login page, not a part
                    return "", 204, {"HX-Redirect": url_for("auth.login")}
                return redirect(target)
            if not may(user, role):
                abort(403, f"this needs the {role} role; you are {user.role}")
            g.user = user
            return view(*args, **kwargs)

        return wrapped

    return decorate


def api(role: str = "viewer") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An API endpoint behind HTTP Basic: 401 without valid credentials, 403 below ``role``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = _basic_user()
            if user is None:
                answer = jsonify(error="log in with HTTP Basic as a [web.users] user")
                answer.status_code = 401
                answer.headers["WWW-Authenticate"] = 'Basic realm="prepress", charset="UTF-8"'
                return answer
            if not may(user, role):
                return jsonify(error=f"this needs the {role} role; {user.name} is {user.role}"), 403
            g.user = user
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _basic_user() -> WebUser | None:
    if current_app.config.get("PREPRESS_OPEN"):
        return LOCAL_OPERATOR
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        return None
    return authenticate(credentials.username or "", credentials.password or "")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL another site could put in ``next``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.grid")
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; on success the session remembers the user's name."""
    error = ""
    if request.method == "POST":
        try:
            user = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        except TooManyRequests as exc:
            headers = dict(exc.get_headers())
            page = render_template("login.html", error=exc.description)
            return page, 429, {"Retry-After": headers.get("Retry-After", "60")}
        if user is not None:
            _end_session()
            sid = _state("sessions").open(user.name)
            session.update(user=user.name, sid=sid, csrf=secrets.token_urlsafe(32))
            session.permanent = True
            log.info("%r logged in from %s", user.name, request.remote_addr)
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong user name or password."
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout() -> Any:
    """End the session on the server too: a saved copy of the cookie no longer logs in."""
    _end_session()
    return redirect(url_for("auth.login"))


def _end_session() -> None:
    if session.get("sid"):
        _state("sessions").close(str(session["sid"]))
    session.clear()
