"""the plate ledger: remakes of single plates with a reason, linked to the job they remake

Revision ID: 0011_plate_ledger
Revises: 0007_job_hold
Create Date: 2026-12-06 00:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_plate_ledger"
down_revision = "0007_job_hold"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remake_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("remake_number", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("remake_reason_code", _TEXT(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("remake_plates", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("remake_note", _TEXT(), nullable=False, server_default=""))
    op.create_index("ix_job_remake_of", "job", ["remake_of"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_remake_of", table_name="job")
    with op.batch_alter_table("job", schema=None) as batch_op:
        for name in (
            "remake_note",
            "remake_plates",
            "remake_reason_code",
            "remake_number",
            "remake_of",
        ):
            batch_op.drop_column(name)
