"""Hostile input through the brain (property-based, hypothesis): random Unicode,
control and zero-width characters, HTML/Markdown injection, huge messages.

Whatever arrives, the brain answers without an exception, in valid Telegram
HTML (only the tags Telegram accepts, balanced), in pieces under 4096 characters,
and never echoes user markup as markup.
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.brain import Brain
from bot.core.reply import TELEGRAM_LIMIT
from bot.plan.loader import load_knowledge
from bot.telegram import callbacks

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
BRAIN = Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))
TODAY = date(2026, 11, 26)
ASKS = callbacks.AskStore()


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.errors.append(f"tag <{tag}> not allowed")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def assert_valid_reply(text: str) -> None:
    reply = BRAIN.answer(text, today=TODAY)
    assert reply.plain.strip(), "empty reply"
    for piece in reply.pieces():
        assert len(piece) <= TELEGRAM_LIMIT
        parser = _TelegramHTML()
        parser.feed(piece)
        parser.close()
        assert not parser.errors, (text, piece, parser.errors)
        assert not parser.stack, (text, piece, "unclosed tags")
    for row in reply.buttons:
        for button in row:
            # what Telegram receives for the brain's (semantic) button
            assert len(callbacks.button_data(button, ASKS).encode("utf-8")) <= 64


vietnamese = st.text(
    alphabet=st.sampled_from(
        list("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ 0123456789./,%?!")
    ),
    max_size=80,
)
nasty = st.sampled_from(
    [
        "\u200b",
        "\u200d",
        "\ufeff",
        "\x00",
        "\x07",
        "\u202e",
        "<",
        ">",
        "&",
        "&amp;",
        "<b>",
        "</i>",
        "<script>",
        "*",
        "_",
        "`",
        "[x](http://a)",
        "\n",
        "\t",
        "🙂",
        "ˆ",
        "\u0301",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_unicode_gets_a_valid_reply(text: str) -> None:
    assert_valid_reply(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(vietnamese, nasty), max_size=12).map("".join))
def test_vietnamese_with_injected_characters(text: str) -> None:
    assert_valid_reply(text)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script> nhiệm vụ 2.4",
        "/timkiem <b>ODA</b>",
        "Sở <i>Nội vụ</i> phải làm gì",
        "cập nhật 2.4: <a href='http://x'>xong</a>",
        "**nhiệm vụ** _2.4_ `code`",
        "&lt;b&gt; 2.4",
        "x" * 10_000,
        "nhiệm vụ 2.4 " * 800,
        "\u200b\u200bSở\u200b Nội vụ\x00 làm gì",
    ],
)
def test_injection_is_escaped(text: str) -> None:
    assert_valid_reply(text)
    html = BRAIN.answer(text, today=TODAY).html
    assert "<script" not in html and "<a href='http://x'>" not in html


def test_a_long_message_is_answered_by_the_question_at_its_end() -> None:
    """Padding that mentions «hôm nay» and «về công tác» must not bend the question."""
    brain = Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))
    padding = (
        "Chào anh, em là cán bộ mới về công tác, hôm nay em được giao theo dõi nhiều việc lắm ạ. "
    )
    reply = brain.answer(padding * 6 + "Sở Nội vụ có nhiệm vụ gì", today=date(2026, 11, 26))
    assert reply.intent == "agency_tasks" and reply.agency == "Sở Nội vụ"
    assert {"2.4", "3.1", "6"} <= set(reply.task_ids)


def test_a_section_the_plan_lacks_is_said_not_to_exist() -> None:
    brain = Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))
    reply = brain.answer("mục IV.3 nói gì", today=date(2026, 11, 26))
    assert reply.intent == "task_detail" and reply.task_ids == []
    assert "không có nhiệm vụ IV.3" in reply.plain
