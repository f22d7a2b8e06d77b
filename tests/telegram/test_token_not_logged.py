"""The bot token never reaches a log line, even at DEBUG, during a full run.

Two runs against the fake Bot API: the Application in-process with every log
record captured at DEBUG (start-up, messages, a button, an error with its
traceback, a long reply, shutdown), and `python -m bot run` as a real process
(LOG_LEVEL=DEBUG, stopped by SIGTERM; LOG_LEVEL=INFO, stopped by SIGINT, which
must print exactly one line when up), whose whole output is read.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import TOKEN, ScriptedBrain
from fake_bot_api import FakeBotApi
from serve_helpers import serve_with_database
from subprocess_helpers import bot_env, read_until, spawn_bot_run

from bot.core.clock import FixedClock
from bot.core.config import Settings

SECRET_HALF = TOKEN.split(":", 1)[1]
ALICE = FakeBotApi.user(501, "Lan")


def _leaks(text: str) -> bool:
    return TOKEN in text or SECRET_HALF in text


async def test_no_log_record_holds_the_token_during_a_full_run(
    caplog: pytest.LogCaptureFixture,
    scripted_brain: ScriptedBrain,
    make_settings: Callable[..., Settings],
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "httpx", "httpcore", "bot", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    async with FakeBotApi(TOKEN) as api:
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            serve_with_database(
                make_settings(log_level="DEBUG"),
                scripted_brain,
                stop=stop,
                ready=ready,
                clock=FixedClock(date(2026, 11, 26)),
                base_url=api.base_url,
                rate_limiter=True,
            )
        )
        await asyncio.wait_for(ready.wait(), 10)
        chat, group = api.private(ALICE), api.group(-100321)
        since = api.mark()
        api.send(chat, ALICE, "danh sách")
        (listing,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        api.press(ALICE, listing.result, "v1:item:2.4")
        api.press(ALICE, listing.result, "forged")
        api.send(chat, ALICE, "lỗi")
        api.send(chat, ALICE, "dài")
        api.send(chat, ALICE, "/nhiemvu 2.4")
        api.mention(group, ALICE, "", " Sở Nội vụ phải làm gì?")
        await api.wait_for("sendMessage", since=since, chat_id=group["id"])
        await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], count=7)
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0

    records = caplog.records
    assert any(r.levelno == logging.DEBUG and r.name.startswith("telegram") for r in records)
    assert any(r.levelno == logging.ERROR and r.exc_info for r in records)  # the brain error
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in records:
        assert not _leaks(formatter.format(record)), record.name
        assert not _leaks(str(record.args)), record.name
    assert not _leaks(caplog.text)


@pytest.mark.parametrize(
    ("stop_signal", "level"), [(signal.SIGTERM, "DEBUG"), (signal.SIGINT, "INFO")]
)
async def test_python_m_bot_run_keeps_the_token_out_and_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals, level: str
) -> None:
    async with FakeBotApi(TOKEN) as api:
        process = await spawn_bot_run(
            tmp_path,
            bot_env(
                api.base_url,
                tmp_path,
                tmp_path / "bot.db",
                LOG_LEVEL=level,
                HEARTBEAT_PATH=str(tmp_path / "heartbeat"),
            ),
        )
        assert process.stdout is not None
        lines: list[str] = []
        try:
            await asyncio.wait_for(read_until(process.stdout, "đang chạy", lines), 30)
            assert f"@{api.username}" in lines[-1] and "long polling" in lines[-1]
            if level == "INFO":
                assert len(lines) == 1, "".join(lines)  # one line when up, nothing else
            since = api.mark()
            api.send(api.private(ALICE), ALICE, "Sở Nội vụ phải làm gì?")
            await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], timeout=10)
            assert (tmp_path / "heartbeat").exists()
            process.send_signal(stop_signal)
            rest = await asyncio.wait_for(process.stdout.read(), 15)
            code = await asyncio.wait_for(process.wait(), 15)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        output = "".join(lines) + rest.decode("utf-8", "replace")
        assert code == 0, output
        assert "Traceback" not in output, output
        assert ("DEBUG" in output) == (level == "DEBUG")
        assert not _leaks(output)
        last_poll = api.calls_to("getUpdates")[-1]
        assert last_poll.params.get("timeout") == 0, api.calls  # offset confirmed at shutdown
