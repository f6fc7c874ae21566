"""How a newborn application is shown (:class:`engine.service.Views`): its items in the instance view (portal,
staff), the applicant's progress view, and what a clerk reads on a task: the application by section and what
the earlier steps decided.

Each chosen item shows its status, its due date and whether it is overdue (from the summary's working-day due
dates, R5.1/R5.3; instances of older versions without the time-limit table fall back to their user task's
due date), its result, and for the applicant what to do next in plain Chinese (R2.7, R2.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.calendar.chinese import chinese_day
from engine.clock import iso
from engine.overdue import is_overdue
from engine.privacy import mask_personal
from engine.service import RequiredMaterial, Row, Section, TaskView
from engine.states import state_text
from forms.layout import lay_out, text_of
from forms.newborn.application import ApplicationSchema
from forms.newborn.items import DEPARTMENTS, ITEMS_BY_CODE
from forms.newborn.material_codes import MATERIALS

# the keys whose values are personal data (R8.2): masked wherever the applicant's side sees them
PERSONAL_KEYS = frozenset(
    {"id_number", "phone", "address", "account_number", "delivery_record_mother_id", "citizen_id_number"}
)
# what the departments' results say, as a clerk of a later step reads them
RESULT_LABELS = {
    "certificate_number": "出生医学证明编号",
    "issued_on": "签发日期",
    "issued_by": "签发机构",
    "registration_number": "登记编号",
    "registered_on": "登记日期",
    "citizen_id_number": "公民身份号码",
    "police_station": "派出所",
    "enrolment_number": "参保登记号",
    "enrolled_on": "参保日期",
    "coverage_start": "待遇享受起始日期",
    "claim_number": "报销申请号",
    "application_number": "申请编号",
    "applied_on": "申请日期",
    "bank": "发卡银行",
    "mail_number": "邮件号",
    "licence_number": "证号",
    "opened_on": "登记日期",
    "paid_on": "缴费日期",
    "premium": "缴费金额（元）",
}
# where one key means another thing for one item
ITEM_RESULT_LABELS = {
    ("vaccination_certificate", "certificate_number"): "预防接种证编号",
    ("vaccination_certificate", "issued_by"): "办理单位",
}

STATUS_TEXT = {
    "pending": "待办理",
    "in_progress": "办理中",
    "done": "已办结",
    "returned": "已退件",
    "stopped": "已终止",
}


def _item_due(tasks: list) -> dict:
    """The user task that sets each item's due date: the open one, else the latest one."""
    by_item: dict = {}
    for task in tasks:
        if not task.item:
            continue
        current = by_item.get(task.item)
        if (
            current is None
            or (current.completed_at is not None and task.completed_at is None)
            or ((current.completed_at is None) == (task.completed_at is None) and task.created_at >= current.created_at)
        ):
            by_item[task.item] = task
    return by_item


def _due_of(item: dict, task, now: datetime) -> tuple[str | None, bool, bool]:
    """An item's due date (ISO), whether a provisional year decided it (R5.1) and whether it is or was
    overdue: the summary's working-day due date, else (older versions) its user task's."""
    if item.get("due_at"):
        finished = datetime.fromisoformat(item["finished_at"]) if item.get("finished_at") else None
        overdue = item["status"] in ("pending", "in_progress", "done") and is_overdue(
            datetime.fromisoformat(item["due_at"]), now, finished
        )
        return item["due_at"], bool(item.get("due_provisional")), overdue
    return (
        (iso(task.due_at) if task else None),
        bool(task and task.due_provisional),
        task is not None
        and is_overdue(task.due_at, now, task.completed_at)
        and item["status"] in ("in_progress", "done"),
    )


def next_step(
    item: dict,
    department: str,
    due_at: str | None,
    notices: list[dict],
    returned: dict | None,
    provisional: bool = False,
) -> str:
    """What the applicant should know or do next about one item, in plain Chinese (R2.7, R2.8)."""
    if returned and returned.get("item") == item["code"]:
        return f"{department}已退回，原因：{returned.get('reason') or '未说明'}。请按要求补正后重新提交。"
    if item["status"] in ("in_progress", "done") and notices:
        return notices[-1]["text"]  # e.g. R2.8: visit the police station with the originals by a date
    by = f"，应于{chinese_day(due_at, provisional)}前办结" if due_at else ""
    if item["status"] == "pending":
        return f"等待前序事项办结后由{department}办理{by}。"
    if item["status"] == "in_progress":
        return f"{department}正在办理{by}。"
    if item["status"] == "done":
        return "已办结，无需再办理。"
    return "申请已结束，此事项未办理。"


def view(summary: dict, tasks: list, now: datetime, mask: bool) -> dict:
    """The newborn part of the instance view: the items and the promised date."""
    due = _item_due(tasks)
    items = []
    for item in summary.get("items", []):
        due_at, provisional, overdue = _due_of(item, due.get(item["code"]), now)
        shown = {key: value for key, value in item.items() if key != "due_provisional"}
        items.append(
            {
                **shown,
                "status_text": STATUS_TEXT.get(item["status"], item["status"]),
                "result": mask_personal(item["result"], PERSONAL_KEYS) if mask else item["result"],
                "due_at": due_at,
                "provisional": provisional,
                "overdue": overdue,
            }
        )
    return {
        "items": items,
        "promised_by": summary.get("promised_by"),
        "promised_by_provisional": bool(summary.get("promised_provisional")),
    }


