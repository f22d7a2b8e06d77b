"""Clarification without loops (issue 14, item 6).

When two readings score close the brain answers the best and offers «Ý anh/chị là …?»
buttons. Pressing one answers that reading and never brings the same question back;
the suggestions are quoted with their diacritics; «Tôi hiểu là …» names the reading
that is answered. (The Telegram door's side: tests/telegram/test_telegram_handlers.py.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.answers.clarification import asked_question
from bot.answers.registry import load_answers
from bot.brain import Brain
from bot.core.reply import Button, Reply
from bot.core.text import fold
from bot.plan.loader import load_knowledge
from bot.telegram import callbacks

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)
ASKED_BACK = "Ý anh/chị là"

# messages whose readings score close (found by asking the brain), with the item and
# agency they name
AMBIGUOUS = [
    ("Sở Nội vụ 2.4 ra sao", "2.4", "Sở Nội vụ"),
    ("Công an tỉnh 3.1 có gì", "3.1", "Công an tỉnh"),
    ("SKHĐT 2.4 ra sao", "2.4", "Sở Kế hoạch và Đầu tư"),
    ("nhiệm vụ 6 hiện nay thế nào rồi", "6", None),
    ("Ủy ban nhân dân các huyện 2.4 ra sao", "2.4", None),
]


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))


def asks(reply: Reply) -> list[Button]:
    return [b for row in reply.buttons for b in row if b.action == "ask"]


@pytest.mark.parametrize(("text", "item", "agency"), AMBIGUOUS)
def test_pressing_a_suggestion_answers_it_and_never_asks_back(
    brain: Brain, text: str, item: str, agency: str | None
) -> None:
    reply = brain.answer(text, today=TODAY)
    lines = reply.plain.splitlines()
    assert ASKED_BACK in lines[-1] and ASKED_BACK not in lines[0]  # the answer comes first
    readings = reply.extra["clarify"]
    assert readings[0] == reply.intent
    buttons = asks(reply)
    assert len(buttons) == len(readings) - 1 >= 1
    for button, intent in zip(buttons, readings[1:], strict=True):
        assert brain.understand(button.args[0]).scores.forced  # whatever its words say
        pressed = brain.answer(button.args[0], today=TODAY)
        assert ASKED_BACK not in pressed.plain, (button, pressed.plain[:200])
        assert "clarify" not in pressed.extra
        assert pressed.intent == intent != reply.intent
        if intent in ("task_detail", "progress_status"):
            assert pressed.task_ids[:1] == [item]
        if intent == "agency_tasks" and agency:
            assert pressed.agency == agency


@pytest.mark.parametrize(("text", "item", "agency"), AMBIGUOUS)
def test_suggestions_are_quoted_with_their_diacritics(
    brain: Brain, text: str, item: str, agency: str | None
) -> None:
    reply = brain.answer(text, today=TODAY)
    first = reply.plain.splitlines()[-1]  # how it was read and the other readings: last
    assert first.count("«") == len(reply.extra["clarify"]) and "?" in first
    for button in asks(reply):
        assert fold(button.text) != button.text  # the label: «nội dung nhiệm vụ 2.4»
        assert f"«{button.text}»" in first or button.text.endswith("…")
        question = button.args[0]
        words = question.split(" ", 1)[1] if question.startswith("/") else question
        assert fold(words) != words, question  # «tiến độ nhiệm vụ 2.4», not «tien do 2.4»


def test_a_question_asked_back_is_answered_as_its_reading_even_if_its_words_are_not(
    brain: Brain,
) -> None:
    """The loop the buttons used to allow: a suggestion whose own words are ambiguous."""
    u = brain.understand("Sở Nội vụ 2.4 ra sao")
    assert u.scores.ambiguous  # these words alone ask back
    context, answers = brain.answerer.context, brain.answerer.answers
    for intent in ("agency_tasks", "progress_status"):
        spec = replace(answers[intent], question="{agency} {item} ra sao")
        question = asked_question(context, spec, u)
        assert question is not None and question.endswith("Sở Nội vụ 2.4 ra sao")
        pressed = brain.answer(question, today=TODAY)
        assert pressed.intent == intent and ASKED_BACK not in pressed.plain


def test_the_line_says_which_reading_is_answered(brain: Brain) -> None:
    reply = brain.answer("Sở Nội vụ 2.4 ra sao", today=TODAY)
    last = reply.plain.splitlines()[-1]
    assert last.startswith("Tôi hiểu là «nội dung nhiệm vụ 2.4». Ý anh/chị là «")
    assert reply.intent == "task_detail" and reply.task_ids[:1] == ["2.4"]


def test_no_asking_back_about_a_reading_that_cannot_be_named(brain: Brain) -> None:
    # progress of an agency: the best reading (progress) needs an item to be named;
    # the reply used to say «Tôi hiểu là các nhiệm vụ của Sở Tài chính» above a progress list
    reply = brain.answer("sở tài chính tiến độ", today=TODAY)
    assert reply.intent == "progress_status"
    assert ASKED_BACK not in reply.plain and "Tôi hiểu là" not in reply.plain


def test_every_question_of_a_reading_has_diacritics() -> None:
    for intent, spec in load_answers().items():
        if spec.question:
            filled = spec.question.format(item="2.4", agency="Sở Nội vụ")
            assert fold(filled) != filled, intent


def test_a_long_suggestion_goes_whole_into_the_ask_store(brain: Brain) -> None:
    reply = brain.answer("Ủy ban nhân dân các huyện 2.4 ra sao", today=TODAY)
    (long,) = [b for b in asks(reply) if len(b.args[0].encode()) > 50]
    store = callbacks.AskStore()
    data = callbacks.button_data(long, store)
    parsed = callbacks.parse(data)
    assert parsed is not None and parsed.kind == callbacks.ASK
    assert store.get(parsed.arg) == long.args[0]  # whole, not cut to another question
    short = next(b for b in asks(reply) if b is not long)
    assert callbacks.button_data(short, store) == f"v1:q:{short.args[0]}"
