"""What Prometheus reads from the database when it scrapes (``/metrics``): open and overdue user tasks by
department and jurisdiction, jobs by state and topic, incidents open, the longest a due job has waited, the
workers seen lately, and the calendar's provisional and uncovered years near today. One read-only unit of
work, a few grouped counts; the API keeps a snapshot for a few seconds (``api.metrics``), so scrapes from
several Prometheus servers cost one read."""

from __future__ import annotations

from dataclasses import dataclass

from ..context import EngineContext
from .calendar import calendar_status
from .health import WORKER_SILENT_AFTER, wall_clock


@dataclass(frozen=True)
class Snapshot:
    tasks: list[tuple[str, str, int, int]]  # (department, jurisdiction, open, overdue)
    jobs: list[tuple[str, str, str, int]]  # (kind, topic, state, count)
    oldest_due_seconds: float  # how long the longest-waiting due job has waited (0: none)
    workers_seen: int  # workers seen within a minute
    worker_silent_seconds: float | None  # since any worker was last seen (None: never)
    provisional_years: int  # years near today counted provisionally (R5.1)
    uncovered_years: int  # years near today that cannot be counted


def snapshot(ctx: EngineContext) -> Snapshot:
    now = ctx.clock.now()
    wall = wall_clock()
    with ctx.reader() as uow:
        tasks = uow.operations.open_tasks(now)
        jobs = [(kind, topic or kind, state, count) for kind, topic, state, count in uow.operations.jobs(now)]
        oldest = uow.operations.oldest_due(now)
        seen = uow.operations.workers_seen_since(wall - WORKER_SILENT_AFTER)
        last = uow.operations.last_worker_seen()
    status = calendar_status(ctx)
    return Snapshot(
        tasks=tasks,
        jobs=jobs,
        oldest_due_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        workers_seen=seen,
        worker_silent_seconds=(wall - last).total_seconds() if last else None,
        provisional_years=len(status["provisional_years"]),
        uncovered_years=len(status["uncovered_years"]),
    )
