"""The reminder planner: schedule, moves, stable keys, progress, and the message text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fake_bot_api import parse_html

from bot.core.clock import DEFAULT_TZ
from bot.plan.deadlines import Deadline
from bot.plan.loader import Knowledge
from bot.progress.view import ProgressView
from bot.reminders.calendar import WorkCalendar
from bot.reminders.occurrence import Occurrence, Snapshot
from bot.reminders.planner import ReminderPlanner, deadline_end
from bot.storage.base import NewUpdate
from bot.storage.reminder_records import ALL_AGENCIES, Subscription
from bot.storage.sqlite import SqliteDatabase, open_sqlite

CAL = WorkCalendar()
CHAT = -100500


def at(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DEFAULT_TZ)


def sub(agency: str = "syt", since: datetime | None = None, chat_id: int = CHAT) -> Subscription:
    since = since or at(2020, 1, 1)
    return Subscription(chat_id, agency, "Nhóm thử", 1, since, since)


def with_deadline(knowledge: Knowledge, key: str, deadline: Deadline) -> Knowledge:
    """The plan with the deadline of one assignment replaced (planner tests only)."""
    groups = []
    for group in knowledge.plan.groups:
        items = []
        for item in group.items:
            parts = tuple(
                a.model_copy(update={"deadline": deadline}) if item.assignment_key(a) == key else a
                for a in item.assignments
            )
            items.append(item.model_copy(update={"assignments": parts}))
        groups.append(group.model_copy(update={"items": tuple(items)}))
    plan = knowledge.plan.model_copy(update={"groups": tuple(groups)})
    return Knowledge(plan=plan, agencies=knowledge.agencies, plan_path=knowledge.plan_path)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = open_sqlite(tmp_path / "planbot.db", now=at(2023, 1, 1))
    yield database
    database.close()


async def report(db: SqliteDatabase, key: str, agency: str, status: str, when: datetime) -> None:
    item = key.rstrip("abc") if key[-1] in "abc" else key
    await db.insert_update(
        NewUpdate(item, key, agency, status, 100 if status == "done" else 50, None, 7, "A", when)  # type: ignore[arg-type]
    )


def plan(
    knowledge: Knowledge,
    subscription: Subscription,
    start: datetime,
    end: datetime,
    *,
    db: SqliteDatabase | None = None,
    as_of: datetime | None = None,
) -> list[Occurrence]:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, db, DEFAULT_TZ))
    return planner.occurrences(subscription, start, end, snap, as_of=as_of or start)


def times(found: list[Occurrence], kind_prefix: str = "") -> dict[str, datetime]:
    return {o.key: o.send_at for o in found if o.kind.startswith(kind_prefix)}


# ---------------------------------------------------------------- the schedule


def test_yearly_report_iii1_is_reminded_14_7_3_1_days_before(knowledge: Knowledge) -> None:
    found = plan(knowledge, sub("syt"), at(2026, 11, 1, 0), at(2026, 11, 30, 23))
    before = times(found, "before")
    assert before == {
        "before-14:III.1:2026-11-16": at(2026, 11, 16),
        "before-7:III.1:2026-11-23": at(2026, 11, 23),
        "before-3:III.1:2026-11-27": at(2026, 11, 27),
        # 29/11/2026 is a Sunday: moved to Friday, onto the "3 days" reminder → together
        "before-1:III.1:2026-11-29": at(2026, 11, 27),
    }
    end = deadline_end(_iii1_deadline(knowledge), date(2026, 11, 30), CAL)
    assert end == at(2026, 11, 30, 0)  # "Trước ngày 30/11": due before that day
    assert all(o.send_at < end for o in found if o.category == "before")
    assert not [o for o in found if o.kind == "before-0"]


def _iii1_deadline(knowledge: Knowledge) -> Deadline:
    item = next(i for i in knowledge.plan.items if i.id == "III.1")
    return item.assignments[0].deadline


def test_sunday_deadline_30_11_2025_moves_reminders_to_friday(knowledge: Knowledge) -> None:
    """30/11/2025 is a Sunday, and so are 16/11 and 23/11."""
    found = plan(knowledge, sub("syt"), at(2025, 11, 1, 0), at(2025, 11, 30, 23))
    before = {o.kind: o for o in found if o.category == "before"}
    assert before["before-14"].send_at == at(2025, 11, 14, 16, 30)
    assert before["before-7"].send_at == at(2025, 11, 21, 16, 30)
    assert before["before-3"].send_at == at(2025, 11, 27, 8, 0)  # Thursday: not moved
    assert before["before-1"].send_at == at(2025, 11, 28, 16, 30)  # Saturday → Friday
    assert before["before-1"].moved and not before["before-3"].moved
    planner = ReminderPlanner(knowledge, CAL)
    assert "dời từ Thứ Bảy 29/11 (Thứ Bảy)" in planner.messages.describe(before["before-1"])


def test_dated_deadline_7_3_1_and_on_the_day_around_quoc_khanh(knowledge: Knowledge) -> None:
    """Due Tue 2/9/2025 (Quốc khánh, with Mon 1/9): the last three reminders would fall on
    Sat 30/8, Mon 1/9, Tue 2/9 — all move back to Friday 29/8 and go together, before the
    deadline; overdue notices follow weekly, moved forward."""
    due = Deadline(kind="date", text="Ngày 02/9/2025", on=date(2025, 9, 2))
    changed = with_deadline(knowledge, "2.4", due)
    found = plan(changed, sub("snv"), at(2025, 8, 20, 0), at(2025, 9, 30, 23))
    assert times(found, "before") == {
        "before-7:2.4:2025-08-26": at(2025, 8, 26),
        "before-3:2.4:2025-08-30": at(2025, 8, 29, 16, 30),
        "before-1:2.4:2025-09-01": at(2025, 8, 29, 16, 30),
        "before-0:2.4:2025-09-02": at(2025, 8, 29, 16, 30),
    }
    assert times(found, "overdue") == {
        "overdue:2.4:2025-09-09": at(2025, 9, 9),
        "overdue:2.4:2025-09-16": at(2025, 9, 16),
        "overdue:2.4:2025-09-23": at(2025, 9, 23),
        "overdue:2.4:2025-09-30": at(2025, 9, 30),
    }


def test_overdue_notice_on_a_holiday_or_weekend_moves_forward(knowledge: Knowledge) -> None:
    # due Tue 26/8/2025 → first overdue notice Tue 2/9 (Quốc khánh) → Wed 3/9
    changed = with_deadline(
        knowledge, "2.4", Deadline(kind="date", text="Ngày 26/8/2025", on=date(2025, 8, 26))
    )
    found = plan(changed, sub("snv"), at(2025, 9, 1, 0), at(2025, 9, 5, 23))
    assert times(found, "overdue") == {"overdue:2.4:2025-09-02": at(2025, 9, 3)}
    # due Sat 30/8/2025 → Sat 6/9 → Mon 8/9
    changed = with_deadline(
        knowledge, "2.4", Deadline(kind="date", text="Ngày 30/8/2025", on=date(2025, 8, 30))
    )
    found = plan(changed, sub("snv"), at(2025, 9, 5, 0), at(2025, 9, 9, 23))
    assert times(found, "overdue") == {"overdue:2.4:2025-09-06": at(2025, 9, 8)}


def test_tet_deferral(knowledge: Knowledge) -> None:
    """Tết 2026 (16–20/2): Monday's digest waits until 23/2 and goes out with that week's;
    a deadline in Tết has every reminder on Friday 13/2."""
    changed = with_deadline(
        knowledge, "2.4", Deadline(kind="date", text="Trong tháng 02/2026", on=date(2026, 2, 20))
    )
    found = plan(changed, sub("snv"), at(2026, 2, 9, 0), at(2026, 2, 27, 23))
    digests = times(found, "digest")
    assert digests == {
        "digest:week:2026-02-09": at(2026, 2, 9),
        "digest:week:2026-02-16": at(2026, 2, 23),
        "digest:week:2026-02-23": at(2026, 2, 23),
    }
    before = times(found, "before")
    assert set(before.values()) == {at(2026, 2, 13)}  # 13/2 08:00: "7 days" plus the moved ones
    assert len(before) == 4
    assert times(found, "overdue") == {"overdue:2.4:2026-02-27": at(2026, 2, 27)}


async def test_quarter_deadline_overdue_every_week_until_reported_done(
    knowledge: Knowledge, db: SqliteDatabase
) -> None:
    """2.4 (Sở Nội vụ, "Trong quý II/2023") is long overdue: a notice every Friday."""
    found = plan(knowledge, sub("snv"), at(2026, 11, 1, 0), at(2026, 11, 30, 23), db=db)
    assert list(times(found, "overdue")) == [
        f"overdue:2.4:2026-11-{d:02d}" for d in (6, 13, 20, 27)
    ]
    await report(db, "2.4", "snv", "done", at(2026, 11, 16, 10))
    found = plan(
        knowledge,
        sub("snv"),
        at(2026, 11, 1, 0),
        at(2026, 11, 30, 23),
        db=db,
        as_of=at(2026, 11, 1),
    )
    assert list(times(found, "overdue")) == ["overdue:2.4:2026-11-06", "overdue:2.4:2026-11-13"]
    # asked after the report (a catch-up), the earlier notices are not sent either
    found = plan(
        knowledge,
        sub("snv"),
        at(2026, 11, 1, 0),
        at(2026, 11, 30, 23),
        db=db,
        as_of=at(2026, 11, 17),
    )
    assert not times(found, "overdue")


async def test_done_stops_the_yearly_reminders_for_that_year_only(
    knowledge: Knowledge, db: SqliteDatabase
) -> None:
    await report(db, "III.1", "syt", "done", at(2026, 11, 10, 9))
    found = plan(knowledge, sub("syt"), at(2026, 11, 1, 0), at(2027, 11, 30, 23), db=db)
    before = times(found, "before")
    assert not [k for k in before if "2026" in k]
    assert "before-14:III.1:2027-11-16" in before
    # another agency's report changes nothing for Sở Y tế's neighbour
    other = plan(knowledge, sub("snv"), at(2026, 11, 1, 0), at(2026, 11, 30, 23), db=db)
    assert "before-7:III.1:2026-11-23" in times(other, "before")


def test_reminders_past_their_deadline_are_left_to_the_overdue_notice(
    knowledge: Knowledge,
) -> None:
    """Catch-up on 2/12/2026 after downtime since 20/11: the before-reminders of III.1
    would arrive after 30/11, so they are not planned; digests and overdue are."""
    found = plan(
        knowledge, sub("snv"), at(2026, 11, 20, 9), at(2026, 12, 2, 10), as_of=at(2026, 12, 2, 10)
    )
    assert not times(found, "before")
    assert times(found, "digest") and times(found, "overdue")


def test_keys_are_stable_whatever_the_window(knowledge: Knowledge) -> None:
    """Planning a month at once or tick by tick gives the same keys and times."""
    whole = plan(knowledge, sub(ALL_AGENCIES), at(2025, 11, 1, 0), at(2025, 12, 31, 23))
    pieces: list[Occurrence] = []
    start = at(2025, 11, 1, 0)
    while start < at(2025, 12, 31, 23):
        end = start + timedelta(hours=7)
        pieces += plan(knowledge, sub(ALL_AGENCIES), start, end - timedelta(microseconds=1))
        start = end
    assert times(whole) == times(pieces)
    assert len({o.key for o in whole}) == len(whole)
    assert all(CAL.is_working_time(o.send_at) for o in whole)


def test_window_bounds_are_inclusive(knowledge: Knowledge) -> None:
    found = plan(knowledge, sub("syt"), at(2026, 11, 23), at(2026, 11, 23))
    assert set(times(found)) == {"before-7:III.1:2026-11-23", "digest:week:2026-11-23"}


async def test_what_each_chat_follows(knowledge: Knowledge, db: SqliteDatabase) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    dated = lambda agency: sorted(  # noqa: E731
        f.key
        for f in planner.followed(agency, date(2026, 11, 23))
        if f.assignment.deadline.is_dated
    )
    assert dated("snv") == ["2.4", "III.1"]  # chủ trì 2.4; III.1 as one of "các sở"
    assert dated("stc") == ["III.1"]  # only phối hợp in 2.4: not reminded of it
    assert dated("vp_ubnd") == ["4.2b", "III.1"]
    assert dated(None) == ["2.4", "4.2b", "III.1"]
    # ALL: done only when every responsible agency reported done
    await report(db, "2.4", "snv", "done", at(2026, 11, 2, 9))
    found = plan(knowledge, sub(ALL_AGENCIES), at(2026, 11, 1, 0), at(2026, 11, 30, 23), db=db)
    assert {o.subject for o in found if o.category == "overdue"} == {"4.2b"}


# ---------------------------------------------------------------- the message


def test_merged_message_names_items_deadline_words_and_capnhat(knowledge: Knowledge) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    subscription = sub("snv")
    now = at(2026, 11, 23, 10)
    due = planner.occurrences(subscription, at(2026, 11, 16, 0), now, snap, as_of=now)
    assert [o.key for o in due] == [
        "before-14:III.1:2026-11-16",
        "digest:week:2026-11-16",
        "overdue:2.4:2026-11-20",
        "before-7:III.1:2026-11-23",
        "digest:week:2026-11-23",
    ]
    html = planner.messages.compose_html(subscription, due, snap, now)
    text = parse_html(html)  # valid Telegram HTML
    assert len(html) < 4096
    assert "Sở Nội vụ" in text
    assert "Gộp các nhắc việc chưa gửi được từ 08:00 16/11/2026" in text
    assert text.count("III.1 (thực hiện)") == 1  # 14 and 7 days merged: said once
    assert "Trước ngày 30/11 hàng năm (30/11/2026) — còn 7 ngày" in text
    assert "Trong quý II/2023 (30/06/2023) — quá hạn" in text
    assert text.count("Tổng hợp tuần") == 1  # two digests, one section
    assert "/capnhat III.1 đã hoàn thành" in text
    assert "/capnhat <số mục>" in text


async def test_message_for_all_agencies_lists_who_has_not_finished(
    knowledge: Knowledge, db: SqliteDatabase
) -> None:
    await report(db, "III.1", "snv", "done", at(2026, 11, 20, 9))
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, db, DEFAULT_TZ))
    now = at(2026, 11, 23, 8)
    subscription = sub(ALL_AGENCIES)
    due = planner.occurrences(subscription, now, now, snap, as_of=now)
    text = parse_html(planner.messages.compose_html(subscription, due, snap, now))
    assert "tất cả cơ quan" in text
    # the agencies of 23/11/2026: merged departments once, the 45 communes, no district
    (waiting,) = [line for line in text.splitlines() if "Chưa hoàn thành (63/64 cơ quan)" in line]
    assert "Sở Tài chính" in waiting and "Sở Nội vụ" not in waiting


def test_text_from_the_plan_is_escaped(knowledge: Knowledge) -> None:
    tricky = Deadline(kind="date", text="Trước <b>ngày</b> 5 & 6/12/2026", on=date(2026, 12, 6))
    changed = with_deadline(knowledge, "2.4", tricky)
    planner = ReminderPlanner(changed, CAL)
    snap = Snapshot(ProgressView(changed, None, DEFAULT_TZ))
    now = at(2026, 11, 30, 8)
    due = planner.occurrences(sub("snv"), now, now, snap, as_of=now)
    html = planner.messages.compose_html(sub("snv"), due, snap, now)
    assert "Trước &lt;b&gt;ngày&lt;/b&gt; 5 &amp; 6/12/2026" in html
    assert "Trước <b>ngày</b> 5 & 6/12/2026" in parse_html(html)


async def test_digest_flags_blockers_beside_the_status_without_nested_brackets(
    knowledge: Knowledge, db: SqliteDatabase
) -> None:
    """«Vướng mắc» is a flag beside the national status in the Monday digest, for an
    agency's group and for the group following every agency (issue 16); the chart goes
    only to the latter."""
    await report(db, "6b", "snv", "blocked", at(2026, 11, 20, 9))
    await report(db, "2.4", "snv", "blocked", at(2026, 11, 20, 9))
    await report(db, "6a", "syt", "in_progress", at(2026, 11, 20, 9))
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, db, DEFAULT_TZ))
    now = at(2026, 11, 23, 8)

    own = sub("snv")
    due = planner.occurrences(own, now, now, snap, as_of=now)
    text = parse_html(planner.messages.compose_html(own, due, snap, now))
    assert "6b: đang thực hiện trong hạn, ⚠️ vướng mắc" in text
    assert "(trong hạn)" not in text and "(đang thực hiện" not in text
    (late,) = [line for line in text.splitlines() if line.startswith("• 2.4 —")]
    assert late.endswith("— ⚠️ vướng mắc")
    assert planner.messages.digest_chart_caption(own, due, now) is None

    office = sub(ALL_AGENCIES)
    due = planner.occurrences(office, now, now, snap, as_of=now)
    text = parse_html(planner.messages.compose_html(office, due, snap, now))
    assert "⚠️ Có vướng mắc (2): 2.4 (Sở Nội vụ); 6b (Sở Nội vụ)." in text
    assert "6b (1/1, ⚠️ vướng mắc)" in text and "6a (1/64)" in text
    caption = planner.messages.digest_chart_caption(office, due, now)
    assert caption is not None and "23/11/2026" in caption
    before = [o for o in due if o.category != "digest"]
    assert planner.messages.digest_chart_caption(office, before, now) is None
