"""Working time of the provincial administration: when a reminder may go out.

Working hours are 08:00–17:00, Monday to Friday, in Asia/Ho_Chi_Minh, minus the
Vietnamese public holidays of `holidays.country_holidays("VN")` (Tết, 30/4, 1/5,
2/9, Giỗ Tổ Hùng Vương, their observed and substituted days off…). A time
outside them is moved, never dropped:

- `previous_working_slot` for a reminder *before* a deadline: the time itself if
  it is working time, else the last slot (16:30) of the nearest earlier working
  period, so it can never arrive after the deadline it announces;
- `next_working_slot` for an overdue notice or a digest: the time itself if it is
  working time, else 08:00 of the next working day.

Make-up working Saturdays are not modelled (the `holidays` package lists only
days off); such a Saturday simply counts as a day off.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.core.clock import DEFAULT_TZ

WORK_START = time(8, 0)
WORK_END = time(17, 0)
SLOT = timedelta(minutes=30)
MAX_DAYS_SEARCHED = 60  # Tết with its weekends is at most ~10 days off in a row

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@lru_cache(maxsize=1)
def _vn_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("VN", language="vi")


def weekday_vi(day: date) -> str:
    """ "Thứ Hai" … "Chủ nhật"."""
    return WEEKDAYS_VI[day.weekday()]


class WorkCalendar:
    """Working days and hours in one time zone (Vietnamese holidays by default)."""

    def __init__(
        self,
        tz: ZoneInfo = DEFAULT_TZ,
        *,
        start: time = WORK_START,
        end: time = WORK_END,
        slot: timedelta = SLOT,
        days_off: holidays.HolidayBase | None = None,
    ):
        if not start < end:
            raise ValueError("giờ bắt đầu làm việc phải trước giờ kết thúc")
        self.tz = tz
        self.start = start
        self.end = end
        self.slot = slot
        self._days_off = days_off if days_off is not None else _vn_holidays()
        last = datetime.combine(date(2000, 1, 3), end) - slot
        self.last_slot = max(last.time(), start)

    # -- days -----------------------------------------------------------------

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on `day` (Vietnamese name), if any."""
        name = self._days_off.get(day)
        return str(name) if name else None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def day_off_reason(self, day: date) -> str | None:
        """Why `day` is not a working day ("Chủ nhật", "Quốc khánh"…), None if it is one."""
        name = self.holiday_name(day)
        if name:
            return name
        if day.weekday() >= 5:
            return weekday_vi(day)
        return None

    def next_working_day(self, day: date) -> date:
        """The first working day on or after `day`."""
        for _ in range(MAX_DAYS_SEARCHED):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"không có ngày làm việc nào trong {MAX_DAYS_SEARCHED} ngày kể từ {day}")

    def previous_working_day(self, day: date) -> date:
        """The last working day on or before `day`."""
        for _ in range(MAX_DAYS_SEARCHED):
            if self.is_working_day(day):
                return day
            day -= timedelta(days=1)
        raise ValueError(f"không có ngày làm việc nào trong {MAX_DAYS_SEARCHED} ngày trước {day}")

    # -- times ----------------------------------------------------------------

    def at(self, day: date, when: time) -> datetime:
        """`day` at local time `when`, timezone-aware."""
        return datetime.combine(day, when, tzinfo=self.tz)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("thời điểm phải có múi giờ")
        return moment.astimezone(self.tz)

    def is_working_time(self, moment: datetime) -> bool:
        """True on a working day between 08:00 (included) and 17:00 (excluded)."""
        local = self.local(moment)
        return self.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_working_slot(self, moment: datetime) -> datetime:
        """`moment` if it is working time, else the start of the next working period."""
        local = self.local(moment)
        if self.is_working_time(local):
            return local
        day = local.date()
        if not (self.is_working_day(day) and local.time() < self.start):
            day = self.next_working_day(day + timedelta(days=1))
        return self.at(day, self.start)

    def previous_working_slot(self, moment: datetime) -> datetime:
        """`moment` if it is working time, else the last slot of the previous working period."""
        local = self.local(moment)
        if self.is_working_time(local):
            return local
        day = local.date()
        if not (self.is_working_day(day) and local.time() >= self.end):
            day = self.previous_working_day(day - timedelta(days=1))
        return self.at(day, self.last_slot)
