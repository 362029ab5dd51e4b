"""indexes for the dashboard's filters and the plate report

Revision ID: 0002_web_indexes
Revises: 0006
Create Date: 2026-12-01 23:00:00

The grid filters by job date, press, bureau (outputter), mode and status, always within a
date range and ordered by date: each filter gets a composite index with the job date, or
SQLite (which has no statistics) walks e.g. every Speedmaster job of all years. The plate
report selects done jobs by date and done reprocesses.
"""

from alembic import op

revision = "0002_web_indexes"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Columns of the job table that get an index of their own (ix_job_<column>).
COLUMNS = ("job_date",)
#: Composite indexes: each filter with the date the grid ranges and orders by; the report's
#: done reprocesses. Name -> columns.
COMPOSITE = {
    "ix_job_status_job_date": ["status", "job_date"],
    "ix_job_press_job_date": ["press", "job_date"],
    "ix_job_outputter_job_date": ["outputter", "job_date"],
    "ix_job_mode_job_date": ["mode", "job_date"],
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
