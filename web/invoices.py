"""Reports → Invoices: the bureau invoices imported (``prepress invoice import``), each with
its differences first, a page at a time, its CSV, and the same in the API.

Viewers and operators see them; importing is the command's (an invoice is a file on the
accountant's disk, and a hostile one is refused before anything is stored). Every cell from
the invoice is escaped on the page and spreadsheet-safe in the CSV.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import BadRequest

from models import invoices
from pipeline.invoice.matching import MATCHED, STATUSES
from web.auth import api, page
from web.context import config

bp = Blueprint("invoices", __name__)
api_bp = Blueprint("invoices_api", __name__, url_prefix="/api")

#: Invoices listed on one page, and entries shown on one page of an invoice.
INVOICES_PER_PAGE, ENTRIES_PER_PAGE = 50, 200


def _page_number() -> int:
    text = request.args.get("page") or "1"
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise BadRequest(f"page={text[:20]!r}: use a page number from 1")
    return int(text)


@bp.get("/reports/invoices")
@page()
def invoice_list() -> Any:
    number = _page_number()
    found, total = invoices.list_invoices(
        config().database_url, INVOICES_PER_PAGE, (number - 1) * INVOICES_PER_PAGE
    )
    return render_template(
        "invoices.html",
        invoices=found,
        total=total,
        page=number,
        pages=max(1, -(-total // INVOICES_PER_PAGE)),
        differences=STATUSES[1:],
    )


@bp.get("/reports/invoices/<int:invoice_id>")
@page()
def invoice_view(invoice_id: int) -> Any:
    url = config().database_url
    stored = invoices.get_invoice(url, invoice_id) or abort(404, f"no invoice {invoice_id}")
    number = _page_number()
    shown = invoices.entries(url, invoice_id, ENTRIES_PER_PAGE, (number - 1) * ENTRIES_PER_PAGE)
    total = invoices.entry_count(stored)
    return render_template(
        "invoice.html",
        invoice=stored,
        entries=shown,
        total=total,
        page=number,
        pages=max(1, -(-total // ENTRIES_PER_PAGE)),
        first=(number - 1) * ENTRIES_PER_PAGE + 1,
        statuses=STATUSES,
        matched=MATCHED,
        currency=getattr(config(), "currency", ""),
    )


@bp.get("/reports/invoices/<int:invoice_id>.csv")
@page()
def invoice_csv(invoice_id: int) -> Any:
    """Every entry of the invoice as CSV (the shop's format, formula-safe cells)."""
    stored = invoices.get_invoice(config().database_url, invoice_id)
    if stored is None:
        abort(404, f"no invoice {invoice_id}")
    return Response(
        invoices.invoice_csv(config(), invoice_id),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="invoice-{invoice_id}-checked.csv"'},
    )


@api_bp.get("/invoices")
@api()
def api_invoices() -> Any:
    """The imported invoices, newest first (``limit``, ``offset``)."""
    from web.present import paging

    limit, offset = paging(request.args)
    found, total = invoices.list_invoices(config().database_url, limit, offset)
    return jsonify(invoices=[invoices.invoice_json(row, []) for row in found], total=total)


@api_bp.get("/invoices/<int:invoice_id>")
@api()
def api_invoice(invoice_id: int) -> Any:
    """One invoice as ``prepress invoice show --json`` gives it; its lines a page at a time
    (``limit``, default and at most 1000, and ``offset``)."""
    from web.present import paging

    url = config().database_url
    stored = invoices.get_invoice(url, invoice_id)
    if stored is None:
        return jsonify(error=f"no invoice {invoice_id}"), 404
    limit, offset = paging(request.args, invoices.MAX_ENTRIES)
    return jsonify(invoices.invoice_json(stored, invoices.entries(url, invoice_id, limit, offset)))
