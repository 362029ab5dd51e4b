"""targets, step attempts, audit trail, acknowledged problems

target_state: one row per delivery or notification target (ok / failing since).
step_attempt: every attempt of a step with its outcome and error.
audit_entry: who did what, when, from where.
problem_ack: rejected jobs someone acknowledged.
ix_step_state: the waiting steps, looked up by every page's health strip.

Revision ID: 0009_targets_audit
Revises: 0007_search_key
Create Date: 2026-12-03 22:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_targets_audit"
down_revision = "0007_search_key"
branch_labels = None
depends_on = None

_text = sqlmodel.sql.sqltypes.AutoString
_time = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # the health strip on every page looks up the waiting steps
    op.create_index("ix_step_state", "step", ["state"])
    op.create_table(
        "target_state",
        sa.Column("key", _text(), nullable=False),
        sa.Column("label", _text(), nullable=False),
        sa.Column("where", _text(), nullable=False),
        sa.Column("state", _text(), nullable=False),
        sa.Column("failing_since", _time(), nullable=True),
        sa.Column("last_ok_at", _time(), nullable=True),
        sa.Column("last_failure_at", _time(), nullable=True),
        sa.Column("last_error", _text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("probed_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "step_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("step", _text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", _time(), nullable=True),
        sa.Column("ended_at", _time(), nullable=False),
        sa.Column("outcome", _text(), nullable=False),
        sa.Column("error", _text(), nullable=False),
        sa.Column("note", _text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_step_attempt_job_id", "step_attempt", ["job_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("actor", _text(), nullable=False),
        sa.Column("via", _text(), nullable=False),
        sa.Column("action", _text(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("detail", _text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("at", "actor", "action", "job_id"):
        op.create_index(f"ix_audit_entry_{column}", "audit_entry", [column])
    op.create_table(
        "problem_ack",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("by", _text(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("note", _text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("job_id"),
    )


def downgrade() -> None:
    op.drop_table("problem_ack")
    for column in ("job_id", "action", "actor", "at"):
        op.drop_index(f"ix_audit_entry_{column}", table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_index("ix_step_attempt_job_id", table_name="step_attempt")
    op.drop_table("step_attempt")
    op.drop_table("target_state")
    op.drop_index("ix_step_state", table_name="step")
