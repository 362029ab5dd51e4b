"""How ``prepress flower`` starts Flower: always behind authentication, state kept in var/.

Credentials never go on the command line (``ps`` shows it to every user): the basic-auth pair
and OAuth settings travel in Flower's own environment variables (``FLOWER_BASIC_AUTH``,
``FLOWER_OAUTH2_SECRET``...). Flower refuses to start without credentials unless it is bound to
127.0.0.1 and the operator passed ``--insecure-local``. Its ``/metrics`` and ``/healthcheck``,
open in Flower itself, need the same login (commands/flower_guard.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import ConfigError

#: The Celery application Flower watches.
CELERY_APP = "tasks.app"
#: The module that starts Flower with /metrics and /healthcheck behind its login.
GUARDED_FLOWER = "commands.flower_guard"
#: Address for which --insecure-local may turn authentication off.
LOCAL_ADDRESS = "127.0.0.1"
#: Flower's file of persistent state, under var/.
STATE_FILE = "flower.db"
#: OAuth options passed through from [flower.oauth] to Flower's environment.
OAUTH_OPTIONS = frozenset(
    {"auth", "auth_provider", "oauth2_key", "oauth2_secret", "oauth2_redirect_uri"}
)


@dataclass(frozen=True)
class FlowerLaunch:
    """The argument list and the environment additions that start Flower."""

    argv: list[str]
    env: dict[str, str]  # add to os.environ; holds the secrets

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) with Flower's variables set."""
        merged = dict(os.environ if base is None else base)
        merged.update(self.env)
        return merged


def flower_launch(
    config: Config,
    *,
    address: str | None = None,
    port: int | None = None,
    insecure_local: bool = False,
    python: str = sys.executable,
) -> FlowerLaunch:
    """Build Flower's command line from ``[flower]``; raise ConfigError when it would be open.

    ``python`` runs :mod:`commands.flower_guard`, which is ``celery`` with Flower's metrics and
    health check behind the same login as its pages.
    """
    settings = config.flower
    address = address or settings.address
    port = settings.port if port is None else port
    env: dict[str, str] = {}
    if settings.user and settings.password:
        if "," in settings.user + settings.password or ":" in settings.user:
            raise ConfigError(
                f"{config.source}: flower.user must not contain ':' or ',' and "
                "flower.password must not contain ','; choose other ones."
            )
        env["FLOWER_BASIC_AUTH"] = f"{settings.user}:{settings.password}"
    elif settings.user or settings.password:
        raise ConfigError(
            f"{config.source}: flower.user and flower.password go together; set "
            "both (or PREPRESS_FLOWER_USER and PREPRESS_FLOWER_PASSWORD)."
        )
    for key, value in settings.oauth.items():
        if key not in OAUTH_OPTIONS:
            raise ConfigError(
                f"{config.source}: flower.oauth.{key}: unknown option; expected "
                f"one of {', '.join(sorted(OAUTH_OPTIONS))}."
            )
        env[f"FLOWER_{key.upper()}"] = value
    if not env:
        if not (insecure_local and address == LOCAL_ADDRESS):
            raise ConfigError(
                f"{config.source}: Flower needs credentials: set [flower] user and password "
                "(or PREPRESS_FLOWER_USER / PREPRESS_FLOWER_PASSWORD) or [flower.oauth]; "
                f"without them it only starts on {LOCAL_ADDRESS} with --insecure-local."
            )
    var = config.paths.var
    argv = [
        python,
        "-m",
        GUARDED_FLOWER,
        "-A",
        CELERY_APP,
        "flower",
        "--persistent=True",
        f"--db={Path(var) / STATE_FILE}",
        f"--address={address}",
        f"--port={port}",
    ]
    return FlowerLaunch(argv=argv, env=env)
