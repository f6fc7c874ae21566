"""What comes of a job's failed run, whoever ran it -- the in-process worker's handler or an external worker's
``/failure`` and ``/bpmnError``: one more attempt counted, then either a retry after a pause or an incident an
admin sees and retries (recorded in the application's history as such). A business error nothing in the
diagram catches is an incident at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import metrics
from .context import EngineContext
from .persistence.models import Job
from .persistence.unit_of_work import UnitOfWork

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
INTERNAL_ERROR = "系统内部错误，请技术人员查看服务日志"  # what an admin reads of a failure that is not a department's


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass(frozen=True)
class Failure:
    """A failed run: ``code`` of a business error (None for a technical failure), what went wrong for the
    admins (``message``, in Chinese), and the technical detail kept beside it (``detail``)."""

    code: str | None
    message: str
    detail: str


def count_failure(
    ctx: EngineContext,
    uow: UnitOfWork,
    row: Job,
    failure: Failure,
    now: datetime,
    *,
    retries_left: int | None = None,
    retry_in: timedelta | None = None,
) -> None:
    """One failed attempt of ``row``: its lock given back, then a retry after ``retry_in`` (default: the
    backoff) or, after the last attempt, an incident. ``retries_left``: how many attempts remain, as the one
    who ran it says (an external worker's ``retries``; default: the job's own count). A business error is an
    incident at once."""
    row.attempts += 1
    row.last_error = failure.detail[:20000]
    row.error_code, row.error_message = failure.code, failure.message[:2000]
    uow.jobs.release(row)
    row.updated_at = now
    if retries_left is not None:
        row.max_attempts = row.attempts + max(retries_left, 0)
    incident = row.attempts >= row.max_attempts or failure.code is not None
    uow.after_commit(
        metrics.jobs_run.labels(
            row.kind, metrics.job_topic(row.topic, row.kind), "incident" if incident else "retry"
        ).inc
    )
    if incident:
        make_incident(ctx, uow, row, now)
    else:
        row.due_at = now + (backoff(row.attempts) if retry_in is None else retry_in)


def make_incident(ctx: EngineContext, uow: UnitOfWork, row: Job, now: datetime) -> None:
    """``row`` is an incident from now on: nothing runs it until someone retries it."""
    row.state = "incident"
    uow.jobs.release(row)
    row.updated_at = now
    ctx.workflows.record(
        uow,
        row.instance_id,
        "system",
        "incident_created",
        at=now,
        activity_id=row.activity_id,
        activity_name=row.activity_name,
        department=(row.topic or "").split(".")[0] or None,
        reason=row.error_message,
        detail={"job_id": row.id, "attempts": row.attempts, "code": row.error_code},
    )
