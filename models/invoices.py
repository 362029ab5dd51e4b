"""A bureau's invoice imported and checked: read (pipeline/invoice), matched against the jobs
we sent the bureau, stored in one transaction; and the stored checks read back for the CLI,
the Reports → Invoices page, its CSV and the API.

Which jobs we sent is accounting's rule (pipeline/accounting.py): done in normal or import
mode, a duplicate only when approved as a remake. A reprocess that found its file already at
the bureau sent nothing new and is left out; its original stands for the file. A remake
counts its own plates and carries its own remote name (``_R1``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from models.db import session
from models.invoice import Invoice, InvoiceEntry
from models.job import Delivery, Job, aware
from models.report import same_file_reprocesses
from pipeline import accounting
from pipeline.config import Config
from pipeline.errors import ConfigError, InvalidInvoice
from pipeline.invoice.lines import Invoice as ReadInvoice
from pipeline.invoice.lines import read_invoice
from pipeline.invoice.matching import (
    MATCHED,
    STATUSES,
    Match,
    Outcome,
    SentJob,
    match_lines,
    our_price,
)

#: The order entries are shown in: the differences first, matched lines last.
SHOWN_ORDER = (*STATUSES[1:], MATCHED)
#: The UTF-8 byte order mark: Excel on Windows reads a CSV as UTF-8 (Cyrillic) only with it.
BOM = "\ufeff"
#: Most entries one page or API answer holds.
MAX_ENTRIES = 1000
#: The CSV's columns.
CSV_HEADER = (
    "line",
    "status",
    "job",
    "billed_date",
    "billed_file",
    "billed_order",
    "billed_format",
    "billed_plates",
    "billed_price",
    "billed_amount",
    "our_date",
    "our_name",
    "our_order",
    "our_plates",
    "our_price",
    "our_amount",
)


@dataclass(frozen=True)
class Checked:
    """An imported invoice: its id and the check."""

    id: int
    invoice: ReadInvoice
    outcome: Outcome


def import_invoice(
    config: Config,
    bureau: str,
    data: bytes,
    file_name: str,
    imported_by: str = "",
    period: tuple[date, date] | None = None,
) -> Checked:
    """Read, check and store ``data``, the invoice of ``bureau``; InvalidInvoice when it
    cannot be read or was imported before, and then nothing is stored."""
    columns = _columns(config, bureau)
    digest = hashlib.sha256(data).hexdigest()
    url = config.database_url
    _refuse_known(url, digest)
    invoice = read_invoice(data, columns)
    first, last = period or invoice.period
    jobs = sent_jobs(config, bureau, first, last, columns.window_days)
    outcome = match_lines(invoice.lines, jobs, columns.window_days, (first, last))
    row = Invoice(
        bureau=bureau,
        file_name=PurePosixPath(file_name.replace("\\", "/")).name[:255],
        sha256=digest,
        size=len(data),
        read_as=invoice.read_as,
        imported_by=imported_by,
        first_day=first,
        last_day=last,
        lines=len(invoice.lines),
        counts=outcome.counts(),
        totals=outcome.totals(),
    )
    try:
        with session(url) as db:
            db.add(row)
            db.flush()
            assert row.id is not None
            db.execute(insert(InvoiceEntry), _entries(row.id, outcome.matches))
    except IntegrityError:
        _refuse_known(url, digest)
        raise
    assert row.id is not None
    return Checked(row.id, invoice, outcome)


def _columns(config: Config, bureau: str) -> Any:
    found = config.outputters.get(bureau)
    if found is None:
        known = ", ".join(sorted(config.outputters))
        raise ConfigError(f"{bureau!r} is not a configured bureau; known: {known}")
    if found.invoice is None:
        raise ConfigError(
            f"{config.source or 'configuration'}: outputters.{bureau}.invoice: missing; name the "
            "header texts of the bureau's invoice columns (see prepress.example.toml)"
        )
    return found.invoice


def _refuse_known(url: str, digest: str) -> None:
    with session(url) as db:
        known = db.scalars(select(Invoice).where(col(Invoice.sha256) == digest)).first()
    if known is not None:
        raise InvalidInvoice(
            f"this file was imported already as invoice {known.id} ({known.file_name}, "
            f"{known.bureau}, {known.imported_at:%Y-%m-%d %H:%M} UTC); the same file is "
            "never imported twice"
        )


def sent_jobs(
    config: Config, bureau: str, first: date, last: date, window_days: int
) -> list[SentJob]:
    """The jobs whose plates we bought from ``bureau`` from ``first`` - window to ``last`` +
    window (local days), each with its remote file name and our price of a plate."""
    url = config.database_url
    start, end = accounting.period(
        first - timedelta(days=window_days), last + timedelta(days=window_days)
    )
    statuses, modes = (accounting.COUNTED_STATUS,), accounting.COUNTED_MODES
    same_file = set(same_file_reprocesses(url, statuses, modes, accounting.SAME_FILE_NOTE))
    plate = and_(col(Delivery.job_id) == col(Job.id), col(Delivery.kind) == "plate")
    query = (
        select(
            col(Job.id),
            col(Job.job_date),
            col(Job.order),
            col(Job.name),
            col(Job.press),
            col(Job.plates),
            col(Job.remake_number),
            col(Job.remake_plates),
            col(Delivery.remote_path),
        )
        .outerjoin(Delivery, plate)
        .where(
            col(Job.outputter) == bureau,
            col(Job.status).in_(statuses),
            col(Job.mode).in_(modes),
            or_(col(Job.duplicate_of).is_(None), col(Job.remake).is_(True)),
            col(Job.job_date) >= start,
            col(Job.job_date) < end,
        )
    )
    prices: dict[tuple[str, date], float | None] = {}
    jobs = []
    with session(url) as db:
        for job_id, moment, order, name, press, plates, number, chosen, remote in db.execute(query):
            if job_id in same_file:
                continue
            day = aware(moment).astimezone().date()  # the shop's local day
            if (press, day) not in prices:
                prices[press, day] = our_price(config, bureau, press, day)
            jobs.append(
                SentJob(
                    id=job_id,
                    day=day,
                    order=order or "",
                    names=(PurePosixPath(remote).name if remote else name,),
                    plates=len(chosen) if chosen else plates,
                    price=prices[press, day],
                    remake_number=number,
                )
            )
    return jobs


def _entries(invoice_id: int, matches: Sequence[Match]) -> list[dict[str, Any]]:
    shown = sorted(
        matches,
        key=lambda m: (
            SHOWN_ORDER.index(m.status),
            m.line.line if m.line else 0,
            m.job.id if m.job else 0,
        ),
    )
    return [
        {
            "invoice_id": invoice_id,
            "position": position,
            "line": match.line.line if match.line else None,
            "status": match.status,
            "job_id": match.job.id if match.job else None,
            "billed": billed_of(match),
            "ours": ours_of(match),
        }
        for position, match in enumerate(shown)
    ]


def billed_of(match: Match) -> dict[str, Any] | None:
    line = match.line
    if line is None:
        return None
    amount = match.billed_amount
    return {
        "date": line.day.isoformat(),
        "file": line.file,
        "order": line.order,
        "format": line.format,
        "plates": line.plates,
        "price": line.price,
        "amount": None if amount is None else round(amount, 2),
    }


def ours_of(match: Match) -> dict[str, Any] | None:
    job = match.job
    if job is None:
        return None
    amount = match.our_amount
    return {
        "date": job.day.isoformat(),
        "name": job.names[0],
        "order": job.order,
        "remake": job.remake_number,
        "plates": job.plates,
        "price": job.price,
        "amount": None if amount is None else round(amount, 2),
    }


def list_invoices(url: str, limit: int = 50, offset: int = 0) -> tuple[list[Invoice], int]:
    """Imported invoices, newest first, and how many there are."""
    with session(url) as db:
        query = (
            select(Invoice)
            .order_by(col(Invoice.id).desc())
            .limit(max(0, min(limit, MAX_ENTRIES)))
            .offset(max(0, offset))
        )
        found = list(db.scalars(query))
        total = db.scalar(select(func.count()).select_from(Invoice))
    return found, int(total or 0)


def get_invoice(url: str, invoice_id: int) -> Invoice | None:
    with session(url) as db:
        return db.get(Invoice, invoice_id)


def entries(
    url: str, invoice_id: int, limit: int = MAX_ENTRIES, offset: int = 0
) -> list[InvoiceEntry]:
    """One page of an invoice's entries, differences first."""
    with session(url) as db:
        query = (
            select(InvoiceEntry)
            .where(col(InvoiceEntry.invoice_id) == invoice_id)
            .order_by(col(InvoiceEntry.position))
            .limit(max(0, min(limit, MAX_ENTRIES)))
            .offset(max(0, offset))
        )
        return list(db.scalars(query))


