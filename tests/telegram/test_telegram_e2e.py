"""End to end: the real Application, real long polling, a fake Bot API on 127.0.0.1.

Each test starts `bot.telegram.app.serve` against `FakeBotApi`, injects updates
as Telegram would send them and waits (on conditions, with timeouts) for what
the bot sends back. Silence is proven with a sentinel: updates of one chat are
processed in order, so once the answer to a later addressed message arrives,
every earlier message of that chat has been handled.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import pytest
from conftest import ScriptedBrain, long_html
from fake_bot_api import FakeBotApi, parse_html, utf16_len
from serve_helpers import FunctionFeature, serve_in_background
from telegram import Update
from telegram.ext import CommandHandler

from bot.brain import Brain
from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.core.reply import Reply, html_to_plain, split_html
from bot.plan.loader import Knowledge
from bot.telegram import commands, delivery, handlers
from bot.telegram.callbacks import parse

TODAY = date(2026, 11, 26)
ALICE = FakeBotApi.user(501, "Lan", "lan_snv")
BOB = FakeBotApi.user(502, "Minh")
GROUP_ID = -100777


@dataclass
class Bot:
    api: FakeBotApi
    brain: Any
    settings: Settings
    task: asyncio.Task[int]
    stop: asyncio.Event


async def start_bot(
    api: FakeBotApi,
    brain: Any,
    settings: Settings,
    *,
    rate_limiter: bool = False,
    features: tuple[Any, ...] = (),
) -> Bot:
    task, stop = await serve_in_background(
        settings,
        brain,
        clock=FixedClock(TODAY),
        base_url=api.base_url,
        rate_limiter=rate_limiter,
        features=features,
    )
    return Bot(api, brain, settings, task, stop)


async def stop_bot(bot: Bot) -> None:
    bot.stop.set()
    assert await asyncio.wait_for(bot.task, 10) == 0


@pytest.fixture
async def bot(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> AsyncIterator[Bot]:
    running = await start_bot(api, scripted_brain, make_settings())
    yield running
    await stop_bot(running)
    assert not api.rejected(), api.rejected()


def texts(calls: list[Any]) -> list[str]:
    return [c.params["text"] for c in calls]


async def ask(api: FakeBotApi, chat: dict[str, Any], text: str, count: int = 1) -> list[Any]:
    """Send a message and wait for `count` messages back in that chat."""
    since = api.mark()
    api.send(chat, ALICE if chat["id"] == ALICE["id"] else BOB, text)
    return await api.wait_for("sendMessage", count=count, since=since, chat_id=chat["id"])


# ---------------------------------------------------------------- start-up


async def test_startup_polls_and_publishes_menus_per_scope(bot: Bot) -> None:
    api = bot.api
    assert api.calls_to("getMe") and api.calls_to("deleteWebhook")
    polls = await api.wait_for("getUpdates", answered=False)
    assert polls[0].params.get("timeout", 0) > 0  # long polling
    scopes = {key.split("|")[0]: value for key, value in api.commands.items()}
    names = {scope: [c["command"] for c in cmds] for scope, cmds in scopes.items()}
    private = names['{"type": "all_private_chats"}']
    assert private[0] == "start"
    assert {"nhiemvu", "coquan", "han", "timkiem", "tiendo", "help"} <= set(private)
    assert names['{"type": "default"}'] == private
    group = names['{"type": "all_group_chats"}']
    assert "start" not in group and {"nhiemvu", "help"} <= set(group)
    assert set(group) <= set(names['{"type": "all_chat_administrators"}'])
    every = [c["description"] for cmds in scopes.values() for c in cmds]
    assert all(any(ch in d for ch in "ạảãáàâăđêôơưệộ") for d in every)  # Vietnamese


# ---------------------------------------------------------------- private chats


async def test_private_free_text_goes_to_the_brain(bot: Bot) -> None:
    chat = bot.api.private(ALICE)
    (call,) = await ask(bot.api, chat, "Sở Nội vụ phải làm gì?")
    assert call.params["text"] == "Đã nhận: <b>Sở Nội vụ phải làm gì?</b>"
    assert call.params["parse_mode"] == "HTML"
    assert "reply_parameters" not in call.params  # no quoting in a private chat
    text, asker = bot.brain.calls[-1]
    assert text == "Sở Nội vụ phải làm gì?"
    assert asker is not None and asker.user_id == ALICE["id"] and asker.display_name == "Lan"


async def test_each_command_maps_to_its_question(bot: Bot) -> None:
    chat = bot.api.private(ALICE)
    cases = {
        "/nhiemvu 2.4": "nhiệm vụ 2.4",
        "/nhiemvu III.1": "nhiệm vụ III.1",
        "/coquan Sở Nội vụ": "Sở Nội vụ phải làm gì",
        "/han quý II/2023": "hạn quý II/2023",
        "/han sắp đến hạn": "sắp đến hạn",
        "/timkiem hội hữu nghị": "tìm hội hữu nghị",
        "/tiendo 2.4": "tiến độ 2.4",
        "/tiendo": "tiến độ",
        "/start nv_2_4": "nhiệm vụ 2.4",
        "/start nv_III_1": "nhiệm vụ III.1",
    }
    for command, question in cases.items():
        (call,) = await ask(bot.api, chat, command)
        assert bot.brain.texts[-1] == question, command
        assert call.params["text"] == f"Đã nhận: <b>{question}</b>"


async def test_commands_without_argument_get_a_usage_hint(bot: Bot) -> None:
    chat = bot.api.private(ALICE)
    for command in ("/nhiemvu", "/coquan", "/han", "/timkiem"):
        (call,) = await ask(bot.api, chat, command)
        assert "ví dụ" in call.params["text"] and f"{command} " in call.params["text"]
    assert bot.brain.calls == []


async def test_start_greets_by_escaped_name_with_example_buttons(bot: Bot) -> None:
    api = bot.api
    user = FakeBotApi.user(503, "<Lan & Hùng>")
    chat = api.private(user)
    since = api.mark()
    api.send(chat, user, "/start")
    (call,) = await api.wait_for("sendMessage", since=since, chat_id=user["id"])
    assert "&lt;Lan &amp; Hùng&gt;" in call.params["text"]
    assert "Xin chào" in call.params["text"]
    buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons and all(parse(b["callback_data"]) for b in buttons)
    since = api.mark()
    api.press(user, call.result, buttons[0]["callback_data"])
    await api.wait_for("sendMessage", since=since, chat_id=user["id"])
    assert bot.brain.texts[-1] == buttons[0]["text"]


async def test_help_and_unknown_command(bot: Bot) -> None:
    chat = bot.api.private(ALICE)
    (help_call,) = await ask(bot.api, chat, "/help")
    for name in ("/nhiemvu", "/coquan", "/han", "/timkiem", "/tiendo"):
        assert name in help_call.params["text"]
    (unknown,) = await ask(bot.api, chat, "/khongco <b>")
    assert "Không có lệnh /khongco" in unknown.params["text"]
    (start_help,) = await ask(bot.api, chat, "/start help")
    assert "/nhiemvu" in start_help.params["text"]


async def test_edited_message_is_answered_again(bot: Bot) -> None:
    api = bot.api
    chat = api.private(ALICE)
    since = api.mark()
    original = api.send(chat, ALICE, "nhiệm vụ 2.3")
    await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
    since = api.mark()
    api.edit(original, "nhiệm vụ 2.4")
    (call,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
    assert bot.brain.texts[-1] == "nhiệm vụ 2.4"
    assert call.params["reply_parameters"]["message_id"] == original["message_id"]


async def test_sticker_and_photo_get_a_hint_in_private(bot: Bot) -> None:
    api = bot.api
    chat = api.private(ALICE)
    sticker = {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    photo = [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]
    for content in ({"sticker": sticker}, {"photo": photo, "caption": "ảnh"}):
        since = api.mark()
        api.send(chat, ALICE, **content)
        (call,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert "chỉ đọc được tin nhắn chữ" in call.params["text"]
    assert bot.brain.calls == []


async def test_ten_thousand_character_message(bot: Bot) -> None:
    api = bot.api
    chat = api.private(ALICE)
    text = ("Sở Nội vụ <script>alert(1)</script> & Sở Tài chính phải làm gì? " * 200)[:10_000]
    since = api.mark()
    api.send(chat, ALICE, text)
    calls = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
    asked = bot.brain.texts[-1]
    assert 0 < len(asked) <= 4096 and "<script>" not in asked
    sent = api.sent(ALICE["id"], since=since)
    assert calls and all(utf16_len(parse_html(c.params["text"])) <= 4096 for c in sent)
    assert not api.rejected(since=since)


async def test_long_reply_arrives_as_several_messages(bot: Bot) -> None:
    api = bot.api
    chat = api.private(ALICE)
    expected = html_to_plain(long_html())
    assert len(long_html()) > 9000
    count = len(split_html(long_html()))
    sent = await ask(api, chat, "dài quá", count=count)
    assert count >= 3 and len(api.sent(ALICE["id"])) == count
    pieces = [c.params["text"] for c in sent]
    assert all(len(p) <= 4096 for p in pieces)
    joined = "\n".join(html_to_plain(p) for p in pieces)
    assert joined.split() == expected.split()
    assert [("reply_markup" in c.params) for c in sent] == [False] * (len(sent) - 1) + [True]
    assert not api.rejected()


# ---------------------------------------------------------------- groups


async def test_group_silent_on_chatter_answers_mention_and_reply(bot: Bot) -> None:
    api = bot.api
    group = api.group(GROUP_ID)
    since = api.mark()
    api.send(group, BOB, "Chiều nay họp lúc mấy giờ mọi người?")
    api.send(group, BOB, "nhiệm vụ 2.4 xong chưa nhỉ")
    api.send(group, BOB, "/nhiemvu@SomeOtherBot 2.4")
    api.send(group, BOB, "/khongco")
    api.send(group, BOB, sticker={"file_id": "s", "file_unique_id": "u", "type": "regular",
                                  "width": 1, "height": 1, "is_animated": False,
                                  "is_video": False})  # fmt: skip
    mention = api.mention(group, BOB, "", ", Sở Nội vụ phải làm gì?")
    (answer,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert len(api.calls_to("sendMessage", since=since)) == 1  # chatter got nothing
    assert bot.brain.texts == ["Sở Nội vụ phải làm gì?"]
    assert answer.params["reply_parameters"]["message_id"] == mention["message_id"]

    since = api.mark()
    reply = api.send(group, BOB, "còn nhiệm vụ 3.1?", reply_to=answer.result)
    (second,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert bot.brain.texts[-1] == "còn nhiệm vụ 3.1?"
    assert second.params["reply_parameters"]["message_id"] == reply["message_id"]

    since = api.mark()
    other = api.send(group, ALICE, "đồng ý")
    api.send(group, BOB, "trả lời người khác", reply_to=other)
    api.send(group, BOB, f"/nhiemvu@{api.username} 2.4")
    await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert len(api.calls_to("sendMessage", since=since)) == 1
    assert bot.brain.texts[-1] == "nhiệm vụ 2.4"

    since = api.mark()
    api.mention(group, BOB, "", "")  # a bare mention gets a hint, not a brain call
    (hint,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert "Ví dụ" in hint.params["text"] and bot.brain.texts[-1] == "nhiệm vụ 2.4"


async def test_group_help_and_start(bot: Bot) -> None:
    api = bot.api
    group = api.group(GROUP_ID)
    for command in ("/help", "/start"):
        since = api.mark()
        api.send(group, BOB, command)
        (call,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
        assert f"@{api.username}" in call.params["text"]


# ---------------------------------------------------------------- buttons


async def test_item_buttons_open_items(bot: Bot) -> None:
    api = bot.api
    chat = api.private(ALICE)
    (listing,) = await ask(api, chat, "danh sách việc Sở Nội vụ")
    buttons = [b for row in listing.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["v1:item:2.4", "v1:item:III.1"]
    for button, question in zip(buttons, ("nhiệm vụ 2.4", "nhiệm vụ III.1"), strict=True):
        since = api.mark()
        query_id = api.press(ALICE, listing.result, button["callback_data"])
        await api.wait_for("answerCallbackQuery", since=since, callback_query_id=query_id)
        (opened,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert opened.params["text"] == f"Đã nhận: <b>{question}</b>"
    assert "reply_markup" in api.messages[(ALICE["id"], listing.result["message_id"])]


async def test_suggestion_buttons_ask_and_clear_the_keyboard(bot: Bot) -> None:
    api = bot.api
    chat = api.private(ALICE)
    for index, question in enumerate(("Sở Nội vụ phải làm gì?", "han quy ii/2023")):
        (suggestion,) = await ask(api, chat, "gợi ý giúp")
        rows = suggestion.params["reply_markup"]["inline_keyboard"]
        data = rows[index][0]["callback_data"]
        assert len(data.encode()) <= 64
        since = api.mark()
        api.press(ALICE, suggestion.result, data)
        await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert bot.brain.texts[-1] == question
        assert api.calls_to("editMessageReplyMarkup", since=since)
        stored = api.messages[(ALICE["id"], suggestion.result["message_id"])]
        assert "reply_markup" not in stored


FORGED = [
    "",
    "garbage",
    "v2:item:2.4",
    "v1:item:99.9",
    "v1:item:<b>x</b>",
    "v1:item:2.4; DROP TABLE",
    "v1:ask:aaaaaaaaaaaaaaaa",
    "v1:ask:../../etc/passwd",
    "v1:nope:1",
    "v1:q:   ",
    "v1:q:\u200b",
    "v1::",
    "v1:ITEM:2.4",
    "v1:pick:xong:2.4",
    "v1:item:" + "9" * 56,
]


async def test_forged_and_stale_callbacks_are_answered_harmlessly(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    chat = api.private(ALICE)
    (listing,) = await ask(api, chat, "danh sách")
    since = api.mark()
    ids = [api.press(ALICE, listing.result, data) for data in FORGED]
    ids.append(api.press(ALICE, None, "v1:item:2.4"))  # inline message: no chat to answer in
    for query_id in ids:
        (answer,) = await api.wait_for(
            "answerCallbackQuery", since=since, callback_query_id=query_id
        )
        assert answer.status == 200 and answer.params.get("text")
    (after,) = await ask(api, chat, "vẫn chạy chứ?")
    assert after.params["text"] == "Đã nhận: <b>vẫn chạy chứ?</b>"
    assert len(api.sent(ALICE["id"], since=since)) == 1  # only the answer to the last message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ---------------------------------------------------------------- errors


async def test_error_is_logged_apologised_and_bot_keeps_running(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    chat = api.private(ALICE)
    (apology,) = await ask(api, chat, "lỗi nhé")
    assert "Xin lỗi" in apology.params["text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info and "brain failure" in str(errors[0].exc_info[1])
    group = api.group(GROUP_ID)
    since = api.mark()
    api.mention(group, BOB, "", " lỗi")
    (group_apology,) = await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
    assert "Xin lỗi" in group_apology.params["text"]
    (after,) = await ask(api, chat, "còn đó không")
    assert after.params["text"].startswith("Đã nhận")


async def test_transient_send_failure_is_survived(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = bot.api
    chat = api.private(ALICE)
    monkeypatch.setattr(delivery, "RETRY_DELAYS", (0.01, 0.01))
    api.fail("sendMessage", status=500, times=4)  # the answer (3 tries) and the apology fail
    since = api.mark()
    api.send(chat, ALICE, "thử lần một")
    await api.wait_for("sendMessage", since=since, count=4, chat_id=ALICE["id"])
    (after,) = await ask(api, chat, "thử lần hai")
    assert after.status == 200 and "thử lần hai" in after.params["text"]


# ---------------------------------------------------------------- other modes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_checks_the_secret_token(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> None:
    port = _free_port()
    settings = make_settings(
        webhook_url="https://bot.example.invalid/tg/hook",
        webhook_secret="s3cret_Token-1",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    bot = await start_bot(api, scripted_brain, settings)
    try:
        assert api.webhook is not None
        assert api.webhook["url"] == "https://bot.example.invalid/tg/hook"
        assert api.webhook["secret_token"] == "s3cret_Token-1"
        chat = api.private(ALICE)
        url = f"http://127.0.0.1:{port}/tg/hook"
        forged = {"update_id": 90, "message": api.new_message(chat, ALICE, "giả mạo")}
        genuine = {"update_id": 91, "message": api.new_message(chat, ALICE, "thật")}
        near_misses = (
            "sai",
            "s3cret_Token-",
            "s3cret_Token-12",
            "S3CRET_TOKEN-1",
            "s3cret_Token-1x",
        )
        async with aiohttp.ClientSession() as session:
            for secret in (*near_misses, "", None):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
                async with session.post(url, json=forged, headers=headers) as response:
                    assert response.status == 403, secret
            async with session.post(f"{url}?secret_token=s3cret_Token-1", json=forged) as response:
                assert response.status == 403  # only the header counts
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-1"}
            since = api.mark()
            async with session.post(url, json=genuine, headers=headers) as response:
                assert response.status == 200
        (call,) = await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert call.params["text"] == "Đã nhận: <b>thật</b>"
        assert scripted_brain.texts == ["thật"]
        assert not api.calls_to("getUpdates")
    finally:
        await stop_bot(bot)


async def test_webhook_without_a_configured_secret_still_requires_one(
    api: FakeBotApi,
    scripted_brain: ScriptedBrain,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "bot"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    port = _free_port()
    settings = make_settings(
        webhook_url="https://bot.example.invalid/tg/hook",
        webhook_secret=None,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    bot = await start_bot(api, scripted_brain, settings)
    try:
        assert api.webhook is not None
        secret = str(api.webhook["secret_token"])  # a fresh random one for this run
        assert len(secret) >= 32 and all(c.isalnum() or c in "-_" for c in secret)
        chat = api.private(ALICE)
        url = f"http://127.0.0.1:{port}/tg/hook"
        forged = {"update_id": 80, "message": api.new_message(chat, ALICE, "giả mạo")}
        genuine = {"update_id": 81, "message": api.new_message(chat, ALICE, "thật")}
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
                async with session.post(url, json=forged, headers=headers) as response:
                    assert response.status == 403
            since = api.mark()
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with session.post(url, json=genuine, headers=headers) as response:
                assert response.status == 200
        await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
        assert scripted_brain.texts == ["thật"]
    finally:
        await stop_bot(bot)
    assert any(r.name.startswith("telegram") and r.levelno == logging.DEBUG for r in caplog.records)
    assert secret not in caplog.text  # the setWebhook call is logged, the secret is not


async def test_rate_limited_run_delivers_everything(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> None:
    bot = await start_bot(api, scripted_brain, make_settings(), rate_limiter=True)
    try:
        chat, group = api.private(ALICE), api.group(GROUP_ID)
        since = api.mark()
        api.send(chat, ALICE, "dài")
        for i in range(5):
            api.send(chat, ALICE, f"câu {i}")
        api.mention(group, BOB, "", " nhóm hỏi")
        await api.wait_for("sendMessage", since=since, chat_id=GROUP_ID)
        pieces = len(split_html(long_html()))
        calls = await api.wait_for(
            "sendMessage", since=since, chat_id=ALICE["id"], count=pieces + 5
        )
        assert [c.params["text"] for c in calls[-5:]] == [
            f"Đã nhận: <b>câu {i}</b>" for i in range(5)
        ]  # one chat's messages are answered in order
        assert not api.rejected()
    finally:
        await stop_bot(bot)


@pytest.fixture(scope="module")
def real_brain(knowledge: Knowledge) -> Brain:
    return Brain(knowledge)


async def test_real_brain_replies_are_valid_telegram_messages(
    api: FakeBotApi, real_brain: Brain, make_settings: Callable[..., Settings]
) -> None:
    bot = await start_bot(api, real_brain, make_settings())
    try:
        chat = api.private(ALICE)
        questions = [
            "Sở Nội vụ phải làm gì?",
            "nhiệm vụ 2.4",
            "/han quý II/2023",
            "/timkiem ODA",
            "/coquan UBND các huyện",
            "so tai chinh lam gi",
            "xin chào",
            "<b>không đóng & thẻ",
        ]
        buttons: list[tuple[dict[str, Any], str]] = []
        for question in questions:
            since = api.mark()
            api.send(chat, ALICE, question)
            await api.wait_for("sendMessage", since=since, chat_id=ALICE["id"])
            for call in api.sent(ALICE["id"], since=since):
                assert call.params["parse_mode"] == "HTML"
                for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                    buttons += [(call.result, b["callback_data"]) for b in row]
        for message, data in buttons[:12]:
            assert len(data.encode()) <= 64
            since = api.mark()
            query_id = api.press(ALICE, message, data)
            await api.wait_for("answerCallbackQuery", since=since, callback_query_id=query_id)
        (last,) = await ask(api, chat, "nhiệm vụ 3.1")
        assert last.status == 200
        assert not api.rejected()
    finally:
        await stop_bot(bot)


def progress_feature(application: Any) -> None:
    """A stand-in for a later feature module (progress updates)."""

    async def capnhat(update: Update, context: Any) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"capnhat: {' '.join(context.args)}")

    async def tiendo(update: Update, context: Any) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("tiến độ của tính năng")

    async def pick(update: Update, context: Any, arg: str) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer(f"chọn {arg}")

    async def card(update: Update, context: Any, reply: Reply, text: str) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, f"thẻ xác nhận: {reply.intent}")

    application.add_handler(CommandHandler("capnhat", capnhat))
    application.add_handler(CommandHandler("tiendo", tiendo))
    commands.add_menu_command(application, "capnhat", "Cập nhật tiến độ một nhiệm vụ")
    handlers.add_route(application, "pick", pick)
    handlers.add_intent_hook(application, "agency_tasks", card)


async def test_feature_modules_plug_in_commands_routes_and_intent_hooks(
    api: FakeBotApi, scripted_brain: ScriptedBrain, make_settings: Callable[..., Settings]
) -> None:
    bot = await start_bot(
        api, scripted_brain, make_settings(), features=(FunctionFeature(progress_feature),)
    )
    try:
        private = api.commands['{"type": "all_private_chats"}|']
        assert "capnhat" in [c["command"] for c in private]
        chat = api.private(ALICE)
        (call,) = await ask(api, chat, "/capnhat 2.4 xong")
        assert call.params["text"] == "capnhat: 2.4 xong"
        (call,) = await ask(api, chat, "/tiendo 2.4")
        assert call.params["text"] == "tiến độ của tính năng"  # the feature's command wins
        (call,) = await ask(api, chat, "danh sách")
        assert call.params["text"] == "thẻ xác nhận: agency_tasks"
        since = api.mark()
        query_id = api.press(ALICE, call.result, "v1:pick:xong:2.4")
        (answer,) = await api.wait_for(
            "answerCallbackQuery", since=since, callback_query_id=query_id
        )
        assert answer.params["text"] == "chọn xong:2.4"
        assert scripted_brain.texts == ["danh sách"]
    finally:
        await stop_bot(bot)
