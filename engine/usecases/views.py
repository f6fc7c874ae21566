"""How an application is shown: the instance view (portal, staff) and the applicant's progress view."""

from __future__ import annotations

from datetime import datetime

from forms.items import DEPARTMENTS

from ..clock import iso
from ..persistence.models import ProcessDefinition, ProcessInstance, UserTask
from ..privacy import mask_personal

STATE_TEXT = {"active": "办理中", "completed": "已办结", "returned": "已退件", "cancelled": "已撤回"}
STATUS_TEXT = {
    "pending": "待办理",
    "in_progress": "办理中",
    "done": "已办结",
    "returned": "已退件",
    "stopped": "已终止",
}


def _item_due(tasks: list[UserTask]) -> dict[str, UserTask]:
    """The user task that sets each item's due date: the open one, else the latest one."""
    by_item: dict[str, UserTask] = {}
    for task in tasks:
        if not task.item:
            continue
        current = by_item.get(task.item)
        if current is None or (current.completed_at is not None and task.completed_at is None) or (
            (current.completed_at is None) == (task.completed_at is None) and task.created_at >= current.created_at
        ):
            by_item[task.item] = task
    return by_item


def _overdue(task: UserTask | None, now: datetime) -> bool:
    if task is None or task.due_at is None:
        return False
    end = task.completed_at or now
    return end > task.due_at


def instance_view(instance: ProcessInstance, definition: ProcessDefinition, tasks: list[UserTask],
                  now: datetime, mask: bool) -> dict:
    summary = instance.summary or {}
    due = _item_due(tasks)
    items = []
    for item in summary.get("items", []):
        task = due.get(item["code"])
        items.append({
            **item,
            "result": mask_personal(item["result"]) if mask else item["result"],
            "due_at": iso(task.due_at) if task else None,
            "overdue": _overdue(task, now) and item["status"] in ("in_progress", "done"),
        })
    open_steps = [
        {
            "task_id": t.id, "activity_id": t.activity_id, "name": t.name, "group": t.candidate_group,
            "assignee": t.assignee, "created_at": iso(t.created_at), "due_at": iso(t.due_at),
            "overdue": _overdue(t, now),
        }
        for t in tasks
        if t.completed_at is None
    ]
    returned = summary.get("returned")
    return {
        "id": instance.id,
        "business_key": instance.business_key,
        "definition": {"key": definition.key, "version": definition.version},
        "state": instance.state,
        "region": instance.region,
        "created_at": iso(instance.created_at),
        "ended_at": iso(instance.ended_at),
        "items": items,
        "open_steps": open_steps,
        "returned": returned,
        # the applicant's side sees the notices meant for the applicant; staff see every notice
        "notices": [n for n in summary.get("notices", []) if not mask or n.get("audience") == "applicant"],
    }


def progress_view(instance: ProcessInstance, tasks: list[UserTask], now: datetime) -> dict:
    """The applicant's view in plain Chinese (R2.7): no personal data beyond masked numbers."""
    summary = instance.summary or {}
    due = _item_due(tasks)
    items = []
    for item in summary.get("items", []):
        task = due.get(item["code"])
        items.append({
            "code": item["code"],
            "name": item["name"],
            "department": DEPARTMENTS[item["department"]],
            "status": item["status"],
            "status_text": STATUS_TEXT[item["status"]],
            "due_at": iso(task.due_at) if task else None,
            "result": mask_personal(item["result"]),
        })
    returned = summary.get("returned")
    next_steps = [n for n in summary.get("notices", []) if n.get("audience") == "applicant"]
    if returned:
        department = DEPARTMENTS.get(returned.get("group") or "", "经办部门")
        message = f"您的申请已被{department}退回，原因：{returned.get('reason') or '未说明'}。请按要求补正后重新提交。"
    elif instance.state == "completed":
        message = "您的申请已全部办结。"
    elif instance.state == "cancelled":
        message = "您已撤回申请。"
    else:
        message = "您的申请正在办理中，可随时查询进度。"
    return {
        "business_key": instance.business_key,
        "state": instance.state,
        "state_text": STATE_TEXT[instance.state],
        "message": message,
        "submitted_at": iso(instance.created_at),
        "completed_at": iso(instance.ended_at),
        "return_reason": returned.get("reason") if returned else None,
        "items": items,
        "next_steps": mask_personal(next_steps),
    }
