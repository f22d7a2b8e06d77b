"""Injected time: the bot never calls `datetime.now()` directly.

`SystemClock` reads the real time in the configured zone (Asia/Ho_Chi_Minh);
`FixedClock` lets tests and `ask --today` travel in time without sleeping.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real wall clock in a time zone."""

    def __init__(self, tz: ZoneInfo = DEFAULT_TZ):
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stays where it is set until moved (tests, `ask --today`)."""

    def __init__(self, at: datetime | date, tz: ZoneInfo = DEFAULT_TZ):
        self.tz = tz
        if not isinstance(at, datetime):
            at = datetime.combine(at, time(9, 0))
        self._now = at if at.tzinfo else at.replace(tzinfo=tz)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(self.tz).date()

    def set(self, at: datetime) -> None:
        self._now = at if at.tzinfo else at.replace(tzinfo=self.tz)

    def advance(self, delta: timedelta) -> None:
        self._now += delta
