"""A clerk's own tools on the work (issue 22): a comment on an application (kept in its history), a follow-up
date on a task, and giving a task to a named colleague of the same group and jurisdiction."""

from __future__ import annotations

from datetime import date

from ..clock import CHINA
from ..context import EngineContext
from ..errors import Conflict, InvalidInput
from ..persistence.models import UserTask
from ..users import Principal
from .access import check_task_workable
from .materials import check_materials_access
from .tasks import task_dict

MAX_COMMENT = 1000  # characters
LATEST_FOLLOW_UP = date(2100, 12, 31)  # the calendar's reach


def comment(ctx: EngineContext, principal: Principal, instance_id: str, text: str | None) -> dict:
    """A clerk of a department working on the application notes something on it, in its history."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写意见内容", {"text": ["必填项"]})
    if len(text) > MAX_COMMENT:
        raise InvalidInput("意见内容过长", {"text": [f"最多{MAX_COMMENT}个字"]})
    now = ctx.clock.now()
    with ctx.uow() as uow:
        instance = check_materials_access(ctx, uow, principal, uow.instances.get(instance_id))
        ctx.workflows.record(uow, instance.id, principal.name, "comment", at=now, reason=text)
        uow.commit()
        return {
            "instance_id": instance.id,
            "business_key": instance.business_key,
            "actor": principal.name,
            "text": text,
            "at": now.isoformat(),
        }


def _open_task(principal: Principal, row: UserTask | None) -> UserTask:
    row = check_task_workable(principal, row)
    if row.completed_at is not None:
        raise Conflict("任务已办结")
    return row


def set_follow_up(ctx: EngineContext, principal: Principal, task_id: str, on: date | None) -> dict:
    """The clerk's date to look at an open task again (None: no date); the queue can show those due."""
    now = ctx.clock.now()
    if on is not None and not now.astimezone(CHINA).date() <= on <= LATEST_FOLLOW_UP:
        raise InvalidInput("跟进日期有误", {"follow_up_on": ["跟进日期应为今天或以后（2100年以前）"]})
    with ctx.uow() as uow:
        row = _open_task(principal, uow.tasks.get(task_id))
        if row.assignee not in (None, principal.name):
            raise Conflict("该任务由其他人员办理")
        row.follow_up_on = on
        ctx.workflows.record(
            uow,
            row.instance_id,
            principal.name,
            "follow_up_set",
            at=now,
            activity_id=row.activity_id,
            activity_name=row.name,
            department=row.candidate_group,
            item=row.item,
            detail={"task_id": task_id, "on": on.isoformat() if on else None},
        )
        uow.commit()
        return task_dict(row, now)


def colleagues(ctx: EngineContext, principal: Principal, task_id: str) -> list[str]:
    """Who the task may be given to: other clerks of its group whose jurisdictions cover it, not disabled."""
    with ctx.reader() as uow:
        row = check_task_workable(principal, uow.tasks.get(task_id))
        return _colleagues_of(uow, row, principal.name)


def _colleagues_of(uow, row: UserTask, me: str) -> list[str]:
    return [
        user.name
        for user in uow.users.all()
        if user.name != me
        and user.revoked_at is None
        and "clerk" in user.roles
        and row.candidate_group in user.groups
        and any(row.jurisdiction.startswith(prefix) for prefix in user.jurisdictions)
    ]


def hand_over(ctx: EngineContext, principal: Principal, task_id: str, to: str | None) -> dict:
    """Give an open task (unclaimed, or held by the caller) to a colleague, who then holds it."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        row = _open_task(principal, uow.tasks.get(task_id))
        if row.assignee not in (None, principal.name):
            raise Conflict("该任务由其他人员办理")
        if not to or to not in _colleagues_of(uow, row, principal.name):
            raise InvalidInput(
                "只能转给同一部门、辖区内的其他工作人员", {"assignee": ["只能转给同一部门、辖区内的其他工作人员"]}
            )
        if not uow.tasks.give(task_id, principal.name, to):
            raise Conflict("该任务已由其他人员认领或办理")
        ctx.workflows.record(
            uow,
            row.instance_id,
            principal.name,
            "task_assigned",
            at=now,
            activity_id=row.activity_id,
            activity_name=row.name,
            department=row.candidate_group,
            item=row.item,
            detail={"task_id": task_id, "to": to},
        )
        uow.commit()
        uow.session.refresh(row)
        return task_dict(row, now)
