"""China's working-day calendar (工作日), for due dates and time limits (R5.1, R5.3).

R5.1: working days exclude Saturdays, Sundays and the statutory holidays, and include the official make-up
working days (调休上班) that the State Council moves onto a weekend. The base is the maintained package
``chinesecalendar`` (import name ``chinese_calendar``), which carries each year's State Council notice;
``engine/workday_overrides.json`` adds the notice of a year the installed package does not know yet. A date in
a year covered by neither raises :class:`CalendarNotCovered` -- the calendar never guesses a year.

Counting convention (used for every time limit of RULES §5):

* "within N working days of day D" (在 D 之后 N 个工作日内) means the due date is the N-th working day
  *after* D: ``add_working_days(D, N)``. Day D itself never counts, whether or not it is a working day.
  A step is overdue when the local date is later than its due date.
* ``add_working_days(D, 0)`` is D when D is a working day, otherwise the next working day
  ("on the spot", 即办件, on a day the office is open).
* ``working_days_between(a, b)`` counts the working days d with a < d <= b, so for n >= 1
  ``working_days_between(D, add_working_days(D, n)) == n``.

Dates are calendar days in China (Asia/Shanghai). The functions take ``datetime.date`` only and refuse a
``datetime``: the caller decides which local day a moment falls on (``moment.astimezone(SHANGHAI).date()``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Iterable, Mapping

import chinese_calendar

from .errors import EngineError

__all__ = [
    "CalendarNotCovered",
    "YearOverride",
    "WorkdayCalendar",
    "OVERRIDES_FILE",
    "load_overrides",
    "default_calendar",
    "is_working_day",
    "add_working_days",
    "working_days_between",
    "covered_years",
]

OVERRIDES_FILE = Path(__file__).with_name("workday_overrides.json")

# The years the package is probed for. chinesecalendar covers one contiguous span (1.11.0: 2004-2026).
_PROBE_YEARS = range(1949, 2150)


class CalendarNotCovered(EngineError, LookupError):
    """The working-day calendar has no State Council holiday notice for ``year`` (R5.1).

    An engine error: a request that needs a due date in such a year is answered with this message (the API
    maps it to 503), never with a guessed date."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the working-day calendar does not cover {year}: no State Council holiday notice for that year "
            f"in chinesecalendar {getattr(chinese_calendar, '__version__', '?')} or in {OVERRIDES_FILE.name}"
        )
        self.year = year


@dataclass(frozen=True)
class YearOverride:
    """One year's State Council notice: the days off and the weekend days worked instead."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str


def _parse_override(year_key: str, entry: Mapping) -> YearOverride:
    if not (isinstance(year_key, str) and year_key.isdigit() and len(year_key) == 4):
        raise ValueError(f"workday override key {year_key!r} is not a year")
    year = int(year_key)
    if not isinstance(entry, Mapping):
        raise ValueError(f"workday override {year}: expected an object")
    unknown = set(entry) - {"holidays", "workdays", "source"}
    if unknown:
        raise ValueError(f"workday override {year}: unknown keys {sorted(unknown)}")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"workday override {year}: 'source' must name the State Council notice")

    def dates(name: str) -> frozenset[date]:
        values = entry.get(name, [])
        if not isinstance(values, list):
            raise ValueError(f"workday override {year}: {name!r} must be a list of YYYY-MM-DD dates")
        parsed = set()
        for value in values:
            try:
                d = date.fromisoformat(value)
            except (TypeError, ValueError):
                raise ValueError(f"workday override {year}: {value!r} in {name!r} is not a YYYY-MM-DD date") from None
            if d.year != year:
                raise ValueError(f"workday override {year}: {value} in {name!r} belongs to another year")
            parsed.add(d)
        return frozenset(parsed)

    holidays, workdays = dates("holidays"), dates("workdays")
    both = holidays & workdays
    if both:
        raise ValueError(f"workday override {year}: {sorted(d.isoformat() for d in both)} are both holiday and workday")
    weekday_workdays = [d for d in workdays if d.weekday() < 5]
    if weekday_workdays:
        raise ValueError(
            f"workday override {year}: make-up working days must fall on a weekend, "
            f"not {sorted(d.isoformat() for d in weekday_workdays)}"
        )
    return YearOverride(year, holidays, workdays, source.strip())


def load_overrides(data: Mapping) -> dict[int, YearOverride]:
    """Validate the content of the override file; keys starting with ``_`` are comments."""
    if not isinstance(data, Mapping):
        raise ValueError("workday overrides: expected a JSON object keyed by year")
    return {
        override.year: override
        for override in (_parse_override(key, entry) for key, entry in data.items() if not key.startswith("_"))
    }


@cache
def _package_years() -> frozenset[int]:
    years = set()
    for year in _PROBE_YEARS:
        try:
            chinese_calendar.is_workday(date(year, 7, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


def _check_date(d: date) -> None:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date (the local day in China), got {type(d).__name__}")


class WorkdayCalendar:
    """The working-day calendar: chinesecalendar plus per-year overrides (an override replaces the package's year)."""

    def __init__(self, overrides: Mapping[int, YearOverride] | None = None) -> None:
        self._overrides: dict[int, YearOverride] = dict(overrides or {})

    def covered_years(self) -> frozenset[int]:
        return _package_years() | frozenset(self._overrides)

    def is_working_day(self, d: date) -> bool:
        _check_date(d)
        override = self._overrides.get(d.year)
        if override is not None:
            if d in override.workdays:
                return True
            return d.weekday() < 5 and d not in override.holidays
        if d.year not in _package_years():
            raise CalendarNotCovered(d.year)
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:  # pragma: no cover - the probe said the year is covered
            raise CalendarNotCovered(d.year) from None

    def add_working_days(self, start: date, n: int) -> date:
        _check_date(start)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"n must be a non-negative number of working days, got {n!r}")
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        _check_date(a)
        _check_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for d in _days(a + timedelta(days=1), b) if self.is_working_day(d))


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@cache
def default_calendar() -> WorkdayCalendar:
    """The calendar of the package plus ``engine/workday_overrides.json`` (read once)."""
    with OVERRIDES_FILE.open(encoding="utf-8") as f:
        return WorkdayCalendar(load_overrides(json.load(f)))


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day in China (R5.1). Raises CalendarNotCovered for an unknown year."""
    return default_calendar().is_working_day(d)


def add_working_days(start: date, n: int) -> date:
    """The N-th working day after ``start`` (the due date of "within N working days of start");
    for n == 0, ``start`` if it is a working day, else the next working day."""
    return default_calendar().add_working_days(start, n)


def working_days_between(a: date, b: date) -> int:
    """The number of working days d with a < d <= b (negative when b < a)."""
    return default_calendar().working_days_between(a, b)


def covered_years() -> frozenset[int]:
    """The years the calendar knows (package years plus override years)."""
    return default_calendar().covered_years()
