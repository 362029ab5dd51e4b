"""An invoice file's bytes as rows of cells, each with its line number.

XLSX is recognised by its content (a zip), CSV is everything else that is text. Excel writes
CSV as UTF-8 with or without a byte order mark, as "Unicode text" (UTF-16 with a BOM, tab
separated) or in the Windows code page (cp1251 for Cyrillic); the separator is whatever its
locale uses (``;`` in Ukraine and Russia). The encoding is decided from the bytes, the
separator by trying each candidate, csv.Sniffer's guess first, on the header the bureau's
columns name (lines.py). Limits keep a hostile file from holding the process: its size,
the rows read, the columns kept and, for XLSX, the unpacked size of every part.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.errors import InvalidInvoice

#: Largest invoice file read, in bytes (a bureau's monthly invoice is a few hundred KB).
MAX_INVOICE_BYTES = 20 * 1024 * 1024
#: Most rows read after the header: more is refused, not read on.
MAX_INVOICE_LINES = 100_000
#: Columns of a row kept (a header further right is not looked for).
MAX_COLUMNS = 100
#: Largest unpacked part of an XLSX file (a zip bomb is refused before it is unpacked).
MAX_XLSX_PART_BYTES = 200 * 1024 * 1024
#: Characters of text csv.Sniffer looks at (its regular expressions grow with the square).
SNIFF_CHARS = 4096
#: The separators Excel writes, in the order tried after the sniffed one.
SEPARATORS = (";", ",", "\t", "|")
#: Bytes an XLSX (zip) file starts with, and an Excel 97-2003 (OLE2) file.
ZIP_MAGIC, OLE2_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
#: Damaged UTF-8 rather than cp1251: this many good non-ASCII characters per broken one, at
#: least (cp1251 Cyrillic read as UTF-8 is nearly all broken).
UTF8_GOOD_PER_BROKEN = 10

#: A row: its line number in the file and its cells (text for CSV, values for XLSX).
Row = tuple[int, list[Any]]


@dataclass(frozen=True)
class Text:
    """A CSV invoice decoded: its text and the encoding it was read in."""

    text: str
    encoding: str


def kind_of(data: bytes) -> str:
    """``xlsx`` or ``csv``; an old .xls, an empty file and binary data are refused."""
    if not data.strip():
        raise InvalidInvoice("the invoice is empty")
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE2_MAGIC):
        raise InvalidInvoice(
            "an Excel 97-2003 file (.xls) cannot be read; save it as .xlsx or as CSV"
        )
    return "csv"


def decode(data: bytes) -> Text:
    """The invoice's text: a BOM decides; else UTF-16 by its zero bytes, UTF-8, or cp1251."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return Text(_strict(data[len(bom) :], encoding), encoding + " with BOM")
    head = data[:4096]
    if head.count(0) > len(head) // 4:  # UTF-16 without a BOM: every other byte is zero
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        return Text(_strict(data, encoding), encoding)
    if b"\x00" in data:
        raise InvalidInvoice(
            f"line {_line_at(data, data.index(0))}: a zero byte; this is not a text file "
            "(save the invoice as CSV or XLSX)"
        )
    try:
        return Text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        if _damaged_utf8(data):
            raise InvalidInvoice(
                f"line {_line_at(data, exc.start)}: byte {data[exc.start]:#04x} is not UTF-8 in "
                "a UTF-8 file; save the invoice again"
            ) from None
    return Text(_strict(data, "cp1251"), "cp1251")


def _strict(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInvoice(
            f"line {_line_at(data, exc.start, encoding)}: bytes that are not {encoding} "
            f"({exc.reason}); save the invoice as UTF-8 CSV or XLSX"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InvalidInvoice(f"line {line}: a zero character; this is not a text file")
    return text


def _damaged_utf8(data: bytes) -> bool:
    """True when the bytes are UTF-8 with a few broken sequences, not another code page."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    wider = sum(1 for char in text if ord(char) > 0x7F) - broken
    return wider >= broken * UTF8_GOOD_PER_BROKEN


def _line_at(data: bytes, offset: int, encoding: str = "") -> int:
    """The line (1-based) the byte at ``offset`` is on."""
    newline = "\n".encode(encoding) if encoding.startswith("utf-16") else b"\n"
    return data.count(newline, 0, offset) + 1


def separators(text: str) -> list[str]:
    """The separators to try, csv.Sniffer's guess first."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        first = csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        return list(SEPARATORS)
    return [first, *(s for s in SEPARATORS if s != first)]


def csv_rows(text: str, separator: str) -> Iterator[Row]:
    """The rows of CSV ``text``, each with the line it starts on; a broken quote is named."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInvoice(f"line {line}: cannot be read as CSV ({exc})") from None
        yield line, cells[:MAX_COLUMNS]
        line = reader.line_num + 1


def xlsx_rows(data: bytes) -> Iterator[Row]:
    """The rows of the first sheet, values only: a formula gives the value Excel last
    computed (never evaluated here), or nothing when it has none."""
    _check_parts(data)
    import openpyxl

    with warnings.catch_warnings():  # openpyxl warns about styles and extensions it skips
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # a damaged workbook raises anything from zip to XML errors
            raise InvalidInvoice(f"the XLSX file cannot be read ({_reason(exc)})") from None
    try:
        if not book.worksheets:
            raise InvalidInvoice("the XLSX file has no sheet")
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, cells in enumerate(_guarded(rows), start=1):
            yield number, list(cells)
    finally:
        book.close()


def _guarded(rows: Iterator[Any]) -> Iterator[Any]:
    """``rows``, with a damaged sheet's parse error said as the invoice's."""
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except InvalidInvoice:
            raise
        except Exception as exc:
            raise InvalidInvoice(f"the XLSX sheet cannot be read ({_reason(exc)})") from None


def _check_parts(data: bytes) -> None:
    """Refuse an XLSX whose parts unpack to more than MAX_XLSX_PART_BYTES each."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidInvoice(f"the XLSX file is not a readable zip ({_reason(exc)})") from None
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise InvalidInvoice(
                f"the XLSX part {part.filename[:80]!r} unpacks to {part.file_size} bytes, more "
                f"than {MAX_XLSX_PART_BYTES}; save the invoice as CSV"
            )


def _reason(exc: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(exc) or type(exc).__name__)
    return text[:200]
