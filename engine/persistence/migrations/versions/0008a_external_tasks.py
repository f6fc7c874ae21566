"""External workers (Camunda 7's external tasks) hold jobs too: since when a worker holds a job
(``jobs.locked_at``), which the admins see beside who holds it and until when.

Revision ID: 0008a_external_tasks
Revises: 0008e_oversight_admin
"""

import sqlalchemy as sa
from alembic import op

revision = "0008a_external_tasks"
down_revision = "0008e_oversight_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("locked_at")
