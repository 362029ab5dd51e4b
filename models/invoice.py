"""The bureau invoices checked: one ``Invoice`` per imported file, one ``InvoiceEntry`` per
line (and per job of the period no line bills) with its status (migration 0012_invoices).

An entry keeps what the line billed and what we sent as it was judged at the import, so the
page, the CSV and the API show the check as it was made, whatever changes later. The file's
sha256 is unique: the same invoice is never imported twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.job import utcnow


class Invoice(SQLModel, table=True):
    """One imported invoice of a bureau, its period, and its statuses and totals."""

    __table_args__ = (UniqueConstraint("sha256", name="uq_invoice_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    bureau: str = Field(index=True)
    file_name: str = Field(description="the file's name as given, never a server path")
    sha256: str
    size: int = 0
    #: How the file was read: ``CSV cp1251, separator ';'``, ``XLSX``.
    read_as: str = ""
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: str = ""
    #: The local days whose jobs the invoice is checked against (both included).
    first_day: date
    last_day: date
    #: Lines the invoice bills.
    lines: int = 0
    #: How many lines (and unbilled jobs) have each status: {status: count}.
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    #: ``{"billed", "ours", "difference", "plates": {...}}`` (matching.Outcome.totals).
    totals: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class InvoiceEntry(SQLModel, table=True):
    """One line's status (or an unbilled job's), with what was billed and what we sent."""

    __tablename__ = "invoice_entry"
    __table_args__ = (Index("ix_invoice_entry_invoice_id_position", "invoice_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id")
    #: The order shown: differences first, then by line.
    position: int = 0
    #: The line in the file (None for a job no line bills).
    line: int | None = None
    status: str
    job_id: int | None = None
    #: ``{"date", "file", "order", "format", "plates", "price", "amount"}`` as billed.
    billed: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: ``{"date", "name", "order", "plates", "price", "amount"}`` of our job.
    ours: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
