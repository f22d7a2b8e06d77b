"""The flood limit: more than 20 messages in 10 s gets one notice, then silence.

Unit tests drive `FloodGate` with a virtual monotonic clock (the notice once,
silence while the flood goes on, recovery once the window has calmed, separate
windows for messages and buttons, admins exempt, memory bounded under 100,000
distinct senders). End to end, the real Application on the fake Bot API shows
that the gate runs before every handler: a flooding user gets 20 answers and one
polite notice, nothing else, other users are not affected, group chatter is not
counted, and once the (virtual) window has passed the user is answered again.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from conftest import ScriptedBrain
from fake_bot_api import Call, FakeBotApi
from serve_helpers import FunctionFeature, serve_in_background
from telegram import Update

from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.telegram import flood
from bot.telegram.flood import BUTTON, MESSAGE, FloodGate, Verdict

ADMIN = FakeBotApi.user(900001, "Quản trị")  # ADMIN_IDS of make_settings
ALICE = FakeBotApi.user(501, "Lan")
BOB = FakeBotApi.user(502, "Minh")
GROUP_ID = -100888


class VirtualClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# ---------------------------------------------------------------- the gate


def test_notice_once_then_silence_then_recovery() -> None:
    clock = VirtualClock()
    gate = FloodGate(limit=20, window=10.0, clock=clock)
    verdicts = []
    for _ in range(30):  # 30 messages in 2.9 s
        verdicts.append(gate.hit(ALICE["id"]))
        clock.advance(0.1)
    assert verdicts[:20] == [Verdict.ALLOW] * 20
    assert verdicts[20] is Verdict.NOTICE
    assert verdicts[21:] == [Verdict.SILENT] * 9

    clock.advance(5.0)  # still flooding (the silenced messages count too)
    assert gate.hit(ALICE["id"]) is Verdict.SILENT
    clock.advance(10.0)  # a whole quiet window: calm again
    assert gate.hit(ALICE["id"]) is Verdict.ALLOW
    for _ in range(19):
        assert gate.hit(ALICE["id"]) is Verdict.ALLOW
    assert gate.hit(ALICE["id"]) is Verdict.NOTICE  # a new flood gets a new notice


def test_a_steady_pace_under_the_limit_is_never_stopped() -> None:
    clock = VirtualClock()
    gate = FloodGate(limit=20, window=10.0, clock=clock)
    for _ in range(500):  # two a second, for four minutes
        assert gate.hit(ALICE["id"]) is Verdict.ALLOW
        clock.advance(0.5)


def test_senders_and_kinds_have_their_own_windows_and_admins_are_exempt() -> None:
    clock = VirtualClock()
    gate = FloodGate(limit=3, window=10.0, clock=clock, exempt={ADMIN["id"]})
    assert [gate.hit(ALICE["id"]) for _ in range(4)][-1] is Verdict.NOTICE
    assert gate.hit(BOB["id"]) is Verdict.ALLOW  # another user is not affected
    assert gate.hit(ALICE["id"], BUTTON) is Verdict.ALLOW  # buttons are counted apart
    assert all(gate.hit(ADMIN["id"]) is Verdict.ALLOW for _ in range(100))
    assert (ADMIN["id"], MESSAGE) not in gate._senders


def test_memory_stays_bounded_under_100k_distinct_senders() -> None:
    clock = VirtualClock()
    gate = FloodGate(capacity=5000, clock=clock)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for user_id in range(100_000):  # a hundred thousand users within one window
            assert gate.hit(user_id) is Verdict.ALLOW
            if user_id % 10 == 0:
                clock.advance(0.0001)
            assert len(gate) <= gate.capacity
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(gate) == gate.capacity
    assert peak - before < 10 * 1024 * 1024  # a few MB for 5000 windows, not 100k
    assert after - before < 5 * 1024 * 1024
    assert (99_999, MESSAGE) in gate._senders and (0, MESSAGE) not in gate._senders
    clock.advance(10.0)  # everyone idle for a window is forgotten on the next hit
    gate.hit(7)
    assert len(gate) == 1


def test_a_limited_sender_is_still_limited_while_others_come_and_go() -> None:
    clock = VirtualClock()
    gate = FloodGate(limit=5, window=10.0, capacity=100, clock=clock)
    for _ in range(6):
        gate.hit(ALICE["id"])
    for user_id in range(50):  # others within capacity do not evict the flooder
        gate.hit(10_000 + user_id)
    assert gate.hit(ALICE["id"]) is Verdict.SILENT


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        FloodGate(limit=0)
    with pytest.raises(ValueError):
        FloodGate(window=0)


# ---------------------------------------------------------------- through the Application


@pytest.fixture
async def api(token: str) -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token) as server:
        yield server


async def _run(
    api: FakeBotApi, settings: Settings, gate: FloodGate
) -> tuple[asyncio.Task[int], asyncio.Event]:
    def use_gate(application: Any) -> None:
        built = application.bot_data.flood_gate  # what build_application put there
        assert isinstance(built, FloodGate) and built.exempt == settings.admin_ids
        assert (built.limit, built.window) == (20, 10.0)
        application.bot_data.flood_gate = gate  # replaced by one on a virtual clock

    return await serve_in_background(
        settings,
        ScriptedBrain(),
        clock=FixedClock(date(2026, 11, 26)),
        base_url=api.base_url,
        rate_limiter=False,
        features=[FunctionFeature(use_gate)],
    )


async def test_a_flooding_user_gets_one_notice_and_others_are_served(
    api: FakeBotApi, make_settings: Callable[..., Settings]
) -> None:
    clock = VirtualClock()
    task, stop = await _run(api, make_settings(), FloodGate(clock=clock, exempt={ADMIN["id"]}))
    try:
        alice, bob, admin = api.private(ALICE), api.private(BOB), api.private(ADMIN)
        group = api.group(GROUP_ID)
        since = api.mark()
        for i in range(30):
            api.send(alice, ALICE, f"câu {i}")
        for i in range(25):
            api.send(group, BOB, f"chuyện phiếm {i}")  # not addressed to the bot: not counted
            api.send(admin, ADMIN, f"quản trị {i}")  # admins are exempt
        api.send(bob, BOB, "tôi hỏi một câu")
        # the sentinel: a button press (counted apart) in Alice's chat comes after her
        # 30 messages, as updates of one chat are handled in order
        query_id = api.press(ALICE, None, "v1:item:2.4")
        await api.wait_for("answerCallbackQuery", since=since, callback_query_id=query_id)
        await api.wait_for("sendMessage", since=since, chat_id=BOB["id"])
        await api.wait_for("sendMessage", since=since, chat_id=ADMIN["id"], count=25)
        texts = [c.params["text"] for c in api.sent(ALICE["id"], since=since)]
        assert texts[:20] == [f"Đã nhận: <b>câu {i}</b>" for i in range(20)]
        assert texts[20:] == [flood.NOTICE]  # once, then silence

        clock.advance(11.0)  # a quiet window has passed: Alice is answered again
        since = api.mark()
        api.send(alice, ALICE, "đã bình tĩnh")
        (again,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert again.params["text"] == "Đã nhận: <b>đã bình tĩnh</b>"
        assert not api.calls_to("sendMessage", since=since, chat_id=GROUP_ID)
        assert not api.rejected()
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0


async def test_a_flood_in_a_group_is_answered_once_quoting_the_message(
    api: FakeBotApi, make_settings: Callable[..., Settings]
) -> None:
    clock = VirtualClock()
    task, stop = await _run(api, make_settings(), FloodGate(limit=3, clock=clock))
    try:
        group = api.group(GROUP_ID)
        since = api.mark()
        sent = [api.send(group, BOB, f"/nhiemvu 2.{i}") for i in range(6)]
        helped = api.send(group, ALICE, "/help")  # another member: not held up by Bob
        # the sentinel: a button press of Bob's (counted apart) comes after his six
        # messages, as one member's updates are handled in order
        query_id = api.press(BOB, sent[0], "v1:item:2.4")
        await api.wait_for("answerCallbackQuery", since=since, callback_query_id=query_id)
        await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID, count=5)
        calls = api.sent(GROUP_ID, since=since)
        bobs = {m["message_id"] for m in sent}

        def quoted(call: Call) -> int | None:
            return (call.params.get("reply_parameters") or {}).get("message_id")

        to_bob = [c for c in calls if quoted(c) in bobs]
        assert [c.params["text"] for c in to_bob[:3]] == [
            f"Đã nhận: <b>nhiệm vụ 2.{i}</b>" for i in range(3)
        ]
        notice = to_bob[3]
        assert notice.params["text"] == flood.NOTICE
        assert notice.params["reply_parameters"]["message_id"] == sent[3]["message_id"]
        assert len(to_bob) == 4  # once, then silence
        (help_reply,) = [c for c in calls if quoted(c) == helped["message_id"]]
        assert "@" in help_reply.params["text"]

        clock.advance(11.0)
        since = api.mark()
        api.send(group, BOB, "/nhiemvu 2.4")
        (again,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
        assert again.params["text"] == "Đã nhận: <b>nhiệm vụ 2.4</b>"
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0


async def test_button_floods_get_one_alert(
    api: FakeBotApi, make_settings: Callable[..., Settings]
) -> None:
    clock = VirtualClock()
    task, stop = await _run(api, make_settings(), FloodGate(limit=2, clock=clock))
    try:
        chat = api.private(ALICE)
        since = api.mark()
        api.send(chat, ALICE, "danh sách")
        (listing,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        since = api.mark()
        ids = [api.press(ALICE, listing.result, "v1:item:2.4") for _ in range(5)]
        api.send(chat, ALICE, "xong")  # a message (counted apart) after the presses
        await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"], count=3)
        answers = {
            c.params["callback_query_id"]: c.params for c in api.calls_to("answerCallbackQuery")
        }
        assert set(answers) == set(ids[:3])  # two presses, one alert, then silence
        assert answers[ids[2]]["text"] == flood.NOTICE[:200]
        assert answers[ids[2]]["show_alert"] is True
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0


def test_sender_of_counts_only_what_the_bot_acts_on(factory_api: FakeBotApi) -> None:
    api = factory_api
    group, private = api.group(GROUP_ID), api.private(ALICE)
    channel = {"id": -100999, "type": "channel", "title": "Kênh"}

    def update(payload: dict[str, Any]) -> Update:
        parsed = Update.de_json({"update_id": 1, **payload}, None)
        assert parsed is not None
        return parsed

    assert flood.sender_of(update({"message": api.new_message(private, ALICE, "x")})) == (
        ALICE["id"],
        MESSAGE,
    )
    assert flood.sender_of(update({"message": api.new_message(group, ALICE, "x")})) is None
    assert flood.sender_of(update({"message": api.new_message(group, ALICE, "/help")})) == (
        ALICE["id"],
        MESSAGE,
    )
    assert flood.sender_of(update({"channel_post": api.new_message(channel, ALICE, "x")})) is None
    anonymous = api.new_message(group, api.user(1087968824, "Group"), "/help", sender_chat=group)
    assert flood.sender_of(update({"message": anonymous})) == (GROUP_ID, MESSAGE)


@pytest.fixture
def factory_api(token: str) -> FakeBotApi:
    return FakeBotApi(token)  # only builds update dicts; never started
