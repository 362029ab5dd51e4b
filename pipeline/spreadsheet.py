"""CSV files as the shop's Excel opens them, and cells a spreadsheet shows as text.

Excel opens a CSV by double click with the list separator and decimal mark of Windows'
regional settings: in Ukraine (and most of Europe) ``;`` and a decimal comma, so a file of
``,`` and ``1.5`` lands in one column with numbers as text. Every CSV prepress writes (the
grid, the reports, ``prepress report --csv``) therefore uses ``[shop] csv_separator`` (``;``)
and the decimal mark of ``[shop] locale`` (``uk_UA``: ``1,5``), starts with a UTF-8 byte order
mark (without it Excel reads Cyrillic as cp1251), ends lines with CRLF, and writes times in
the shop's local time to the second (``2026-11-05 18:36:04``, which Excel reads as a date and
time). No ``sep=`` line: Excel then ignores the byte order mark and garbles Cyrillic.

OWASP's rule for CSV injection: a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, so Excel and LibreOffice show it as text and
never evaluate it. Numbers stay numbers (a negative cost is still a number).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

#: The UTF-8 byte order mark every CSV file starts with.
BOM = "\ufeff"

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` for a CSV cell: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


@dataclass(frozen=True)
class CsvFormat:
    """The shop's CSV: ``separator`` between cells, ``decimal_comma`` for numbers, ``zone``
    for times (None: this host's)."""

    separator: str = ";"
    decimal_comma: bool = True
    zone: tzinfo | None = None

    @classmethod
    def of(cls, config: Any) -> CsvFormat:
        """The format ``[shop] csv_separator`` and ``locale`` set."""
        from pipeline.config.shop import decimal_comma

        return cls(config.csv_separator, decimal_comma(config.locale))

    def cell(self, value: Any) -> Any:
        """``value`` as the shop's spreadsheet reads it: numbers with its decimal mark, times
        local to the second, nothing as empty, text that would start a formula quoted."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else ""
        if isinstance(value, float):
            text = f"{value:.6f}".rstrip("0").rstrip(".") if value == value else ""
            return text.replace(".", ",") if self.decimal_comma else text
        if isinstance(value, datetime):
            # the database keeps UTC: a time without a zone is UTC
            moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(self.zone)
            return f"{moment:%Y-%m-%d %H:%M:%S}"
        if isinstance(value, date):
            return value.isoformat()
        return safe_cell(value)

    def document(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
        """The whole file: a byte order mark, the header, one line per row, CRLF ends."""
        out = io.StringIO()
        # CRLF as RFC 4180 says: the csv module then quotes a cell holding a carriage return
        writer = csv.writer(out, delimiter=self.separator, lineterminator="\r\n")
        out.write(BOM)
        writer.writerow(header)
        for row in rows:
            writer.writerow([self.cell(value) for value in row])
        return out.getvalue()
