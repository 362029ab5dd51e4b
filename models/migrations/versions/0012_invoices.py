"""the bureau invoices checked: invoice (one per imported file) and invoice_entry (a status
per line, and per job of the period no line bills)

Revision ID: 0012_invoices
Revises: 0011_plate_ledger
Create Date: 2026-12-06 01:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_invoices"
down_revision = "0011_plate_ledger"
branch_labels = None
depends_on = None

_text = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bureau", _text(), nullable=False),
        sa.Column("file_name", _text(), nullable=False),
        sa.Column("sha256", _text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("read_as", _text(), nullable=False),
        sa.Column("imported_at", _time(), nullable=False),
        sa.Column("imported_by", _text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("totals", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_invoice_sha256"),
    )
    op.create_index("ix_invoice_bureau", "invoice", ["bureau"])
    op.create_table(
        "invoice_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("status", _text(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("billed", sa.JSON(), nullable=True),
        sa.Column("ours", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_invoice_entry_invoice_id_position", "invoice_entry", ["invoice_id", "position"]
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_entry_invoice_id_position", table_name="invoice_entry")
    op.drop_table("invoice_entry")
    op.drop_index("ix_invoice_bureau", table_name="invoice")
    op.drop_table("invoice")
