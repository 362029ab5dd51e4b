"""job.search_key: file name, order and job name case-folded, for a search in every script

SQLite's LIKE and lower() fold ASCII only; the key is folded by Python (models/job.py) so
"каталог" finds "КАТАЛОГ" on SQLite and PostgreSQL alike. Existing rows are filled here.

Revision ID: 0007_search_key
Revises: 0003
Create Date: 2026-12-03 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_search_key"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Rows read and written back per batch while filling the key.
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.String(), nullable=False, server_default=""))
    job = sa.table(
        "job",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("order", sa.String),
        sa.column("job_name", sa.String),
        sa.column("search_key", sa.String),
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(job.c.id, job.c.name, job.c.order, job.c.job_name)
            .where(job.c.id > last)
            .order_by(job.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            job.update().where(job.c.id == sa.bindparam("row_id")),
            [
                {"row_id": i, "search_key": "\n".join((n or "", o or "", j or "")).casefold()}
                for i, n, o, j in rows
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("search_key")
