"""indexes for the dashboard's filters and the plate report

Revision ID: 0002_web_indexes
Revises: 0002 (steps retry state; the lead may re-chain at merge)
Create Date: 2026-12-01 23:00:00

The grid filters by job date, press, bureau (outputter) and mode (status and received_at
have indexes since 0001); the report finds reprocesses by reprocess_of.
"""

from alembic import op

revision = "0002_web_indexes"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Columns of the job table that get an index, named as SQLModel names them (ix_job_<column>).
COLUMNS = ("job_date", "press", "outputter", "mode", "reprocess_of")


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(f"ix_job_{column}", [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_job_{column}")
