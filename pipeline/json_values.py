"""Values as JSON carries them, in one format for every ``--json`` answer, every API answer
and every fact stored on a job.

- A time is ISO 8601 in the shop's zone with its offset, to the second:
  ``2026-12-01T23:52:07+02:00``. A script never guesses the zone, a person reads the shop's
  clock. A time without a zone is a stored one, and every stored time is UTC (SQLite gives
  them back naive, PostgreSQL aware).
- A mapping has str keys, in the order given; a tuple is a list.
- A whole float is an int (``900.0`` -> ``900``), so a measure reads as it was written.

The shop's zone is the host's (``TZ`` or /etc/localtime).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def aware(moment: datetime) -> datetime:
    """``moment`` with a zone: a naive one is a stored time, so UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(moment: datetime) -> datetime:
    """``moment`` in the shop's zone."""
    return aware(moment).astimezone()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in the shop's zone with the offset: ``2026-12-01T23:52:07+02:00``."""
    return None if moment is None else local(moment).isoformat(timespec="seconds")


def jsonable(value: Any) -> Any:
    """``value`` as JSON writes it: times as :func:`iso`, str keys kept in their order, lists
    for tuples, whole floats as ints."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
