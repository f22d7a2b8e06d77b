"""Reminders end to end: the real Application on the fake Bot API, an injected clock.

Each test runs `bot.telegram.app.serve` with the reminders feature against
`FakeBotApi` (real long polling for the commands), moves a `FixedClock` and calls
the engine's `tick` directly — the JobQueue job is registered but its interval
is an hour, so it never fires during a test; nothing sleeps. A "restart" is a new
database connection, reminder store, engine and Application on the same file.

Rate limits: the 200-group broadcast shares a virtual time source between the
engine's `Pacer` and the fake server's limit check (`enforce_rate_limits`), so
the ~6 s a real broadcast takes at 30 messages a second pass in virtual time,
with every one of the 200 requests really sent over HTTP. PTB's own
AIORateLimiter (real time) is off in these tests (`rate_limiter=False`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PLAN, ScriptedBrain
from fake_bot_api import FakeBotApi, parse_html
from serve_helpers import serve_until_ready
from world import BotWorld, bot_world, link_groups

from bot.__main__ import main
from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.reminders.engine import Pacer, RateLimits, TickReport
from bot.reminders.handlers import JOB_NAME, ReminderServices, RemindersFeature
from bot.storage.reminder_records import ALL_AGENCIES
from bot.storage.sqlite import SqliteDatabase
from bot.telegram.app import serve

BOT_ADMIN = 900001  # ADMIN_IDS of make_settings
GROUP_ADMIN = FakeBotApi.user(601, "Hà", "ha_admin")
MEMBER = FakeBotApi.user(602, "Bình")
SNV_REPORTER = 610
SNV_GROUP, SYT_GROUP, VP_GROUP = -1001001, -1001002, -1001003


def at(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DEFAULT_TZ)


class Crash(BaseException):
    """Stands for the process being killed (not an Exception: nothing catches it)."""


class CrashingPacer(Pacer):
    """A pacer that "kills the process" before the n-th send."""

    def __init__(self, crash_before: int):
        super().__init__()
        self.crash_before = crash_before
        self.waits = 0

    async def wait(self, chat_id: int) -> None:
        self.waits += 1
        if self.waits == self.crash_before:
            raise Crash
        await super().wait(chat_id)


class VirtualTime:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class RunningBot:
    services: ReminderServices
    db: SqliteDatabase
    task: asyncio.Task[int]
    stop: asyncio.Event

    async def tick(self) -> TickReport:
        return await self.services.engine.tick()


class World(BotWorld):
    """The shared bot world; here a "process" is its own connection, reminder services
    and Application (`RunningBot`), several of them over the test's life."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.running: list[RunningBot] = []

    async def start(self, pacer: Pacer | None = None) -> RunningBot:
        """Start the bot like a fresh process on the same database file."""
        db = self.open_database()
        services = ReminderServices.create(
            self.knowledge,
            db,
            self.clock,
            access=self.progress_service(db),
            pacer=pacer,
            tick_seconds=3600,
            first_tick_seconds=3600,
        )
        task, stop = await serve_until_ready(
            lambda stop, ready: serve(
                self.settings,
                ScriptedBrain(self.knowledge),
                stop=stop,
                ready=ready,
                clock=self.clock,
                base_url=self.api.base_url,
                rate_limiter=False,
                features=[RemindersFeature(services)],
                database=db,
            )
        )
        bot = RunningBot(services, db, task, stop)
        self.running.append(bot)
        return bot

    async def stop(self, bot: RunningBot) -> None:
        bot.stop.set()
        assert await asyncio.wait_for(bot.task, 10) == 0
        bot.services.close()
        bot.db.close()
        self.running.remove(bot)

    def access(self, bot: RunningBot) -> ProgressService:
        access = bot.services.access
        assert isinstance(access, ProgressService)
        return access

    async def link(self, bot: RunningBot, chat_id: int, agency: str) -> None:
        await link_groups(
            self.access(bot), BOT_ADMIN, {chat_id: agency}, requested_by=GROUP_ADMIN["id"]
        )

    async def subscribe(self, bot: RunningBot, chat_id: int, agency: str, title: str = "") -> None:
        self.api.group(chat_id, title or f"Nhóm {chat_id}")
        await bot.services.store.subscribe(chat_id, agency, title or None, 601, self.clock.now())


