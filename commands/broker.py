"""The broker as commands meet it: reachable or not, said in one line.

A command that queues work checks the broker first (tasks/probes.py, a few seconds at most)
instead of letting Celery reconnect for twenty seconds and end in a traceback; the line it
prints names the broker (password masked), that it is not reachable, and where its URL comes
from.
"""

from __future__ import annotations

from typing import Any

#: Seconds to reach the broker before saying it is unreachable.
CONNECT_SECONDS = 3.0
#: Where the broker URL is set, for messages.
BROKER_KEYS = "[celery] broker_url in prepress.toml, or $PREPRESS_BROKER_URL"


def broker_label(url: str) -> str:
    """The broker URL with its password masked, or what ``embedded`` means."""
    from pipeline.errors import mask_secrets

    return "embedded (files under var/broker)" if url == "embedded" else mask_secrets(url)


def broker_problem(config: Any) -> str | None:
    """None when the broker takes connections; else one line saying what is wrong and the fix."""
    from tasks import probes

    if config.broker_url == probes.EMBEDDED:
        return None  # its folder is made when the first message is written
    error = probes.broker_error(config, CONNECT_SECONDS)
    return None if error is None else unreachable(config, error)


def unreachable(config: Any, reason: BaseException | str) -> str:
    """The one line for a broker that did not answer."""
    from pipeline.errors import mask_secrets

    text = str(reason).strip()
    reason = mask_secrets(text.splitlines()[0] if text else repr(reason))
    return (
        f"broker {broker_label(config.broker_url)} is not reachable ({reason}); "
        f"start it or set {BROKER_KEYS}"
    )
