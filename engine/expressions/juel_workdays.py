"""``workdays(n)`` / ``workdays(n, "17:00")``: the JUEL function for due dates in working days (R5.1, R5.2).

Returns the moment a step is due: the n-th working day after the service clock's today
(:func:`engine.workdays.add_working_days`; n = 0 is today when it is a working day, else the next one), at the
closing time when one is given (Guizhou's windows close at 17:00), else at the end of that day (23:59:59).
After the closing time today's office day is over, so counting starts from tomorrow: at 18:00 ``workdays(0,
"17:00")`` is the next working day's 17:00, never a moment already past. A null closing time means none.

``now`` is the evaluation's pinned ``now()`` (the script engine passes the service clock). A year the
working-day calendar does not cover raises :class:`engine.workdays.CalendarNotCovered` unchanged, so the
caller can say which year is missing instead of guessing.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from engine.clock import CHINA
from engine.workdays import add_working_days

from .errors import ExpressionEvaluationError

END_OF_DAY = time(23, 59, 59)
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")


def closing_time(value) -> time | None:
    """``"17:00"`` / ``"17:00:00"`` → 17:00; None → None; anything else is an evaluation error."""
    if value is None:
        return None
    match = _CLOCK_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ExpressionEvaluationError(f"workdays(): closing time {value!r} is not HH:MM", None)
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def working_days(value) -> int:
    """A non-negative whole number of working days (2 or 2.0; never a boolean, text or fraction)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise ExpressionEvaluationError(f"workdays(): {value!r} is not a non-negative whole number of days", None)
    return int(value)


def due_moment(now: datetime, n: int, closing: time | None = None) -> datetime:
    """The due moment of a step of ``n`` working days that starts at ``now`` (see the module docstring)."""
    local = now.astimezone(CHINA)
    start = local.date()
    if closing is not None and local.time() >= closing:
        start += timedelta(days=1)
    return datetime.combine(add_working_days(start, n), closing or END_OF_DAY, tzinfo=CHINA)


def workdays(options, n, closing=None) -> datetime:
    """The JUEL function (``options["now"]`` is the pinned clock)."""
    now = options.get("now") or datetime.now(CHINA)
    return due_moment(now, working_days(n), closing_time(closing))
