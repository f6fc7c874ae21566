"""What was done with data outside any one application is kept (``audit_events``): a supervisor's export of
a table naming people (who, when, which table, the filters, how many rows).

Revision ID: 0008e_oversight_admin
Revises: 0008d_clerk_tools
"""

import sqlalchemy as sa
from alembic import op

revision = "0008e_oversight_admin"
down_revision = "0008d_clerk_tools"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
