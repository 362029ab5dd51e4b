"""Waiting for a condition by asking again, instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Seconds between two looks at the condition.
INTERVAL = 0.1


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = INTERVAL) -> Any:
    """Call ``predicate`` until it returns something truthy and return that; None when
    ``timeout`` seconds pass first (it is asked once more at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
