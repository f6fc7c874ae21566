"""Business errors: a user task keeps the department's refusal that brought the application back to it; a job
keeps the code of a business error nothing caught and what went wrong in Chinese (the admins' incident page).

Revision ID: 0007d_business_errors
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007d_business_errors"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_tasks") as batch:
        batch.add_column(sa.Column("refusal", sa.JSON(), nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("error_code", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("error_message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("error_message")
        batch.drop_column("error_code")
    with op.batch_alter_table("user_tasks") as batch:
        batch.drop_column("refusal")