def progress(instance, tasks: list, now: datetime) -> dict:
    """The applicant's view in plain Chinese (R2.7): no personal data beyond masked numbers."""
    summary = instance.summary or {}
    due = _item_due(tasks)
    returned = summary.get("returned")
    next_steps = [n for n in summary.get("notices", []) if n.get("audience") == "applicant"]
    items = []
    for item in summary.get("items", []):
        department = DEPARTMENTS[item["department"]]
        due_at, provisional, overdue = _due_of(item, due.get(item["code"]), now)
        items.append(
            {
                "code": item["code"],
                "name": item["name"],
                "department": department,
                "status": item["status"],
                "status_text": STATUS_TEXT[item["status"]],
                "due_at": due_at,
                "provisional": provisional,
                "overdue": overdue,
                "result": mask_personal(item["result"], PERSONAL_KEYS),
                "next_step": next_step(
                    item,
                    department,
                    due_at,
                    [n for n in next_steps if n.get("item") == item["code"]],
                    returned,
                    provisional,
                ),
            }
        )
    refusals = summary.get("refusals")
    if refusals:
        message = "您的申请不符合“一件事”联办受理条件，不予受理：" + "".join(r["message"] for r in refusals)
    elif returned:
        department = DEPARTMENTS.get(returned.get("group") or "", "经办部门")
        message = f"您的申请已被{department}退回，原因：{returned.get('reason') or '未说明'}。请按要求补正后重新提交。"
    elif instance.state == "completed":
        message = "您的申请已全部办结。"
    elif instance.state == "cancelled":
        message = "您已撤回申请。"
    else:
        message = "您的申请正在办理中，可随时查询进度。"
        if summary.get("promised_by"):
            message += (
                f"承诺于{chinese_day(summary['promised_by'], bool(summary.get('promised_provisional')))}前全部办结。"
            )
    return {
        "business_key": instance.business_key,
        "state": instance.state,
        "state_text": state_text(instance.state),
        "message": message,
        "submitted_at": iso(instance.created_at),
        "completed_at": iso(instance.ended_at),
        "return_reason": returned.get("reason") if returned else None,
        "refusals": refusals,
        "promised_by": summary.get("promised_by"),
        "promised_by_provisional": bool(summary.get("promised_provisional")),
        "items": items,
        "next_steps": mask_personal(next_steps, PERSONAL_KEYS),
    }


TASK_DATA = ("application", "chosen", "reviews", "results")
APPLICATION_SCHEMA = ApplicationSchema()  # one instance: a new one copies every field and builds each part's
# schema again when it is laid out (about 1 ms of a task's view); reading its fields never changes it


def task(data: Mapping[str, Any], activity_id: str) -> TaskView:
    """What a clerk reads on a task: the application by section (labels and options from its form), then the
    results of the steps done before (e.g. the birth certificate number for the police)."""
    shown = {key: data.get(key) for key in TASK_DATA}
    sections = lay_out(APPLICATION_SCHEMA, shown["application"], "申请概况")
    for code, result in (shown["results"] or {}).items():
        rows = tuple(
            Row(ITEM_RESULT_LABELS.get((code, key)) or RESULT_LABELS[key], text_of(None, value))
            for key, value in (result or {}).items()
            if key in RESULT_LABELS and value not in (None, "")
        )
        item = ITEMS_BY_CODE.get(code)
        if rows and item is not None:
            sections += (Section(f"{item.name}：办理结果", rows),)
    return TaskView(data=shown, sections=sections)


def required_materials(data: Mapping[str, Any]) -> tuple[RequiredMaterial, ...]:
    """The materials the policy's ``materials`` decision listed at the start (R4.1), for the chosen items."""
    application = data.get("application") if isinstance(data.get("application"), Mapping) else {}
    chosen = list(application.get("items") or ())
    merged: dict[str, list[str]] = {}
    for row in data.get("materials") or ():
        if not isinstance(row, Mapping) or not row.get("code") or row.get("item") not in chosen:
            continue
        items = merged.setdefault(row["code"], [])
        if row["item"] not in items:
            items.append(row["item"])
    return tuple(
        RequiredMaterial(
            code, MATERIALS.get(code, code), tuple(ITEMS_BY_CODE[i].name for i in sorted(items, key=chosen.index))
        )
        for code, items in merged.items()
    )


def ending_on_return(summary: Mapping[str, Any], activity_id: str) -> tuple[str, ...]:
    """A return ends the whole application: every chosen item not done yet."""
    return tuple(
        item["name"] for item in summary.get("items") or () if item.get("status") in ("pending", "in_progress")
    )


class NewbornViews:
    """The newborn service's :class:`engine.service.Views`."""

    personal_keys = PERSONAL_KEYS
    instance = staticmethod(view)
    progress = staticmethod(progress)
    task = staticmethod(task)
    required_materials = staticmethod(required_materials)
    ending_on_return = staticmethod(ending_on_return)
