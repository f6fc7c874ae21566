"""China's working-day calendar (R5.1): official years from the State Council's notices, provisional years
from the statutory holidays, and the counting rules every time limit uses.

A leaf of the engine: it knows dates, not the database. ``notice`` reads and checks a year's notice (the
import file, or the installed ``chinesecalendar`` package), ``statutory`` computes a year nobody has
published yet, and ``workdays`` counts working days over both, telling which years a count went through
provisionally.
"""

from .notice import HolidayBlock, InvalidNotice, YearNotice, blocks_json, blocks_of, package_notices, parse_notice
from .statutory import statutory_days_off
from .workdays import CalendarNotCovered, WorkdayCalendar

__all__ = [
    "CalendarNotCovered",
    "HolidayBlock",
    "InvalidNotice",
    "WorkdayCalendar",
    "YearNotice",
    "blocks_json",
    "blocks_of",
    "package_notices",
    "parse_notice",
    "statutory_days_off",
]
