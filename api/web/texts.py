"""The pages' Chinese for the engine's codes: instance states (the engine's table), history events, task
states, roles, and who did something (the system, the portal, a person of a department)."""

from __future__ import annotations

import re

from engine.states import STATE_TEXT as STATES  # noqa: F401 (the pages' name for it)

EVENTS = {
    "instance_started": "提交申请",
    "instance_completed": "全部办结",
    "instance_returned": "退件",
    "instance_refused": "不予受理",
    "instance_cancelled": "申请人撤回",
    "task_created": "生成待办",
    "task_claimed": "认领",
    "task_unclaimed": "退回队列",
    "task_completed": "办理完成",
    "task_cancelled": "待办取消",
    "service_task_completed": "系统办理",
    "timer_fired": "到期提醒",
    "message_received": "收到消息",
    "personal_data_read": "查看个人信息",
    "material_uploaded": "上传材料",
    "material_read": "查看材料",
    "incident_created": "故障",
    "incident_retried": "故障重试",
    "deadlines_recounted": "办结时限调整",
    "business_error": "部门退回更正",
    "instance_archived": "归档",
    "personal_data_erased": "删除个人信息",
    "legal_hold_set": "设置保留（暂停清理）",
    "legal_hold_released": "解除保留",
    "found_by_search": "查找到本申请",
    "comment": "办理意见",
    "follow_up_set": "设置跟进日期",
    "task_assigned": "转交",
}
ROLES = {
    "portal": "网上申报平台",
    "clerk": "窗口工作人员",
    "analyst": "流程分析员",
    "supervisor": "监督人员",
    "admin": "管理员",
}
ENGINE_LABELS = {**ROLES, "approve": "通过", "return": "退件", "cancelled": "已取消", "system": "系统"}
SEARCH_KINDS = {"business_key": "申请编号"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def label(code: str) -> str | None:
    """The engine's own codes a page may show (roles, the generic decisions)."""
    return ENGINE_LABELS.get(code)


def is_chinese(text: str) -> bool:
    """Whether a message is written for people (in Chinese), not an English one meant for developers."""
    return bool(_CJK.search(text or ""))


def actor_text(name: str | None, people: dict, groups: dict | None = None) -> str:
    """``system`` → 系统; a portal account → 申请人（网上申报平台）; a clerk → its name and department."""
    if not name:
        return "—"
    if name == "system":
        return "系统自动办理"
    person = people.get(name)
    if person is None:
        return name
    if "portal" in person["roles"]:
        return "申请人（网上申报平台）"
    departments = "、".join((groups or {}).get(g, g) for g in person["groups"])
    return f"{name}（{departments}）" if departments else name
