"""taken by the bureau: when the bureau's RIP took the plate file, when staff were told it
lay untaken

Revision ID: 0013_taken
Revises: 0012_invoices
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_taken"
down_revision = "0012_invoices"
branch_labels = None
depends_on = None

_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_at", _time(), nullable=True))
        batch_op.add_column(sa.Column("taken_alert_at", _time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("taken_alert_at")
        batch_op.drop_column("taken_at")
