"""A year as month grids, like ``cal``, with days off and make-up days marked (``onething calendar show``,
the admins' calendar page)."""

from __future__ import annotations

import calendar as stdlib_calendar
import unicodedata
from datetime import date

from .notice import FORBIDDEN_CATEGORIES

MONTHS = ("一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月")
HEADER = "一  二  三  四  五  六  日"
OFF, WORKED = "*", "+"
WIDTH = 27  # seven columns of four, less the last space


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int = WIDTH, centre: bool = False) -> str:
    room = max(width - _width(text), 0)
    left = room // 2 if centre else 0
    return " " * left + text + " " * (room - left)


def _month(year: int, month: int, off: set[date], worked: set[date]) -> list[str]:
    lines = [_pad(MONTHS[month - 1], centre=True), _pad(" " + HEADER)]
    for week in stdlib_calendar.Calendar(firstweekday=0).monthdayscalendar(year, month):
        cells = []
        for day in week:
            if not day:
                cells.append("   ")
                continue
            d = date(year, month, day)
            mark = OFF if d in off else WORKED if d in worked else " "
            cells.append(f"{day:>2}{mark}")
        lines.append(_pad(" ".join(cells)))
    while len(lines) < 8:
        lines.append(_pad(""))
    return lines


def printable(text) -> str:
    """Text of a notice as a terminal should print it: a control, format or direction character (in a year
    loaded before they were refused) as its code point, never acted on."""
    return "".join(f"<U+{ord(c):04X}>" if unicodedata.category(c) in FORBIDDEN_CATEGORIES else c for c in str(text))


def render_year(view: dict) -> str:
    """The view of ``GET /api/calendar/{year}`` as text: a heading with the source, twelve month grids three
    abreast, the blocks of days off and the make-up working days."""
    year = view["year"]
    off = {date.fromisoformat(d) for block in view["holidays"] for d in block["days"]}
    worked = {date.fromisoformat(d) for d in view["workdays"]}
    source = view["source"]
    status = "正式（已载入放假安排）" if view["status"] == "official" else "预计（未载入当年国务院放假安排通知）"
    lines = [
        f"{year}年  {status}",
        f"依据：{printable(source['title'])}" + (f"（{printable(source['number'])}）" if source.get("number") else ""),
    ]
    if source.get("loaded_at"):
        lines.append(f"载入：{source['loaded_at']}，{printable(source.get('loaded_by') or '')}（{source['origin']}）")
    lines.append("")
    for first in (1, 4, 7, 10):
        grids = [_month(year, m, off, worked) for m in range(first, first + 3)]
        lines.extend("   ".join(row).rstrip() for row in zip(*grids, strict=False))
        lines.append("")
    lines.append(f"{OFF} 放假（法定节假日）   {WORKED} 调休上班   工作日共{view['working_days']}天")
    for block in view["holidays"]:
        days = block["days"]
        span = days[0] if len(days) == 1 else f"{days[0]} 至 {days[-1]}"
        lines.append(f"  {printable(block['name'])}：{span}，共{len(days)}天")
    if view["workdays"]:
        lines.append("  调休上班：" + "、".join(view["workdays"]))
    return "\n".join(lines)
