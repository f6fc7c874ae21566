"""Every active application notes the years its open dates were counted through and the version of each
year's working days then, official or provisional (``instance_calendar_years``), so that any load of a year
-- a new one, a replacement, an amendment -- finds what it touches (R5.1). The column of provisional years
goes.

The applications active at the upgrade were counted on days nobody noted: each is marked ``unknown``
through every year from its start to its latest open date, and the worker's first reconciliation counts it
again from scratch.

Revision ID: 0007c_counted_years
Revises: 0007e_subject_key
"""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0007c_counted_years"
down_revision = "0007e_subject_key"
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))

instances = sa.table(
    "process_instances",
    sa.column("id", sa.String),
    sa.column("state", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("summary", sa.JSON),
)
user_tasks = sa.table(
    "user_tasks",
    sa.column("instance_id", sa.String),
    sa.column("due_at", sa.DateTime(timezone=True)),
    sa.column("completed_at", sa.DateTime(timezone=True)),
)
jobs = sa.table("jobs", sa.column("instance_id", sa.String), sa.column("due_at", sa.DateTime(timezone=True)))
counted = sa.table(
    "instance_calendar_years",
    sa.column("instance_id", sa.String),
    sa.column("year", sa.Integer),
    sa.column("version", sa.String),
)


def _year(value) -> int | None:
    """The year in China of a stored moment (SQLite gives it back without its UTC offset) or ISO text."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA).year


def _unknown_rows(bind) -> list[dict]:
    latest: dict[str, int] = {}
    open_dates = [
        sa.select(user_tasks.c.instance_id, user_tasks.c.due_at).where(user_tasks.c.completed_at.is_(None)),
        sa.select(jobs.c.instance_id, jobs.c.due_at),
    ]
    for query in open_dates:
        for instance_id, due in bind.execute(query):
            year = _year(due)
            if year is not None:
                latest[instance_id] = max(latest.get(instance_id, year), year)
    rows = []
    for instance_id, created_at, summary in bind.execute(
        sa.select(instances.c.id, instances.c.created_at, instances.c.summary).where(instances.c.state == "active")
    ):
        first = _year(created_at)
        assert first is not None, "process_instances.created_at is NOT NULL"
        dates = [(summary or {}).get("promised_by")] + [
            item.get("due_at") for item in (summary or {}).get("items", []) if isinstance(item, dict)
        ]
        last = max([first, latest.get(instance_id, first)] + [y for y in map(_year, dates) if y is not None])
        rows += [{"instance_id": instance_id, "year": year, "version": "unknown"} for year in range(first, last + 1)]
    return rows


def upgrade() -> None:
    op.create_table(
        "instance_calendar_years",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "year"),
    )
    op.create_index(
        "ix_instance_calendar_years_year_version", "instance_calendar_years", ["year", "version"], unique=False
    )
    rows = _unknown_rows(op.get_bind())
    if rows:
        op.bulk_insert(counted, rows)
    # SQLite drops the column in place (3.35+): copying the table would delete what refers to its rows
    with op.batch_alter_table("process_instances", recreate="never") as batch:
        batch.drop_column("provisional_years")


def downgrade() -> None:
    with op.batch_alter_table("process_instances", recreate="never") as batch:
        batch.add_column(sa.Column("provisional_years", sa.String(length=100), nullable=True))
    op.drop_index("ix_instance_calendar_years_year_version", table_name="instance_calendar_years")
    op.drop_table("instance_calendar_years")
