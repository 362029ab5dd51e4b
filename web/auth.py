"""Who is asking: session logins for pages, HTTP Basic for the API, roles, CSRF tokens.

Users come from ``[web.users.NAME]``; the role is looked up in the configuration on every
request, so a removed user or a changed role takes effect at once. A session cookie holds only
the user's name and the CSRF token, signed with the app's secret key; passwords and hashes
never leave the configuration. Without users (``--insecure-local`` on 127.0.0.1) everyone is
the local operator.
"""

from __future__ import annotations

import functools
import hmac
import secrets
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
from werkzeug.security import check_password_hash

from pipeline.config.settings import WebUser

bp = Blueprint("auth", __name__)

#: The user everyone is when the dashboard runs without users on 127.0.0.1.
LOCAL_OPERATOR = WebUser(name="local", role="operator")
#: Roles by rank: an operator may do what a viewer may.
RANK = {"viewer": 0, "operator": 1}


def users() -> dict[str, WebUser]:
    return dict(current_app.extensions["prepress"].web.users)


def check_password(user: WebUser, password: str) -> bool:
    """True when ``password`` is the user's (by hash, or by the password from its variable)."""
    if user.password_hash:
        return check_password_hash(user.password_hash, password)
    return hmac.compare_digest(user.password.encode(), password.encode())


def authenticate(name: str, password: str) -> WebUser | None:
    user = users().get(name)
    if user is None or not check_password(user, password):
        return None
    return user


def current_user() -> WebUser | None:
    """The logged-in user of this page request, or None."""
    if current_app.config.get("PREPRESS_OPEN"):
        return LOCAL_OPERATOR
    return users().get(session.get("user", ""))


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
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
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
        user = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            token = csrf_token()
            session.clear()
            session.update(user=user.name, csrf=token)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong user name or password."
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
