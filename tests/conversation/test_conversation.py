"""Conversation: each chat's short context, follow-ups read against it, «Xem tất cả».

The brain is given an in-memory store on a clock the tests move (nothing sleeps); the
expectations come from the plan (2.4: Sở Nội vụ chủ trì, quý II/2023; 4.3: Sở Kế hoạch
và Đầu tư chủ trì, thường xuyên; Sở Nội vụ's own items 2.4, 3.1, 6).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.brain import Brain
from bot.conversation import (
    CONTEXT_TTL,
    MORE_HINT,
    MORE_LABEL,
    ChatContext,
    InMemoryConversationStore,
    chat_key,
)
from bot.core.clock import FixedClock
from bot.core.reply import Reply
from bot.nlu.intent_registry import IntentError, load_conversation_words
from bot.nlu.understanding import INTENTS_DIR
from bot.plan.loader import Knowledge

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)
START = datetime(2026, 11, 26, 9, 0)
FULL_LIST = "<b>Danh sách đầy đủ</b>\n• 2.4\n• 3.1\n• 6\n• 1.1\n• 5"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def brain(knowledge: Knowledge, clock: FixedClock) -> Brain:
    return Brain(knowledge, conversations=InMemoryConversationStore(clock))


def ask(brain: Brain, text: str, chat: str | None = "c1") -> Reply:
    return brain.answer(text, today=TODAY, chat=chat)


def first_line(reply: Reply) -> str:
    return reply.plain.strip().split("\n", 1)[0]


# ---------------------------------------------------------------- the store


def test_the_store_forgets_after_its_time_to_live_and_beyond_its_capacity() -> None:
    clock = FixedClock(START)
    store = InMemoryConversationStore(clock, capacity=2)
    store.put("a", ChatContext(item="2.4"))
    clock.advance(CONTEXT_TTL - timedelta(seconds=1))
    assert store.get("a") == ChatContext(item="2.4")
    clock.advance(timedelta(seconds=1))
    assert store.get("a") is None and len(store) == 0
    store.put("a", ChatContext(item="1.1"))
    store.put("b", ChatContext(item="1.2"))
    assert store.get("a") is not None  # used: "b" is now the least recent
    store.put("c", ChatContext(item="1.3"))
    assert store.get("b") is None and store.get("a") is not None and len(store) == 2
    store.drop("a")
    assert store.get("a") is None
    with pytest.raises(ValueError):
        InMemoryConversationStore(clock, capacity=0)


def test_chat_keys_of_private_chats_and_group_members() -> None:
    assert chat_key(501) == "501"
    assert chat_key(-100500, 501) == "-100500:501"
    assert chat_key(-100500, 501) != chat_key(-100500, 502)


# ---------------------------------------------------------------- follow-ups


def test_a_follow_up_is_the_last_question_with_the_new_agency(brain: Brain) -> None:
    ask(brain, "Sở Nội vụ chủ trì việc gì?")
    reply = ask(brain, "còn Sở Tài chính?")
    assert (reply.intent, reply.agency, reply.task_ids, reply.role) == (
        "agency_tasks",
        "Sở Tài chính",
        ["6"],
        "chu_tri",
    )


def test_a_question_about_the_item_last_talked_about(brain: Brain) -> None:
    ask(brain, "mục 4.3 nói gì")
    lead = ask(brain, "ai chủ trì?")
    assert lead.intent == "task_detail" and lead.task_ids == ["4.3"]
    assert "Sở Kế hoạch và Đầu tư" in first_line(lead)
    ask(brain, "nhiệm vụ 2.4")
    due = ask(brain, "nó hạn khi nào")
    assert due.task_ids == ["2.4"] and "quý II/2023" in first_line(due)
    progress = ask(brain, "tiến độ thế nào")
    assert progress.intent == "progress_status" and progress.task_ids == ["2.4"]


def test_the_nth_item_of_the_list_last_shown(brain: Brain) -> None:
    listed = ask(brain, "việc nào hạn trong quý II/2023?")
    assert listed.task_ids == ["2.4", "4.2"]
    assert ask(brain, "việc thứ hai").task_ids == ["4.2"]
    assert ask(brain, "chi tiết việc đầu").task_ids == ["2.4"]  # the list is still there
    assert ask(brain, "cái cuối").task_ids == ["4.2"]
    beyond = ask(brain, "việc thứ năm")
    assert beyond.task_ids == [] and "chỉ có 2 nhiệm vụ" in beyond.plain


def test_without_a_chat_key_every_message_stands_alone(brain: Brain) -> None:
    ask(brain, "nhiệm vụ 2.4", chat=None)
    assert ask(brain, "ai chủ trì?", chat=None).intent == "unknown"
    plain = Brain(brain.knowledge)  # no store at all
    plain.answer("nhiệm vụ 2.4", today=TODAY, chat="c1")
    assert plain.answer("ai chủ trì?", today=TODAY, chat="c1").intent == "unknown"


def test_the_context_expires_after_fifteen_minutes(brain: Brain, clock: FixedClock) -> None:
    ask(brain, "nhiệm vụ 2.4")
    clock.advance(timedelta(minutes=14))
    assert ask(brain, "ai chủ trì?").task_ids == ["2.4"]  # and the context is kept again
    clock.advance(timedelta(minutes=14, seconds=59))
    assert ask(brain, "hạn khi nào?").task_ids == ["2.4"]
    clock.advance(CONTEXT_TTL)
    late = ask(brain, "hạn khi nào?")
    assert late.intent == "unknown" and late.task_ids == []


def test_a_new_subject_starts_afresh(brain: Brain) -> None:
    ask(brain, "Sở Nội vụ chủ trì việc gì?")
    police = ask(brain, "Công an tỉnh có những việc gì?")
    assert police.role is None and {"2.4", "3.1"} <= set(police.task_ids)
    finance = ask(brain, "còn Sở Tài chính?")  # the new question is the one asked again
    assert finance.role is None and {"2.4", "6"} <= set(finance.task_ids)
    item = ask(brain, "nhiệm vụ 3.2 nói gì")
    assert item.intent == "task_detail" and item.task_ids == ["3.2"]
    signer = ask(brain, "ai ký kế hoạch")  # «ai» of a question of its own
    assert signer.intent == "plan_info"


def test_group_members_keep_their_own_contexts(brain: Brain) -> None:
    lan, minh = chat_key(-100500, 501), chat_key(-100500, 502)
    ask(brain, "nhiệm vụ 2.4", chat=lan)
    ask(brain, "mục 4.3 nói gì", chat=minh)
    assert "Sở Nội vụ" in first_line(ask(brain, "ai chủ trì?", chat=lan))
    assert "Sở Kế hoạch và Đầu tư" in first_line(ask(brain, "ai chủ trì?", chat=minh))
    assert ask(brain, "ai chủ trì?", chat=chat_key(-100500)).intent == "unknown"


# ---------------------------------------------------------------- «Xem tất cả»


@pytest.fixture
def cutting(brain: Brain, monkeypatch: pytest.MonkeyPatch) -> Brain:
    """The brain, its agency lists cut short with the whole list in `more` (what the
    answer modules do with a long list)."""
    real = brain.answerer.reply

    def reply(*args: object, **kwargs: object) -> Reply:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        if out.intent == "agency_tasks":
            return replace(out, html=out.html.split("\n")[0] + "\n…", more=FULL_LIST)
        return out

    monkeypatch.setattr(brain.answerer, "reply", reply)
    return brain


def test_a_cut_list_offers_all_of_it(cutting: Brain) -> None:
    listed = ask(cutting, "Sở Nội vụ phải làm gì?")
    (more,) = listed.buttons[0]
    assert (more.text, more.action) == (MORE_LABEL, "more")
    full = ask(cutting, "thêm")
    assert full.html == FULL_LIST and full.intent == "agency_tasks"
    assert full.agency == "Sở Nội vụ" and "2.4" in full.task_ids
    again = ask(cutting, "xem tất cả")  # shown already: nothing more
    assert again.html != FULL_LIST and "đầy đủ" in again.plain
    assert ask(cutting, "việc thứ hai").task_ids == [listed.task_ids[1]]


def test_the_button_shows_its_own_list_only(cutting: Brain) -> None:
    first = ask(cutting, "Sở Nội vụ phải làm gì?")
    key = first.buttons[0][0].args[0]
    assert cutting.more("c1", "0" * 12) is None  # another list's key
    assert cutting.more("c2", key) is None  # another chat
    shown = cutting.more("c1", key)
    assert shown is not None and shown.html == FULL_LIST
    assert cutting.more("c1", key) is None  # shown once
    ask(cutting, "Sở Nội vụ phải làm gì?")
    ask(cutting, "ai chủ trì nhiệm vụ 2.4")  # a reply without `more` drops the older list
    assert cutting.more("c1") is None


def test_more_with_nothing_to_show(brain: Brain) -> None:
    alone = ask(brain, "xem thêm")
    assert alone.intent == "unknown" and "chưa hiểu" not in alone.plain
    ask(brain, "Công an tỉnh có những việc gì?")  # a list shown whole
    whole = ask(brain, "thêm")
    assert whole.intent == "agency_tasks" and "đầy đủ" in whole.plain


# ---------------------------------------------------------------- the words are data


def test_the_follow_up_words_are_checked_when_loaded(tmp_path: Path) -> None:
    words = load_conversation_words(INTENTS_DIR)
    assert "còn" in words.openers and words.ordinals[-1]
    folder = tmp_path / "vi"
    shutil.copytree(INTENTS_DIR, folder)
    conversation = folder / "conversation.yaml"
    text = conversation.read_text(encoding="utf-8")
    conversation.write_text(text.replace("\nmore:", "\nnhieu_hon:"), encoding="utf-8")
    with pytest.raises(IntentError) as info:
        load_conversation_words(folder)
    assert any("nhieu_hon" in p for p in info.value.problems)
    assert any("more" in p for p in info.value.problems)
    conversation.unlink()
    with pytest.raises(IntentError):
        load_conversation_words(folder)


# ---------------------------------------------------------------- `ask --conversation`


@pytest.fixture
def run_ask(tmp_path: Path) -> Iterator[Callable[[str], list[dict[str, object]]]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELEGRAM_BOT_TOKEN", "PLAN_PATH", "ADMIN_IDS", "TIMEZONE", "DATABASE_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'planbot.db'}"

    def run(stdin: str) -> list[dict[str, object]]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "ask",
                "--json",
                "--conversation",
                "--today",
                "2026-11-26",
            ],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    yield run


def test_ask_conversation_reads_each_conversation_apart(
    run_ask: Callable[[str], list[dict[str, object]]],
) -> None:
    stdin = (
        "Công an tỉnh có việc gì?\ncòn Sở Văn hóa?\n"
        "\n"
        "mục 4.3 nói gì\nai chủ trì?\n\n\n"
        "ai chủ trì?\nnhiệm vụ 2.4\nhạn khi nào?\n"
    )
    out = run_ask(stdin)
    assert len(out) == 7  # one object per message; blank lines print nothing
    assert out[1]["intent"] == "agency_tasks" and out[1]["agency"] == (
        "Sở Văn hóa, Thể thao và Du lịch"
    )
    assert "2.3" in out[1]["task_ids"]  # type: ignore[operator]
    assert out[3]["intent"] == "task_detail" and out[3]["task_ids"] == ["4.3"]
    assert "Kế hoạch và Đầu tư" in str(out[3]["reply"]).split("\n")[0]
    assert out[4]["intent"] == "unknown"  # a new conversation: 4.3 is forgotten
    assert out[6]["task_ids"] == ["2.4"] and "quý II/2023" in str(out[6]["reply"]).split("\n")[0]


def test_the_terminal_chat_hints_at_the_rest_of_a_cut_list(
    cutting: Brain, make_settings: Callable[..., object]
) -> None:
    import io

    from bot.app.terminal_chat import run_chat

    lines = iter(["Sở Nội vụ phải làm gì?", "thêm", "thoát"])
    out = io.StringIO()
    code = run_chat(
        make_settings(),  # type: ignore[arg-type]
        brain=cutting,
        clock=FixedClock(START),
        read=lambda prompt: next(lines),
        out=out,
    )
    assert code == 0
    text = out.getvalue()
    assert MORE_HINT in text and "Danh sách đầy đủ" in text
    assert text.index(MORE_HINT) < text.index("Danh sách đầy đủ")


def test_a_command_or_button_question_stands_alone_and_is_remembered(brain: Brain) -> None:
    ask(brain, "Sở Nội vụ có việc gì?")
    typed = ask(brain, "còn quý 2?")  # another period: Sở Nội vụ's
    assert typed.agency == "Sở Nội vụ" and typed.task_ids == ["2.4"]
    ask(brain, "Sở Nội vụ có việc gì?")
    command = brain.answer("hạn quý 2", today=TODAY, chat="c1", fresh=True)  # /han quý 2
    assert command.agency is None and command.task_ids == ["2.4", "4.2"]
    assert ask(brain, "việc thứ hai").task_ids == ["4.2"]  # its list is the one shown


def test_the_bare_progress_word_is_the_overview(brain: Brain) -> None:
    ask(brain, "tiến độ 2.4")
    assert ask(brain, "tiến độ").task_ids == []  # what /tiendo asks: the overview
    assert ask(brain, "tiến độ thế nào?").task_ids == []  # the overview is the last subject
    ask(brain, "nhiệm vụ 2.4")
    assert ask(brain, "tiến độ thế nào?").task_ids == ["2.4"]
