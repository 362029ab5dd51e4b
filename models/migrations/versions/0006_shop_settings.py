"""shop settings: every pushed version of the settings all hosts share

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_settings",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("pushed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("pushed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_index("ix_shop_settings_sha256", "shop_settings", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shop_settings_sha256", table_name="shop_settings")
    op.drop_table("shop_settings")
