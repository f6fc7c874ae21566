"""Dates as the service writes them in Chinese, and the mark of a provisional one (R5.1)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
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


def chinese_time(moment: datetime | date | str | None) -> str:
    """A moment as a person in China reads it, in Beijing time: ``2026年12月4日 21:25``; a date alone is
    ``2026年12月4日``; nothing is ``""``."""
    if moment is None or moment == "":
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if not isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(moment, str) and len(moment) == 10:
        return f"{value.year}年{value.month}月{value.day}日"
    value = value.astimezone(BEIJING) if value.tzinfo else value
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
