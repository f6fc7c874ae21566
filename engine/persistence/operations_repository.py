"""Queries of running the service: the counts Prometheus reads at scrape time (open and overdue tasks, jobs by
state, incidents) and the workers' heartbeats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import Job, UserTask
from .operations_models import WorkerHeartbeat


class Operations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_tasks(self, now: datetime) -> list[tuple[str, str, int, int]]:
        """(candidate group, jurisdiction, open tasks, of which overdue now) for every pair with open tasks."""
        overdue = func.count().filter(UserTask.due_at < now)
        return [
            (group, jurisdiction, total, late)
            for group, jurisdiction, total, late in self.session.execute(
                select(UserTask.candidate_group, UserTask.jurisdiction, func.count(), overdue)
                .where(UserTask.completed_at.is_(None))
                .group_by(UserTask.candidate_group, UserTask.jurisdiction)
            )
        ]

    def jobs(self, now: datetime) -> list[tuple[str, str | None, str, int]]:
        """(kind, topic, state, count): ``running`` (a worker holds it), ``due`` (free and due now),
        ``waiting`` (due later: timers, retries after a backoff), ``incident``."""
        state = case(
            (Job.state == "incident", "incident"),
            (and_(Job.locked_until.is_not(None), Job.locked_until >= now), "running"),
            (Job.due_at <= now, "due"),
            else_="waiting",
        )
        return [
            (kind, topic, label, count)
            for kind, topic, label, count in self.session.execute(
                select(Job.kind, Job.topic, state, func.count()).group_by(Job.kind, Job.topic, state)
            )
        ]

    def oldest_due(self, now: datetime) -> datetime | None:
        """The due moment of the longest-waiting job no worker holds."""
        return self.session.scalar(
            select(func.min(Job.due_at)).where(
                Job.state == "ready", Job.due_at <= now, (Job.locked_until.is_(None)) | (Job.locked_until < now)
            )
        )

    # -- workers' heartbeats ----------------------------------------------------------------------------

    def beat(self, name: str, started_at: datetime, now: datetime) -> None:
        """Say that worker ``name`` runs (once written, only ``seen_at`` moves)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            insert(WorkerHeartbeat)
            .values(name=name, started_at=started_at, seen_at=now)
            .on_conflict_do_update(index_elements=["name"], set_={"seen_at": now})
        )

    def forget_worker(self, name: str) -> None:
        self.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))

    def workers_seen_since(self, since: datetime) -> int:
        return self.session.scalar(select(func.count()).where(WorkerHeartbeat.seen_at >= since)) or 0

    def last_worker_seen(self) -> datetime | None:
        return self.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
