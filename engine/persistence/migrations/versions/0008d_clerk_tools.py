"""The clerks' tools (issue 22): applications found by keyed digests of what people know of them
(``search_keys``), the applicant's and the subject's names on the instance for the queue, and on a user task
the reason it was completed with and the clerk's follow-up date.

Revision ID: 0008d_clerk_tools
Revises: 0008b_rest_more
"""

import sqlalchemy as sa
from alembic import op

revision = "0008d_clerk_tools"
down_revision = "0008b_rest_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_keys",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "kind", "digest"),
    )
    op.create_index(op.f("ix_search_keys_digest"), "search_keys", ["digest"], unique=False)
    # plain ADD COLUMN (no table copy on SQLite: the instances' partial unique index stays as it is)
    op.add_column("process_instances", sa.Column("applicant_name", sa.String(length=100), nullable=True))
    op.add_column("process_instances", sa.Column("subject_name", sa.String(length=100), nullable=True))
    op.add_column("user_tasks", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("user_tasks", sa.Column("follow_up_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+): a table copy would drop process_instances under its referencing rows
    for table, column in (
        ("user_tasks", "follow_up_on"),
        ("user_tasks", "reason"),
        ("process_instances", "subject_name"),
        ("process_instances", "applicant_name"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index(op.f("ix_search_keys_digest"), table_name="search_keys")
    op.drop_table("search_keys")
