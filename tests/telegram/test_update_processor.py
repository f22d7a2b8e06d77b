"""`PerChatUpdateProcessor`: one conversation's updates in order (a private chat; a
member of a group), different ones side by side, at most N at once, and a conversation
with a backlog holding no slot while it waits.

What a user would notice if it broke: answers to one person's messages arriving out of
order, one busy group holding everybody else's answers up, the bot doing too much at
once, memory growing with every chat it ever heard from.

Each test drives the processor directly (`process_update(update, coroutine)`) with real
`telegram.Update` objects and coroutines that record when they start and end; the
tests step the event loop with `asyncio.sleep(0)` and hold updates with `asyncio.Event`s,
never sleeping for a fixed time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from telegram import Update

from bot.telegram.update_processor import PerChatUpdateProcessor

ALICE, BOB = 501, 502
GROUP = -1001234567890
SPINS = 200  # event-loop turns to wait for something that should happen at once


def message(update_id: int, chat_id: int, user_id: int | None = None) -> Update:
    """A text message update in a private chat (positive id) or a group (negative id)."""
    user_id = user_id or (chat_id if chat_id > 0 else ALICE)
    chat: dict[str, Any] = (
        {"id": chat_id, "type": "private", "first_name": "Lan"}
        if chat_id > 0
        else {"id": chat_id, "type": "supergroup", "title": "Nhóm theo dõi KH 91"}
    )
    payload = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_767_225_600,
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
            "text": f"tin số {update_id}",
        },
    }
    update = Update.de_json(payload, None)
    assert update.effective_chat is not None and update.effective_chat.id == chat_id
    return update


def poll(update_id: int) -> Update:
    """A poll update: no chat, no user."""
    payload = {
        "update_id": update_id,
        "poll": {
            "id": "poll-1",
            "question": "Họp giao ban thứ Hai?",
            "options": [
                {"text": "Có", "voter_count": 1, "persistent_id": "o1"},
                {"text": "Không", "voter_count": 0, "persistent_id": "o2"},
            ],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        },
    }
    update = Update.de_json(payload, None)
    assert update.effective_chat is None and update.effective_user is None
    return update


class Probe:
    """Handler coroutines that record when they start and end, and how many overlap."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.running = 0
        self.peak = 0

    async def handle(self, name: str, gate: asyncio.Event | None = None, turns: int = 3) -> str:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.log.append(("start", name))
        try:
            if gate is not None:
                await gate.wait()
            for _ in range(turns):  # give every other update a chance to barge in
                await asyncio.sleep(0)
            return name
        finally:
            self.running -= 1
            self.log.append(("end", name))

    def started(self, name: str) -> bool:
        return ("start", name) in self.log

    def ended(self, name: str) -> bool:
        return ("end", name) in self.log

    def starts(self) -> list[str]:
        return [name for event, name in self.log if event == "start"]


async def until(condition: Callable[[], bool], what: str) -> None:
    """Step the event loop until `condition()` holds (AssertionError after SPINS turns)."""
    for _ in range(SPINS):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never happened: {what}")


async def spin(turns: int = SPINS) -> None:
    """Let everything that can run, run (to check that something did NOT happen)."""
    for _ in range(turns):
        await asyncio.sleep(0)


def submit(
    processor: PerChatUpdateProcessor, update: Update | object, work: Any
) -> asyncio.Task[None]:
    return asyncio.create_task(processor.process_update(update, work))


async def test_one_chat_runs_strictly_in_arrival_order() -> None:
    processor = PerChatUpdateProcessor(16)
    probe = Probe()
    names = [f"lan-{i}" for i in range(1, 7)]
    tasks = [
        submit(processor, message(i, ALICE), probe.handle(name)) for i, name in enumerate(names, 1)
    ]
    await asyncio.gather(*tasks)

    assert probe.log == [(event, name) for name in names for event in ("start", "end")]
    assert probe.peak == 1
    assert processor._locks == {}


async def test_a_private_chat_and_a_group_chat_run_side_by_side() -> None:
    processor = PerChatUpdateProcessor(2)
    probe = Probe()
    private_gate, group_gate = asyncio.Event(), asyncio.Event()
    tasks = [
        submit(processor, message(1, ALICE), probe.handle("lan", private_gate)),
        submit(processor, message(2, GROUP, user_id=ALICE), probe.handle("nhóm", group_gate)),
    ]

    await until(lambda: probe.running == 2, "both chats' updates running at once")
    group_gate.set()  # the later one may finish first: no chat waits for another
    await until(lambda: probe.ended("nhóm"), "the group's update done")
    assert not probe.ended("lan")
    private_gate.set()
    await asyncio.gather(*tasks)
    assert processor._locks == {}


