"""The plate ledger's settings: a bureau's plate order (ticket), lead time and prices per plate
format, the shop's currency and the remake reasons. Every error names the file and the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pipeline.config.checking import Reader
from pipeline.config.settings import (
    DEFAULT_CURRENCY,
    DEFAULT_LEAD_HOURS,
    DEFAULT_REMAKE_REASONS,
    DEFAULT_TAKEN_ALERT_HOURS,
    DEFAULT_TAKEN_POLL_MINUTES,
    DEFAULT_TICKET,
    TICKET_KINDS,
    PlatePrice,
)

#: Keys of ``[outputters.NAME]`` read here.
OUTPUTTER_KEYS = frozenset(
    {"ticket", "lead_hours", "prices", "taken_poll_minutes", "taken_alert_hours"}
)
#: A remake reason code: lower-case words joined by ``_`` (it is typed on the command line).
_REASON = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: A currency: letters or a sign, at most 8 characters ("UAH", "EUR", "₴").
_CURRENCY_MAX = 8


def read_ticket(reader: Reader, table: Mapping[str, Any], key: str) -> str:
    """``ticket = "jdf" | "none"``."""
    ticket = reader.text(table, f"{key}.ticket", DEFAULT_TICKET)
    if ticket not in TICKET_KINDS:
        raise reader.fail(
            f"{key}.ticket", f"must be one of {', '.join(TICKET_KINDS)}, got {ticket!r}"
        )
    return ticket


def read_lead_hours(reader: Reader, table: Mapping[str, Any], key: str) -> float:
    """``lead_hours``: hours from the upload to the plates' due time (0 to a year)."""
    hours = reader.number(table, f"{key}.lead_hours", DEFAULT_LEAD_HOURS)
    if hours > 24 * 366:
        raise reader.fail(f"{key}.lead_hours", f"must be at most {24 * 366} hours, got {hours}")
    return hours


def read_taken(reader: Reader, table: Mapping[str, Any], key: str) -> tuple[float, float]:
    """``taken_poll_minutes`` (0: off; else 1 minute to a day) and ``taken_alert_hours``
    (0: no alert; at most a week, the age past which a plate file is no longer looked for)."""
    minutes = reader.number(table, f"{key}.taken_poll_minutes", DEFAULT_TAKEN_POLL_MINUTES)
    if minutes and not 1 <= minutes <= 24 * 60:
        raise reader.fail(
            f"{key}.taken_poll_minutes", f"must be 0 (off) or 1 to {24 * 60} minutes, got {minutes}"
        )
    hours = reader.number(table, f"{key}.taken_alert_hours", DEFAULT_TAKEN_ALERT_HOURS)
    if hours > 24 * 7:
        raise reader.fail(
            f"{key}.taken_alert_hours", f"must be at most {24 * 7} hours, got {hours}"
        )
    return minutes, hours


def read_prices(reader: Reader, table: Mapping[str, Any], key: str) -> tuple[PlatePrice, ...]:
    """``[[outputters.NAME.prices]]``: ``plate_mm = [w, h]``, ``price``, optional ``from``."""
    raw = table.get("prices", [])
    if not isinstance(raw, list):
        raise reader.fail(f"{key}.prices", "must be an array of tables ([[...prices]])")
    prices: list[PlatePrice] = []
    seen: set[tuple[tuple[float, float], date | None]] = set()
    for index, entry in enumerate(raw):
        here = f"{key}.prices[{index}]"
        if not isinstance(entry, Mapping):
            raise reader.fail(here, "must be a table with plate_mm, price and optional from")
        reader.only(entry, here, {"plate_mm", "price", "from"})
        plate = entry.get("plate_mm")
        if (
            not isinstance(plate, list)
            or len(plate) != 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in plate
            )
        ):
            raise reader.fail(f"{here}.plate_mm", f"must be [width, height] in mm, got {plate!r}")
        price = reader.number(entry, f"{here}.price")
        valid_from = _day(reader, entry.get("from"), f"{here}.from")
        size = (float(plate[0]), float(plate[1]))
        identity = (plate_key(size), valid_from)
        if identity in seen:
            raise reader.fail(
                here, f"a second price for {plate[0]} x {plate[1]} mm from the same day"
            )
        seen.add(identity)
        prices.append(PlatePrice(plate_mm=size, price=price, valid_from=valid_from))
    return tuple(prices)


def plate_key(plate_mm: tuple[float, float]) -> tuple[float, float]:
    """A plate format without its orientation, to the millimetre: 770 x 1030 is 1030 x 770."""
    width, height = (round(float(v)) for v in plate_mm)
    return (float(max(width, height)), float(min(width, height)))


def _day(reader: Reader, value: Any, key: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise reader.fail(key, f'must be a date "YYYY-MM-DD", got {value!r}')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise reader.fail(key, f'must be a date "YYYY-MM-DD", got {value!r}') from None


def read_currency(reader: Reader, raw: Mapping[str, Any]) -> str:
    """``[shop] currency``: the unit of every price and cost ("UAH"); empty: none named."""
    shop = reader.table(raw, "shop")
    reader.only(shop, "shop", {"currency", "csv_separator", "locale"})
    currency = reader.text(shop, "shop.currency", DEFAULT_CURRENCY).strip()
    if len(currency) > _CURRENCY_MAX or any(not c.isprintable() for c in currency):
        raise reader.fail("shop.currency", f'must be a short name such as "UAH", got {currency!r}')
    return currency


def read_remake_reasons(reader: Reader, raw: Mapping[str, Any]) -> tuple[str, ...]:
    """``[remakes] reasons``: the codes an operator chooses from; at least one."""
    remakes = reader.table(raw, "remakes")
    reader.only(remakes, "remakes", {"reasons"})
    if "reasons" not in remakes:
        return DEFAULT_REMAKE_REASONS
    reasons = reader.strings(remakes, "remakes.reasons")
    if not reasons:
        raise reader.fail("remakes.reasons", "must name at least one reason")
    for reason in reasons:
        if not _REASON.match(reason):
            raise reader.fail(
                "remakes.reasons",
                f"{reason!r} is not a code: lower-case letters, digits and _, e.g. "
                "damaged_on_press",
            )
    if len(set(reasons)) != len(reasons):
        raise reader.fail("remakes.reasons", "names a reason twice")
    return reasons
