"""``[outputters.NAME.invoice]``: which header text names each column of the bureau's invoice,
and how many days a line's date may lie from the job it bills. Every error names the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.config.checking import Reader
from pipeline.config.settings import DEFAULT_INVOICE_WINDOW_DAYS, InvoiceColumns

#: The key of ``[outputters.NAME]`` read here.
INVOICE_KEY = "invoice"
#: Column keys (their values are header texts), required first.
COLUMN_KEYS = ("date", "plates", "file", "order", "format", "price")
#: The longest date window a bureau may be given, in days.
MAX_WINDOW_DAYS = 62
#: The longest header text (a header is a word or two; a longer one is a mistake).
MAX_HEADER_CHARS = 200


def read_invoice_columns(
    reader: Reader, table: Mapping[str, Any], key: str
) -> InvoiceColumns | None:
    """The bureau's invoice columns, or None when its table has no ``invoice``."""
    if INVOICE_KEY not in table:
        return None
    key = f"{key}.{INVOICE_KEY}"
    raw = reader.table(table, key)
    reader.only(raw, key, {*COLUMN_KEYS, "window_days"})
    columns = {name: _header(reader, raw, f"{key}.{name}") for name in COLUMN_KEYS}
    for required in ("date", "plates"):
        if not columns[required]:
            raise reader.fail(
                f"{key}.{required}", "missing; the header text of that column in the invoice"
            )
    if not (columns["file"] or columns["order"]):
        raise reader.fail(
            f"{key}.file",
            "name the column with the remote file name (file) or the order number (order)",
        )
    given = [text.casefold() for text in columns.values() if text]
    if len(set(given)) != len(given):
        raise reader.fail(key, "two keys name the same column; each column once")
    window = reader.number(raw, f"{key}.window_days", DEFAULT_INVOICE_WINDOW_DAYS)
    if window != int(window) or window > MAX_WINDOW_DAYS:
        raise reader.fail(
            f"{key}.window_days", f"must be whole days from 0 to {MAX_WINDOW_DAYS}, got {window:g}"
        )
    return InvoiceColumns(**columns, window_days=int(window))


def _header(reader: Reader, raw: Mapping[str, Any], key: str) -> str:
    text = reader.text(raw, key).strip()
    if len(text) > MAX_HEADER_CHARS:
        raise reader.fail(key, f"longer than {MAX_HEADER_CHARS} characters")
    return text
