"""Incidents: service tasks (and timers) that failed every attempt, or that a department refused with a business
error the process does not catch; listing them, and handing one back for an admin's retry.

An incident says what it is about: the application (business key), the step (activity name), what went wrong
in Chinese, the business error's code when it is one, and how many times the step was tried. The retry itself
runs in :func:`engine.worker.retry_incident`: :func:`reopen` hands the job to it (one more attempt, taken at
once, so no other worker runs it meanwhile) and :func:`retry_outcome` says what came of it.
"""

from __future__ import annotations

from datetime import datetime

from ..clock import iso
from ..context import EngineContext
from ..errors import Conflict, NotFound
from ..notify import job_channel
from ..persistence.models import Job
from ..privacy import mask_personal
from ..users import Principal
from .access import check_instance_visible


def incident_dict(job: Job) -> dict:
    return {
        "id": job.id,
        "process_instance_id": job.instance_id,
        "business_key": job.business_key,
        "activity_id": job.activity_id,
        "activity_name": job.activity_name,
        "topic": job.topic,
        "kind": "business_error" if job.error_code else "failure",
        "error_code": job.error_code,
        "message": job.error_message,
        "attempts": job.attempts,
        "error": job.last_error,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
    }


def list_incidents(ctx: EngineContext, page: int, per_page: int) -> dict:
    with ctx.reader() as uow:
        rows, total = uow.jobs.incidents((page - 1) * per_page, per_page)
        return {"items": [incident_dict(j) for j in rows], "total": total, "page": page, "per_page": per_page}


NAMES = frozenset({"name"})  # people's names too: an admin looking into a failed step needs none of them


def incident_detail(ctx: EngineContext, principal: Principal, job_id: str) -> dict:
    """One incident as an admin looks into it: what it is about (application, step, department, what went
    wrong, attempts, when), the history of its step's failures and retries, and -- for an application in the
    admin's jurisdictions -- what the step had to work with, laid out by the service with personal data
    (the service's personal keys: ID numbers, phones, addresses; and names) masked; that reading is recorded
    in the application's history."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job = uow.jobs.get(job_id)
        if job is None or job.state != "incident":
            raise NotFound("incident not found")
        found = incident_dict(job)
        department = (job.topic or "").split(".")[0] or None
        found["department"] = department if department in ctx.services.groups else None
        instance = uow.instances.get(job.instance_id)
        found["history"] = [
            {
                "at": iso(e.at),
                "kind": e.kind,
                "actor": e.actor,
                "reason": e.reason,
                "attempts": (e.detail or {}).get("attempts"),
            }
            for e in uow.history.for_instance(job.instance_id)
            if e.kind in ("incident_created", "incident_retried") and e.activity_id == job.activity_id
        ]
        try:
            instance = check_instance_visible(principal, instance)
        except NotFound:
            return {**found, "application": None, "sections": []}
        service = ctx.service_of(uow, instance)
        workflow = ctx.workflows.load(uow, instance)
        try:
            data = ctx.workflows.workflow_task(workflow, job.task_id).data
        except NotFound:
            data = {}
        shown = service.views.task(mask_personal(data, ctx.services.personal_keys() | NAMES), job.activity_id)
        ctx.workflows.record(
            uow,
            instance.id,
            principal.name,
            "personal_data_read",
            at=now,
            activity_id=job.activity_id,
            department=found["department"],
            detail={"incident": job.id, "masked": True, "fields": sorted(shown.data)},
        )
        uow.commit()
        return {
            **found,
            "sections": [section.as_dict() for section in shown.sections],
            "application": {
                "id": instance.id,
                "business_key": instance.business_key,
                "state": instance.state,
                "service": service.title,
                "created_at": iso(instance.created_at),
            },
        }


def reopen(ctx: EngineContext, principal: Principal, job_id: str, runner: str, locked_until: datetime) -> dict:
    """Put an incident's job back for one more attempt, due now and held by ``runner`` (the admin's retry
    runs it at once); the incident as it was, and whether external workers run it (``external``: then no
    one holds it, and the next worker that asks for its topic's work gets it). A failure of that attempt
    makes it an incident again at once: its attempts go on counting (how many times the step was tried)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise NotFound("incident not found")
        if job.state != "incident":
            raise Conflict("this job is not an incident")
        before = {**incident_dict(job), "external": job.kind == "service_task" and ctx.external.matches(job.topic)}
        job.state = "ready"
        job.max_attempts = job.attempts + 1
        job.due_at = now
        job.updated_at = now
        if before["external"]:
            assert job.topic is not None, "external workers run the service tasks of their topics"
            uow.jobs.release(job)
            uow.signal(job_channel(job.topic))
        else:
            uow.jobs.hold(job, runner, now, locked_until)
        ctx.workflows.record(
            uow,
            job.instance_id,
            principal.name,
            "incident_retried",
            at=now,
            activity_id=job.activity_id,
            activity_name=job.activity_name,
            detail={"job_id": job.id, "attempts": job.attempts},
        )
        uow.commit()
        return before


def retry_outcome(ctx: EngineContext, before: dict) -> dict:
    """What came of a retry of the incident ``before``: the step went on (``resolved``; its job is gone),
    failed again (``failed``: an incident again, with why), or waits for a worker (``queued``: the application
    changed meanwhile, or a timer that is not due yet)."""
    with ctx.reader() as uow:
        job = uow.jobs.get(before["id"])
        if job is None:
            return {**before, "outcome": "resolved", "outcome_message": "重试成功，该环节已办理，申请继续办理。"}
        found = incident_dict(job)
        if job.state == "incident":
            why = "重试失败，原因与上次相同" if found["message"] == before["message"] else "重试失败"
            return {
                **found,
                "outcome": "failed",
                "outcome_message": f"{why}：{found['message'] or '原因不明'}（已尝试{job.attempts}次）。",
            }
        if before.get("external"):
            return {
                **found,
                "outcome": "queued",
                "outcome_message": "已恢复，已交回部门系统，待其领取后办理，请稍后刷新查看。",
            }
        return {
            **found,
            "outcome": "queued",
            "outcome_message": "已恢复，后台将尽快执行（定时环节到时执行），请稍后刷新查看。",
        }


def find_incidents(
    ctx: EngineContext,
    principal: Principal,
    *,
    first: int = 0,
    limit: int | None = None,
    job_id: str | None = None,
    instance_id: str | None = None,
    activity_id: str | None = None,
    external: bool | None = None,
) -> tuple[list[dict], int]:
    """Incidents of applications in the caller's jurisdictions, the latest first, with their process version
    and whether external workers run the step (``external``: only those, or only the others); their count."""
    with ctx.reader() as uow:
        rows, total = uow.jobs.incidents_where(
            principal.jurisdictions,
            job_id=job_id,
            instance_id=instance_id,
            activity_id=activity_id,
            external=ctx.external,
            in_process=None if external is None else not external,
            offset=first,
            limit=limit,
        )
        found = []
        for job in rows:
            instance = uow.instances.get(job.instance_id)
            assert instance is not None, "instances are never deleted and every job has one"
            definition = ctx.definition(uow, instance.definition_id)
            found.append(
                {
                    **incident_dict(job),
                    "job_kind": job.kind,
                    "external": job.kind == "service_task" and ctx.external.matches(job.topic),
                    "definition": {"id": definition.id, "key": definition.key, "version": definition.version},
                }
            )
        return found, total
