"""The bureau's invoice: ``prepress invoice import FILE --bureau NAME``, ``invoice list`` and
``invoice show ID [--csv]``.

Reading, matching and storing are models/invoices.py's (with pipeline/invoice); this module
reads the file within the size limit and prints: a table with the differences first, JSON or
the CSV the dashboard gives.
"""

from __future__ import annotations

import getpass
import os
import stat
from datetime import date
from pathlib import Path
from typing import Any

import click

from commands.cli import fail
from commands.jobs import _ready
from commands.output import NONE, echo_json, shorten, show_time
from pipeline.text import shown

#: Longest billed file name or order shown in the table.
NAME_WIDTH = 36
#: Entries the text table lists (the rest: ``--csv`` or the page).
SHOWN_ENTRIES = 200


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    from commands.output import checked_day

    return checked_day(value, param.opts[0]) if value else None


@click.group()
def invoice() -> None:
    """Check a CTP bureau's invoice against the plates we sent it."""


@invoice.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--bureau", required=True, help="The bureau ([outputters.NAME]) that billed.")
@click.option(
    "--from",
    "first",
    callback=_day,
    help="Period's first day (default: the 1st of the first line's month).",
)
@click.option(
    "--to",
    "last",
    callback=_day,
    help="Period's last day (default: the end of the last line's month).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def import_command(
    ctx: click.Context,
    path: str,
    bureau: str,
    first: date | None,
    last: date | None,
    as_json: bool,
) -> None:
    """Read the bureau's invoice (CSV or XLSX), check every line against the jobs sent to
    it, store the check and print it, differences first. The same file twice is refused."""
    from models.invoices import all_entries, get_invoice, import_invoice
    from pipeline.errors import ConfigError, InvalidInvoice

    if (first is None) != (last is None):
        raise click.UsageError("give both --from and --to, or neither")
    if first and last and last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    config = _ready(ctx)
    data = _read(ctx, Path(path))
    period = (first, last) if first and last else None
    try:
        checked = import_invoice(config, bureau, data, path, _who(), period)
    except ConfigError as exc:
        fail(ctx, f"configuration error: {exc}", 2)
    except InvalidInvoice as exc:
        fail(ctx, f"{shown(path)}: {exc}; nothing was imported")
    stored = get_invoice(config.database_url, checked.id)
    assert stored is not None
    _print(stored, all_entries(config.database_url, checked.id), as_json)


def _read(ctx: click.Context, path: Path) -> bytes:
    """The file's bytes, refused when it is no regular file or over the size limit."""
    from pipeline.invoice.sheets import MAX_INVOICE_BYTES

    try:
        with path.open("rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                fail(ctx, f"{shown(str(path))}: not a regular file")
            data = handle.read(MAX_INVOICE_BYTES + 1)
    except OSError as exc:
        fail(ctx, f"{shown(str(path))}: cannot be read ({exc.strerror})")
    if len(data) > MAX_INVOICE_BYTES:
        fail(
            ctx,
            f"{shown(str(path))}: larger than {MAX_INVOICE_BYTES} bytes; a bureau's invoice is "
            "far smaller, check the file; nothing was imported",
        )
    return data


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@invoice.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """The imported invoices, newest first, with their differences."""
    from models.invoices import list_invoices
    from pipeline.invoice.matching import STATUSES

    config = _ready(ctx)
    found, total = list_invoices(config.database_url, limit=1000)
    if as_json:
        echo_json({"invoices": [_summary(row) for row in found], "total": total})
        return
    if not found:
        click.echo("No invoice imported yet: prepress invoice import FILE --bureau NAME")
        return
    for row in found:
        counts = ", ".join(f"{s} {row.counts[s]}" for s in STATUSES if row.counts.get(s))
        click.echo(
            f"{row.id:>5}  {row.bureau}  {row.first_day} – {row.last_day}  "
            f"{shown(shorten(row.file_name, NAME_WIDTH))}  {counts}"
        )


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "bureau": row.bureau,
        "file": row.file_name,
        "imported_at": row.imported_at,
        "period": {"from": row.first_day.isoformat(), "to": row.last_day.isoformat()},
        "counts": row.counts,
        "totals": row.totals,
    }


@invoice.command("show")
@click.argument("invoice_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print every entry as CSV.")
@click.pass_context
def show_command(ctx: click.Context, invoice_id: int, as_json: bool, as_csv: bool) -> None:
    """One imported invoice's check, differences first."""
    from models.invoices import all_entries, get_invoice, invoice_csv

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    config = _ready(ctx)
    stored = get_invoice(config.database_url, invoice_id)
    if stored is None:
        fail(ctx, f"no invoice {invoice_id}; `prepress invoice list` shows them")
    if as_csv:
        click.echo(invoice_csv(config, invoice_id), nl=False)
        return
    _print(stored, all_entries(config.database_url, invoice_id), as_json)


def _print(stored: Any, entries: list[Any], as_json: bool) -> None:
    from models.invoices import invoice_json

    if as_json:
        echo_json(invoice_json(stored, entries))
        return
    click.echo(
        f"Invoice {stored.id} of {stored.bureau}: {shown(stored.file_name)} ({stored.read_as}), "
        f"{stored.lines} lines, period {stored.first_day} – {stored.last_day}, "
        f"imported {show_time(stored.imported_at)}"
    )
    click.echo(entry_table(entries[:SHOWN_ENTRIES]))
    if len(entries) > SHOWN_ENTRIES:
        click.echo(
            f"... and {len(entries) - SHOWN_ENTRIES} more: prepress invoice show {stored.id} --csv"
        )
    click.echo(_totals(stored))


def entry_table(entries: list[Any]) -> str:
    """The entries as an aligned table: line, status, job, what was billed, what we sent."""
    header = ["line", "status", "job", "billed", "plates", "ours", "price", "ours"]
    rows = [header]
    for entry in entries:
        billed, ours = entry.billed or {}, entry.ours or {}
        named = billed.get("file") or billed.get("order") or ours.get("name") or ""
        rows.append(
            [
                _cell(entry.line),
                entry.status,
                _cell(entry.job_id),
                shown(shorten(str(named), NAME_WIDTH)),
                _cell(billed.get("plates")),
                _cell(ours.get("plates")),
                _money(billed.get("price")),
                _money(ours.get("price")),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {0, 2, 4, 5, 6, 7}
    return "\n".join(
        "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _totals(stored: Any) -> str:
    totals, plates = stored.totals, stored.totals.get("plates", {})
    counts = ", ".join(f"{status} {n}" for status, n in stored.counts.items() if n)
    return (
        f"{counts}\nplates billed {plates.get('billed')}, ours {plates.get('ours')}, "
        f"difference {plates.get('difference')}; money billed {_money(totals.get('billed'))}, "
        f"ours {_money(totals.get('ours'))}, difference {_money(totals.get('difference'))}"
    )


def _cell(value: Any) -> str:
    return NONE if value is None else str(value)


def _money(value: Any) -> str:
    return NONE if value is None else f"{value:.2f}"
