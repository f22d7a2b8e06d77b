"""`kill -9` in the middle of a burst of reports loses none and writes none twice.

A real `python -m bot run` against the fake Bot API: 200 `/capnhat` from 20 members are
queued, the bot is killed with SIGKILL five times while it works through them, then runs
to the end. Updates fetched before a kill were acknowledged to Telegram (the fake server
forgets them), so only the inbox still has them: every report must be stored exactly
once and every sender must get a confirmation. A second confirmation can only come for
a report whose confirmation was in flight at a kill (Telegram's sendMessage cannot be
made idempotent): it says «đã được lưu lúc…», never a second «Đã lưu» (measured: about
one per kill, BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import TOKEN
from fake_bot_api import FakeBotApi
from subprocess_helpers import bot_env, read_until, spawn_bot_run

from bot.core.clock import SystemClock
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.storage.sqlite import open_sqlite, open_sqlite_reader
from bot.telegram.app import MAX_CONCURRENT_UPDATES

ADMIN_ID = 900001
SENDERS = [FakeBotApi.user(600 + i, f"Cán bộ {i}") for i in range(20)]
REPORTS_EACH = 10
KILLS = 5
SAVED = "Đã lưu báo cáo"
ALREADY = "đã được lưu lúc"


async def seed(path: Path, knowledge: Knowledge) -> None:
    db = open_sqlite(path, now=SystemClock().now())
    try:
        service = ProgressService(db, knowledge, SystemClock(), {ADMIN_ID})
        for user in SENDERS:
            assert (await service.request_membership(user["id"], "snv", user["first_name"])).ok
            assert (await service.approve_member(ADMIN_ID, user["id"])).code == "ok"
    finally:
        db.close()


async def start_bot(api: FakeBotApi, tmp_path: Path, db: Path) -> asyncio.subprocess.Process:
    process = await spawn_bot_run(
        tmp_path, bot_env(api.base_url, tmp_path, db, ADMIN_IDS=str(ADMIN_ID))
    )
    assert process.stdout is not None
    await asyncio.wait_for(read_until(process.stdout, "đang chạy", []), 30)
    return process


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as server:
        yield server


def confirmations(api: FakeBotApi) -> list[tuple[int, str]]:
    return [
        (int(c.params["chat_id"]), str(c.params["text"]))
        for c in api.calls_to("sendMessage")
        if SAVED in str(c.params.get("text")) or ALREADY in str(c.params.get("text"))
    ]


async def test_kill_9_five_times_in_a_burst_of_200_reports_loses_none_and_doubles_none(
    api: FakeBotApi, knowledge: Knowledge, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    await seed(db, knowledge)
    sent: list[dict[str, object]] = []
    for k in range(1, REPORTS_EACH + 1):
        for user in SENDERS:
            text = f"/capnhat 2.4 đang thực hiện {k}% đợt {k}"
            sent.append(api.send(api.private(user), user, text))
    total = len(sent)
    process = None
    try:
        for kill in range(KILLS):
            before = len(confirmations(api))
            process = await start_bot(api, tmp_path, db)
            # let it confirm a share of what is left, then kill it mid-work
            target = before + max(1, (total - before) // (KILLS + 1 - kill))
            await api.wait_for("sendMessage", count=target, timeout=30)
            process.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(process.wait(), 10) == -signal.SIGKILL
        process = await start_bot(api, tmp_path, db)
        await api.wait_for("sendMessage", count=total, timeout=60)
        await asyncio.sleep(0.5)  # anything more it would (wrongly) send
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()

    reader = open_sqlite_reader(db)
    assert reader is not None
    try:
        rows = reader.updates(include_undone=True)
    finally:
        reader.close()
    sources = Counter((row.source_chat_id, row.source_message_id) for row in rows)
    expected = {(m["chat"]["id"], m["message_id"]) for m in sent}  # type: ignore[index]
    assert set(sources) == expected  # 200 of 200 saved
    assert max(sources.values()) == 1  # none written twice
    per_chat = Counter(chat for chat, _ in confirmations(api))
    saved_per_chat = Counter(chat for chat, text in confirmations(api) if SAVED in text)
    for user in SENDERS:  # every report of every sender was confirmed
        assert per_chat[user["id"]] >= REPORTS_EACH, user
        assert saved_per_chat[user["id"]] <= REPORTS_EACH  # «Đã lưu» never twice for one
    # a second confirmation («đã được lưu lúc», never a second «Đã lưu») only for a report
    # whose answer was in flight at a kill: at most the updates handled at once, per kill
    extra = sum(per_chat.values()) - total
    assert extra <= KILLS * MAX_CONCURRENT_UPDATES, extra
