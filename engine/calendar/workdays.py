"""Counting working days (R5.1, R5.3): official years from their notices, the others provisionally.

A year is *official* when its State Council notice is loaded (a :class:`~engine.calendar.notice.YearNotice`
given to the calendar); any other year is *provisional*: its days off are the statutory holidays
(:mod:`engine.calendar.statutory`) and the weekends, with no make-up working days. A count that went through
a provisional year is provisional too -- :meth:`WorkdayCalendar.provisional_years` tells which years a span
touched, so a due date can say so and be recomputed once the notice arrives. Only a year that even the
statutory rule cannot produce (before the law, or beyond the lunar library's range) is
:class:`CalendarNotCovered`.

Counting convention (used for every time limit of RULES §5):

* "within N working days of day D" (在 D 之后 N 个工作日内) means the due date is the N-th working day
  *after* D: ``add_working_days(D, N)``. Day D itself never counts, whether or not it is a working day.
  A step is overdue when the local date is later than its due date.
* ``add_working_days(D, 0)`` is D when D is a working day, otherwise the next working day
  ("on the spot", 即办件, on a day the office is open).
* ``working_days_between(a, b)`` counts the working days d with a < d <= b, so for n >= 1
  ``working_days_between(D, add_working_days(D, n)) == n``.

Dates are calendar days in China (Asia/Shanghai). The counting functions take ``datetime.date`` only and
refuse a ``datetime``: the caller decides which local day a moment falls on. :func:`due_moment` is the
one that takes a moment: the due moment of a step that starts then, by a closing time (R5.2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Iterable, Mapping

from ..clock import CHINA
from ..errors import EngineError
from .notice import YearNotice
from .statutory import not_computable, statutory_days_off

END_OF_DAY = time(23, 59, 59)


class CalendarNotCovered(EngineError, LookupError):
    """Not even the statutory rule can give ``year``'s days off (:func:`~.statutory.not_computable` says why);
    the message, in Chinese, names the year and the reason."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.reason = not_computable(year) or f"{year}年的法定节假日无法推算"
        super().__init__(f"无法按工作日计算到{year}年：该年的国务院放假安排通知尚未载入，且{self.reason}。")


@dataclass(frozen=True)
class YearDays:
    """What decides whether a day of one year is worked."""

    year: int
    days_off: frozenset[date]
    make_up: frozenset[date]
    official: bool

    def is_working_day(self, d: date) -> bool:
        if d in self.make_up:
            return True
        return d.weekday() < 5 and d not in self.days_off

    @cached_property
    def version(self) -> str:
        """What the year's working days are, in 16 characters: official or provisional (``o``/``p``) and a
        digest of its days off and make-up working days. Two loads with the same days have one version;
        every change of a day, or of the status, gives another (what a date was counted on, R5.1)."""
        text = (
            ",".join(d.isoformat() for d in sorted(self.days_off))
            + "|"
            + ",".join(d.isoformat() for d in sorted(self.make_up))
        )
        return ("o" if self.official else "p") + hashlib.sha256(text.encode("ascii")).hexdigest()[:15]


def _check_date(d: date) -> None:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date (the local day in China), got {type(d).__name__}")


def local_day(value: date | datetime) -> date:
    """The day in China a moment falls on (a date is returned as it is)."""
    return value.astimezone(CHINA).date() if isinstance(value, datetime) else value


class WorkdayCalendar:
    """The working-day calendar over the official years given; every other year provisional."""

    def __init__(self, official: Mapping[int, YearNotice] | Iterable[YearNotice] = ()) -> None:
        notices = official.values() if isinstance(official, Mapping) else official
        self._notices: dict[int, YearNotice] = {notice.year: notice for notice in notices}
        self._years: dict[int, YearDays] = {}

    # -- years ------------------------------------------------------------------------------------

    def official_years(self) -> list[int]:
        return sorted(self._notices)

    def notice(self, year: int) -> YearNotice | None:
        return self._notices.get(year)

    def is_official(self, year: int) -> bool:
        return year in self._notices

    def covers(self, year: int) -> bool:
        """Whether the calendar can count through ``year``: its notice is loaded, or its statutory holidays
        can be computed."""
        return year in self._notices or not_computable(year) is None

    def year(self, year: int) -> YearDays:
        """The days of ``year``: its notice's, else the statutory ones (raises CalendarNotCovered)."""
        found = self._years.get(year)
        if found is None:
            notice = self._notices.get(year)
            if notice is not None:
                found = YearDays(year, notice.days_off, frozenset(notice.workdays), official=True)
            else:
                statutory = statutory_days_off(year)
                if statutory is None:
                    raise CalendarNotCovered(year)
                found = YearDays(year, frozenset(statutory), frozenset(), official=False)
            self._years[year] = found
        return found

    def version(self, year: int) -> str | None:
        """The version of ``year``'s days (:attr:`YearDays.version`); None when it cannot be counted."""
        try:
            return self.year(year).version
        except CalendarNotCovered:
            return None

    def counted_years(self, start: date | datetime, end: date | datetime | None) -> list[int]:
        """Every year a count from ``start`` to ``end`` went through (its result depends on their days)."""
        if end is None:
            return []
        first, last = sorted((local_day(start).year, local_day(end).year))
        return list(range(first, last + 1))

    def provisional_years(self, start: date | datetime, end: date | datetime | None) -> list[int]:
        """The provisional years a count from ``start`` to ``end`` went through (empty: it is official)."""
        if end is None:
            return []
        first, last = sorted((local_day(start).year, local_day(end).year))
        return [year for year in range(first, last + 1) if year not in self._notices]

    # -- counting ---------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        _check_date(d)
        return self.year(d.year).is_working_day(d)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; for n == 0 ``start`` if worked, else the next working day."""
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
        """The number of working days d with a < d <= b (negative when b < a)."""
        _check_date(a)
        _check_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a + timedelta(days=1)
        while day <= b:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def due_moment(self, now: datetime, n: int, closing: time | None = None) -> datetime:
        """The due moment of a step of ``n`` working days that starts at ``now``: the n-th working day after
        today, at the closing time (else 23:59:59). After today's closing time the office day is over, so
        the count starts from tomorrow: ``due_moment(18:00, 0, 17:00)`` is the next working day's 17:00."""
        local = now.astimezone(CHINA)
        start = local.date()
        if closing is not None and local.time() >= closing:
            start += timedelta(days=1)
        return datetime.combine(self.add_working_days(start, n), closing or END_OF_DAY, tzinfo=CHINA)
