"""job hold: findings, duplicate_of, remake, the decision on a held job; sha256 index

Revision ID: 0007_job_hold
Revises: 0009_targets_audit
Create Date: 2026-12-03 22:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_job_hold"
down_revision = "0009_targets_audit"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("findings", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("remake", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("held_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("decision", _TEXT(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("decided_by", _TEXT(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("decision_reason", _TEXT(), nullable=False, server_default="")
        )
    op.create_index("ix_job_sha256_received_at", "job", ["sha256", "received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_sha256_received_at", table_name="job")
    with op.batch_alter_table("job", schema=None) as batch_op:
        for name in (
            "decision_reason",
            "decided_at",
            "decided_by",
            "decision",
            "held_at",
            "remake",
            "duplicate_of",
            "findings",
        ):
            batch_op.drop_column(name)
