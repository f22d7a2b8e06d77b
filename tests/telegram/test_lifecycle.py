"""Starting and stopping while Telegram misbehaves.

Shutdown: on SIGTERM (or `stop`) the bot stops taking work, lets what is in flight
finish for a bounded time (`shutdown.GRACE_SECONDS`, under Docker's 30 s), never sends
again to a chat Telegram told it to wait for (429), leaves the reminders it did not
send in the send log for the next start, and exits 0. Checked with a real
`python -m bot run` whose reply is answered 429 retry_after=30, with reminders in
flight (in-process, the JobQueue's tick), and with a send that never comes back.

Start-up: a server error from Telegram on getMe, setMyCommands or deleteWebhook is
retried with exponential backoff for a bounded time, one Vietnamese log line per
retry; a token Telegram refuses (401) ends the start at once. Tests pass a short
backoff (`startup.Backoff`); one uses the production one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ScriptedBrain
from fake_bot_api import FakeBotApi
from serve_helpers import serve_in_background, serve_with_database
from subprocess_helpers import bot_env, read_until, spawn_bot_run

from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.reminders.handlers import ReminderServices, RemindersFeature
from bot.storage.sqlite import open_sqlite
from bot.telegram.startup import Backoff
from bot.telegram.transport import AiohttpRequest

LAN = FakeBotApi.user(501, "Lan")
ADMIN_ID = 900001
BOUND = 12.0  # seconds from SIGTERM to exit the tests allow (grace 10 s + tear-down)
QUICK = Backoff(budget=10.0, first=0.05, longest=0.2)


def sends_after(api: FakeBotApi, moment: float) -> list[Any]:
    return [c for c in api.calls_to("sendMessage") if c.at >= moment]


# ---------------------------------------------------------------- shutdown


async def test_sigterm_while_a_chat_is_rate_limited_exits_0_within_the_grace(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """The issue's case: Telegram answers 429 retry_after=30 to every reply to one chat;
    SIGTERM used to take about three minutes (retries after shutdown began)."""
    process = await spawn_bot_run(
        tmp_path, bot_env(api.base_url, tmp_path, tmp_path / "bot.db", ADMIN_IDS=str(ADMIN_ID))
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        await asyncio.wait_for(read_until(process.stdout, "đang chạy", lines), 30)
        api.fail("sendMessage", status=429, retry_after=30, times=1000, chat_id=LAN["id"])
        api.send(api.private(LAN), LAN, "Sở Nội vụ phải làm gì?")
        await api.wait_for("sendMessage", chat_id=LAN["id"], status=429, timeout=15)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stdout.read(), BOUND)
        code = await asyncio.wait_for(process.wait(), 2)
        took = time.monotonic() - began
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = "".join(lines) + rest.decode("utf-8", "replace")
    assert code == 0, output
    assert took < BOUND, took
    assert not sends_after(api, began), sends_after(api, began)  # no retry once stopping
    assert "Traceback" not in output
    assert "Đang dừng bot" in output


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reminders.db"


def _reminders(knowledge: Knowledge, db_path: Path, clock: FixedClock) -> tuple[Any, Any]:
    db = open_sqlite(db_path, now=clock.now())
    services = ReminderServices.create(
        knowledge,
        db,
        clock,
        access=ProgressService(db, knowledge, clock, {ADMIN_ID}),
        tick_seconds=3600,
        first_tick_seconds=0.05,  # the JobQueue runs the tick right after start
    )
    return db, services


async def test_stopping_during_reminders_leaves_the_unsent_ones_for_the_next_start(
    api: FakeBotApi,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    db_path: Path,
) -> None:
    clock = FixedClock(datetime(2026, 11, 20, 9, tzinfo=DEFAULT_TZ))
    groups = sorted([-1006001, -1006002, -1006003])  # the tick sends in this order
    db, services = _reminders(knowledge, db_path, clock)
    for chat_id in groups:
        api.group(chat_id)
        await services.store.subscribe(chat_id, "snv", None, 601, clock.now())
    clock.set(datetime(2026, 11, 23, 8, tzinfo=DEFAULT_TZ))  # reminders are due
    api.fail("sendMessage", status=429, retry_after=30, times=1000, chat_id=groups[0])
    settings = make_settings(database_url=f"sqlite:///{db_path}")
    task, stop = await serve_in_background(
        settings,
        ScriptedBrain(knowledge),
        clock=clock,
        base_url=api.base_url,
        features=[RemindersFeature(services)],
        database=db,
    )
    try:
        await api.wait_for("sendMessage", chat_id=groups[0], status=429, timeout=10)
        began = time.monotonic()
        stop.set()
        assert await asyncio.wait_for(task, BOUND) == 0
        took = time.monotonic() - began
        assert took < BOUND, took
        assert not sends_after(api, began)
        for chat_id in groups:  # nothing was sent, everything can be sent again
            entries = services.store.entries(chat_id)
            assert entries and all(e.claimable() for e in entries), entries
    finally:
        stop.set()
        services.close()
        db.close()

    api.heal()
    since = api.mark()
    db, services = _reminders(knowledge, db_path, clock)  # the next start
    task, stop = await serve_in_background(
        settings,
        ScriptedBrain(knowledge),
        clock=clock,
        base_url=api.base_url,
        features=[RemindersFeature(services)],
        database=db,
    )
    try:
        await api.wait_for("sendMessage", since=since, count=len(groups), status=200)
    finally:
        stop.set()
        assert await asyncio.wait_for(task, BOUND) == 0
        services.close()
        db.close()
    for chat_id in groups:
        assert len(api.sent(chat_id)) == 1, chat_id  # each group got its reminder once


async def test_work_that_does_not_end_is_cut_off_at_the_grace_period(
    api: FakeBotApi, make_settings: Callable[..., Settings]
) -> None:
    """A reply whose answer never comes back (a long read timeout) does not hold the
    shutdown beyond the grace period; it is abandoned, and nothing else is sent."""
    api.slow("sendMessage", None, chat_id=LAN["id"])  # never answered
    task, stop = await serve_in_background(
        make_settings(),
        ScriptedBrain(),
        base_url=api.base_url,
        request=AiohttpRequest(read_timeout=60),
        shutdown_grace=0.5,
    )
    try:
        api.send(api.private(LAN), LAN, "câu hỏi")
        await api.wait_for("sendMessage", chat_id=LAN["id"], answered=False)
        began = time.monotonic()
        stop.set()
        assert await asyncio.wait_for(task, 5) == 0
        assert time.monotonic() - began < 0.5 + 2
        assert not sends_after(api, began)
    finally:
        stop.set()
        api.heal()


# ---------------------------------------------------------------- start-up


def warnings_about_retrying(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "thử lại sau" in r.getMessage()
    ]


async def test_server_errors_at_start_up_are_retried_with_backoff(
    api: FakeBotApi, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("getMe", status=500, times=3)
    api.fail("setMyCommands", status=502, description="Bad Gateway", times=2)
    caplog.set_level(logging.INFO)
    task, stop = await serve_in_background(
        make_settings(), ScriptedBrain(), base_url=api.base_url, startup_backoff=QUICK
    )
    try:
        assert [c.status for c in api.calls_to("getMe")] == [500, 500, 500, 200]
        assert all(c.status == 200 for c in api.calls_to("setMyCommands")[2:])
        since = api.mark()
        api.send(api.private(LAN), LAN, "xin chào")
        (reply,) = await api.wait_for("sendMessage", since=since, status=200)
        assert reply.params["text"] == "Đã nhận: <b>xin chào</b>"
    finally:
        stop.set()
        assert await asyncio.wait_for(task, BOUND) == 0
    retries = warnings_about_retrying(caplog)
    assert len(retries) == 5, retries
    assert all("Telegram" in line for line in retries)
    assert sum("getMe" in line for line in retries) == 3
    gaps = [b.at - a.at for a, b in itertools.pairwise(api.calls_to("getMe"))]
    assert gaps[1] > gaps[0] * 1.5  # the waits grow


async def test_delete_webhook_failing_at_start_up_is_retried(
    api: FakeBotApi, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("deleteWebhook", status=500, times=2)
    task, stop = await serve_in_background(
        make_settings(), ScriptedBrain(), base_url=api.base_url, startup_backoff=QUICK
    )
    stop.set()
    assert await asyncio.wait_for(task, BOUND) == 0
    assert [c.status for c in api.calls_to("deleteWebhook")] == [500, 500, 200]
    retries = warnings_about_retrying(caplog)
    assert sum("deleteWebhook" in line for line in retries) == 2, retries


async def test_set_webhook_failing_at_start_up_is_retried_and_the_server_keeps_its_port(
    api: FakeBotApi, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """Only the call to Telegram is retried: the webhook server is started once (a second
    start would find its own port taken and end the bot)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings = make_settings(
        webhook_url="https://bot.example.invalid/tg/hook",
        webhook_secret="s3cret_Token-1",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    api.fail("setWebhook", status=500, times=2)
    task, stop = await serve_in_background(
        settings, ScriptedBrain(), base_url=api.base_url, startup_backoff=QUICK
    )
    stop.set()
    assert await asyncio.wait_for(task, BOUND) == 0
    assert [c.status for c in api.calls_to("setWebhook")] == [500, 500, 200]
    retries = warnings_about_retrying(caplog)
    assert sum("setWebhook" in line for line in retries) == 2, retries


async def test_one_server_error_at_start_up_is_retried_with_the_production_backoff(
    api: FakeBotApi, make_settings: Callable[..., Settings]
) -> None:
    api.fail("getMe", status=500)
    started = time.monotonic()
    task, stop = await serve_in_background(make_settings(), ScriptedBrain(), base_url=api.base_url)
    assert time.monotonic() - started < 5
    stop.set()
    assert await asyncio.wait_for(task, BOUND) == 0
    assert [c.status for c in api.calls_to("getMe")] == [500, 200]


async def test_a_refused_token_ends_the_start_at_once(
    api: FakeBotApi, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("getMe", status=401, description="Unauthorized", times=100)
    code = await asyncio.wait_for(
        serve_with_database(
            make_settings(), ScriptedBrain(), base_url=api.base_url, startup_backoff=QUICK
        ),
        5,
    )
    assert code == 1
    assert len(api.calls_to("getMe")) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("từ chối TELEGRAM_BOT_TOKEN" in line for line in errors), errors
    assert not warnings_about_retrying(caplog)


async def test_start_up_gives_up_after_the_time_bound(
    api: FakeBotApi, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("getMe", status=500, times=1000)
    started = time.monotonic()
    code = await asyncio.wait_for(
        serve_with_database(
            make_settings(),
            ScriptedBrain(),
            base_url=api.base_url,
            startup_backoff=Backoff(budget=0.6, first=0.1, longest=0.2),
        ),
        5,
    )
    assert code == 1
    assert time.monotonic() - started < 2
    assert 3 <= len(api.calls_to("getMe")) <= 6
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("Không kết nối được tới Bot API" in line for line in errors), errors
    assert not api.calls_to("getUpdates")


async def test_a_stop_during_start_up_retries_ends_at_once_with_0(
    api: FakeBotApi, make_settings: Callable[..., Settings]
) -> None:
    api.fail("getMe", status=500, times=1000)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_with_database(
            make_settings(),
            ScriptedBrain(),
            base_url=api.base_url,
            stop=stop,
            startup_backoff=Backoff(budget=60, first=30, longest=30),
        )
    )
    await api.wait_for("getMe", status=500)
    stop.set()
    assert await asyncio.wait_for(task, 2) == 0
    assert len(api.calls_to("getMe")) == 1
