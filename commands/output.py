"""How commands print: times in the shop's local zone, JSON with offsets, names that fit.

The database keeps UTC. People read local time with the zone shown; JSON carries ISO 8601 with
the offset (pipeline/json_values.py), so a script never guesses. The shop's zone is the
host's (``TZ`` or /etc/localtime), the same one the nightly backup's 02:30 follows.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

import click

from pipeline.json_values import jsonable, local

#: Shown where a value is unknown or empty.
NONE = "-"
#: Marks where a name was shortened.
ELLIPSIS = "…"
#: The largest id or count the database stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: A job id argument: a larger number is a usage error, not a database overflow.
JOB_ID = click.IntRange(1, MAX_ID)
#: A count option (``--limit``).
COUNT = click.IntRange(0, MAX_ID)
#: The days a date option may name: the shop's zone is known from 1970 on.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def checked_day(value: str, option: str) -> date:
    """``value`` (YYYY-MM-DD) as a date between FIRST_DAY and LAST_DAY, else a usage error."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD", param_hint=option) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise click.BadParameter(
            f"{value!r} is out of range; use a day from {FIRST_DAY} to {LAST_DAY}",
            param_hint=option,
        )
    return day


def checked_range(first: date | None, last: date | None) -> None:
    """``--to`` before ``--from`` is a usage error (exit 2), never an empty answer."""
    if first is not None and last is not None and last < first:
        raise click.BadParameter(
            f"{last} is before --from {first}; the range would be empty", param_hint="--to"
        )


def known_name(value: str, known: Iterable[str], option: str, what: str) -> str:
    """``value`` as one of ``known`` (a press, a bureau), matched ignoring case; else a usage
    error that names the known ones and the closest ("did you mean")."""
    if not value:
        return value
    names = sorted(set(known), key=str.casefold)
    folded = {name.casefold(): name for name in names}
    if value.casefold() in folded:
        return folded[value.casefold()]
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f" Did you mean {folded[close[0]]}?" if close else ""
    listed = ", ".join(names) if names else "none configured"
    raise click.BadParameter(
        f"{value!r} is not a known {what}.{hint} Known: {listed}.", param_hint=option
    )


def show_time(moment: datetime | None) -> str:
    """``2026-12-01 23:52 EET``: minutes, local, with the zone."""
    return NONE if moment is None else f"{local(moment):%Y-%m-%d %H:%M %Z}"


def show_clock(moment: datetime | None) -> str:
    """``18:36``: the local time of day alone (a span within a day)."""
    return NONE if moment is None else f"{local(moment):%H:%M}"


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the shop's zone, as an aware UTC datetime."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def echo_json(value: Any) -> None:
    """Print ``value`` as JSON: readable UTF-8, keys in a stable (the given) order, times and
    numbers as pipeline/json_values.py writes them."""
    click.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=1, default=str))


def shorten(name: str, width: int) -> str:
    """``name`` in at most ``width`` characters, cut in the middle, the extension kept whole."""
    if len(name) <= width:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = f".{extension}" if dot and len(extension) <= 5 else ""
    stem = name[: len(name) - len(suffix)]
    room = max(width - len(suffix) - len(ELLIPSIS), 2)
    head = (room + 1) // 2
    tail = room - head
    return f"{stem[:head]}{ELLIPSIS}{stem[len(stem) - tail :] if tail else ''}{suffix}"
