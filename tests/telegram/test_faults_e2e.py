"""Telegram misbehaving: the real Application, real long polling, injected faults.

`serve` runs against `FakeBotApi` with short network timeouts (a 1-second long
poll, half a second of read slack for getUpdates) so that a timeout takes about
1.5 s, not 15. Faults are the fake server's: `fail` (429 with retry_after, 500,
502), `slow` (late answers; past the read timeout, a timeout), `drop` (the
connection closed without an answer), each optionally after the work was done
(`deliver_first`: the batch was handed out or the message delivered, only the
answer is lost). Nothing sleeps for a fixed time: every step waits for an event
of the fake server, with a timeout.

What must hold: a flood wait on sendMessage is waited out and the reply is
delivered once; a reply refused with a server error is sent again, once, while
one whose fate is unknown (connection lost) is not; after 500/502, dropped
connections and timeouts of getUpdates,
polling resumes from the right offset (every update answered exactly once, none
skipped); a failing or slow chat does not hold up the others; reminders are
retried after a flood wait and never repeated after an ambiguous failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ScriptedBrain
from fake_bot_api import Call, FakeBotApi
from serve_helpers import serve_in_background
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.reminders.handlers import ReminderServices, RemindersFeature
from bot.storage.sqlite import open_sqlite
from bot.telegram import delivery, errors
from bot.telegram.transport import AiohttpRequest

ALICE = FakeBotApi.user(501, "Lan")
BOB = FakeBotApi.user(502, "Minh")
CAROL = FakeBotApi.user(503, "Hoa")
DAVE = FakeBotApi.user(504, "Khoa")
POLL_TIMEOUT = 1  # seconds one long poll waits
GET_UPDATES_SLACK = 0.5  # read timeout beyond it: a getUpdates answer later than 1.5 s times out


class Running:
    def __init__(self, task: asyncio.Task[int], stop: asyncio.Event):
        self.task, self.stop_event = task, stop

    async def stop(self) -> None:
        self.stop_event.set()
        assert await asyncio.wait_for(self.task, 10) == 0


async def start(
    api: FakeBotApi,
    settings: Settings,
    brain: Any,
    *,
    rate_limiter: bool = False,
    features: tuple[Any, ...] = (),
    database: Any = None,
) -> Running:
    task, stop = await serve_in_background(
        settings,
        brain,
        clock=FixedClock(date(2026, 11, 26)),
        base_url=api.base_url,
        rate_limiter=rate_limiter,
        features=features,
        database=database,
        get_updates_request=AiohttpRequest(1, read_timeout=GET_UPDATES_SLACK),
        poll_timeout=POLL_TIMEOUT,
    )
    return Running(task, stop)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "RETRY_DELAYS", (0.05, 0.05))


@pytest.fixture
async def bot(api: FakeBotApi, make_settings: Callable[..., Settings]) -> AsyncIterator[Running]:
    running = await start(api, make_settings(), ScriptedBrain())
    yield running
    await running.stop()
    assert not api.rejected(), api.rejected()


def answer(text: str) -> str:
    return f"Đã nhận: <b>{text}</b>"


def delivered(api: FakeBotApi, chat_id: int, text: str) -> list[Call]:
    """sendMessage calls that delivered `text` to a chat (whether the bot heard back or not)."""
    return [c for c in api.sent(chat_id) if c.params["text"] == text]


# ---------------------------------------------------------------- sendMessage


async def test_429_on_send_message_is_waited_out_and_delivered_once(
    api: FakeBotApi, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    running = await start(api, make_settings(), ScriptedBrain(), rate_limiter=True)
    try:
        chat = api.private(ALICE)
        api.fail("sendMessage", status=429, retry_after=1, chat_id=ALICE["id"])
        since = api.mark()
        api.send(chat, ALICE, "hỏi lúc bận")
        (ok,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], status=200)
        attempts = api.calls_to("sendMessage", since=since, chat_id=ALICE["id"])
        assert [c.status for c in attempts] == [429, 200]
        assert ok.params["text"] == answer("hỏi lúc bận")
        assert ok.at - attempts[0].at >= 1.0  # retry_after was respected
        assert len(delivered(api, ALICE["id"], answer("hỏi lúc bận"))) == 1
        assert errors.APOLOGY not in [c.params["text"] for c in api.sent(ALICE["id"])]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await running.stop()


async def test_a_failing_or_slow_chat_does_not_hold_up_the_others(
    api: FakeBotApi, bot: Running
) -> None:
    alice, bob, carol, dave = (api.private(u) for u in (ALICE, BOB, CAROL, DAVE))
    api.fail("sendMessage", status=502, description="Bad Gateway", times=4, chat_id=ALICE["id"])
    api.slow("sendMessage", None, chat_id=CAROL["id"])  # held until released
    api.drop("sendMessage", deliver_first=True, chat_id=DAVE["id"])  # delivered, answer lost
    since = api.mark()
    api.send(carol, CAROL, "chậm")
    await api.wait_for("sendMessage", since=since, chat_id=CAROL["id"], answered=False)
    api.send(alice, ALICE, "máy chủ hỏng")
    api.send(dave, DAVE, "mất kết nối")
    api.send(bob, BOB, "bình thường")
    (bobs,) = await api.wait_for("sendMessage", since=since, chat_id=BOB["id"])
    assert bobs.params["text"] == answer("bình thường")
    assert not api.sent(CAROL["id"], since=since)  # still held, and Bob was not kept waiting

    # Alice: three tries of the answer and the apology all got 502; she is answered later
    await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], count=4)
    later = api.mark()
    api.send(alice, ALICE, "thử lại")
    (again,) = await api.wait_for("sendMessage", since=later, chat_id=ALICE["id"])
    assert again.status == 200 and again.params["text"] == answer("thử lại")

    # Dave: delivered once, then told something went wrong; never sent twice
    await api.wait_for("sendMessage", since=since, chat_id=DAVE["id"], count=2)
    assert len(delivered(api, DAVE["id"], answer("mất kết nối"))) == 1
    assert api.sent(DAVE["id"])[-1].params["text"] == errors.APOLOGY

    api.release()
    (carols,) = await api.wait_for("sendMessage", since=since, chat_id=CAROL["id"], status=200)
    assert carols.params["text"] == answer("chậm")


@pytest.mark.parametrize(
    "fault",
    [
        lambda api: api.fail("sendMessage", status=500, times=2, chat_id=ALICE["id"]),
        lambda api: api.fail(
            "sendMessage", status=502, description="Bad Gateway", chat_id=ALICE["id"]
        ),
        lambda api: api.drop("sendMessage", chat_id=ALICE["id"]),  # refused before any work
    ],
    ids=["500-twice", "502", "dropped-before-delivery"],
)
async def test_a_reply_that_surely_did_not_arrive_is_sent_again_once(
    api: FakeBotApi, bot: Running, fault: Callable[[FakeBotApi], None]
) -> None:
    """A server error is retried (a dropped connection is ambiguous: not retried)."""
    chat = api.private(ALICE)
    fault(api)
    since = api.mark()
    api.send(chat, ALICE, "hỏi lúc trục trặc")
    api.send(chat, ALICE, "câu sau")
    await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], status=200, count=2)
    texts = [c.params["text"] for c in api.sent(ALICE["id"], since=since)]
    if api.calls_to("sendMessage", since=since)[0].dropped:  # may have arrived: apologise
        assert texts == [errors.APOLOGY, answer("câu sau")]
    else:
        assert texts == [answer("hỏi lúc trục trặc"), answer("câu sau")]  # once, in order


def test_what_surely_did_not_arrive() -> None:
    """The line between "send again" and "may have arrived" (replies and reminders)."""
    assert delivery.not_delivered(RetryAfter(1))
    assert delivery.not_delivered(NetworkError("Bad Gateway"))
    assert delivery.not_delivered(NetworkError("Internal Server Error (500)"))
    assert delivery.not_delivered(NetworkError("httpx.ConnectError: All connection attempts"))
    assert delivery.not_delivered(TimedOut("Pool timeout: … Request was *not* sent to Telegram."))
    assert not delivery.not_delivered(TimedOut("Timed out"))
    assert not delivery.not_delivered(
        NetworkError("httpx.RemoteProtocolError: Server disconnected without sending a response.")
    )
    assert not delivery.not_delivered(NetworkError("httpx.ReadError: "))


# ---------------------------------------------------------------- getUpdates

FAULTS: dict[str, Callable[[FakeBotApi, int], None]] = {
    "502": lambda api, offset: api.fail(
        "getUpdates", status=502, description="Bad Gateway", offset=offset
    ),
    "dropped": lambda api, offset: api.drop("getUpdates", offset=offset),
    "dropped-after-the-batch": lambda api, offset: api.drop(
        "getUpdates", deliver_first=True, offset=offset
    ),
    "timeout": lambda api, offset: api.slow("getUpdates", 3.0, offset=offset),
    "timeout-after-the-batch": lambda api, offset: api.slow(
        "getUpdates", 3.0, deliver_first=True, offset=offset
    ),
    "slow": lambda api, offset: api.slow("getUpdates", 0.3, offset=offset),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_polling_recovers_and_resumes_from_the_right_offset(
    api: FakeBotApi, bot: Running, fault: str
) -> None:
    """Wave 1 is fetched; the next getUpdates (which confirms it and, for the
    "after the batch" faults, hands out wave 2) misbehaves; waves 2 and 3 still
    get exactly one answer each, in order, and wave 1 is not answered again."""
    alice, bob = api.private(ALICE), api.private(BOB)

    def send(chat: dict[str, Any], user: dict[str, Any], text: str) -> dict[str, Any]:
        return api.push({"message": api.new_message(chat, user, text)})

    since = api.mark()
    wave1 = [send(alice, ALICE, "một-a"), send(bob, BOB, "một-b")]
    next_offset = wave1[-1]["update_id"] + 1
    FAULTS[fault](api, next_offset)  # installed before the bot can ask for that offset
    await api.wait_for("sendMessage", since=since, count=2)
    await api.wait_for("getUpdates", since=since, offset=next_offset, answered=False)
    wave2 = [send(alice, ALICE, f"hai-{i}") for i in range(2)] + [send(bob, BOB, "hai-b")]
    await api.wait_for("sendMessage", since=since, count=5, timeout=8)
    wave3 = [send(bob, BOB, "ba")]
    await api.wait_for("sendMessage", since=since, count=6)

    (faulty,) = [c for c in api.calls_to("getUpdates", since=since) if c.injected]
    assert faulty.params["offset"] == next_offset
    for update in wave1 + wave2 + wave3:
        message = update["message"]
        sent = delivered(api, message["chat"]["id"], answer(message["text"]))
        assert len(sent) == 1, message["text"]  # none skipped, none answered twice
    assert [c.params["text"] for c in api.sent(ALICE["id"])] == [
        answer(t) for t in ("một-a", "hai-0", "hai-1")
    ]
    offsets = [int(c.params.get("offset") or 0) for c in api.calls_to("getUpdates")]
    assert offsets == sorted(offsets)  # never went back
    handed_out = [u["update_id"] for c in api.calls_to("getUpdates") for u in c.result or []]
    twice = {i for i in handed_out if handed_out.count(i) > 1}
    if fault.endswith("after-the-batch"):  # the lost batch was fetched again, and only it
        assert twice == {u["update_id"] for u in wave2}
    else:
        assert not twice


async def test_a_long_outage_of_get_updates_loses_nothing(
    api: FakeBotApi, bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """Two failures in a row, 500 then 502 (PTB backs off 1 s, then 1.5 s): updates
    sent meanwhile are answered once polling is back, in order, once each."""
    chat = api.private(ALICE)
    since = api.mark()
    api.send(chat, ALICE, "trước")
    next_offset = api.updates[-1]["update_id"] + 1
    api.fail("getUpdates", status=500, offset=next_offset)
    api.fail("getUpdates", status=502, description="Bad Gateway", offset=next_offset)
    await api.wait_for("getUpdates", since=since, offset=next_offset, status=502)
    pending = [api.send(chat, ALICE, f"trong lúc lỗi {i}") for i in range(3)]
    await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], count=4, timeout=8)
    texts = [c.params["text"] for c in api.sent(ALICE["id"], since=since)]
    assert texts == [answer("trước")] + [answer(m["text"]) for m in pending]
    failed = [c.status for c in api.calls_to("getUpdates", since=since) if c.injected]
    assert failed == [500, 502]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("Lỗi khi lấy cập nhật từ Telegram" in w for w in warnings) == 2


# ---------------------------------------------------------------- reminders


@pytest.fixture
async def reminders_bot(
    api: FakeBotApi,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> AsyncIterator[ReminderServices]:
    clock = FixedClock(datetime(2026, 11, 20, 9, tzinfo=DEFAULT_TZ))
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'faults.db'}")
    db = open_sqlite(tmp_path / "faults.db", now=clock.now())
    services = ReminderServices.create(
        knowledge,
        db,
        clock,
        access=ProgressService(db, knowledge, clock, settings.admin_ids),
        tick_seconds=3600,
        first_tick_seconds=3600,
    )
    running = await start(
        api, settings, ScriptedBrain(knowledge), features=(RemindersFeature(services),), database=db
    )
    try:
        yield services
    finally:
        await running.stop()
        services.close()
        db.close()


async def test_reminders_wait_out_429_and_are_never_repeated(
    api: FakeBotApi, reminders_bot: ReminderServices
) -> None:
    services = reminders_bot
    clock = services.clock
    assert isinstance(clock, FixedClock)
    groups = [-1005001, -1005002, -1005003]
    for chat_id in groups:
        api.group(chat_id)
        await services.store.subscribe(chat_id, "snv", None, 601, clock.now())
    api.fail("sendMessage", status=429, retry_after=1, chat_id=groups[0])
    api.drop("sendMessage", deliver_first=True, chat_id=groups[1])  # delivered, answer lost
    clock.set(datetime(2026, 11, 23, 8, tzinfo=DEFAULT_TZ))
    report = await services.engine.tick()
    assert sorted(report.sent_chats) == sorted([groups[0], groups[2]])
    assert report.failed_chats == [groups[1]]
    assert [c.status for c in api.calls_to("sendMessage", chat_id=groups[0])] == [429, 200]
    for chat_id in groups:
        assert len(api.sent(chat_id)) == 1, chat_id  # each group got its message once

    clock.set(datetime(2026, 11, 23, 8, 5, tzinfo=DEFAULT_TZ))
    assert (await services.engine.tick()).claimed == 0  # the ambiguous one is not resent
    for chat_id in groups:
        assert len(api.sent(chat_id)) == 1, chat_id
    (entry, *_) = services.store.entries(groups[1])
    assert entry.status == "failed" and not entry.retryable
