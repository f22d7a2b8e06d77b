"""The brain in a process of its own (`bot.app.brain_worker`): the same answers as the
desk in the door's process, the conversations kept there, what is committed read there,
a plan activated served there, and the door answering itself when the child is gone.

Each test starts a real child process (`python -m bot.app.brain_worker`) over a
temporary SQLite file built by the composition root; nothing is slept: every step
awaits the child's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from two_plans import two_plan_folder
from world import approve_members

from bot.app.brain_worker import BrainWorker, ServeSpec, enabled
from bot.app.runtime import Runtime, default_features
from bot.conversation import CONTEXT_TTL, chat_key
from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.core.reply import Reply
from bot.plan.library import load_library
from bot.plan.loader import Knowledge
from bot.telegram.context import BotData

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 9, 0)
TODAY = date(2026, 11, 26)
ADMIN = 900001


def _chat(user: int) -> str:
    """A private chat's conversation key, as the door makes it."""
    return chat_key(user)


def _shown(reply: Reply) -> tuple[Any, ...]:
    """What the user sees of a reply, and what the door acts on."""
    return (reply.intent, reply.html, reply.buttons, reply.plan, reply.plans, reply.more)


@pytest.fixture
async def served(
    make_settings: Callable[..., Settings], knowledge: Knowledge, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, BrainWorker]]:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    runtime = Runtime.build(settings, knowledge, FixedClock(NOW))
    worker = BrainWorker(
        ServeSpec(
            runtime.library,
            tmp_path / "bot.db",
            settings.admin_ids,
            settings.timezone,
            "WARNING",
        ),
        restart_seconds=0.0,
    )
    await worker.start()
    try:
        assert await worker.until_ready(60)
        yield runtime, worker
    finally:
        await worker.stop()
        runtime.close()