def all_entries(url: str, invoice_id: int) -> list[InvoiceEntry]:
    """Every entry of an invoice (its lines are bounded by the reader's line limit)."""
    with session(url) as db:
        query = (
            select(InvoiceEntry)
            .where(col(InvoiceEntry.invoice_id) == invoice_id)
            .order_by(col(InvoiceEntry.position))
        )
        return list(db.scalars(query))


def entry_count(invoice: Invoice) -> int:
    return sum(invoice.counts.values())


def invoice_json(invoice: Invoice, shown: Sequence[InvoiceEntry]) -> dict[str, Any]:
    """``{"id", "bureau", "file", "period", "lines", "totals", ...}`` of ``invoice --json``
    and ``GET /api/invoices/ID``; ``shown``: the entries to list."""
    return {
        "id": invoice.id,
        "bureau": invoice.bureau,
        "file": invoice.file_name,
        "read_as": invoice.read_as,
        "imported_at": aware(invoice.imported_at).astimezone().isoformat(timespec="seconds"),
        "imported_by": invoice.imported_by,
        "period": {"from": invoice.first_day.isoformat(), "to": invoice.last_day.isoformat()},
        "counts": {status: invoice.counts.get(status, 0) for status in STATUSES},
        "lines": [entry_json(entry) for entry in shown],
        "entries": entry_count(invoice),
        "totals": invoice.totals,
    }


