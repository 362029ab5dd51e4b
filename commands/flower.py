"""How ``prepress flower`` starts Flower: always behind authentication, state kept in var/.

Credentials never go on the command line (``ps`` shows it to every user): the basic-auth pair
and OAuth settings travel in Flower's own environment variables (``FLOWER_BASIC_AUTH``,
``FLOWER_OAUTH2_SECRET``...). Flower refuses to start without credentials unless it is bound to
127.0.0.1 and the operator passed ``--insecure-local``. Its ``/metrics`` and ``/healthcheck``,
open in Flower itself, need the same login (tasks/flower_guard.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config, flower_credentials

#: The Celery application Flower watches.
CELERY_APP = "tasks.app"
#: The module that starts Flower with /metrics and /healthcheck behind its login.
GUARDED_FLOWER = "tasks.flower_guard"
#: Flower's file of persistent state, under var/.
STATE_FILE = "flower.db"


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
    """Flower's command line from ``[flower]``; ConfigError when it would be open (the checks
    are the configuration's: pipeline.config.flower_credentials).

    ``python`` runs :mod:`tasks.flower_guard`, which is ``celery`` with Flower's metrics and
    health check behind the same login as its pages.
    """
    settings = config.flower
    address = address or settings.address
    port = settings.port if port is None else port
    env = flower_credentials(settings, config.source, address, insecure_local)
    argv = [
        python,
        "-m",
        GUARDED_FLOWER,
        "-A",
        CELERY_APP,
        "flower",
        "--persistent=True",
        f"--db={Path(config.paths.var) / STATE_FILE}",
        f"--address={address}",
        f"--port={port}",
    ]
    return FlowerLaunch(argv=argv, env=env)
