"""Incidents: service tasks that failed every retry; listing them and running them again (admin)."""

from __future__ import annotations

from ..clock import iso
from ..context import EngineContext
from ..errors import Conflict, NotFound
from ..persistence.models import Job
from ..users import Principal


def incident_dict(job: Job) -> dict:
    return {
        "id": job.id,
        "process_instance_id": job.instance_id,
        "activity_id": job.activity_id,
        "activity_name": job.activity_name,
        "topic": job.topic,
        "attempts": job.attempts,
        "error": job.last_error,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
    }


def list_incidents(ctx: EngineContext, page: int, per_page: int) -> dict:
    with ctx.reader() as uow:
        rows, total = uow.jobs.incidents((page - 1) * per_page, per_page)
        return {"items": [incident_dict(j) for j in rows], "total": total, "page": page, "per_page": per_page}


def retry_incident(ctx: EngineContext, principal: Principal, job_id: str) -> dict:
    """Put a failed job back in the queue, due now, with its attempts counted afresh."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise NotFound("incident not found")
        if job.state != "incident":
            raise Conflict("this job is not an incident")
        job.state = "ready"
        job.attempts = 0
        job.due_at = now
        job.locked_by = None
        job.locked_until = None
        job.updated_at = now
        ctx.record(uow, job.instance_id, principal.name, "incident_retried", at=now,
                   activity_id=job.activity_id, activity_name=job.activity_name,
                   detail={"job_id": job.id})
        uow.commit()
        return incident_dict(job)
