"""One progress-update pipeline (`bot.answers.progress_update`): the one parser of an
update's slots, the one validator (`bot.progress.drafts.UpdateChecker`, one note limit)
and the one confirmation card, the same for `ask`, the terminal chat and Telegram.

The Telegram side (the very card the door sends for the same message) is in
`test_progress_e2e.py::test_ask_prints_the_card_the_door_sends`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest

from bot.answers.progress_update import UPDATE, UpdateSlots, read_update
from bot.app.local_trial import TERMINAL_CARD_HINT
from bot.app.terminal_chat import run_chat
from bot.brain import Brain
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.drafts import CARD_HINT, CARD_TITLE, NOTE_LIMIT, UpdateChecker

TODAY = date(2026, 11, 18)


@pytest.fixture(scope="module")
def brain(knowledge: Knowledge) -> Brain:
    return Brain(knowledge)  # as `ask` and the terminal chat build it: the operator's rules


@pytest.fixture(scope="module")
def read(brain: Brain, knowledge: Knowledge) -> Callable[[str], UpdateSlots]:
    return lambda text: read_update(knowledge.plan, brain.understand(text))


# ------------------------------------------------------------------- the one parser


@pytest.mark.parametrize(
    ("text", "item", "status", "percent", "agency"),
    [
        ("/capnhat 2.4 đang thực hiện 60% đã trình dự thảo", "2.4", "in_progress", 60, None),
        ("/capnhat 3.1b vướng mắc thiếu kinh phí", "3.1b", "blocked", None, None),
        ("/capnhat 6c đang thực hiện 30%", "6c", "in_progress", 30, None),
        ("/capnhat 2.4 Sở Tài chính xong", "2.4", "done", None, "stc"),
        ("/capnhat 2.4 xong 40%", "2.4", "done", 40, None),  # the validator asks which
        ("/capnhat đang thực hiện 30%", None, "in_progress", 30, None),
    ],
)
def test_parser_reads_item_status_percent_and_named_agency(
    read: Callable[[str], UpdateSlots],
    text: str,
    item: str | None,
    status: str,
    percent: int | None,
    agency: str | None,
) -> None:
    slots = read(text)
    assert (slots.item_ref, slots.status, slots.percent, slots.agency_id) == (
        item,
        status,
        percent,
        agency,
    )


def test_an_agency_later_in_the_note_is_not_the_reporting_agency(
    read: Callable[[str], UpdateSlots],
) -> None:
    slots = read("/capnhat 2.4 đang thực hiện, đã gửi Sở Tài chính thẩm định")
    assert slots.agency_id is None and slots.note is not None
    assert "Sở Tài chính" in slots.note
    named = read("/capnhat 2.4 Sở Tài chính: đã thẩm định xong")
    assert named.agency_id == "stc" and named.note is not None
    assert not named.note.startswith(("Sở", ":"))


def test_the_note_keeps_the_words_not_the_number_nor_the_percent(
    read: Callable[[str], UpdateSlots],
) -> None:
    assert read("cập nhật 2.4: 60%, đang lấy ý kiến các sở").note == "đang lấy ý kiến các sở"
    assert read("/capnhat 3.1b vướng mắc thiếu kinh phí").note == "vướng mắc thiếu kinh phí"


# ------------------------------------------------------------------- the one card


def test_the_brain_answers_an_update_with_the_one_card(brain: Brain, knowledge: Knowledge) -> None:
    reply = brain.answer("4.2 đang thực hiện 60% đang lấy ý kiến", today=TODAY)
    assert (reply.intent, reply.task_ids, reply.status, reply.percent) == (
        "progress_update",
        ["4.2"],
        "in_progress",
        60,
    )
    checked = UpdateChecker(knowledge).check_update(
        item_ref="4.2", status="in_progress", percent=60, note=reply.note, today=TODAY
    )
    assert checked.draft is not None
    assert reply.html == UpdateChecker(knowledge).card_html(checked.draft)
    lines = reply.plain.splitlines()
    assert lines[0] == CARD_TITLE and lines[-1] == CARD_HINT
    # in 2026 the part Sở Kế hoạch và Đầu tư led is Sở Tài chính's (since 01/03/2025)
    assert {"Mục: 4.2a", "Cơ quan: Sở Tài chính", "Tỷ lệ: 60%"} <= set(lines)
    semantic = [(b.text, b.action, b.args) for row in reply.buttons for b in row]
    assert semantic == [
        ("✅ Lưu", "update", ("save",)),
        ("✏️ Sửa", "update", ("edit",)),
        ("❌ Hủy", "update", ("cancel",)),
    ]
    assert reply.extra[UPDATE] == UpdateSlots("4.2", "in_progress", 60, reply.note)


def test_without_an_item_the_items_to_choose_from(brain: Brain, knowledge: Knowledge) -> None:
    reply = brain.answer("cập nhật: đang thực hiện 30%", today=TODAY)
    assert reply.intent == "progress_update" and "mục nào" in reply.plain
    offered = [b.args for row in reply.buttons for b in row]
    assert offered[0] == ("1.1",) and len(offered) == min(24, len(knowledge.plan.items))
    assert {b.action for row in reply.buttons for b in row} == {"update_item"}


def test_one_validator_one_note_limit(brain: Brain) -> None:
    # the contradiction is the progress service's question, nothing to save
    asked = brain.answer("2.4 xong 40%", today=TODAY)
    assert "mâu thuẫn" in asked.plain and "40%" in asked.plain and not asked.buttons
    assert asked.status == "in_progress"  # what the message says, for `ask --json`
    # a long note is cut at the one limit, and the card says so
    long = brain.answer("2.4 đang thực hiện " + "rất dài " * 200, today=TODAY)
    assert long.note is not None and NOTE_LIMIT - 8 < len(long.note) <= NOTE_LIMIT
    assert "vượt giới hạn 1.000 ký tự" in long.plain


def test_terminal_chat_shows_the_same_card(
    brain: Brain, make_settings: Callable[..., Settings]
) -> None:
    lines = iter(["2.4 đã xong", "thoát"])
    out = io.StringIO()
    settings = make_settings(admin_ids=frozenset())
    assert run_chat(settings, read=lambda prompt: next(lines), out=out) == 0  # its own brain
    card = brain.answer("2.4 đã xong", today=TODAY).plain
    body, hint = card.rsplit("\n\n", 1)  # the terminal says what to type, not to press
    assert card.startswith(CARD_TITLE) and body in out.getvalue()
    assert hint.startswith("Bấm «Lưu»") and TERMINAL_CARD_HINT in out.getvalue()


@pytest.mark.parametrize(
    ("text", "part", "agency"),
    [
        ("nhiệm vụ 6 vướng kinh phí", "6c", "Sở Tài chính"),  # the funding part
        ("nhiem vu 6 vuong kinh phi", "6c", "Sở Tài chính"),
        ("nhiệm vụ 6 đang thực hiện 50%", "6b", "Sở Nội vụ"),  # no topic: the first led part
    ],
)
def test_an_update_naming_no_agency_goes_to_the_part_its_note_is_about(
    brain: Brain, text: str, part: str, agency: str
) -> None:
    reply = brain.answer(text, today=TODAY)
    assert reply.to_json()["agency"] == agency
    assert f"Mục: {part}" in reply.plain
