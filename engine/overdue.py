"""When a step is overdue (R5.3): one rule for every view, page and count.

Two questions, named apart because the pages show both: is a step *late now* (open and past its due
moment: 当前超时), and *was it late* (it is late now, or it finished after its due moment: 超时办结 counts
it). Due moments are end-of-day or closing-time moments counted on the working-day calendar.
"""

from __future__ import annotations

from datetime import datetime


def late_now(due_at: datetime | None, now: datetime, finished_at: datetime | None = None) -> bool:
    """Open and past its due moment."""
    return finished_at is None and due_at is not None and now > due_at


def is_overdue(due_at: datetime | None, now: datetime, finished_at: datetime | None = None) -> bool:
    """Late now, or finished after its due moment."""
    return due_at is not None and (finished_at or now) > due_at
