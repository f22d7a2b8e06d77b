"""Working time for reminders: hours, weekends, Vietnamese holidays, moving a slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.clock import DEFAULT_TZ
from bot.reminders.calendar import WorkCalendar, weekday_vi

CAL = WorkCalendar()


def at(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DEFAULT_TZ)


def test_working_hours_are_eight_to_five_monday_to_friday() -> None:
    monday = at(2026, 11, 23)
    assert weekday_vi(monday.date()) == "Thứ Hai"
    assert CAL.is_working_time(monday)
    assert CAL.is_working_time(at(2026, 11, 23, 16, 59))
    assert not CAL.is_working_time(at(2026, 11, 23, 7, 59))
    assert not CAL.is_working_time(at(2026, 11, 23, 17, 0))
    assert not CAL.is_working_time(at(2026, 11, 28, 10))  # Saturday
    assert not CAL.is_working_time(at(2026, 11, 29, 10))  # Sunday
    # the zone is Asia/Ho_Chi_Minh whatever zone the time comes in
    assert CAL.is_working_time(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 08:00 ICT
    with pytest.raises(ValueError):
        CAL.is_working_time(datetime(2026, 11, 23, 9, 0))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 9, 2), "Quốc khánh"),
        (date(2025, 9, 1), "Quốc khánh"),
        (date(2026, 2, 17), "Tết Nguyên Đán"),
        (date(2026, 4, 30), "Ngày Chiến thắng"),
        (date(2026, 5, 1), "Ngày Quốc tế Lao động"),
    ],
)
def test_vietnamese_public_holidays_are_days_off(day: date, name: str) -> None:
    assert not CAL.is_working_day(day)
    reason = CAL.day_off_reason(day)
    assert reason is not None and name in reason


def test_next_working_slot_for_overdue_notices_and_digests() -> None:
    assert CAL.next_working_slot(at(2026, 11, 23, 9, 15)) == at(2026, 11, 23, 9, 15)
    assert CAL.next_working_slot(at(2026, 11, 23, 6, 0)) == at(2026, 11, 23, 8, 0)
    assert CAL.next_working_slot(at(2026, 11, 27, 18, 0)) == at(2026, 11, 30, 8, 0)  # Fri → Mon
    assert CAL.next_working_slot(at(2026, 11, 29, 8, 0)) == at(2026, 11, 30, 8, 0)  # Sun → Mon
    # Quốc khánh 2025: Mon 1/9 and Tue 2/9 off → Wednesday
    assert CAL.next_working_slot(at(2025, 9, 1, 8, 0)) == at(2025, 9, 3, 8, 0)
    # Tết 2026 (16–20/2) with both weekends: nine days off → Monday 23/2
    assert CAL.next_working_slot(at(2026, 2, 16, 8, 0)) == at(2026, 2, 23, 8, 0)


def test_previous_working_slot_for_reminders_before_a_deadline() -> None:
    assert CAL.previous_working_slot(at(2026, 11, 23, 9, 15)) == at(2026, 11, 23, 9, 15)
    # 30/11/2025 is a Sunday: a Saturday or Sunday reminder goes out Friday afternoon
    assert CAL.previous_working_slot(at(2025, 11, 29, 8, 0)) == at(2025, 11, 28, 16, 30)
    assert CAL.previous_working_slot(at(2025, 11, 30, 8, 0)) == at(2025, 11, 28, 16, 30)
    assert CAL.previous_working_slot(at(2026, 11, 23, 7, 0)) == at(2026, 11, 20, 16, 30)
    assert CAL.previous_working_slot(at(2026, 11, 23, 19, 0)) == at(2026, 11, 23, 16, 30)
    # Tết 2026: back to Friday 13/2
    assert CAL.previous_working_slot(at(2026, 2, 18, 8, 0)) == at(2026, 2, 13, 16, 30)
    # 2/9/2026: 31/8 (substituted), 1/9 and 2/9 off → Friday 28/8
    assert CAL.previous_working_slot(at(2026, 9, 2, 8, 0)) == at(2026, 8, 28, 16, 30)


_MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=DEFAULT_TZ)
)


@settings(max_examples=300, deadline=None)
@given(_MOMENTS)
def test_moved_slots_are_working_time_and_nearest(moment: datetime) -> None:
    """Never dropped: the moved time is working time, on the right side, and no working
    time lies between (checked every 30 minutes)."""
    later = CAL.next_working_slot(moment)
    earlier = CAL.previous_working_slot(moment)
    assert CAL.is_working_time(later) and later >= moment
    assert CAL.is_working_time(earlier) and earlier <= moment
    assert later - moment < timedelta(days=12) and moment - earlier < timedelta(days=12)
    probe = moment + timedelta(minutes=30)
    while probe < later:
        assert not CAL.is_working_time(probe)
        probe += timedelta(minutes=30)
    probe = moment - timedelta(minutes=30)
    while probe > earlier + CAL.slot:
        assert not CAL.is_working_time(probe)
        probe -= timedelta(minutes=30)
