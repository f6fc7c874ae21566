"""Operating the service (issue 25): workers' heartbeats (readiness), the request id a job was made by (its
log lines'), the retention of finished applications (a legal hold, when an instance was archived and erased,
its compact record) and the record of every retention run.

Revision ID: 0008c_observe_retain
Revises: 0007b_sessions_and_attempts
"""

import sqlalchemy as sa
from alembic import op

revision = "0008c_observe_retain"
down_revision = "0007b_sessions_and_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index(op.f("ix_worker_heartbeats_seen_at"), "worker_heartbeats", ["seen_at"], unique=False)
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("archived", sa.Integer(), nullable=False),
        sa.Column("erased", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_retention_runs_started_at"), "retention_runs", ["started_at"], unique=False)
    # plain ALTER TABLE … ADD / DROP COLUMN (SQLite 3.35+ has both): no table is rebuilt, so a downgrade works
    # with the foreign keys that refer to process_instances on
    op.add_column("jobs", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.add_column(
        "process_instances", sa.Column("legal_hold", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("process_instances", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("process_instances", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("process_instances", sa.Column("archive", sa.JSON(), nullable=True))


def downgrade() -> None:
    for column in ("archive", "erased_at", "archived_at", "legal_hold"):
        op.drop_column("process_instances", column)
    op.drop_column("jobs", "request_id")
    op.drop_index(op.f("ix_retention_runs_started_at"), table_name="retention_runs")
    op.drop_table("retention_runs")
    op.drop_index(op.f("ix_worker_heartbeats_seen_at"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
