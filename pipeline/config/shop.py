"""``[shop]``'s CSV settings and ``[targets]``: how the shop's spreadsheets read numbers, and how
often idle targets are probed. Every error names the file and the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipeline.config.checking import Reader
from pipeline.config.settings import (
    DEFAULT_CSV_SEPARATOR,
    DEFAULT_LOCALE,
    DEFAULT_PROBE_MINUTES,
)

#: Separators a spreadsheet takes (``;``, ``,``, a tab, ``|``).
CSV_SEPARATORS = (";", ",", "\t", "|")
#: A locale name: ``uk_UA``, ``de``, ``en_US`` (an encoding or modifier after it is allowed).
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,4})?([.@][A-Za-z0-9_.@-]*)?$")
#: Languages whose decimal mark is a comma (CLDR), unless the country says otherwise below.
COMMA_LANGUAGES = frozenset(
    "uk ru be kk uz az ka hy pl cs sk sl hr sr bs mk bg ro hu lt lv et fi sv nb nn no da is "
    "de nl fr it es pt ca gl eu el tr id vi af".split()
)
#: Countries of a comma language that write a decimal point (``de_CH`` 1.5, ``es_MX`` 1.5).
POINT_LOCALES = frozenset({"de_CH", "de_LI", "it_CH", "fr_CH", "es_MX", "es_US", "es_PR"})


def decimal_comma(locale: str) -> bool:
    """True when numbers are written ``1,5`` in ``locale`` (``uk_UA``), False for ``1.5``."""
    name = re.split(r"[.@]", locale, maxsplit=1)[0].replace("-", "_")
    language = name.split("_", 1)[0].lower()
    return language in COMMA_LANGUAGES and name not in POINT_LOCALES


def read_csv_format(reader: Reader, raw: Mapping[str, Any]) -> tuple[str, str]:
    """``[shop] csv_separator`` and ``locale``; a comma separator with a decimal comma is
    refused (every number would split in two)."""
    shop = reader.table(raw, "shop")
    separator = reader.text(shop, "shop.csv_separator", DEFAULT_CSV_SEPARATOR)
    if separator not in CSV_SEPARATORS:
        shown = ", ".join(repr(s) for s in CSV_SEPARATORS)
        raise reader.fail("shop.csv_separator", f"must be one of {shown}, got {separator!r}")
    locale = reader.text(shop, "shop.locale", DEFAULT_LOCALE).strip()
    if not _LOCALE.match(locale):
        raise reader.fail("shop.locale", f'must be a locale such as "uk_UA", got {locale!r}')
    if separator == "," and decimal_comma(locale):
        raise reader.fail(
            "shop.csv_separator",
            f'"," cannot separate cells where {locale} writes numbers with a decimal comma; '
            'use ";"',
        )
    return separator, locale


def read_targets(reader: Reader, raw: Mapping[str, Any]) -> float:
    """``[targets] probe_minutes``: minutes an idle bureau or press target waits for a probe."""
    targets = reader.table(raw, "targets")
    reader.only(targets, "targets", {"probe_minutes"})
    minutes = reader.number(targets, "targets.probe_minutes", DEFAULT_PROBE_MINUTES)
    if not 0.5 <= minutes <= 24 * 60:
        raise reader.fail(
            "targets.probe_minutes", f"must be from 0.5 to {24 * 60} minutes, got {minutes:g}"
        )
    return minutes
