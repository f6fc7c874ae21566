"""The working-day calendar this process counts with: the database's official years (R5.1).

Every process (API or worker) keeps one :class:`~engine.calendar.WorkdayCalendar` built from the
``calendar_years`` table and checks, at most every ``ttl`` seconds, whether another process loaded a year
since (the newest import's id); the process that loads one sees it at once. A process that counted with a
calendar a few seconds old is caught up by the worker's reconciliation
(:func:`engine.usecases.calendar.reconcile`): every instance notes the version of each year its dates were
counted through, and one counted on days that are no longer the calendar's is counted again.

An operation (a request or a job: load a workflow, step it, save it) may ask for the calendar several
times -- a timer, a handler's deadline, the due dates of the save -- and the calendar may change in between:
:meth:`CalendarSource.watch` starts noting, per thread, every calendar handed out, so that the save can tell
that its dates were counted on more than one and mark them to be counted again.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Protocol

from .calendar import HolidayBlock, WorkdayCalendar, YearNotice
from .persistence.database import Sessions
from .persistence.models import CalendarYear
from .persistence.unit_of_work import UnitOfWork

DEFAULT_TTL = 5.0


def notice_of(row: CalendarYear) -> YearNotice:
    """A stored year as the calendar reads it."""
    blocks = tuple(
        HolidayBlock(block["name"], tuple(date.fromisoformat(d) for d in block["days"]))
        for block in row.days.get("holidays", [])
    )
    workdays = tuple(date.fromisoformat(d) for d in row.days.get("workdays", []))
    return YearNotice(row.year, row.title, row.number, blocks, workdays)


class Calendars(Protocol):
    """What the engine asks of a source of working-day calendars (:class:`CalendarSource`: the database's
    official years; :class:`StaticCalendarSource`: one fixed calendar)."""

    def current(self) -> WorkdayCalendar: ...

    def watch(self) -> None: ...

    def watched(self) -> int: ...

    def refresh(self) -> bool: ...

    def invalidate(self) -> None: ...


class StaticCalendarSource:
    """One calendar that never changes (the benchmark's in-memory floor, unit tests)."""

    def __init__(self, calendar: WorkdayCalendar) -> None:
        self._calendar = calendar

    def current(self) -> WorkdayCalendar:
        return self._calendar

    def watch(self) -> None:
        pass

    def watched(self) -> int:
        return 1

    def refresh(self) -> bool:
        return False  # never changes

    def invalidate(self) -> None:
        pass


class CalendarSource:
    """The database's official years, re-read when another process changed them (see the module's text)."""

    def __init__(self, sessions: Sessions, ttl: float = DEFAULT_TTL) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._lock = threading.Lock()
        self._calendar = WorkdayCalendar()
        self._revision: int | None = None
        self._checked = float("-inf")
        self._thread = threading.local()

    def current(self) -> WorkdayCalendar:
        """The calendar, re-read if another process changed the official years (checked every ``ttl`` s)."""
        if time.monotonic() - self._checked >= self._ttl:
            self.refresh()
        calendar = self._calendar
        seen = getattr(self._thread, "seen", None)
        if seen is not None and not any(calendar is other for other in seen):
            seen.append(calendar)
        return calendar

    def watch(self) -> None:
        """From now on note every calendar this thread is given (an operation starts: it loads a workflow)."""
        self._thread.seen = []

    def watched(self) -> int:
        """How many different calendars this thread was given since :meth:`watch` (0: none, or not watching)."""
        return len(getattr(self._thread, "seen", None) or ())

    def refresh(self) -> bool:
        """Check now; True when the official years changed since the last look."""
        with self._lock:
            with UnitOfWork(self._sessions, read_only=True) as uow:
                revision = uow.calendar.revision()
                changed = revision != self._revision
                if changed:
                    self._calendar = WorkdayCalendar(notice_of(row) for row in uow.calendar.all())
                    self._revision = revision
            self._checked = time.monotonic()
            return changed

    def invalidate(self) -> None:
        """Re-read at the next use (this process changed the official years)."""
        self._checked = float("-inf")
