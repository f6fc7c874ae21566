"""The service's clock: aware datetimes in China Standard Time, movable by tests (never by sleeping)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(CHINA) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


CLOCK_START_VARIABLE = "ONETHING_CLOCK_START"


def clock_from_environment() -> Clock:
    """The service clock: now, or — when ``ONETHING_CLOCK_START`` holds an ISO date-time — a clock that
    starts at that moment and runs on (rehearsals, demos, and tests that run the service in other
    processes on a date the holiday calendar covers)."""
    start = os.environ.get(CLOCK_START_VARIABLE)
    if not start:
        return Clock()
    moment = datetime.fromisoformat(start)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=CHINA)
    return Clock(moment - datetime.now(CHINA))


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the contract shows times."""
    return None if value is None else value.astimezone(CHINA).isoformat(timespec="seconds")
