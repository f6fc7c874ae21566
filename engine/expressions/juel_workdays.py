"""``workdays(n)`` / ``workdays(n, "17:00")``: the JUEL function for due dates in working days (R5.1, R5.2).

Returns the moment a step is due: the n-th working day after the evaluation's ``now`` (n = 0 is today when it
is a working day, else the next one), at the closing time when one is given (Guizhou's windows close at
17:00), else at the end of that day (23:59:59). After the closing time today's office day is over, so
counting starts from tomorrow. A null closing time means none.

The counting itself is the working-day calendar's (``options["calendar"].due_moment``), which the caller
passes in with the pinned ``now``: this module only checks the arguments, so the expression language knows
nothing of where the calendar's years come from.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from .errors import ExpressionEvaluationError

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


def workdays(options, n, closing=None) -> datetime:
    """The JUEL function (``options["now"]`` is the pinned clock, ``options["calendar"]`` the calendar)."""
    calendar = options.get("calendar")
    if calendar is None:
        raise ExpressionEvaluationError("workdays(): no working-day calendar to count on", None)
    now = options.get("now") or datetime.now().astimezone()
    return calendar.due_moment(now, working_days(n), closing_time(closing))