def entry_json(entry: InvoiceEntry) -> dict[str, Any]:
    return {
        "line": entry.line,
        "status": entry.status,
        "job": entry.job_id,
        "billed": entry.billed,
        "ours": entry.ours,
    }


def entry_cells(entry: InvoiceEntry) -> list[Any]:
    """One CSV row of an entry (CSV_HEADER's columns)."""
    billed, ours = entry.billed or {}, entry.ours or {}
    return [
        entry.line,
        entry.status,
        entry.job_id,
        *(billed.get(k) for k in ("date", "file", "order", "format", "plates", "price", "amount")),
        *(ours.get(k) for k in ("date", "name", "order", "plates", "price", "amount")),
    ]


def invoice_csv(config: Config, invoice_id: int) -> str:
    """Every entry of the invoice as CSV in the shop's format: a byte order mark for Excel,
    cells that would start a formula quoted (pipeline/spreadsheet.py)."""
    from pipeline import spreadsheet

    rows = [entry_cells(entry) for entry in all_entries(config.database_url, invoice_id)]
    shop_format = getattr(spreadsheet, "CsvFormat", None)  # [shop] csv_separator and locale
    if shop_format is not None:
        return str(shop_format.of(config).document(CSV_HEADER, rows))
    out = io.StringIO()
    out.write(BOM)
    # CRLF as RFC 4180 says: the csv module then quotes a cell holding a carriage return
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(spreadsheet.safe_row(row))
    return out.getvalue()
