"""What a request reads from the running app: the shop's configuration, kept once by
``create_app`` and read by every blueprint through :func:`config`."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

#: The key under which the app keeps the shop's configuration in ``app.extensions``.
EXTENSION = "prepress"


def keep_config(app: Flask, config: Any) -> None:
    """Keep ``config`` on ``app`` for :func:`config`."""
    app.extensions[EXTENSION] = config


def config() -> Any:
    """The shop's configuration of the app serving this request."""
    return current_app.extensions[EXTENSION]
