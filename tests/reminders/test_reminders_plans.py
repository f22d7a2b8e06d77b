"""Reminders of several plans: one subscription, each plan's own reminders and send log.

The bot serves Kế hoạch 91 (the main plan) and a second plan (Kế hoạch 58/KH-UBND, the
importer's table fixture, imported here). A group subscribed to Sở Nội vụ is reminded of
its work in both plans, each message naming its plan; the second plan's send-log keys
and silenced items carry its short key, so the two plans' item numbers never meet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest
from conftest import PLAN, ScriptedBrain
from fake_bot_api import FakeBotApi, parse_html
from serve_helpers import serve_until_ready
from world import BotWorld, bot_world

from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.importer import import_plan, write_draft
from bot.plan.loader import Knowledge, load_knowledge
from bot.progress.service import ProgressService
from bot.progress.view import ProgressView
from bot.reminders.handlers import ReminderServices, RemindersFeature
from bot.storage.plan_scope import scoped
from bot.telegram.app import serve

ROOT = Path(__file__).resolve().parents[2]
SECOND = ROOT / "tests" / "fixtures" / "import" / "ke-hoach-chuyen-doi-so-2024.txt"
GROUP_ADMIN = FakeBotApi.user(601, "Hà", "ha_admin")
SNV_GROUP = -1001001


def at(year: int, month: int, day: int, hour: int = 8) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=DEFAULT_TZ)


@pytest.fixture
def second_plan(tmp_path: Path) -> Knowledge:
    out = tmp_path / "plan-58"
    result = write_draft(import_plan(SECOND, PLAN.with_name("agencies.yaml")), out)
    assert result.problems == []
    return load_knowledge(
        out / "plan.yaml", out / "agencies.yaml", PLAN.with_name("successions.yaml")
    )


@pytest.fixture
async def world(
    token: str, knowledge: Knowledge, make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[BotWorld]:
    path = tmp_path / "reminders.db"
    settings = make_settings(database_url=f"sqlite:///{path}")
    clock = FixedClock(at(2026, 11, 30, 9))
    async with bot_world(
        lambda api: BotWorld(api, knowledge, settings, clock, path), token, check_rejected=False
    ) as w:
        yield w


async def test_one_group_is_reminded_of_each_plan_under_its_own_keys(
    world: BotWorld, second_plan: Knowledge
) -> None:
    api, clock = world.api, world.clock
    db = world.open_database()
    main_access = ProgressService(scoped(db, ""), world.knowledge, clock, set(world.admin_ids))
    services = ReminderServices.create(
        world.knowledge,
        db,
        clock,
        access=main_access,
        view=ProgressView(world.knowledge, scoped(db, ""), clock.tz),
        tick_seconds=3600,
        first_tick_seconds=3600,
    )
    store58 = scoped(db, "58")
    services.add_plan(
        "58",
        second_plan,
        ProgressView(second_plan, store58, clock.tz),
        ProgressService(store58, second_plan, clock, set(world.admin_ids)),
    )
    task, stop = await serve_until_ready(
        lambda stop, ready: serve(
            world.settings,
            ScriptedBrain(world.knowledge),
            stop=stop,
            ready=ready,
            clock=clock,
            base_url=api.base_url,
            rate_limiter=False,
            features=[RemindersFeature(services)],
            database=db,
        )
    )
    try:
        api.group(SNV_GROUP, "Sở Nội vụ")
        api.make_admin(SNV_GROUP, GROUP_ADMIN)
        await services.store.subscribe(SNV_GROUP, "snv", "Sở Nội vụ", 601, clock.now())

        # item 7 of Kế hoạch 58 (Sở Nội vụ chủ trì), «Trước ngày 15/12 hằng năm»
        _, schedule = await world.exchange(GROUP_ADMIN, "/lichnhac", api.chats[SNV_GROUP])
        text = parse_html(schedule.params["text"])
        assert "Kế hoạch 58/KH-UBND" in text and "Kế hoạch 91/KH-UBND" in text
        assert "mục 7" in text

        clock.set(at(2026, 12, 1, 8))
        since = api.mark()
        for engine in [s.engine for s in services.every]:
            await engine.tick()
        messages = [parse_html(c.params["text"]) for c in api.sent(SNV_GROUP, since=since)]
        plan58 = [m for m in messages if "Nhắc việc Kế hoạch 58/KH-UBND" in m]
        assert plan58 and "7" in plan58[0] and "15/12/2026" in plan58[0]
        keys = {e.key for e in services.store.entries(SNV_GROUP)}
        assert any(k.startswith("58#before-") and ":7:" in k for k in keys), keys
        assert all(k.startswith("58#") or ":7:" not in k for k in keys)

        # the next tick sends nothing again (each plan's keys are claimed once)
        since = api.mark()
        for engine in [s.engine for s in services.every]:
            assert (await engine.tick()).claimed == 0
        assert api.sent(SNV_GROUP, since=since) == []

        # silencing «58: 7» silences that plan's item only
        _, muted = await world.exchange(GROUP_ADMIN, "/tatnhacviec 58: 7", api.chats[SNV_GROUP])
        assert "Đã tắt nhắc mục" in parse_html(muted.params["text"])
        assert [m.subject for m in services.store.mutes(SNV_GROUP)] == ["58#7"]
        assert [m.subject for m in services.of("58").store.mutes(SNV_GROUP)] == ["7"]
    finally:
        stop.set()
        await task
        services.close()
        db.close()