def _questions(count: int) -> list[str]:
    cases = yaml.safe_load((ROOT / "tests" / "cases" / "nlu_cases.yaml").read_text("utf-8"))
    texts = [c["q"] for c in cases["cases"] if isinstance(c.get("q"), str)]
    return texts[:: max(1, len(texts) // count)][:count]


async def test_the_child_answers_every_question_as_the_desk_here_does(
    served: tuple[Runtime, BrainWorker],
) -> None:
    runtime, worker = served
    await approve_members(runtime.service, ADMIN, {501: "snv"}, {501: "Lan"})
    # who asks is read there as here: a member of Sở Nội vụ («việc của tôi»)
    asker = runtime.service.asker(501, "Lan", 501)
    assert asker.agency_id == "snv"
    questions = [*_questions(120), "việc của tôi là gì?"]
    for text in questions:
        here = runtime.desk.answer(text, today=TODAY, asker=asker)
        there = await worker.answer(text, now=NOW, today=TODAY, who=(501, "Lan", 501))
        assert there is not None, text
        assert _shown(there) == _shown(here), text


async def test_a_conversation_is_followed_in_the_child(
    served: tuple[Runtime, BrainWorker],
) -> None:
    _, worker = served
    chat = _chat(7001)
    first = await worker.answer("Sở Nội vụ chủ trì việc gì?", now=NOW, today=TODAY, chat=chat)
    then = await worker.answer("còn Sở Tài chính?", now=NOW, today=TODAY, chat=chat)
    assert first is not None and then is not None
    assert then.intent == "agency_tasks" and "Tài chính" in (then.agency or "")
    assert then.role == "chu_tri" and "2.4" not in then.task_ids  # what it leads only
    # another chat has no context: the same words are not a follow-up there
    alone = await worker.answer("còn Sở Tài chính?", now=NOW, today=TODAY, chat=_chat(7002))
    assert alone is not None and _shown(alone) != _shown(then)
    # the context is forgotten after its time, by the door's clock sent with the message
    later = NOW + CONTEXT_TTL + timedelta(minutes=1)
    await worker.answer("Sở Nội vụ chủ trì việc gì?", now=NOW, today=TODAY, chat=chat)
    stale = await worker.answer("còn Sở Tài chính?", now=later, today=TODAY, chat=chat)
    assert stale is not None and _shown(stale) == _shown(alone)


async def test_the_rest_of_a_cut_list_comes_from_the_child(
    served: tuple[Runtime, BrainWorker],
) -> None:
    runtime, worker = served
    chat = _chat(7003)
    reply = await worker.answer("UBND các huyện phải làm gì?", now=NOW, today=TODAY, chat=chat)
    assert reply is not None and reply.more is not None  # the list is cut
    done, rest = await worker.more(chat, None, now=NOW)
    assert done and rest is not None
    here_chat = _chat(7004)
    runtime.desk.answer("UBND các huyện phải làm gì?", today=TODAY, chat=here_chat)
    expected = runtime.desk.more(here_chat, None)
    assert expected is not None and _shown(rest) == _shown(expected)
    # a chat that was shown no list has nothing more
    assert await worker.more(_chat(7005), None, now=NOW) == (True, None)


async def test_a_report_committed_here_is_read_there(
    served: tuple[Runtime, BrainWorker],
) -> None:
    runtime, worker = served
    before = await worker.answer("tiến độ mục 2.4", now=NOW, today=TODAY)
    await approve_members(runtime.service, ADMIN, {501: "snv"}, {501: "Lan"})
    result = await runtime.service.record_update(
        user_id=501,
        item_ref="2.4",
        status="in_progress",
        percent=40,
        note="đã họp",
        agency_id=None,
        chat_id=501,
        message_id=1,
        display_name="Lan",
    )
    assert result.created
    after = await worker.answer("tiến độ mục 2.4", now=NOW, today=TODAY)
    here = runtime.desk.answer("tiến độ mục 2.4", today=TODAY)
    assert before is not None and after is not None
    assert after.html != before.html and after.html == here.html
    assert "40%" in after.html


async def test_a_plan_activated_here_is_served_there(
    served: tuple[Runtime, BrainWorker], tmp_path: Path
) -> None:
    runtime, worker = served
    runtime.brain_worker = worker
    second = list(load_library(two_plan_folder(tmp_path / "plans")))[1]
    question = "kế hoạch 58 mục 7 ai chủ trì?"
    before = await worker.answer(question, now=NOW, today=TODAY)
    runtime.serve_plan(second)
    after = await worker.answer(question, now=NOW, today=TODAY)
    here = runtime.desk.answer(question, today=TODAY)
    assert before is not None and after is not None
    assert after.plan == second.plan.meta.number and _shown(after) == _shown(here)
    assert _shown(before) != _shown(after)


async def test_the_door_answers_itself_while_the_child_is_gone(
    served: tuple[Runtime, BrainWorker],
) -> None:
    runtime, worker = served
    data = BotData()
    data.brain = runtime.desk
    data.clock = runtime.clock
    data.remote = worker
    process = worker._process
    assert process is not None
    process.kill()
    await process.wait()
    for _ in range(100):  # the reader notices the end of the pipe
        if not worker.alive:
            break
        await asyncio.sleep(0)
    # the message that finds it gone is answered here, the same answer
    reply = await data.answer("Sở Nội vụ phải làm gì?", user=None, where=None)
    assert reply.html == runtime.desk.answer("Sở Nội vụ phải làm gì?", today=TODAY).html
    # and a new child is started for the next ones (restart_seconds=0 here)
    assert await worker.answer("mục 1", now=NOW, today=TODAY) is None  # starts a new child
    for _ in range(500):
        if worker._process is not None and worker._process is not process:
            break
        await asyncio.sleep(0.01)
    assert worker._process is not process and await worker.until_ready(60)
    again = await worker.answer("Sở Nội vụ phải làm gì?", now=NOW, today=TODAY)
    assert again is not None and again.html == reply.html


async def test_while_the_child_starts_the_door_answers(
    make_settings: Callable[..., Settings], knowledge: Knowledge, tmp_path: Path
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    runtime = Runtime.build(settings, knowledge, FixedClock(NOW))
    spec = ServeSpec(runtime.library, tmp_path / "bot.db", frozenset(), "Asia/Ho_Chi_Minh", "ERROR")
    worker = BrainWorker(spec)
    data = BotData()
    data.brain, data.clock, data.remote = runtime.desk, runtime.clock, worker
    question = "Sở Nội vụ phải làm gì?"
    try:
        await worker.start()  # returns at once: the door goes on starting meanwhile
        assert worker.alive and not worker.ready
        # nothing waits for the child's start: the door answers, the same answer
        here = await data.answer(question, user=None, where=None)
        assert worker.left_to_door == 1 and worker.answered == 0
        assert await worker.until_ready(60)
        there = await data.answer(question, user=None, where=None)
        assert worker.answered == 1 and there.html == here.html
    finally:
        await worker.stop()
        runtime.close()


async def test_a_child_that_cannot_start_leaves_every_message_to_the_door(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    from bot.plan.library import Library

    missing = tmp_path / "none" / "bot.db"  # no database there: the child stops at once
    spec = ServeSpec(Library((knowledge,)), missing, frozenset(), "Asia/Ho_Chi_Minh", "CRITICAL")
    worker = BrainWorker(spec, restart_seconds=3600)
    try:
        await worker.start()
        assert not await worker.until_ready(60)  # it stopped instead
        assert not worker.alive
        reply = await worker.answer("Sở Nội vụ phải làm gì?", now=NOW, today=TODAY)
        assert reply is None and worker.left_to_door == 1
        assert worker._restarting is None  # not before restart_seconds
    finally:
        await worker.stop()


def test_the_setting_and_the_machine_decide(make_settings: Callable[..., Settings]) -> None:
    assert not enabled(make_settings(brain_process=False))
    assert enabled(make_settings(brain_process=True))
    # a database in memory cannot be read from another process
    assert not enabled(make_settings(brain_process=True, database_url="sqlite:///:memory:"))
    unset = make_settings(brain_process=None)
    assert enabled(unset) == (len(os.sched_getaffinity(0)) >= 2)


def test_python_m_bot_run_answers_in_a_child_when_enabled(
    make_settings: Callable[..., Settings], knowledge: Knowledge, tmp_path: Path
) -> None:
    runtime = Runtime.build(
        make_settings(brain_process=True, database_url=f"sqlite:///{tmp_path / 'b.db'}"),
        knowledge,
        FixedClock(NOW),
    )
    try:
        features = default_features(runtime)
        assert isinstance(features[0], BrainWorker) and runtime.brain_worker is features[0]
    finally:
        runtime.close()
    runtime = Runtime.build(
        make_settings(brain_process=False, database_url=f"sqlite:///{tmp_path / 'c.db'}"),
        knowledge,
        FixedClock(NOW),
    )
    try:
        assert not any(isinstance(f, BrainWorker) for f in default_features(runtime))
        assert runtime.brain_worker is None
    finally:
        runtime.close()


async def test_a_stuck_child_is_stopped_and_its_messages_answered_here(
    served: tuple[Runtime, BrainWorker],
) -> None:
    runtime, worker = served
    worker.answer_seconds = 0.4
    # the watchdog must be running with the new period: start a fresh child
    await worker.stop()
    worker._stopping = False
    await worker.start()
    process = worker._process
    assert process is not None and await worker.until_ready(60)
    os.kill(process.pid, signal.SIGSTOP)  # it takes messages and answers none
    try:
        data = BotData()
        data.brain = runtime.desk
        data.clock = runtime.clock
        data.remote = worker
        replies = await asyncio.wait_for(
            asyncio.gather(
                *(data.answer(f"mục {n} hạn khi nào?", user=None, where=None) for n in (1, 2, 3))
            ),
            10,
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
    assert [r.html for r in replies] == [
        runtime.desk.answer(f"mục {n} hạn khi nào?", today=TODAY).html for n in (1, 2, 3)
    ]
    assert worker.left_to_door == 3 and not worker.alive
    assert await process.wait() != 0  # killed
