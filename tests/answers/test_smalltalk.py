"""Small talk (issue 14, item 5): thanks, greetings, «ok», goodbyes and praise get a
short polite reply in the assistant's voice, with no items and never «chưa hiểu»; small
talk around a real question leaves the question's answer as it was; the plan's own words
are never taken for small talk; the reply names the plan from its data, not from code.

The case set tests/cases/smalltalk_cases.yaml holds the many phrasings; this file
checks what the cases cannot: the replies' kind and wording, and the data's consistency.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.brain import Brain
from bot.core.text import fold
from bot.nlu.intent_registry import load_intents
from bot.nlu.lexicon import phrase_tokens
from bot.plan.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)
OTHER_PLAN = ROOT / "tests" / "fixtures" / "other_plan" / "plan.yaml"


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))


# one message per kind, and what the reply of that kind says
KINDS = {
    "cảm ơn nhé": "không có gì",
    "ok cảm ơn anh": "không có gì",
    "xin chào": "Xin chào anh/chị",
    "chào buổi sáng": "Xin chào anh/chị",
    "ok": "Dạ vâng",
    "đã rõ ạ": "Dạ vâng",
    "tạm biệt": "chào anh/chị",
    "hẹn gặp lại": "chào anh/chị",
    "bot giỏi quá": "động viên",
    "hữu ích lắm": "động viên",
}


@pytest.mark.parametrize(("text", "says"), KINDS.items())
def test_each_kind_gets_its_own_short_polite_reply(brain: Brain, text: str, says: str) -> None:
    reply = brain.answer(text, today=TODAY)
    assert reply.intent == "smalltalk"
    assert reply.task_ids == [] and reply.general_task_ids == [] and reply.agency is None
    plain = reply.plain
    assert says in plain
    assert "chưa hiểu" not in plain and "Xin lỗi" not in plain
    assert "anh/chị" in plain.lower()  # it calls the user anh/chị
    assert plain != fold(plain)  # Vietnamese with its diacritics
    assert len(plain) <= 320
    assert reply.to_json()["intent"] == "smalltalk"


def test_the_greeting_says_what_can_be_asked_with_the_plans_own_examples(brain: Brain) -> None:
    plain = brain.answer("chào bot", today=TODAY).plain
    first, _, rest = plain.partition("\n")
    assert "Xin chào" in first and brain.knowledge.plan.meta.label in first
    assert rest.startswith("Anh/chị có thể hỏi:")
    names = {a.name for a in brain.knowledge.agencies.values()}
    assert any(f"{name} phải làm gì?" in rest for name in names)
    assert "/capnhat" in rest and "/help" in rest
    # an example asked as written is answered, not «chưa hiểu»
    example = next(f"{n} phải làm gì?" for n in names if f"{n} phải làm gì?" in rest)
    assert brain.answer(example, today=TODAY).intent == "agency_tasks"
    # the thanks does not list examples: short
    assert "\n" not in brain.answer("cảm ơn", today=TODAY).plain.strip()


def test_the_plan_is_named_from_its_data_not_from_code() -> None:
    other = Brain(load_knowledge(OTHER_PLAN))
    label = other.knowledge.plan.meta.label
    for text in ("cảm ơn", "xin chào", "ok"):
        plain = other.answer(text, today=TODAY).plain
        assert label in plain
        assert "91/KH-UBND" not in plain


@pytest.mark.parametrize(
    ("mixed", "question"),
    [
        ("cảm ơn, còn Sở Tài chính thì sao?", "Sở Tài chính thì sao?"),
        ("chào anh, Sở Nội vụ phải làm gì", "Sở Nội vụ phải làm gì"),
        ("ok vậy hạn mục 2.4 là khi nào", "hạn mục 2.4 là khi nào"),
        ("hi, tiến độ 4.3", "tiến độ 4.3"),
        ("xin chào, ai ký kế hoạch", "ai ký kế hoạch"),
        ("tks, ODA", "ODA"),
        ("cảm ơn, bot làm được gì", "bot làm được gì"),
    ],
)
def test_small_talk_around_a_question_leaves_its_answer(
    brain: Brain, mixed: str, question: str
) -> None:
    got, alone = brain.answer(mixed, today=TODAY), brain.answer(question, today=TODAY)
    assert got.intent == alone.intent != "smalltalk"
    assert (got.agency, got.task_ids) == (alone.agency, alone.task_ids)


@pytest.mark.parametrize(
    "text",
    [
        "hội hữu nghị",
        "tổ chức hữu nghị nhân dân",
        "tiếp nhận ý kiến",
        "chào mừng kỷ niệm",
        "ok 2.4",
        "cảm ơn 4.3",
        "rõ trách nhiệm Sở Nội vụ",
        "đã nhận được báo cáo 3.2 chưa",
        "hay quá hạn",
    ],
)
def test_plan_words_are_not_small_talk(brain: Brain, text: str) -> None:
    assert brain.understand(text).features["chatter"] == 0.0
    assert brain.answer(text, today=TODAY).intent != "smalltalk"


def test_every_cue_has_a_kind_and_every_kind_phrase_is_a_cue() -> None:
    spec = load_intents(ROOT / "intents" / "vi").intents["smalltalk"]
    cues = {phrase_tokens(c) for c in spec.cues}
    kinds = {phrase_tokens(p) for phrases in spec.topics.values() for p in phrases}
    assert cues == kinds
    assert list(spec.topics) == ["thanks", "goodbye", "praise", "greeting", "ack"]
