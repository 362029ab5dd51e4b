"""indexes for the dashboard's filters and the plate report

Revision ID: 0002_web_indexes
Revises: 0002 (steps retry state; the lead may re-chain at merge)
Create Date: 2026-12-01 23:00:00

The grid filters by job date, press, bureau (outputter) and mode (status and received_at
have indexes since 0001). The plate report selects done jobs by date and done reprocesses;
without the two composite indexes SQLite walks the status index over all done jobs.
"""

from alembic import op

revision = "0002_web_indexes"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Columns of the job table that get an index, named as SQLModel names them (ix_job_<column>).
COLUMNS = ("job_date", "press", "outputter", "mode")
#: Composite indexes of the plate report: name -> columns.
COMPOSITE = {
    "ix_job_status_job_date": ["status", "job_date"],
    "ix_job_status_reprocess_of": ["status", "reprocess_of"],
}


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(f"ix_job_{column}", [column], unique=False)
        for name, columns in COMPOSITE.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        for name in COMPOSITE:
            batch_op.drop_index(name)
        for column in COLUMNS:
            batch_op.drop_index(f"ix_job_{column}")
