"""The invoice's lines: its header found by the bureau's column names, each cell read.

The header is the first row (of the first HEADER_SEARCH_ROWS) that holds every column the
bureau's ``[outputters.NAME.invoice]`` names, ignoring case and spaces around: a title
("Рахунок № 17") above it is skipped. Below it, a row that names no file (or order) and
has no date is not a line (a blank row, a "Разом" total); any other row is read in full, and
a cell that cannot be read is an error naming the line and the column: the whole invoice is
refused, never imported in part.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pipeline.config.settings import InvoiceColumns
from pipeline.errors import InvalidInvoice
from pipeline.invoice.sheets import (
    MAX_INVOICE_BYTES,
    MAX_INVOICE_LINES,
    Row,
    csv_rows,
    decode,
    kind_of,
    separators,
    xlsx_rows,
)
from pipeline.text import shown

#: Rows searched for the header.
HEADER_SEARCH_ROWS = 50
#: Years a line's date may fall in (a typing error like 20266 is refused).
FIRST_YEAR, LAST_YEAR = 1990, 2200
#: Most plates one line may bill, and the largest price of one plate.
MAX_PLATES, MAX_PRICE = 100_000, 10_000_000.0
#: Longest file name, order number or format read from a cell.
MAX_TEXT_CHARS = 500
#: Characters of a bad cell quoted in an error.
QUOTED_CHARS = 40
#: Excel's day 0 (serial dates count days from here, 1900 date system).
EXCEL_EPOCH = date(1899, 12, 30)
#: Excel serial numbers taken as dates (1990 to 2200).
EXCEL_SERIALS = (32874, 110960)
#: Day-first dates (Ukrainian and Russian locales) and ISO dates; a time after them is ignored.
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?:[ T].*)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
#: A number as bureaus write it: digits grouped by spaces or ', a decimal comma or point.
_NUMBER = re.compile(r"[+-]?\d[\d.,' \u00a0\u202f]*")
#: A currency written beside a price: letters (грн, UAH) with an optional dot, or a sign.
_CURRENCY = re.compile(r"^[₴$€£]\s*|\s*(?:[^\W\d_]{1,5}\.?|[₴$€£])$")
#: Spaces a header cell may carry (non-breaking ones included).
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


@dataclass(frozen=True)
class InvoiceLine:
    """One billed line: its line number, date, what it names (file or order), plates, price."""

    line: int
    day: date
    file: str
    order: str
    format: str
    plates: int
    price: float | None


@dataclass(frozen=True)
class Invoice:
    """The lines of one invoice and how its file was read (``CSV cp1251 ';'``, ``XLSX``)."""

    lines: tuple[InvoiceLine, ...]
    read_as: str

    @property
    def period(self) -> tuple[date, date]:
        """The days the invoice bills: bureaus bill by the month, so every day of the months
        its lines fall in, from the first day of the first to the last day of the last."""
        return billing_period(line.day for line in self.lines)


def billing_period(days: Iterable[date]) -> tuple[date, date]:
    """The first day of the earliest month of ``days`` and the last day of the latest."""
    found = list(days)
    first, last = min(found), max(found)
    following = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=1), following - timedelta(days=1)


@dataclass(frozen=True)
class Header:
    """The header's line and the position of every named column (key -> (index, text))."""

    line: int
    columns: dict[str, tuple[int, str]]


def read_invoice(data: bytes, columns: InvoiceColumns) -> Invoice:
    """Every line of the invoice ``data``; InvalidInvoice names what is wrong and where."""
    if len(data) > MAX_INVOICE_BYTES:
        raise InvalidInvoice(
            f"the invoice has {len(data)} bytes, more than the {MAX_INVOICE_BYTES} read; "
            "a bureau's monthly invoice is far smaller: check the file"
        )
    if kind_of(data) == "xlsx":
        rows = xlsx_rows(data)
        return Invoice(_lines(rows, _header(rows, columns), columns), "XLSX")
    text = decode(data)
    best: tuple[int, str] = (-1, "")
    for separator in separators(text.text):
        rows = csv_rows(text.text, separator)
        try:
            header = _header(rows, columns)
        except _NoHeader as missing:
            best = max(best, (missing.found, missing.message))
            continue
        shown_separator = "tab" if separator == "\t" else repr(separator)
        return Invoice(
            _lines(rows, header, columns), f"CSV {text.encoding}, separator {shown_separator}"
        )
    raise InvalidInvoice(best[1])


class _NoHeader(InvalidInvoice):
    """No header row; ``found``: most named columns one row had."""

    def __init__(self, message: str, found: int) -> None:
        super().__init__(message)
        self.message, self.found = message, found


def _wanted(columns: InvoiceColumns) -> dict[str, str]:
    """{key: header text} of the columns the bureau named."""
    names = ("date", "file", "order", "format", "plates", "price")
    return {key: getattr(columns, key) for key in names if getattr(columns, key)}


def _header(rows: Iterator[Row], columns: InvoiceColumns) -> Header:
    """The header row, read from ``rows`` (which then continue below it)."""
    wanted = _wanted(columns)
    best: tuple[int, int, list[str]] = (0, 0, list(wanted.values()))
    for line, cells in rows:
        found = _positions(cells, wanted)
        if len(found) == len(wanted):
            return Header(line, found)
        if len(found) > best[0]:
            best = (len(found), line, [text for key, text in wanted.items() if key not in found])
        if line >= HEADER_SEARCH_ROWS:
            break
    count, line, missing = best
    where = f"line {line} has {count} of them but not" if count else "none has"
    raise _NoHeader(
        f"no header among the first {HEADER_SEARCH_ROWS} lines names the columns "
        f"{', '.join(repr(t) for t in wanted.values())}; {where} "
        f"{', '.join(repr(t) for t in missing)} (check [outputters.NAME.invoice])",
        count,
    )


