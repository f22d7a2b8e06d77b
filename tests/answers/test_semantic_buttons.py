"""The brain's buttons are semantic (open an item, ask again, pick an item, history):
no reply of the brain carries Telegram callback data, and the Telegram door turns each
kind into exactly the callback data it sent before the buttons were semantic.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.brain import Brain
from bot.core.reply import ACTIONS, Button, Reply
from bot.core.text import fold
from bot.plan.loader import Knowledge
from bot.telegram import callbacks

TODAY = date(2026, 11, 26)

# one message per kind of button the brain emits
MESSAGES = {
    "open_item": "Sở Nội vụ phải làm gì",
    "pick": "/nhiemvu",
    "history": "tiến độ nhiệm vụ 2.4",
    "ask": "nhiệm vụ 6 hiện nay thế nào rồi",
}


@pytest.fixture(scope="module")
def brain(knowledge: Knowledge) -> Brain:
    return Brain(knowledge)


def answer(brain: Brain, text: str) -> Reply:
    return brain.answer(text, today=TODAY)


def door_data(reply: Reply) -> list[list[str]]:
    asks = callbacks.AskStore()
    return [[callbacks.button_data(b, asks) for b in row] for row in reply.buttons]


# --------------------------------------------------------------------------- the brain


@pytest.mark.parametrize("action", sorted(MESSAGES))
def test_the_brain_emits_semantic_buttons_only(brain: Brain, action: str) -> None:
    reply = answer(brain, MESSAGES[action])
    buttons = [b for row in reply.buttons for b in row]
    assert action in {b.action for b in buttons}
    for button in buttons:
        assert button.action in ACTIONS
        assert button.data == ""
    assert "v1:" not in repr(reply.buttons)
    assert "v1:" not in json.dumps(reply.to_json(), ensure_ascii=False)


def test_ask_json_contract_keeps_its_keys(brain: Brain) -> None:
    """`ask --json` exposed no buttons before; it still does not (shared/eval/README.md).
    It gained `plan`, the number of the plan answered (`plans` only when an answer spans
    several plans)."""
    reply = answer(brain, MESSAGES["open_item"])
    assert set(reply.to_json()) == {
        "intent",
        "agency",
        "task_ids",
        "general_task_ids",
        "inherited_task_ids",
        "status",
        "percent",
        "confidence",
        "plan",
        "reply",
    }
    assert reply.to_json()["plan"] == brain.knowledge.plan.meta.number


# --------------------------------------------------------------------------- the door


def test_the_door_sends_the_callback_data_it_sent_before(brain: Brain) -> None:
    opened = door_data(answer(brain, MESSAGES["open_item"]))
    assert opened[0] == ["v1:item:2.4", "v1:item:3.1", "v1:item:6", "v1:item:1.1"]
    picked = door_data(answer(brain, MESSAGES["pick"]))
    assert picked[0] == ["v1:pick:xem:1.1", "v1:pick:xem:1.2", "v1:pick:xem:2.1", "v1:pick:xem:2.2"]
    assert door_data(answer(brain, MESSAGES["history"])) == [["v1:hist:2.4"]]
    asked = door_data(answer(brain, MESSAGES["ask"]))
    assert asked[0] == ["v1:q:/nhiemvu nhiệm vụ 6"]
    overview = door_data(answer(brain, "tiến độ chung các nhiệm vụ"))
    assert overview[0][0] == "v1:pick:xem ti:1.1"


@pytest.mark.parametrize("item_id", ["2.4", "6", "III.1", "10.12"])
def test_item_history_and_pick_data_are_the_old_strings(item_id: str) -> None:
    data = callbacks.semantic_data
    assert data(Button("x", action="open_item", args=(item_id,))) == f"v1:item:{item_id}"
    assert data(Button("x", action="history", args=(item_id,))) == f"v1:hist:{item_id}"
    for verb in ("xem", "cập nhật", "xem tiến độ"):
        assert (
            data(Button("x", action="pick", args=(verb, item_id)))
            == f"v1:pick:{verb[:6]}:{item_id}"
        )


def _old_question_data(question: str) -> str:
    """How the brain built a clarification button's data before it was semantic."""
    data = "v1:q:" + question[:58]
    return data.encode("utf-8")[:64].decode("utf-8", "ignore")


@pytest.mark.parametrize(
    "question",
    [
        "nhiem vu 2.4",
        "/help",
        fold("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Bình Thuận và các đoàn thể phai lam gi"),
        "câu hỏi có dấu rất dài " * 4,  # cut inside a character: dropped, as before
    ],
)
def test_question_data_is_the_old_string(question: str) -> None:
    data = callbacks.semantic_data(Button("x", action="ask", args=(question,)))
    assert data == _old_question_data(question)
    assert len(data.encode("utf-8")) <= callbacks.MAX_BYTES
    assert callbacks.parse(data) is not None


def test_a_doors_own_buttons_are_unchanged() -> None:
    asks = callbacks.AskStore()
    assert callbacks.button_data(Button("Xem", "v1:item:2.4"), asks) == "v1:item:2.4"
    data = callbacks.button_data(Button("Hỏi", "Sở Nội vụ phải làm gì"), asks)
    assert data == callbacks.encode(callbacks.ASK, asks.key_of("Sở Nội vụ phải làm gì"))
    assert asks.get(asks.key_of("Sở Nội vụ phải làm gì")) == "Sở Nội vụ phải làm gì"


def test_the_kinds_the_door_produces_have_routes() -> None:
    from bot.telegram.progress import reporting, views

    assert callbacks.PICK == reporting.BRAIN_PICK
    assert callbacks.HISTORY == views.HISTORY


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "open"},  # unknown action
        {"action": "open_item"},  # missing argument
        {"action": "open_item", "args": ("2.4", "3.1")},  # too many
        {"action": "pick", "args": ("xem",)},
        {"action": "ask", "args": ("  ",)},  # blank
        {"action": "open_item", "args": ["2.4"]},  # not a tuple
        {"action": "open_item", "args": ("2.4",), "data": "v1:item:2.4"},  # both
        {"args": ("2.4",)},  # arguments without an action
        {"data": "v1:q:" + "x" * 60},  # a door's data over 64 bytes
    ],
)
def test_invalid_buttons_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Button("x", **kwargs)  # type: ignore[arg-type]


def test_every_action_maps_to_callback_data() -> None:
    for action, arity in ACTIONS.items():
        args = ("xem", "2.4") if action == "pick" else ("2.4",) * arity
        data = callbacks.semantic_data(Button("x", action=action, args=args))
        assert callbacks.parse(data) is not None, action
