"""The Flask application: configuration, secret key, blueprints, template helpers.

``create_app(config)`` is all a server or a test needs. The secret key that signs session
cookies comes from ``[web] secret_key_env`` or ``$PREPRESS_WEB_SECRET_KEY``, else it is made
once and kept in var/web-secret-key (mode 0600); it is never stored in the database. A key
shorter than 32 bytes is refused: a short key can be guessed offline from one cookie.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

from models.job import aware
from pipeline.config import Config
from pipeline.errors import ConfigError

#: File under var/ holding the generated secret key.
SECRET_KEY_FILE = "web-secret-key"
#: Shortest secret key accepted, in bytes (OWASP and Flask: at least 256 random bits).
MIN_SECRET_KEY_BYTES = 32
#: Largest request body: forms and the API's JSON are a few hundred bytes.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(config: Config, *, open_local: bool = False) -> Flask:
    """The dashboard for ``config``; ``open_local`` lets everyone in (127.0.0.1 only).

    ConfigError when a user's ``password_env`` is not set: nobody could log in as them.
    """
    from pipeline.config import require_web_passwords
    from tasks.app import configure

    require_web_passwords(config.web, config.source)
    from web import actions, api, auth, held, pages, present, remakes, reports, security
    from web.context import keep_config

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="prepress_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.web.session_hours),
        PREPRESS_OPEN=open_local,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )
    keep_config(app, config)
    app.url_map.converters["int"] = security.IdConverter  # before any route is added
    configure(config)  # retry and reprocess queue chains on this broker
    for blueprint in (auth.bp, pages.bp, reports.bp, actions.bp, api.bp, held.bp, held.api_bp):
        app.register_blueprint(blueprint)
    from web import invoices

    app.register_blueprint(invoices.bp)
    app.register_blueprint(invoices.api_bp)
    app.register_blueprint(remakes.bp)
    app.register_blueprint(remakes.api_bp)
    security.install(app, config.web, open_local=open_local)
    auth.install(app, config.web.session_hours, config.web.idle_minutes)
    app.before_request(auth.check_csrf)
    app.context_processor(_template_globals)
    app.add_template_filter(local_time, "local")
    app.add_template_filter(present.plain_words, "plain")
    app.jinja_env.finalize = present.shown_on_page  # control and bidi characters escaped
    app.add_url_rule("/healthz", "healthz", lambda: jsonify(ok=True))
    return app


def secret_key(config: Config) -> str:
    """The configured key, else the one kept under var/ (made with mode 0600 on first use)."""
    if config.web.secret_key:
        if len(config.web.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"{config.source or 'configuration'}: web.secret_key_env: the key in "
                f"${config.web.secret_key_env or 'PREPRESS_WEB_SECRET_KEY'} is shorter than "
                f"{MIN_SECRET_KEY_BYTES} bytes; make one with: python3 -c "
                "'import secrets; print(secrets.token_urlsafe(48))' (or unset the variable "
                "to use the key kept in var/)"
            )
        return config.web.secret_key
    path = Path(config.paths.var) / SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time in the shop's local time."""
    if moment is None:
        return ""
    return aware(moment).astimezone().strftime(pattern)


def _template_globals() -> dict[str, Any]:
    from models import store
    from web.auth import csrf_token, current_user, may
    from web.context import config as current_config
    from web.health import strip

    config = current_config()
    user = current_user()
    try:
        mode = store.get_mode(config.database_url)
    except Exception:  # the page still renders; the health strip says what is wrong
        mode = "unknown"
    return {
        "csrf_token": csrf_token,
        "user": user,
        "is_operator": may(user, "operator"),
        "mode": mode,
        "modes": ("normal", "import", "dry-run"),
        "health_strip": strip,
    }
