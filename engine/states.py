"""An instance's states, and how a person reads them (one table for the views, the pages and the services)."""

from __future__ import annotations

STATE_TEXT = {
    "active": "办理中",
    "completed": "已办结",
    "returned": "已退件",
    "cancelled": "已撤回",
    "refused": "不予受理",
}


def state_text(state: str) -> str:
    return STATE_TEXT.get(state, state)