def _positions(cells: list[Any], wanted: dict[str, str]) -> dict[str, tuple[int, str]]:
    texts = [_fold(cell) for cell in cells]
    found = {}
    for key, name in wanted.items():
        if _fold(name) in texts:
            found[key] = (texts.index(_fold(name)), name)
    return found


def _fold(cell: Any) -> str:
    return _SPACES.sub(" ", str(cell if cell is not None else "")).strip().casefold()


def _lines(rows: Iterator[Row], header: Header, columns: InvoiceColumns) -> tuple[InvoiceLine, ...]:
    lines = []
    keys = [key for key in ("file", "order") if key in header.columns]
    for count, (line, cells) in enumerate(rows, start=1):
        if count > MAX_INVOICE_LINES:
            raise InvalidInvoice(
                f"line {line}: more than {MAX_INVOICE_LINES} lines below the header; a bureau's "
                "invoice has far fewer: check the file, or split it"
            )
        values = {k: _cell(cells, i) for k, (i, _) in header.columns.items()}
        if all(_blank(values[key]) for key in keys) and not _is_day(values["date"]):
            continue  # a blank row, a total or a note: it bills no file or order
        lines.append(_line(line, values, header))
    if not lines:
        raise InvalidInvoice(f"no lines below the header (line {header.line})")
    return tuple(lines)


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _line(line: int, values: dict[str, Any], header: Header) -> InvoiceLine:
    def read(key: str, parse: Any) -> Any:
        if key not in values:
            return None
        index, name = header.columns[key]
        try:
            return parse(values[key])
        except ValueError as exc:
            raise InvalidInvoice(
                f"line {line}, column {name!r} ({_letter(index)}): {exc}; "
                f"got {_quoted(values[key])}"
            ) from None

    file, order = read("file", _text) or "", read("order", _text) or ""
    if not (file or order):
        index, name = header.columns["file" if "file" in values else "order"]
        raise InvalidInvoice(
            f"line {line}, column {name!r} ({_letter(index)}): empty; every line names the "
            "file or order it bills"
        )
    return InvoiceLine(
        line=line,
        day=read("date", _day),
        file=file,
        order=order,
        format=read("format", _text) or "",
        plates=read("plates", _plates),
        price=read("price", _price),
    )


def _is_day(value: Any) -> bool:
    try:
        _day(value)
    except ValueError:
        return False
    return True


def _letter(index: int) -> str:
    """The spreadsheet's name of column ``index`` (0 -> A, 26 -> AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _quoted(value: Any) -> str:
    text = shown(str(value))
    return repr(text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "…")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an order number Excel stored as a number
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"longer than {MAX_TEXT_CHARS} characters")
    return text


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        day = _excel_day(value)
    elif isinstance(value, str):
        day = _day_text(value.strip())
    else:
        raise ValueError("not a date")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"a date between {FIRST_YEAR} and {LAST_YEAR} is expected")
    return day


def _excel_day(serial: float) -> date:
    if not (math.isfinite(serial) and EXCEL_SERIALS[0] <= serial <= EXCEL_SERIALS[1]):
        raise ValueError("a date is expected")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def _day_text(text: str) -> date:
    if not text:
        raise ValueError("empty; a date like 01.12.2026 is expected")
    iso, day_first = _ISO.fullmatch(text), _DAY_FIRST.fullmatch(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif day_first:
        day, month, year = (int(part) for part in day_first.groups())
        year += 2000 if year < 100 else 0
    else:
        raise ValueError("not a date like 01.12.2026 or 2026-12-01")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("no such day") from None


def _plates(value: Any) -> int:
    number = _number(value)
    if not number.is_integer() or not 1 <= number <= MAX_PLATES:
        raise ValueError(f"a whole number of plates from 1 to {MAX_PLATES} is expected")
    return int(number)


def _price(value: Any) -> float | None:
    if _blank(value):
        return None
    number = _number(value)
    if not 0 <= number <= MAX_PRICE:
        raise ValueError(f"a price from 0 to {MAX_PRICE:.0f} is expected")
    return number


def _number(value: Any) -> float:
    """A number from a cell: Excel's number, or text with a decimal comma or point,
    digits grouped by spaces, a currency beside it. A formula's text is not a number."""
    if isinstance(value, bool):
        raise ValueError("a number is expected")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = _CURRENCY.sub("", value.strip())
        number = _number_text(text if text or not value.strip() else value)
    else:
        raise ValueError("a number is expected")
    if not math.isfinite(number):
        raise ValueError("a finite number is expected")
    return number


def _number_text(text: str) -> float:
    if not text:
        raise ValueError("empty; a number is expected")
    if not _NUMBER.fullmatch(text):
        raise ValueError("not a number")
    digits = re.sub(r"[' \u00a0\u202f]", "", text)
    point = max(digits.rfind("."), digits.rfind(","))
    if point >= 0 and digits.count(digits[point]) == 1:
        whole, fraction = digits[:point], digits[point + 1 :]
        digits = re.sub(r"[.,]", "", whole) + "." + fraction
    else:  # only grouping marks: "1.234.567"
        digits = re.sub(r"[.,]", "", digits)
    try:
        return float(digits)
    except ValueError:
        raise ValueError("not a number") from None
