"""Reading a bureau's invoice: every encoding and separator Excel writes, XLSX, and hostile
files (huge, formulas, a million lines, wrong columns) refused clearly and quickly."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime

import pytest

from pipeline.config.settings import InvoiceColumns
from pipeline.errors import InvalidInvoice
from pipeline.invoice.lines import read_invoice
from pipeline.invoice.sheets import MAX_INVOICE_BYTES, MAX_INVOICE_LINES

#: Leonov's columns, as in prepress.example.toml.
COLUMNS = InvoiceColumns(
    date="Дата", file="Файл", format="Формат", plates="Кількість", price="Ціна"
)
#: An invoice as the bureau's accountant saves it: a title, the header, two lines, a total.
ROWS = [
    ["Рахунок № 17 від 31.12.2026", "", "", "", ""],
    ["Дата", "Файл", "Формат", "Кількість", "Ціна"],
    ["01.12.2026", "0537_Каталог_Leonov.pdf", "1030x770", "4", "95,00"],
    ["02.12.2026", "0538_Flier_Leonov_R1.pdf", "1030x770", "1", "1 095,50"],
    ["Разом", "", "", "5", "1475,50"],
]


def csv_text(separator: str, rows: list[list[str]] = ROWS) -> str:
    return "\r\n".join(separator.join(row) for row in rows) + "\r\n"


def expect_two_lines(data: bytes) -> str:
    invoice = read_invoice(data, COLUMNS)
    assert [(x.line, x.day, x.file, x.plates, x.price) for x in invoice.lines] == [
        (3, date(2026, 12, 1), "0537_Каталог_Leonov.pdf", 4, 95.0),
        (4, date(2026, 12, 2), "0538_Flier_Leonov_R1.pdf", 1, 1095.5),
    ]
    assert invoice.period == (date(2026, 12, 1), date(2026, 12, 31))
    return invoice.read_as


@pytest.mark.parametrize(
    ("encoding", "prefix", "said"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8 with BOM"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le with BOM"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be with BOM"),
        ("cp1251", b"", "cp1251"),
    ],
)
def test_every_encoding_excel_writes_is_read(encoding: str, prefix: bytes, said: str) -> None:
    data = prefix + csv_text(";").encode(encoding)
    assert expect_two_lines(data).startswith(f"CSV {said},")


def test_excels_unicode_text_is_tab_separated_utf16() -> None:
    data = b"\xff\xfe" + csv_text("\t").encode("utf-16-le")
    assert expect_two_lines(data) == "CSV utf-16-le with BOM, separator tab"


@pytest.mark.parametrize("separator", [";", ",", "\t", "|"])
def test_every_separator_is_found(separator: str) -> None:
    rows = [[f'"{c}"' if "," in c else c for c in row] for row in ROWS]  # as Excel quotes
    assert expect_two_lines(csv_text(separator, rows).encode()).endswith(
        "tab" if separator == "\t" else repr(separator)
    )


def test_header_is_found_ignoring_case_and_spaces_and_columns_in_any_order() -> None:
    rows = [["  ціна ", "КІЛЬКІСТЬ", "файл", "формат", "дата"]]
    rows.append(["95", "4", "a.pdf", "", "2026-12-01"])
    invoice = read_invoice(csv_text(";", rows).encode(), COLUMNS)
    assert invoice.lines[0].plates == 4 and invoice.lines[0].day == date(2026, 12, 1)


def xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_real_dates_and_numbers_is_read() -> None:
    rows: list[list[object]] = [
        ["Рахунок № 17"],
        ["Дата", "Файл", "Формат", "Кількість", "Ціна"],
        [datetime(2026, 12, 1), "0537_Каталог_Leonov.pdf", "1030x770", 4, 95],
        [datetime(2026, 12, 2), "0538_Flier_Leonov_R1.pdf", "1030x770", 1.0, 1095.5],
    ]
    assert expect_two_lines(xlsx(rows)) == "XLSX"


def test_an_xlsx_formula_is_never_evaluated_and_without_a_value_is_refused() -> None:
    # Given a workbook whose plate count is a formula never computed by Excel
    rows: list[list[object]] = [
        ["Дата", "Файл", "Кількість"],
        [datetime(2026, 12, 1), "a.pdf", "=2+2"],
    ]
    columns = InvoiceColumns(date="Дата", file="Файл", plates="Кількість")
    # Then it is not worked out here: the cell has no value, and the line and column are named
    with pytest.raises(InvalidInvoice, match=r"line 2, column 'Кількість' \(C\)"):
        read_invoice(xlsx(rows), columns)


def test_a_formula_in_a_csv_number_column_is_refused_naming_line_and_column() -> None:
    rows = [*ROWS[:3], ["02.12.2026", "b.pdf", "1030x770", "=1+1", "95"]]
    with pytest.raises(InvalidInvoice, match=r"line 4, column 'Кількість' \(D\): not a number"):
        read_invoice(csv_text(";", rows).encode(), COLUMNS)


def test_a_formula_in_a_text_column_stays_text() -> None:
    rows = [*ROWS[:2], ["01.12.2026", '=HYPERLINK("http://x")', "", "4", "95"]]
    invoice = read_invoice(csv_text(";", rows).encode(), COLUMNS)
    assert invoice.lines[0].file == '=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("cell", "column", "letter", "problem"),
    [
        ("31.02.2026", "Дата", "A", "no such day"),
        ("tomorrow", "Дата", "A", "not a date"),
        ("01.12.20266", "Дата", "A", "not a date"),
        ("4,5", "Кількість", "D", "whole number"),
        ("-4", "Кількість", "D", "whole number"),
        ("", "Кількість", "D", "empty"),
        ("abc", "Ціна", "E", "not a number"),
        ("-95", "Ціна", "E", "a price from 0"),
        ("inf", "Ціна", "E", "not a number"),
    ],
)
def test_a_bad_cell_names_its_line_and_column(
    cell: str, column: str, letter: str, problem: str
) -> None:
    row = ["02.12.2026", "b.pdf", "1030x770", "4", "95"]
    row["ABCDE".index(letter)] = cell
    with pytest.raises(InvalidInvoice) as caught:
        read_invoice(csv_text(";", [*ROWS[:3], row]).encode(), COLUMNS)
    assert f"line 4, column '{column}' ({letter}): " in str(caught.value)
    assert problem in str(caught.value)


def test_a_line_naming_no_file_is_refused() -> None:
    row = ["02.12.2026", "", "1030x770", "4", "95"]
    with pytest.raises(InvalidInvoice, match=r"line 4, column 'Файл' \(B\): empty"):
        read_invoice(csv_text(";", [*ROWS[:3], row]).encode(), COLUMNS)


def test_wrong_columns_name_what_is_missing() -> None:
    rows = [["Дата", "Файл", "Кол-во", "Ціна", "Формат"], ["01.12.2026", "a", "4", "95", ""]]
    with pytest.raises(InvalidInvoice, match=r"line 1 has 4 of them but not 'Кількість'"):
        read_invoice(csv_text(";", rows).encode(), COLUMNS)


def test_an_order_column_takes_the_place_of_the_file() -> None:
    columns = InvoiceColumns(date="Дата", order="Замовлення", plates="Кількість")
    rows = [["Дата", "Замовлення", "Кількість"], ["01.12.2026", "0537", "4"]]
    line = read_invoice(csv_text(";", rows).encode(), columns).lines[0]
    assert (line.order, line.file, line.price) == ("0537", "", None)


def test_a_file_over_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(InvalidInvoice, match="more than the"):
        read_invoice(b"x" * (MAX_INVOICE_BYTES + 1), COLUMNS)


def test_a_million_lines_are_refused_quickly() -> None:
    # Given a 12 MB invoice of a million short lines (under the size limit)
    columns = InvoiceColumns(date="Дата", file="Файл", plates="Кількість")
    data = ("Дата;Файл;Кількість\n" + "1.12.26;a;4\n" * 1_000_000).encode()
    assert len(data) < MAX_INVOICE_BYTES
    # When it is read
    started = time.monotonic()
    with pytest.raises(InvalidInvoice, match=f"more than {MAX_INVOICE_LINES} lines"):
        read_invoice(data, columns)
    # Then it is refused within seconds, having read no more than the limit
    assert time.monotonic() - started < 10


def test_a_million_blank_lines_are_refused_too() -> None:
    data = csv_text(";", ROWS[:3]).encode() + b";;;;\r\n" * 1_000_000
    with pytest.raises(InvalidInvoice, match="more than"):
        read_invoice(data, COLUMNS)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
        (b"%PDF-1.7\n\x00\x01\x02binary", "zero byte"),
        (b"PK\x03\x04 not really a zip", "not a readable zip"),
        (
            "Дата;Файл;Формат;Кількість;Ціна\n01.12.2026;Каталог".encode() + b"\xff\n",
            "not UTF-8",
        ),
        (b"\xff\xfe" + "Дата".encode("utf-16-le") + b"\x00\xd8", "not utf-16-le"),
    ],
)
def test_files_that_are_no_invoice_are_refused_clearly(data: bytes, said: str) -> None:
    with pytest.raises(InvalidInvoice, match=said):
        read_invoice(data, COLUMNS)


def test_an_xlsx_bomb_is_refused_before_it_is_unpacked() -> None:
    # Given an XLSX whose shared strings unpack to 300 MB (compressed to a few hundred KB)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            chunk = b"A" * (1024 * 1024)
            for _ in range(300):
                part.write(chunk)
    started = time.monotonic()
    with pytest.raises(InvalidInvoice, match="unpacks to"):
        read_invoice(out.getvalue(), COLUMNS)
    assert time.monotonic() - started < 5


def test_a_cp1251_invoice_with_a_byte_utf8_cannot_hold_is_still_read() -> None:
    rows = [*ROWS[:3], ["02.12.2026", "Візитки «Ъ»_Leonov.pdf", "", "1", "95"]]
    invoice = read_invoice(csv_text(";", rows).encode("cp1251"), COLUMNS)
    assert invoice.lines[1].file == "Візитки «Ъ»_Leonov.pdf"


@pytest.mark.parametrize(
    ("cell", "value"),
    [("95", 95.0), ("95.5", 95.5), ("1.234,50", 1234.5), ("1,234.50", 1234.5)],
)
def test_prices_as_bureaus_write_them(cell: str, value: float) -> None:
    rows = [*ROWS[:2], ["01.12.2026", "a", "", "4", f'"{cell}"' if "," in cell else cell]]
    text = "\n".join(";".join(row) for row in rows)
    assert read_invoice(text.encode(), COLUMNS).lines[0].price == value


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("01.12.26", date(2026, 12, 1)),
        ("1/12/2026", date(2026, 12, 1)),
        ("01.12.2026 14:05", date(2026, 12, 1)),
    ],
)
def test_dates_as_bureaus_write_them(cell: str, day: date) -> None:
    rows = [*ROWS[:2], [cell, "a", "", "4", "95"]]
    assert read_invoice(csv_text(";", rows).encode(), COLUMNS).lines[0].day == day
