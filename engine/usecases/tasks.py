"""Clerks' work: the task queue, one task with its form, claim, unclaim and complete (R2.6, R8.1, R8.3)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from SpiffWorkflow.task import TaskState

from ..calendar.workdays import END_OF_DAY
from ..clock import CHINA, iso
from ..context import EngineContext
from ..errors import Conflict, NotFound
from ..overdue import late_now
from ..persistence.models import ProcessInstance, UserTask
from ..runtime import advance
from ..users import Principal
from .access import check_instance_visible, check_task_workable
from .conflicts import run_again_on_conflict


def task_dict(task: UserTask, now, instance: ProcessInstance | None = None) -> dict:
    """A task as the API and pages give it; with its ``instance``, what the queue shows of the application too
    (who filed it, who it is about, when, where)."""
    shown = (
        {}
        if instance is None
        else {
            "applicant_name": instance.applicant_name,
            "subject_name": instance.subject_name,
            "filed_at": iso(instance.created_at),
            "jurisdiction": instance.jurisdiction,
            "instance_state": instance.state,
        }
    )
    return {
        **shown,
        "id": task.id,
        "name": task.name,
        "activity_id": task.activity_id,
        "group": task.candidate_group,
        "assignee": task.assignee,
        "created_at": iso(task.created_at),
        "due_at": iso(task.due_at),
        "provisional": bool(task.due_provisional),
        "overdue": late_now(task.due_at, now, task.completed_at),
        "due_today": (task.completed_at is None and task.due_at is not None and now <= task.due_at <= _end_of_day(now)),
        "process_instance_id": task.instance_id,
        "business_key": task.business_key,
        "form_key": task.form_key,
        "item": task.item,
        "completed_at": iso(task.completed_at),
        "refusal": task.refusal,
        "outcome": task.outcome,
        "reason": task.reason,
        "follow_up_on": task.follow_up_on.isoformat() if task.follow_up_on else None,
    }


def list_tasks(
    ctx: EngineContext,
    principal: Principal,
    *,
    group: str | None,
    assignee: str | None,
    overdue: bool,
    page: int,
    per_page: int,
    item: str | None = None,
    due_today: bool = False,
    order: str = "due",
    descending: bool = False,
    follow_up: bool = False,
) -> dict:
    """One page of the clerk's queue (the filters as given; ``follow_up``: those whose follow-up date has
    come) in ``order`` (``due``, ``filed``, ``applicant``, ``subject``, ``district``, ``follow_up``), and the
    queue's counts: all, mine, unclaimed and late now."""
    groups = sorted(principal.groups if group is None else principal.groups & {group})
    now = ctx.clock.now()
    if not groups or not principal.jurisdictions:
        return {
            "items": [],
            "total": 0,
            "page": page,
            "per_page": per_page,
            "counts": {"all": 0, "mine": 0, "unclaimed": 0, "overdue": 0},
        }
    with ctx.reader() as uow:
        rows, total = uow.tasks.queue(
            groups,
            list(principal.jurisdictions),
            assignee=principal.name if assignee == "me" else None,
            unassigned=assignee == "none",
            overdue_at=now if overdue else None,
            offset=(page - 1) * per_page,
            limit=per_page,
            item=item,
            due_before=_end_of_day(now) if due_today else None,
            order=order,
            descending=descending,
            follow_up_by=now.astimezone(CHINA).date() if follow_up else None,
        )
        counts = uow.tasks.queue_counts(groups, list(principal.jurisdictions), principal.name, now)
        return {
            "items": [task_dict(t, now, instance) for t, instance in rows],
            "total": total,
            "page": page,
            "per_page": per_page,
            "counts": counts,
        }


def _end_of_day(now: datetime) -> datetime:
    """The last second of today in China (what is due today is due by then)."""
    return datetime.combine(now.astimezone(CHINA).date(), END_OF_DAY, tzinfo=CHINA)


def completed_by_me(ctx: EngineContext, principal: Principal, page: int, per_page: int) -> dict:
    """What the clerk completed, latest first."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        rows, total = uow.tasks.completed_by(principal.name, (page - 1) * per_page, per_page)
        return {
            "items": [task_dict(t, now, instance) for t, instance in uow.tasks.with_instances(rows)],
            "total": total,
            "page": page,
            "per_page": per_page,
        }


def task_form(ctx: EngineContext, principal: Principal, task_id: str) -> dict:
    """The task and its form's description, without its data (nothing personal is read)."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        row = check_task_workable(principal, uow.tasks.get(task_id))
        return {**task_dict(row, now), "form": ctx.services.task_forms.get(row.form_key).describe()}


