"""An instance's uniqueness key belongs to no service in particular: ``newborn_key`` becomes ``subject_key``
(the service's digest of what one active instance is about; for a newborn, the mother's ID and the birth time).

Revision ID: 0007e_subject_key
Revises: 0007d_business_errors
"""

import sqlalchemy as sa
from alembic import op

revision = "0007e_subject_key"
down_revision = "0007d_business_errors"
branch_labels = None
depends_on = None

ACTIVE = sa.text("state = 'active'")


def upgrade() -> None:
    op.drop_index(
        "ux_instances_active_newborn", table_name="process_instances", sqlite_where=ACTIVE, postgresql_where=ACTIVE
    )
    with op.batch_alter_table("process_instances") as batch:
        batch.alter_column(
            "newborn_key", new_column_name="subject_key", existing_type=sa.String(length=64), existing_nullable=True
        )
    op.create_index(
        "ux_instances_active_subject",
        "process_instances",
        ["subject_key"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index(
        "ux_instances_active_subject", table_name="process_instances", sqlite_where=ACTIVE, postgresql_where=ACTIVE
    )
    with op.batch_alter_table("process_instances") as batch:
        batch.alter_column(
            "subject_key", new_column_name="newborn_key", existing_type=sa.String(length=64), existing_nullable=True
        )
    op.create_index(
        "ux_instances_active_newborn",
        "process_instances",
        ["newborn_key"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
