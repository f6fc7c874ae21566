"""The pages' Chinese for the engine's codes: instance states (the engine's table), history events."""

from __future__ import annotations

from engine.states import STATE_TEXT as STATES  # noqa: F401 (the pages' name for it)

EVENTS = {
    "instance_started": "提交申请", "instance_completed": "全部办结", "instance_returned": "退件",
    "instance_refused": "不予受理", "instance_cancelled": "申请人撤回", "task_created": "生成待办",
    "task_claimed": "认领", "task_unclaimed": "退回队列", "task_completed": "办理完成", "task_cancelled": "待办取消",
    "service_task_completed": "系统办理", "timer_fired": "到期提醒", "message_received": "收到消息",
    "personal_data_read": "查看个人信息", "material_uploaded": "上传材料", "material_read": "查看材料",
    "incident_created": "故障", "incident_retried": "故障重试", "deadlines_recounted": "办结时限调整",
    "business_error": "部门退回更正",
    "instance_archived": "归档", "personal_data_erased": "删除个人信息", "legal_hold_set": "设置保留（暂停清理）",
    "legal_hold_released": "解除保留",
}
