"""Tables of running the service rather than of its applications: the workers' heartbeats (readiness: a worker
was seen lately) and the record of every retention run (what was archived and erased, when, by whom)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class WorkerHeartbeat(Base):
    """A worker process that is running: written when it starts and every few seconds while it runs, deleted
    when it stops cleanly. ``seen_at`` is wall-clock time (UTC), not the service clock."""

    __tablename__ = "worker_heartbeats"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)


class RetentionRun(Base):
    """One run of the retention policy (a dry run is never recorded): when (service clock), who ran it, and
    every instance it archived or erased (business keys and what was done). The workers run it once a day:
    the newest row says when it last ran."""

    __tablename__ = "retention_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    by: Mapped[str] = mapped_column(String(100))
    archived: Mapped[int]
    erased: Mapped[int]
    detail: Mapped[list]