async def test_in_a_group_each_member_keeps_order_and_none_waits_for_another() -> None:
    """One member's report still committing holds that member's next message, not the
    question another member asks in the same group."""
    processor = PerChatUpdateProcessor(4)
    probe = Probe()
    committing = asyncio.Event()
    tasks = [
        submit(
            processor, message(1, GROUP, user_id=ALICE), probe.handle("lan-báo-cáo", committing)
        ),
        submit(processor, message(2, GROUP, user_id=ALICE), probe.handle("lan-hỏi")),
        submit(processor, message(3, GROUP, user_id=BOB), probe.handle("bình-hỏi")),
    ]
    await until(lambda: probe.ended("bình-hỏi"), "the other member answered meanwhile")
    assert not probe.started("lan-hỏi")  # the same member's next message waits its turn
    committing.set()
    await asyncio.gather(*tasks)
    assert probe.starts().index("lan-báo-cáo") < probe.starts().index("lan-hỏi")
    assert processor._locks == {}


async def test_never_more_than_n_updates_run_at_once() -> None:
    slots = 3
    processor = PerChatUpdateProcessor(slots)
    probe = Probe()
    gate = asyncio.Event()
    tasks = [
        submit(processor, message(i, 1000 + i), probe.handle(f"chat-{i}", gate)) for i in range(12)
    ]

    await until(lambda: probe.running == slots, f"{slots} updates running")
    await spin()
    assert probe.running == slots  # the other nine wait for a slot
    assert len(probe.starts()) == slots
    gate.set()
    await asyncio.gather(*tasks)

    assert probe.peak == slots
    assert len(probe.starts()) == 12
    assert processor._locks == {}


async def test_a_chat_with_a_backlog_holds_no_slot_so_other_chats_are_answered() -> None:
    """Ten updates of a group behind one stuck handler, two slots: another chat's update
    still runs and finishes before the group is released. (Taking a slot before waiting
    for the chat's turn, the group's second update would sit on the last slot.)"""
    processor = PerChatUpdateProcessor(2)
    probe = Probe()
    stuck = asyncio.Event()
    group = [
        submit(processor, message(i, GROUP), probe.handle(f"nhóm-{i}", stuck if i == 1 else None))
        for i in range(1, 11)
    ]
    await until(lambda: probe.started("nhóm-1"), "the group's first update running")
    await spin(20)  # the nine others queue up behind it

    bob = submit(processor, message(11, BOB), probe.handle("bob"))
    await until(bob.done, "Bob's update done while the group is still stuck")

    assert bob.exception() is None
    assert probe.starts() == ["nhóm-1", "bob"]  # none of the group's backlog ran
    assert probe.running == 1 and not stuck.is_set()
    stuck.set()
    await asyncio.gather(*group)
    assert probe.starts() == ["nhóm-1", "bob", *(f"nhóm-{i}" for i in range(2, 11))]
    assert processor._locks == {}


async def test_per_chat_state_is_dropped_once_a_chat_is_idle() -> None:
    """Memory stays bounded by the chats in flight: after crashes, cancellations and
    hundreds of chats, nothing is left behind."""
    processor = PerChatUpdateProcessor(4)
    probe = Probe()
    await asyncio.gather(
        *(submit(processor, message(i, 2000 + i), probe.handle(f"chat-{i}")) for i in range(300))
    )
    assert processor._locks == {}

    stuck = asyncio.Event()
    first = submit(processor, message(1, GROUP), probe.handle("nhóm-1", stuck))
    never_run = probe.handle("nhóm-2")
    cancelled = submit(processor, message(2, GROUP), never_run)
    last = submit(processor, message(3, GROUP), probe.handle("nhóm-3"))
    await until(lambda: probe.started("nhóm-1"), "the group's first update running")
    assert list(processor._locks) == [(GROUP, ALICE)]  # the group member's turn
    cancelled.cancel()  # e.g. the application stopping while it waited for its turn
    await spin(5)
    never_run.close()
    stuck.set()
    await asyncio.gather(first, last)
    assert cancelled.cancelled() and not probe.started("nhóm-2") and probe.ended("nhóm-3")
    assert processor._locks == {}


async def test_a_crashing_handler_does_not_stall_its_chat() -> None:
    processor = PerChatUpdateProcessor(2)
    probe = Probe()

    async def crash() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("handler failure for the test")

    failing = submit(processor, message(1, ALICE), crash())
    after = submit(processor, message(2, ALICE), probe.handle("lan-2"))
    with pytest.raises(RuntimeError, match="handler failure"):
        await failing
    await after
    assert probe.ended("lan-2")
    assert processor._locks == {}


async def test_updates_without_a_chat_still_run_within_the_slots() -> None:
    processor = PerChatUpdateProcessor(1)
    probe = Probe()
    stuck = asyncio.Event()
    busy = submit(processor, message(1, ALICE), probe.handle("lan", stuck))
    await until(lambda: probe.started("lan"), "Alice's update running")

    poll_task = submit(processor, poll(2), probe.handle("poll"))
    custom = submit(processor, "a custom update put on the queue", probe.handle("custom"))
    await spin(20)
    assert not probe.started("poll") and not probe.started("custom")  # the one slot is busy
    stuck.set()
    await asyncio.gather(busy, poll_task, custom)

    assert probe.ended("poll") and probe.ended("custom")
    assert probe.peak == 1
    assert processor._locks == {}
