"""Reminders that stop nagging (issue 16): a few weekly overdue notices of an item to a
group, then once a month; a date instead of an ever-growing count of days; one item
silenced by a group admin (/tatnhacviec 2.4, /batnhacviec 2.4, shown by /lichnhac); the
preview of a group that has not subscribed (`reminders --agency`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import PLAN
from fake_bot_api import parse_html
from test_reminders_e2e import (
    GROUP_ADMIN,
    MEMBER,
    SNV_GROUP,
    World,
    at,
    command,
    texts,
    world,  # noqa: F401  (the fixture)
)
from test_reminders_planner import CAL, plan, sub, with_deadline

from bot.__main__ import main
from bot.core.clock import DEFAULT_TZ
from bot.plan.deadlines import Deadline
from bot.plan.loader import Knowledge
from bot.progress.view import ProgressView
from bot.reminders.occurrence import ChatHistory, Snapshot
from bot.reminders.planner import OVERDUE_WEEKLY_NOTICES, ReminderPlanner


def overdue_keys(found: list) -> list[str]:  # type: ignore[type-arg]
    return [o.key for o in found if o.kind == "overdue"]


def test_weekly_overdue_notices_stop_after_a_few(knowledge: Knowledge) -> None:
    """2.4 (Sở Nội vụ) is overdue since 30/06/2023: a group that never had a notice gets
    three, on the Fridays after it subscribed; one that had three gets none."""
    fresh = ChatHistory()
    found = plan(knowledge, sub("snv", at(2026, 11, 1, 0)), at(2026, 11, 1, 0), at(2027, 1, 31, 23))
    assert len(overdue_keys(found)) > OVERDUE_WEEKLY_NOTICES  # without history: every week
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    subscription = sub("snv", at(2026, 11, 1, 0))
    capped = planner.occurrences(
        subscription, at(2026, 11, 1, 0), at(2027, 1, 31, 23), snap, as_of=at(2026, 11, 1, 0),
        history=fresh,
    )  # fmt: skip
    assert [k for k in overdue_keys(capped) if ":2.4:" in k] == [
        "overdue:2.4:2026-11-06",
        "overdue:2.4:2026-11-13",
        "overdue:2.4:2026-11-20",
    ]
    had = ChatHistory(
        overdue_sent={"2.4": frozenset({date(2026, 11, 6), date(2026, 11, 13), date(2026, 11, 20)})}
    )
    later = planner.occurrences(
        subscription, at(2026, 11, 21, 0), at(2027, 1, 31, 23), snap, as_of=at(2026, 11, 21, 0),
        history=had,
    )  # fmt: skip
    assert not [k for k in overdue_keys(later) if ":2.4:" in k]
    # notices of an earlier deadline do not count for the next one
    assert had.overdue_count("2.4", date(2026, 11, 30)) == 0


def test_then_once_a_month_in_the_digest_and_the_day_count_becomes_a_date(
    knowledge: Knowledge,
) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    subscription = sub("snv")
    had = ChatHistory(overdue_sent={"2.4": frozenset({date(2026, 11, 6), date(2026, 11, 13),
                                                      date(2026, 11, 20)})})  # fmt: skip

    def digest_on(day: datetime) -> str:
        due = [
            o
            for o in planner.occurrences(subscription, day, day, snap, as_of=day, history=had)
            if o.category == "digest"
        ]
        assert due, day
        return parse_html(planner.compose_html(subscription, due, snap, day, had))

    first_monday = digest_on(at(2026, 12, 7))
    assert "Việc quá hạn lâu" in first_monday
    assert "quá hạn từ 30/06/2023" in first_monday and "1255 ngày" not in first_monday
    assert "2.4 (chủ trì, thực hiện)" in first_monday
    second_monday = digest_on(at(2026, 12, 14))
    assert "Việc quá hạn lâu" not in second_monday and "2.4 (chủ trì" not in second_monday
    assert "Quá hạn lâu, nhắc mỗi tháng một lần (Thứ Hai đầu tháng): 2.4." in second_monday
    assert "• 2.4 —" not in second_monday  # not among the week's list any more


def test_sixty_days_overdue_is_a_count_then_a_date(knowledge: Knowledge) -> None:
    changed = with_deadline(
        knowledge, "2.4", Deadline(kind="date", text="Ngày 01/9/2026", on=date(2026, 9, 1))
    )
    planner = ReminderPlanner(changed, CAL)
    snap = Snapshot(ProgressView(changed, None, DEFAULT_TZ))

    def notice(day: datetime) -> str:
        due = [
            o
            for o in planner.occurrences(sub("snv"), day, day, snap, as_of=day)
            if o.kind == "overdue"
        ]
        assert due, day
        return parse_html(planner.messages.compose_html(sub("snv"), due, snap, day))

    assert "— quá hạn 56 ngày, chưa báo cáo" in notice(at(2026, 10, 27))  # a Tuesday
    later = notice(at(2026, 11, 3))
    assert "quá hạn từ 01/09/2026, chưa báo cáo" in later and "63 ngày" not in later


def test_a_silenced_item_is_left_out(knowledge: Knowledge) -> None:
    planner = ReminderPlanner(knowledge, CAL)
    snap = Snapshot(ProgressView(knowledge, None, DEFAULT_TZ))
    start, end = at(2026, 11, 1, 0), at(2026, 11, 30, 23)
    quiet = ChatHistory(muted=frozenset({"2.4"}))
    found = planner.occurrences(sub("snv"), start, end, snap, as_of=start, history=quiet)
    assert not [o for o in found if o.subject == "2.4"]
    assert [o for o in found if o.subject == "III.1"]  # the others still come
    digest = [o for o in found if o.category == "digest"][:1]
    text = parse_html(planner.compose_html(sub("snv"), digest, snap, digest[0].send_at, quiet))
    assert "Nhóm đã tắt nhắc riêng: 2.4" in text and "• 2.4 —" not in text


# ---------------------------------------------------------------- end to end


async def test_three_fridays_then_the_months_first_monday(world: World) -> None:  # noqa: F811
    api = world.api
    world.clock.set(at(2026, 11, 2, 9))
    bot = await world.start()
    await world.subscribe(bot, SNV_GROUP, "snv", "Sở Nội vụ")
    notices = []
    for day in (6, 13, 20, 27):
        world.clock.set(at(2026, 11, day, 8))
        since = api.mark()
        await bot.tick()
        notices.append("\n".join(texts(api.sent(SNV_GROUP, since=since))))
    assert ["⏰ Quá hạn" in n and "2.4 (chủ trì" in n for n in notices] == [
        True,
        True,
        True,
        False,
    ]
    assert "quá hạn từ 30/06/2023" in notices[0] and "1225 ngày" not in notices[0]
    schedule = await command(world, SNV_GROUP, MEMBER, "/lichnhac")
    assert "Nhắc mỗi tháng một lần (đã nhắc quá hạn 3 tuần): 2.4" in schedule
    world.clock.set(at(2026, 12, 7, 8))
    since = api.mark()
    await bot.tick()
    (monthly,) = texts(api.sent(SNV_GROUP, since=since))
    assert "Việc quá hạn lâu" in monthly and "2.4 (chủ trì" in monthly


async def test_silence_one_item_and_undo(world: World) -> None:  # noqa: F811
    api = world.api
    bot = await world.start()
    api.group(SNV_GROUP, "Sở Nội vụ")
    await world.link(bot, SNV_GROUP, "snv")
    api.make_admin(SNV_GROUP, GROUP_ADMIN)
    assert "Đã bật nhắc việc" in await command(world, SNV_GROUP, GROUP_ADMIN, "/nhacviec")
    assert "Chỉ quản trị viên" in await command(world, SNV_GROUP, MEMBER, "/tatnhacviec 2.4")
    assert "Không có mục «9.9»" in await command(world, SNV_GROUP, GROUP_ADMIN, "/tatnhacviec 9.9")
    off = await command(world, SNV_GROUP, GROUP_ADMIN, "/tatnhacviec 2.4")
    assert "Đã tắt nhắc mục 2.4" in off and "/batnhacviec 2.4" in off
    sub_now = bot.services.store.get(SNV_GROUP)
    assert sub_now is not None and not sub_now.paused  # the other items still come
    schedule = await command(world, SNV_GROUP, MEMBER, "/lichnhac")
    assert "Đã tắt nhắc riêng: 2.4" in schedule and "mục 2.4 quá hạn" not in schedule
    assert "nhắc hạn mục III.1" in schedule

    world.clock.set(at(2026, 11, 27, 8))  # a Friday: 2.4 would be overdue again
    since = api.mark()
    await bot.tick()
    (friday,) = texts(api.sent(SNV_GROUP, since=since))
    assert "III.1" in friday and "2.4 (chủ trì" not in friday

    listed = await command(world, SNV_GROUP, GROUP_ADMIN, "/batnhacviec")
    assert "Các mục nhóm đã tắt nhắc: 2.4" in listed
    on = await command(world, SNV_GROUP, GROUP_ADMIN, "/batnhacviec 2.4")
    assert "Đã bật lại nhắc mục 2.4" in on
    assert "mục 2.4 quá hạn" in await command(world, SNV_GROUP, MEMBER, "/lichnhac")
    actions = [(e.action, e.detail) for e in bot.services.store.events(SNV_GROUP)]
    assert ("muted", "2.4") in actions and ("unmuted", "2.4") in actions


# ---------------------------------------------------------------- preview (CLI)


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "data" / "planbot.db"
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PLAN_PATH", str(PLAN))
    return db


def test_preview_says_why_nothing_and_previews_a_named_agency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _cli_env(monkeypatch, tmp_path)
    assert main(["reminders", "--today", "2026-11-20", "--days", "14"]) == 0
    out = capsys.readouterr().out
    assert "tính theo các nhóm đã bật nhắc việc" in out and '--agency "Sở Nội vụ"' in out

    assert main(["reminders", "--today", "2026-11-20", "--days", "14", "--agency", "snv"]) == 0
    out = capsys.readouterr().out
    assert "── 08:00 Thứ Sáu 20/11/2026 · nhóm giả định (Sở Nội vụ)" in out
    assert "Quá hạn" in out and "Trước ngày 30/11 hàng năm (30/11/2026) — còn 7 ngày" in out
    assert "Tổng cộng: " in out and " tin tới nhóm giả định từ 20/11/2026" in out
    assert not db.exists()  # still nothing created

    assert main(["reminders", "--today", "2026-11-20", "--agency", "tất cả"]) == 0
    assert "(tất cả cơ quan)" in capsys.readouterr().out
    assert main(["reminders", "--today", "2026-11-20", "--agency", "Sở Kế hoạch và Đầu tư"]) == 1
    assert "Sở Tài chính" in capsys.readouterr().err  # ended: the successor is named
    assert main(["reminders", "--today", "2026-11-20", "--agency", "qwzx"]) == 1
    assert "không tìm thấy" in capsys.readouterr().err
