"""incidents: one row per alert incident key (alerts are sent once per incident)

Revision ID: 0004
Revises: 0002_web_indexes
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0002_web_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_incident_kind"), "incident", ["kind"], unique=False)
    op.create_index(op.f("ix_incident_state"), "incident", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_state"), table_name="incident")
    op.drop_index(op.f("ix_incident_kind"), table_name="incident")
    op.drop_table("incident")