def get_task(ctx: EngineContext, principal: Principal, task_id: str) -> dict:
    """The task, its form and what the clerk sees of the instance (the service's :meth:`Views.task`: its data,
    and the same laid out in sections with Chinese labels; for a completed task, as it was then), the
    materials the chosen items need, and what a return would end; reading the personal data is recorded."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        row = check_task_workable(principal, uow.tasks.get(task_id))
        instance = check_instance_visible(principal, uow.instances.get(row.instance_id))
        summary = instance.summary or {}
        service = ctx.service_of(uow, instance)
        try:
            task_data = ctx.workflows.task_data(uow, instance, task_id)
        except NotFound:  # not in the process any more
            task_data = None
        data: dict = {}
        sections: list = []
        required: list = []
        if task_data is not None:
            shown = service.views.task(task_data, row.activity_id)
            data, sections = shown.data, [section.as_dict() for section in shown.sections]
            required = [asdict(material) for material in service.views.required_materials(task_data)]
            ctx.workflows.record(
                uow,
                instance.id,
                principal.name,
                "personal_data_read",
                at=now,
                activity_id=row.activity_id,
                department=row.candidate_group,
                detail={"task_id": task_id, "fields": sorted(data)},
            )
            uow.commit()
        ending = list(service.views.ending_on_return(summary, row.activity_id)) if row.completed_at is None else []
        return {
            **task_dict(row, now, instance),
            "form": ctx.services.task_forms.get(row.form_key).describe(),
            "data": data,
            "sections": sections,
            "items": summary.get("items", []),
            "required_materials": required,
            "ending_on_return": ending,
            "subject_title": service.subject_title,
        }


def claim(ctx: EngineContext, principal: Principal, task_id: str) -> dict:
    """Take a task; 409 if another clerk holds it."""
    return _set_claim(ctx, principal, task_id, take=True)


def unclaim(ctx: EngineContext, principal: Principal, task_id: str) -> dict:
    """Give a task back to the queue; 409 if another clerk holds it."""
    return _set_claim(ctx, principal, task_id, take=False)


def _set_claim(ctx: EngineContext, principal: Principal, task_id: str, take: bool) -> dict:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        row = check_task_workable(principal, uow.tasks.get(task_id))
        if row.completed_at is not None:
            raise Conflict("task is already completed")
        if not take and row.assignee is None:
            return task_dict(row, now)
        changed = uow.tasks.claim(task_id, principal.name) if take else uow.tasks.unclaim(task_id, principal.name)
        if not changed:
            raise Conflict("task is held by another clerk")
        ctx.workflows.record(
            uow,
            row.instance_id,
            principal.name,
            "task_claimed" if take else "task_unclaimed",
            at=now,
            activity_id=row.activity_id,
            activity_name=row.name,
            department=row.candidate_group,
            item=row.item,
        )
        uow.commit()  # the claim's UPDATE set the row's assignee in the session too: no second read of it
        return task_dict(row, now)


def complete(ctx: EngineContext, principal: Principal, task_id: str, variables: dict) -> dict:
    """Validate the form, complete the task and run the process on to its next wait state; worked out again
    if the worker or a recount saved the application meanwhile."""
    return run_again_on_conflict(
        lambda: _complete_once(ctx, principal, task_id, variables),
        "the application was changed by someone else; reload and try again",
    )


def _complete_once(ctx: EngineContext, principal: Principal, task_id: str, variables: dict) -> dict:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        row = check_task_workable(principal, uow.tasks.get(task_id))
        if row.completed_at is not None:
            raise Conflict("task is already completed")
        if row.assignee not in (None, principal.name):
            raise Conflict("task is held by another clerk")
        values = ctx.services.task_forms.get(row.form_key).validate(variables or {})  # FormInvalid: 422
        instance = uow.instances.get(row.instance_id)
        assert instance is not None, "instances are never deleted and every task has one"
        workflow = ctx.workflows.load(uow, instance, to_change=True)
        task = ctx.workflows.workflow_task(workflow, task_id)
        if task.state != TaskState.READY:
            raise Conflict("task is no longer open")
        task.data.update(values)
        task.data.setdefault("reviews", {})[row.activity_id] = {
            **values,
            "clerk": principal.name,
            "at": iso(now),
        }
        task.run()
        row.assignee = principal.name
        row.completed_at = now
        row.completed_by = principal.name
        row.outcome = values.get("decision")
        row.reason = values.get("reason")
        ctx.workflows.record(
            uow,
            instance.id,
            principal.name,
            "task_completed",
            at=now,
            activity_id=row.activity_id,
            activity_name=row.name,
            department=row.candidate_group,
            item=row.item,
            reason=values.get("reason"),
            detail={"decision": values.get("decision"), "task_id": task_id},
        )
        advance(workflow)
        ctx.workflows.save(uow, instance, workflow, [], principal.name)
        uow.commit()
        return {**task_dict(row, now), "process_instance_state": instance.state}
