"""Dates as the service writes them in Chinese, and the mark of a provisional one (R5.1)."""

from __future__ import annotations

from datetime import datetime

PROVISIONAL_MARK = "（预计）"  # after a date counted through a year whose holiday notice is not loaded


def chinese_day(moment: str | None, provisional: bool = False) -> str:
    """``2026-11-30T23:59:59+08:00`` → ``2026年11月30日``, ``...T17:00:00+08:00`` → ``2026年11月30日17:00``,
    ``2026-11-30`` → ``2026年11月30日``; a provisional date is followed by （预计）."""
    if not moment:
        return ""
    value = datetime.fromisoformat(moment)
    text = f"{value.year}年{value.month}月{value.day}日"
    text = text if len(moment) == 10 or (value.hour, value.minute) == (23, 59) else f"{text}{value:%H:%M}"
    return text + PROVISIONAL_MARK if provisional else text
