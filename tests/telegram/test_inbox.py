"""The update inbox (bot/telegram/inbox.py, bot/storage/inbox.py), against the fake Bot API.

What a user would notice: one update the bot cannot read never stops it from answering
everyone else; an update is stored before Telegram is told it arrived, so neither a full
disk nor `kill -9` loses a report; a webhook says 200 only for what it stored.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import ScriptedBrain
from fake_bot_api import FakeBotApi
from serve_helpers import serve_in_background

from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.storage.inbox import SqliteInbox, inbox_path
from bot.telegram.inbox import ALLOWED_UPDATES

ALICE = FakeBotApi.user(1001, "Alice")
BOB = FakeBotApi.user(1002, "Bob")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=DEFAULT_TZ)
SECRET_TEXT = "nội dung riêng tư 4711"  # must never reach a log line


async def start(api: FakeBotApi, brain: Any, settings: Settings) -> tuple[asyncio.Task[int], Any]:
    return await serve_in_background(
        settings, brain, clock=FixedClock(NOW), base_url=api.base_url, rate_limiter=False
    )


async def stop(task: asyncio.Task[int], event: asyncio.Event) -> None:
    event.set()
    assert await asyncio.wait_for(task, 15) == 0


def inbox_rows(db: Path) -> list[tuple[int, str | None, str | None]]:
    with sqlite3.connect(inbox_path(db)) as conn:
        return conn.execute(
            "SELECT update_id, outcome, payload FROM update_inbox ORDER BY update_id"
        ).fetchall()


def webhook_settings(make_settings: Callable[..., Settings]) -> tuple[Settings, int]:
    """Webhook mode on a free loopback port (the secret is s3cret_Token-1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings = make_settings(
        webhook_url="https://bot.example.invalid/tg/hook",
        webhook_secret="s3cret_Token-1",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    return settings, port


UNREADABLE = {
    # a poll from a server on an older Bot API version: fields PTB 22.8 requires are missing
    "old-poll": {"poll": {"id": "7", "question": SECRET_TEXT}},
    "message-not-an-object": {"message": SECRET_TEXT},
    "message-without-date": {"message": {"message_id": 1, "text": SECRET_TEXT}},
    "button-without-chat-instance": {"callback_query": {"id": "1", "data": SECRET_TEXT}},
}


@pytest.mark.parametrize("kind", list(UNREADABLE))
async def test_an_update_that_cannot_be_read_is_skipped_once_and_the_bot_goes_on(
    api: FakeBotApi,
    scripted_brain: ScriptedBrain,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    kind: str,
) -> None:
    caplog.set_level(logging.INFO)  # at DEBUG, PTB itself logs every API answer
    task, event = await start(api, scripted_brain, make_settings())
    try:
        since = api.mark()
        bad = api.push(UNREADABLE[kind])
        api.send(api.private(ALICE), ALICE, "sau cập nhật hỏng")
        (answer,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert answer.params["text"] == "Đã nhận: <b>sau cập nhật hỏng</b>"
        await api.wait_confirmed(bad["update_id"])
        await asyncio.sleep(0.3)  # a wedged bot would now be re-fetching it in a loop
        polls = api.calls_to("getUpdates", since=since)
        assert len(polls) <= 5, polls  # not hundreds a second
    finally:
        await stop(task, event)
    skipped = [r for r in caplog.records if "Bỏ qua cập nhật" in r.getMessage()]
    assert len(skipped) == 1 and str(bad["update_id"]) in skipped[0].getMessage()
    assert SECRET_TEXT not in caplog.text  # logged without the user's text
    rows = {row[0]: row for row in inbox_rows(tmp_path / "bot.db")}
    assert rows[bad["update_id"]][1:] == ("skipped", None)  # acknowledged, text dropped


async def test_only_the_update_types_the_bot_handles_are_asked_for(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> None:
    task, event = await start(api, scripted_brain, make_settings())
    try:
        await api.wait_for("getUpdates", answered=False)
    finally:
        await stop(task, event)
    polls = [c for c in api.calls_to("getUpdates") if c.params.get("timeout")]
    assert polls and all(
        sorted(c.params["allowed_updates"]) == sorted(ALLOWED_UPDATES) for c in polls
    )
    assert set(ALLOWED_UPDATES) == {"message", "edited_message", "callback_query"}


async def test_a_batch_that_cannot_be_stored_is_not_acknowledged_and_comes_again(
    api: FakeBotApi,
    scripted_brain: ScriptedBrain,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The disk refuses the first write: the bot must not move the offset past the
    batch (Telegram would forget it); once the disk is back, each message is answered once."""
    real_store = SqliteInbox.store
    failures = {"left": 1}

    async def flaky_store(self: SqliteInbox, *args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return await real_store(self, *args, **kwargs)

    monkeypatch.setattr(SqliteInbox, "store", flaky_store)
    task, event = await start(api, scripted_brain, make_settings())
    try:
        since = api.mark()
        first = api.push({"message": api.new_message(api.private(ALICE), ALICE, "một")})
        api.send(api.private(BOB), BOB, "hai")
        answers = await api.wait_for("sendMessage", since=since, count=2, timeout=10)
    finally:
        await stop(task, event)
    assert sorted(c.params["text"] for c in answers) == [
        "Đã nhận: <b>hai</b>",
        "Đã nhận: <b>một</b>",
    ]
    assert len(api.calls_to("sendMessage", since=since)) == 2
    offsets = [int(c.params.get("offset") or 0) for c in api.calls_to("getUpdates", since=since)]
    # the batch was fetched twice from the same offset: nothing was acknowledged unstored
    assert offsets.count(offsets[0]) >= 2 and offsets[0] <= first["update_id"]
    assert failures["left"] == 0


async def test_updates_left_in_the_inbox_are_handled_at_the_next_start(
    api: FakeBotApi,
    scripted_brain: ScriptedBrain,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    """What a crash leaves behind: updates stored (so acknowledged to Telegram) but not
    handled. The next start answers them, in order, before anything new."""
    settings = make_settings()
    task, event = await start(api, scripted_brain, settings)  # creates the database
    await stop(task, event)
    chat = api.private(ALICE)
    left = [
        {"update_id": 500 + i, "message": api.new_message(chat, ALICE, f"cũ {i}")} for i in range(3)
    ]
    with sqlite3.connect(inbox_path(tmp_path / "bot.db")) as conn:
        import json

        conn.executemany(
            "INSERT INTO update_inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
            [(u["update_id"], json.dumps(u), "2026-11-30T00:00:00+00:00") for u in left],
        )
        conn.execute("INSERT OR REPLACE INTO poll_state VALUES ('telegram_offset', 503)")
    since = api.mark()
    task, event = await start(api, scripted_brain, settings)
    try:
        answers = await api.wait_for("sendMessage", since=since, count=3, timeout=10)
        (poll, *_) = api.calls_to("getUpdates", since=since)
    finally:
        await stop(task, event)
    assert [c.params["text"] for c in answers] == [f"Đã nhận: <b>cũ {i}</b>" for i in range(3)]
    assert int(poll.params["offset"]) == 503  # resumed where the stored offset says
    assert [row[1] for row in inbox_rows(tmp_path / "bot.db")[-3:]] == ["handled"] * 3


async def test_a_redelivered_update_is_handled_once(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> None:
    task, event = await start(api, scripted_brain, make_settings())
    try:
        since = api.mark()
        update = api.push({"message": api.new_message(api.private(ALICE), ALICE, "một lần")})
        await api.wait_for("sendMessage", since=since)
        polled = api.mark()
        api.redeliver(update)  # the poll under way hands it out; the bot then polls again
        await api.wait_for("getUpdates", since=polled, answered=False)
        assert not api.redelivered
    finally:
        await stop(task, event)
    assert len(api.calls_to("sendMessage", since=since)) == 1
    assert scripted_brain.texts == ["một lần"]


# ---------------------------------------------------------------- webhook


async def test_webhook_says_400_to_a_body_that_is_not_an_update_and_goes_on(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> None:
    settings, port = webhook_settings(make_settings)
    task, event = await start(api, scripted_brain, settings)
    url = f"http://127.0.0.1:{port}/tg/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-1"}
    try:
        assert api.webhook is not None
        assert sorted(api.webhook["allowed_updates"]) == sorted(ALLOWED_UPDATES)
        async with aiohttp.ClientSession() as session:
            for body in (b"{not json", b"[1, 2]", b'{"update_id": "x"}', b"\xff\xfe"):
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 400, body
            genuine = {"update_id": 91, "message": api.new_message(api.private(ALICE), ALICE, "ok")}
            since = api.mark()
            async with session.post(url, json=genuine, headers=headers) as response:
                assert response.status == 200
        await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
    finally:
        await stop(task, event)
    assert scripted_brain.texts == ["ok"]


async def test_webhook_says_200_only_for_what_it_stored(
    api: FakeBotApi,
    scripted_brain: ScriptedBrain,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings, port = webhook_settings(make_settings)
    real_store = SqliteInbox.store
    broken = {"on": True}

    async def store(self: SqliteInbox, *args: Any, **kwargs: Any) -> Any:
        if broken["on"]:
            raise sqlite3.OperationalError("disk I/O error")
        return await real_store(self, *args, **kwargs)

    monkeypatch.setattr(SqliteInbox, "store", store)
    task, event = await start(api, scripted_brain, settings)
    url = f"http://127.0.0.1:{port}/tg/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-1"}
    update = {"update_id": 77, "message": api.new_message(api.private(ALICE), ALICE, "lưu chưa")}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 500  # not stored: Telegram will send it again
            assert scripted_brain.texts == []
            broken["on"] = False
            since = api.mark()
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
                assert [row[0] for row in inbox_rows(tmp_path / "bot.db")] == [77]
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200  # a redelivery: stored once, handled once
        await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        await asyncio.sleep(0.2)
    finally:
        await stop(task, event)
    assert scripted_brain.texts == ["lưu chưa"]
