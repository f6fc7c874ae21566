"""The service's clock: aware datetimes in China Standard Time, movable by tests (never by sleeping)."""

from __future__ import annotations

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


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the contract shows times."""
    return None if value is None else value.astimezone(CHINA).isoformat(timespec="seconds")
