"""Working-day calendars for tests: the one a fresh database is seeded with (the installed chinesecalendar's
years official, every other year provisional), and a 2027 notice file with invented days."""

from __future__ import annotations

from pathlib import Path

from engine.calendar import WorkdayCalendar, package_notices
from engine.calendar_source import StaticCalendarSource

PACKAGE_CALENDAR = WorkdayCalendar(package_notices())

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOTICE_2027 = FIXTURES / "calendar_2027.json"

FIXED_CALENDARS = StaticCalendarSource(PACKAGE_CALENDAR)  # what the script engine asks (``.current()``)