@pytest.fixture
async def world(
    token: str, knowledge: Knowledge, make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[World]:
    path = tmp_path / "reminders.db"
    settings = make_settings(database_url=f"sqlite:///{path}")
    clock = FixedClock(at(2026, 11, 20, 9))
    async with bot_world(
        lambda api: World(api, knowledge, settings, clock, path), token, check_rejected=False
    ) as w:
        try:
            yield w
        finally:
            for bot in list(w.running):
                await w.stop(bot)


def texts(calls: list[Any]) -> list[str]:
    return [parse_html(c.params["text"]) for c in calls]


async def command(world: World, chat_id: int, user: dict[str, Any], text: str) -> str:
    _, call = await world.exchange(user, text, world.api.chats[chat_id])
    return parse_html(call.params["text"])


# ---------------------------------------------------------------- commands and timing


async def test_subscription_and_a_reminder_at_the_right_local_time(world: World) -> None:
    api = world.api
    bot = await world.start()
    jobs = bot.services.application.job_queue.get_jobs_by_name(JOB_NAME)  # type: ignore[union-attr]
    assert len(jobs) == 1  # the periodic tick is scheduled (an hour apart in tests)
    api.group(SNV_GROUP, "Sở Nội vụ — theo dõi KH 91")
    await world.link(bot, SNV_GROUP, "snv")
    api.make_admin(SNV_GROUP, GROUP_ADMIN)

    refused = await command(world, SNV_GROUP, MEMBER, "/nhacviec")
    assert "Chỉ quản trị viên của nhóm" in refused
    assert bot.services.store.get(SNV_GROUP) is None
    done = await command(world, SNV_GROUP, GROUP_ADMIN, "/nhacviec")
    assert "Đã bật nhắc việc cho nhóm: Sở Nội vụ" in done
    assert "08:00 Thứ Hai 23/11/2026" in done  # the next ones are listed
    sub = bot.services.store.get(SNV_GROUP)
    assert sub is not None and sub.agency_id == "snv" and sub.created_by == GROUP_ADMIN["id"]
    schedule = await command(world, SNV_GROUP, MEMBER, "/lichnhac")
    assert "Lịch nhắc việc của nhóm — Sở Nội vụ" in schedule
    assert (
        "08:00 Thứ Hai 23/11/2026 — nhắc hạn mục III.1 (hạn 30/11/2026, trước 7 ngày)" in schedule
    )
    assert "tổng hợp tuần" in schedule

    since = api.mark()
    world.clock.set(at(2026, 11, 23, 7, 59))
    assert (await bot.tick()).skipped == "ngoài giờ làm việc"
    world.clock.set(at(2026, 11, 23, 8, 0))
    report = await bot.tick()
    assert report.sent_chats == [SNV_GROUP]
    (message,) = texts(api.sent(SNV_GROUP, since=since))
    assert "III.1" in message and "Trước ngày 30/11 hàng năm (30/11/2026) — còn 7 ngày" in message
    assert "Tổng hợp tuần" in message and "/capnhat" in message
    entries = bot.services.store.entries(SNV_GROUP)
    assert {e.key for e in entries} == {"before-7:III.1:2026-11-23", "digest:week:2026-11-23"}
    assert all(e.status == "sent" and e.sent_at == at(2026, 11, 23, 8, 0) for e in entries)
    world.clock.set(at(2026, 11, 23, 8, 1))
    assert (await bot.tick()).claimed == 0
    assert len(api.sent(SNV_GROUP, since=since)) == 1
    assert not api.rejected()


async def test_group_commands_permissions_and_unsubscribe(world: World) -> None:
    api = world.api
    bot = await world.start()
    for chat_id, title in ((SYT_GROUP, "Sở Y tế"), (VP_GROUP, "VP UBND tỉnh")):
        api.group(chat_id, title)
        api.make_admin(chat_id, GROUP_ADMIN)
    await world.link(bot, VP_GROUP, "vp_ubnd")

    assert "chưa liên kết" in await command(world, SYT_GROUP, GROUP_ADMIN, "/nhacviec")
    only_vp = await command(world, SYT_GROUP, GROUP_ADMIN, "/nhacviec tất cả")
    assert "Chỉ nhóm của Văn phòng Ủy ban nhân dân tỉnh" in only_vp
    group = await command(world, SYT_GROUP, GROUP_ADMIN, "/nhacviec các sở ban ngành")
    assert "nhóm cơ quan" in group
    assert "Sở Y tế" in await command(world, SYT_GROUP, GROUP_ADMIN, "/nhacviec so y te")
    assert bot.services.store.get(SYT_GROUP).agency_id == "syt"  # type: ignore[union-attr]
    assert "tất cả cơ quan" in await command(world, VP_GROUP, GROUP_ADMIN, "/nhacviec tất cả")
    assert bot.services.store.get(VP_GROUP).agency_id == ALL_AGENCIES  # type: ignore[union-attr]

    private = api.private(GROUP_ADMIN)
    since = api.mark()
    api.send(private, GROUP_ADMIN, "/nhacviec")
    (answer,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ADMIN["id"])
    assert "dùng trong nhóm" in answer.params["text"]

    assert "Chỉ quản trị viên" in await command(world, SYT_GROUP, MEMBER, "/tatnhacviec")
    assert "Đã tắt nhắc việc" in await command(world, SYT_GROUP, GROUP_ADMIN, "/tatnhacviec")
    assert "đang tạm dừng" in await command(world, SYT_GROUP, MEMBER, "/lichnhac")
    world.clock.set(at(2026, 11, 23, 8))
    since = api.mark()
    report = await bot.tick()
    assert report.sent_chats == [VP_GROUP] and not api.sent(SYT_GROUP, since=since)
    actions = [e.action for e in bot.services.store.events(SYT_GROUP)]
    assert actions == ["subscribed", "paused"]


async def test_weekend_and_holiday_deferral(world: World) -> None:
    """30/11/2025 is a Sunday: the "1 day before" reminder of III.1 goes out on Friday
    28/11 at 16:30, not on Saturday; the digest of Monday 1/9/2025 (Quốc khánh, with
    2/9) goes out on Wednesday 3/9 at 08:00."""
    api = world.api
    world.clock.set(at(2025, 8, 29, 9))
    bot = await world.start()
    await world.subscribe(bot, SYT_GROUP, "syt", "Sở Y tế")
    for moment in (at(2025, 9, 1, 8), at(2025, 9, 2, 10)):
        world.clock.set(moment)
        assert (await bot.tick()).skipped == "ngoài giờ làm việc"
    world.clock.set(at(2025, 9, 3, 8))
    since = api.mark()
    assert (await bot.tick()).sent_chats == [SYT_GROUP]
    (digest,) = texts(api.sent(SYT_GROUP, since=since))
    assert "Tổng hợp tuần" in digest
    assert {e.key for e in bot.services.store.entries(SYT_GROUP)} == {"digest:week:2025-09-01"}

    world.clock.set(at(2025, 11, 27, 8))  # Thursday: "3 days before"
    await bot.tick()
    since = api.mark()
    world.clock.set(at(2025, 11, 28, 16, 29))
    assert (await bot.tick()).claimed == 0
    world.clock.set(at(2025, 11, 28, 16, 30))
    assert (await bot.tick()).sent_chats == [SYT_GROUP]
    (friday,) = texts(api.sent(SYT_GROUP, since=since))
    assert "Trước ngày 30/11 hàng năm (30/11/2025) — còn 2 ngày" in friday
    log = {e.key: e for e in bot.services.store.entries(SYT_GROUP)}
    assert log["before-1:III.1:2025-11-29"].sent_at == at(2025, 11, 28, 16, 30)
    for moment in (at(2025, 11, 29, 8), at(2025, 11, 30, 9)):
        world.clock.set(moment)
        assert (await bot.tick()).skipped == "ngoài giờ làm việc"
    assert len(api.sent(SYT_GROUP, since=since)) == 1


async def test_monday_digest_to_the_office_group_carries_the_chart(world: World) -> None:
    """The group following every agency gets the digest's text, then the status-by-agency
    chart as a photo (a valid PNG); an agency's group gets the text only (issue 16)."""
    api = world.api
    bot = await world.start()
    await world.subscribe(bot, VP_GROUP, ALL_AGENCIES, "VP UBND tỉnh")
    await world.subscribe(bot, SNV_GROUP, "snv", "Sở Nội vụ")
    world.clock.set(at(2026, 11, 23, 8))
    since = api.mark()
    report = await bot.tick()
    assert sorted(report.sent_chats) == sorted([VP_GROUP, SNV_GROUP])
    (digest,) = texts(api.sent(VP_GROUP, since=since))
    assert "Tổng hợp tuần" in digest
    (photo,) = api.calls_to("sendPhoto", since=since)
    assert photo.params["chat_id"] == VP_GROUP and photo.status == 200
    assert "23/11/2026" in photo.params["caption"]
    assert api.calls.index(photo) > api.calls.index(api.sent(VP_GROUP, since=since)[0])
    png = api.photos[-1].data
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert {e.status for e in bot.services.store.entries(VP_GROUP)} == {"sent"}
    assert not api.rejected()


# ---------------------------------------------------------------- restarts and downtime


async def test_restart_in_the_middle_leaves_no_duplicate(world: World) -> None:
    api = world.api
    chats = [-1002000 - i for i in range(6)]
    first = await world.start(pacer=CrashingPacer(crash_before=4))
    for chat_id in chats:
        await world.subscribe(first, chat_id, "snv")
    world.clock.set(at(2026, 11, 23, 8, 0))
    with pytest.raises(Crash):
        await first.tick()  # "killed" after three groups got their message
    first_sent = {c.params["chat_id"] for c in api.calls_to("sendMessage")}
    assert len(first_sent) == 3
    statuses = [e.status for e in first.services.store.entries()]
    assert statuses.count("sent") == 3 * 2 and statuses.count("pending") == 3 * 2
    await world.stop(first)

    world.clock.set(at(2026, 11, 23, 8, 5))
    second = await world.start()
    report = await second.tick()
    assert set(report.sent_chats) == set(chats) - first_sent
    for chat_id in chats:
        assert len(api.sent(chat_id)) == 1, chat_id  # each group exactly once
    assert {e.status for e in second.services.store.entries()} == {"sent"}
    await world.stop(second)

    world.clock.set(at(2026, 11, 23, 9, 0))
    third = await world.start()
    assert (await third.tick()).claimed == 0
    assert len(api.calls_to("sendMessage")) == 6
    assert not api.rejected()


async def test_a_send_interrupted_mid_request_is_never_repeated(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A row marked attempted but never confirmed may have been delivered: after a
    restart it is closed as failed, not sent again."""
    first = await world.start()
    await world.subscribe(first, SNV_GROUP, "snv")
    world.clock.set(at(2026, 11, 23, 8, 0))
    engine, store = first.services.engine, first.services.store
    due = engine.due_for(store.get(SNV_GROUP), world.clock.now(), engine.snapshot())  # type: ignore[arg-type]
    keys = await store.claim(SNV_GROUP, due, world.clock.now())
    await store.mark_attempted(SNV_GROUP, keys, world.clock.now())  # ... and the process died
    await world.stop(first)
    second = await world.start()
    with caplog.at_level(logging.WARNING):
        report = await second.tick()
    assert report.claimed == 0 and not world.api.calls_to("sendMessage")
    assert {e.status for e in second.services.store.entries()} == {"failed"}
    assert "không gửi lại" in caplog.text


async def test_a_week_of_downtime_gives_one_catch_up_message_per_chat(world: World) -> None:
    api = world.api
    world.clock.set(at(2026, 11, 13, 9))
    before = await world.start()
    await world.subscribe(before, SNV_GROUP, "snv", "Sở Nội vụ")
    await world.subscribe(before, SYT_GROUP, "syt", "Sở Y tế")
    await world.subscribe(before, VP_GROUP, ALL_AGENCIES, "VP UBND tỉnh")
    world.clock.set(at(2026, 11, 13, 16))
    await before.tick()
    await world.stop(before)  # down from Friday 13/11 evening ...

    world.clock.set(at(2026, 11, 23, 10, 0))  # ... until Monday 23/11, 10:00
    after = await world.start()
    since = api.mark()
    report = await after.tick()
    assert sorted(report.sent_chats) == sorted([SNV_GROUP, SYT_GROUP, VP_GROUP])
    for chat_id in (SNV_GROUP, SYT_GROUP, VP_GROUP):
        (message,) = texts(api.sent(chat_id, since=since))
        assert "Gộp các nhắc việc chưa gửi được từ 08:00 16/11/2026" in message
        assert message.count("Tổng hợp tuần") == 1  # the digests of 16/11 and 23/11
        assert "còn 7 ngày" in message and "còn 14 ngày" not in message
    keys = {e.key for e in after.services.store.entries(SNV_GROUP)}
    assert keys == {
        "before-14:III.1:2026-11-16",
        "digest:week:2026-11-16",
        "overdue:2.4:2026-11-20",
        "before-7:III.1:2026-11-23",
        "digest:week:2026-11-23",
    }
    world.clock.set(at(2026, 11, 23, 10, 1))
    assert (await after.tick()).claimed == 0
    assert len(api.calls_to("sendMessage", since=since)) == 3


# ---------------------------------------------------------------- failures and progress


async def test_forbidden_group_is_paused_and_the_others_continue(world: World) -> None:
    api = world.api
    bot = await world.start()
    groups = [SNV_GROUP, SYT_GROUP, VP_GROUP]
    for chat_id in groups:
        await world.subscribe(bot, chat_id, "syt")
    api.block(SYT_GROUP)  # the bot was removed from this group
    world.clock.set(at(2026, 11, 23, 8))
    report = await bot.tick()
    assert report.paused_chats == [SYT_GROUP]
    assert sorted(report.sent_chats) == sorted([SNV_GROUP, VP_GROUP])
    (refused,) = api.calls_to("sendMessage", chat_id=SYT_GROUP)
    assert refused.status == 403
    sub = bot.services.store.get(SYT_GROUP)
    assert sub is not None and sub.paused and "Forbidden" in (sub.pause_reason or "")
    assert [e.action for e in bot.services.store.events(SYT_GROUP)] == ["subscribed", "paused"]

    world.clock.set(at(2026, 11, 27, 8))  # the next reminders: the others only
    since = api.mark()
    report = await bot.tick()
    assert sorted(report.sent_chats) == sorted([SNV_GROUP, VP_GROUP])
    assert not api.calls_to(chat_id=SYT_GROUP, since=since)

    api.unblock(SYT_GROUP)  # added back; an admin turns reminders on again
    api.make_admin(SYT_GROUP, GROUP_ADMIN)
    world.clock.set(at(2026, 11, 27, 9))
    assert "Đã bật" in await command(world, SYT_GROUP, GROUP_ADMIN, "/nhacviec Sở Y tế")
    assert [e.action for e in bot.services.store.events(SYT_GROUP)][-1] == "resumed"
    world.clock.set(at(2026, 11, 30, 8))
    assert SYT_GROUP in (await bot.tick()).sent_chats


async def test_reporting_done_stops_the_overdue_reminders(world: World) -> None:
    api = world.api
    world.clock.set(at(2026, 11, 19, 9))
    bot = await world.start()
    await world.subscribe(bot, SNV_GROUP, "snv")
    access = world.access(bot)
    assert (await access.request_membership(SNV_REPORTER, "snv", "Lan")).ok
    assert (await access.approve_member(BOT_ADMIN, SNV_REPORTER)).code == "ok"

    world.clock.set(at(2026, 11, 20, 8))  # a Friday: 2.4 is overdue since 30/06/2023
    since = api.mark()
    await bot.tick()
    (overdue,) = texts(api.sent(SNV_GROUP, since=since))
    assert "Quá hạn" in overdue and "2.4 (chủ trì, thực hiện)" in overdue

    world.clock.set(at(2026, 11, 20, 10))
    saved = await access.record_update(
        user_id=SNV_REPORTER, item_ref="2.4", status="done", chat_id=SNV_REPORTER, message_id=1
    )
    assert saved.code == "saved"

    world.clock.set(at(2026, 11, 27, 8))  # next Friday: only III.1 (3 days left)
    since = api.mark()
    await bot.tick()
    (later,) = texts(api.sent(SNV_GROUP, since=since))
    assert "Quá hạn" not in later and "2.4 (chủ trì)" not in later and "III.1" in later
    keys = {e.key for e in bot.services.store.entries(SNV_GROUP)}
    assert "overdue:2.4:2026-11-20" in keys and "overdue:2.4:2026-11-27" not in keys
    world.clock.set(at(2026, 11, 30, 8))  # Monday's digest: 2.4 is no longer open
    since = api.mark()
    await bot.tick()
    (digest,) = texts(api.sent(SNV_GROUP, since=since))
    assert "Tổng hợp tuần" in digest and "2.4" not in digest
    world.clock.set(at(2026, 12, 4, 8))  # the Friday after: no overdue notice for 2.4
    assert (await bot.tick()).claimed == 0


async def test_a_transient_failure_is_retried_and_the_others_go_on(world: World) -> None:
    """A 500 answer (surely not delivered) leaves the reminder retryable: the next tick
    sends it, once; a lost chat (Bad Request: chat not found) is paused like Forbidden."""
    api = world.api
    bot = await world.start()
    for chat_id in (SNV_GROUP, SYT_GROUP):
        await world.subscribe(bot, chat_id, "syt")
    api.fail("sendMessage", status=500, times=1)
    world.clock.set(at(2026, 11, 23, 8))
    report = await bot.tick()
    assert len(report.failed_chats) == 1 and len(report.sent_chats) == 1
    (failed,) = report.failed_chats
    assert {e.retryable for e in bot.services.store.entries(failed)} == {True}
    world.clock.set(at(2026, 11, 23, 8, 1))
    assert (await bot.tick()).sent_chats == [failed]
    for chat_id in (SNV_GROUP, SYT_GROUP):
        assert len(api.sent(chat_id)) == 1
    world.clock.set(at(2026, 11, 23, 8, 2))
    assert (await bot.tick()).claimed == 0

    await world.subscribe(bot, VP_GROUP, "syt")
    api.fail("sendMessage", status=400, description="Bad Request: chat not found")
    world.clock.set(at(2026, 11, 27, 8))
    report = await bot.tick()
    (lost,) = report.paused_chats
    sub = bot.services.store.get(lost)
    assert sub is not None and sub.paused and "chat not found" in (sub.pause_reason or "").lower()
    assert len(report.sent_chats) == 2


async def test_reminders_feature_from_settings(world: World) -> None:
    """What `python -m bot run` plugs in (`Runtime`): commands, menus and the tick job."""
    from bot.app.runtime import Runtime
    from bot.telegram.app import build_application

    runtime = Runtime.build(world.settings, world.knowledge, world.clock)
    services = runtime.reminders
    app = build_application(
        world.settings, runtime.brain, features=[RemindersFeature(runtime.reminders)]
    )
    try:
        names = {
            n for group in app.handlers.values() for h in group for n in getattr(h, "commands", ())
        }
        assert {"nhacviec", "tatnhacviec", "lichnhac"} <= names
        assert app.job_queue is not None and services.engine.bot is app.bot
        assert services.store.subscriptions() == []
        assert services.access is runtime.service  # one access service per process
    finally:
        runtime.close()


# ---------------------------------------------------------------- rate limits


def test_pacer_keeps_within_the_servers_limits() -> None:
    """The pacer against the fake server's own limit check, in virtual time: per chat
    (25 to one group) and overall (200 groups); without pacing the server says 429."""
    vt = VirtualTime()
    server = FakeBotApi("t").enforce_rate_limits(clock=vt.monotonic)
    pacer = Pacer(RateLimits(), monotonic=vt.monotonic, sleep=vt.sleep)

    async def run() -> None:
        for chat_id in [-1] * 25 + [-1000 - i for i in range(200)]:
            await pacer.wait(chat_id)
            server.check(chat_id)  # raises ApiError(429) beyond the limits
            pacer.record(chat_id)

    start = vt.now
    asyncio.run(run())
    assert vt.now - start >= 60.0  # the 21st message to one group waited a minute

    from fake_bot_api import ApiError

    eager = FakeBotApi("t").enforce_rate_limits(clock=vt.monotonic)
    with pytest.raises(ApiError) as refused:
        for i in range(31):
            eager.check(-5000 - i)
    assert refused.value.code == 429 and refused.value.retry_after == 1


async def test_broadcast_to_200_groups_without_a_429(world: World) -> None:
    api = world.api
    vt = VirtualTime()
    api.enforce_rate_limits(
        per_chat=20, per_chat_window=60, overall=30, overall_window=1, clock=vt.monotonic
    )
    bot = await world.start(pacer=Pacer(RateLimits(), monotonic=vt.monotonic, sleep=vt.sleep))
    # agencies that exist in 2026 (an ended one is sent nothing: test_successions_progress)
    agencies = ["snv", "syt", "stc", "snnmt", "vp_ubnd", "x_vinh_hao", "p_phan_thiet"]
    chats = [-1003000 - i for i in range(200)]
    for index, chat_id in enumerate(chats):
        agency = ALL_AGENCIES if index % 50 == 0 else agencies[index % len(agencies)]
        await world.subscribe(bot, chat_id, agency)
    world.clock.set(at(2026, 11, 23, 8))
    since, started = api.mark(), vt.now
    report = await bot.tick()
    assert len(report.sent_chats) == 200 and not report.failed_chats
    assert not api.throttled(since=since)
    sent = api.calls_to("sendMessage", since=since)
    assert len(sent) == 200 and all(c.status == 200 for c in sent)
    assert {c.params["chat_id"] for c in sent} == set(chats)
    assert vt.now - started >= (200 - 30) / 30  # paced: ~6 s of (virtual) time


# ---------------------------------------------------------------- preview (CLI)


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PLAN_PATH", str(PLAN))


def test_preview_on_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "data" / "planbot.db"
    _cli_env(monkeypatch, tmp_path, db)
    assert main(["reminders", "--today", "2026-11-20", "--days", "14"]) == 0
    out = capsys.readouterr().out
    assert "không có tin nào sẽ được gửi từ 20/11/2026 đến hết 03/12/2026" in out
    assert not db.exists()  # a preview never creates the database
    assert main(["reminders", "--today", "2026-11-20", "--days", "0"]) == 1
    assert "--days" in capsys.readouterr().err


async def test_preview_lists_time_chat_and_text_and_sends_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await world.start()
    await world.subscribe(bot, SNV_GROUP, "snv", "Sở Nội vụ — KH 91")
    await world.subscribe(bot, VP_GROUP, ALL_AGENCIES, "VP UBND tỉnh")
    world.clock.set(at(2026, 11, 23, 8))
    await bot.tick()  # 23/11 08:00 is sent: the preview leaves it out
    calls = len(world.api.calls)
    _cli_env(monkeypatch, world.path.parent, world.path)
    assert main(["reminders", "--today", "2026-11-23", "--days", "14"]) == 0
    out = capsys.readouterr().out
    assert len(world.api.calls) == calls  # nothing sent
    assert f"08:00 Thứ Hai 23/11/2026 · nhóm {SNV_GROUP}" not in out
    assert f"── 08:00 Thứ Sáu 27/11/2026 · nhóm {SNV_GROUP} «Sở Nội vụ — KH 91» (Sở Nội vụ)" in out
    assert f"── 08:00 Thứ Hai 30/11/2026 · nhóm {VP_GROUP} «VP UBND tỉnh» (tất cả cơ quan)" in out
    assert "Trước ngày 30/11 hàng năm (30/11/2026) — còn 3 ngày" in out
    assert "/capnhat" in out and "<b>" not in out  # the text as the group reads it
    assert "Tổng cộng:" in out
