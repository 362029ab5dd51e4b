"""The one backoff: how long to wait before trying again, for every retry loop of prepress.

A pause starts at ``factor``, doubles with each further failed attempt and never passes
``max_backoff`` (dramatiq's ``compute_backoff``). With jitter it is shortened by up to half,
at random, so that what failed together (jobs waiting for the same bureau) does not come back
together.
"""

from __future__ import annotations

import random

#: Doublings after which a pause stops growing even without a cap (and 2**n stays a float).
MAX_EXPONENT = 32


def compute_backoff(
    attempts: int, *, factor: float, max_backoff: float, jitter: bool = False
) -> float:
    """Seconds to wait after ``attempts`` earlier retries: ``factor`` before the first retry
    (``attempts`` 0, or less), twice as long before each further one, at most ``max_backoff``;
    ``jitter`` shortens it by up to half."""
    exponent = min(max(0, attempts), MAX_EXPONENT)
    pause = min(max_backoff, factor * 2**exponent)
    return jittered(pause) if jitter else pause


def jittered(pause: float) -> float:
    """``pause`` shortened by up to half, at random."""
    return pause * random.uniform(0.5, 1.0)


__all__ = ["MAX_EXPONENT", "compute_backoff", "jittered"]
