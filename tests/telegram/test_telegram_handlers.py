"""Fast tests of the Telegram layer: no server, a recording fake `BaseRequest`.

As in python-telegram-bot's own suite, the Application is built with a request
object that records each Bot API call and answers it from memory; updates are
fed with `Application.process_update`. Also the pure parts: callback data, the
ask store, command questions, deep links, group addressing, log redaction, the
per-chat update processor, start-up refusals and the terminal chat.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, ScriptedBrain
from fake_bot_api import FakeBotApi
from telegram import Message, ReplyParameters, Update
from telegram.error import Forbidden, NetworkError
from telegram.ext import AIORateLimiter, Application
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bot.app.runtime import run_bot
from bot.app.terminal_chat import run_chat
from bot.brain import Brain
from bot.core.clock import FixedClock
from bot.core.config import ConfigError, Settings
from bot.core.reply import Button, Reply, html_to_plain
from bot.plan.loader import Knowledge
from bot.telegram import app as app_module
from bot.telegram import callbacks, commands, errors, handlers, sending
from bot.telegram.app import build_application, webhook_secret
from bot.telegram.update_processor import PerChatUpdateProcessor

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
USER = FakeBotApi.user(501, "Lan")
OTHER_BOT = {"id": 42, "is_bot": True, "first_name": "Bot khác", "username": "OtherBot"}
GROUP = {"id": -100500, "type": "supergroup", "title": "Nhóm"}
PRIVATE = {"id": USER["id"], "type": "private", "first_name": "Lan"}


class RecordingRequest(BaseRequest):
    """Answers Bot API calls from memory and records them (method, parameters)."""

    def __init__(self, bot_user: dict[str, Any]):
        self.bot_user = bot_user
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[tuple[int, str]]] = {}
        self._ids = itertools.count(2000)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def fail_next(self, method: str, status: int, description: str) -> None:
        self.failures.setdefault(method, []).append((status, description))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((endpoint, params))
        if self.failures.get(endpoint):
            status, description = self.failures[endpoint].pop(0)
            body = {"ok": False, "error_code": status, "description": description}
            return status, json.dumps(body).encode()
        result: Any = True
        if endpoint == "getMe":
            result = self.bot_user
        elif endpoint in ("sendMessage", "editMessageReplyMarkup"):
            chat_id = int(params.get("chat_id", USER["id"]))
            result = {
                "message_id": next(self._ids),
                "date": 0,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": self.bot_user,
                "text": params.get("text", ""),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self) -> list[dict[str, Any]]:
        return [params for method, params in self.calls if method == "sendMessage"]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


Built = tuple[Application[Any, Any, Any, Any, Any, Any], RecordingRequest]


@pytest.fixture
def factory() -> FakeBotApi:
    """Used only to build update dicts (it is never started)."""
    return FakeBotApi(TOKEN)


async def _build(settings: Settings, brain: Any, factory: FakeBotApi) -> Built:
    request = RecordingRequest(factory.bot_user)
    application = build_application(
        settings, brain, clock=FixedClock(TODAY), rate_limiter=False, request=request
    )
    await application.initialize()
    request.calls.clear()
    return application, request


@pytest.fixture
async def built(
    make_settings: Callable[..., Settings], scripted_brain: ScriptedBrain, factory: FakeBotApi
) -> AsyncIterator[Built]:
    application, request = await _build(make_settings(), scripted_brain, factory)
    yield application, request
    await application.shutdown()


async def feed(application: Any, payload: dict[str, Any]) -> None:
    update = Update.de_json({"update_id": 1, **payload}, application.bot)
    await application.process_update(update)


def message(factory: FakeBotApi, chat: dict[str, Any], text: str | None, **kw: Any) -> dict:
    return {"message": factory.new_message(chat, kw.pop("user", USER), text, **kw)}


# ---------------------------------------------------------------- callback data


def test_callback_data_round_trip_and_limits() -> None:
    assert callbacks.encode("item", "2.4") == "v1:item:2.4"
    assert callbacks.parse("v1:item:2.4") == callbacks.CallbackData("item", "2.4")
    assert callbacks.parse("v1:pick:xong:2.4") == callbacks.CallbackData("pick", "xong:2.4")
    assert callbacks.parse("v1:q:sở nội vụ") == callbacks.CallbackData("q", "sở nội vụ")
    for bad in (None, 5, "", "v1", "v1:item", "v2:item:2.4", "v1:Item:2.4", "v1:item: ",
                "v1:item:a\x00b", "v1:item:\u200b", "v1:" + "x" * 70, "v1:q:" + "ệ" * 25):  # fmt: skip
        assert callbacks.parse(bad) is None, bad
    with pytest.raises(ValueError):
        callbacks.encode("item", "9" * 60)
    with pytest.raises(ValueError):
        callbacks.encode("Bad Kind", "1")
    assert callbacks.ITEM_ID.match("III.1") and callbacks.ITEM_ID.match("5")
    assert not callbacks.ITEM_ID.match("2.4; drop") and not callbacks.ITEM_ID.match("<b>")


def test_ask_store_is_deterministic_and_bounded() -> None:
    store = callbacks.AskStore(capacity=3)
    key = store.put("Sở Nội vụ phải làm gì?")
    assert key == store.put("Sở Nội vụ phải làm gì?") and callbacks.ASK_KEY.match(key)
    for i in range(5):
        store.put(f"câu {i}")
    assert len(store) == 3 and store.get(key) is None and store.get("câu 4") is None
    assert store.get(store.key_of("câu 4")) == "câu 4"


def test_keyboard_passes_v1_data_and_stores_other_questions() -> None:
    store = callbacks.AskStore()
    long_question = "Việc nào của Ủy ban nhân dân các huyện, thị xã, thành phố sắp đến hạn?"
    rows = [
        [Button("Xem 2.4", "v1:item:2.4"), Button("Hỏi", "Sở Nội vụ phải làm gì")],
        [],
        [Button("Dài", long_question[:20])],
    ]
    markup = callbacks.keyboard(rows, store)
    assert markup is not None
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data[0] == "v1:item:2.4"
    assert all(isinstance(d, str) and len(d.encode()) <= 64 for d in data)
    parsed = callbacks.parse(data[1])
    assert parsed and parsed.kind == "ask" and store.get(parsed.arg) == "Sở Nội vụ phải làm gì"
    assert len(markup.inline_keyboard) == 2
    assert callbacks.keyboard([], store) is None


# ---------------------------------------------------------------- commands


def test_query_commands_build_questions() -> None:
    by_name = {c.name: c for c in commands.QUERY_COMMANDS}
    assert by_name["nhiemvu"].question(" 2.4 ") == "nhiệm vụ 2.4"
    assert by_name["nhiemvu"].question("nhiệm vụ 2.4") == "nhiệm vụ 2.4"
    assert by_name["coquan"].question("SNV") == "SNV phải làm gì"
    assert by_name["han"].question("quý 2") == "hạn quý 2"
    assert by_name["han"].question("quá hạn") == "quá hạn"
    assert by_name["timkiem"].question("ODA") == "tìm ODA"
    assert by_name["nhiemvu"].question("") is None
    assert by_name["tiendo"].question("") == "tiến độ"
    for command in commands.QUERY_COMMANDS:
        assert command.bare or command.usage


def test_deep_links() -> None:
    assert commands.deep_link_question("nv_2_4") == "nhiệm vụ 2.4"
    assert commands.deep_link_question("item-III-1") is None  # only "_" after the prefix
    assert commands.deep_link_question("nv_III_1") == "nhiệm vụ III.1"
    assert commands.deep_link_question("nv_2-4") == "nhiệm vụ 2.4"
    for payload in ("", "nv_", "nv_<b>", "abc", "nv_1_2_3_4"):
        assert commands.deep_link_question(payload) is None


# ---------------------------------------------------------------- addressing


async def test_group_addressing(built: Built, factory: FakeBotApi) -> None:
    application, _ = built
    bot = application.bot

    def msg(text: str, **kw: Any) -> Message:
        data = factory.new_message(GROUP, USER, text, **kw)
        parsed = Message.de_json(data, bot)
        assert parsed is not None
        return parsed

    handle = f"@{factory.username}"
    mention = [{"type": "mention", "offset": 0, "length": len(handle)}]
    assert handlers.is_addressed_to_bot(msg(f"{handle} hỏi", entities=mention))
    shout = handle.upper()
    assert handlers.is_addressed_to_bot(msg(f"{shout} hỏi", entities=mention))
    other = [{"type": "mention", "offset": 0, "length": 9}]
    assert not handlers.is_addressed_to_bot(msg("@OtherBot hỏi", entities=other))
    text_mention = [{"type": "text_mention", "offset": 0, "length": 6, "user": factory.bot_user}]
    assert handlers.is_addressed_to_bot(msg("Trợ lý ơi", entities=text_mention))
    bot_message = factory.new_message(GROUP, factory.bot_user, "trả lời")
    assert handlers.is_addressed_to_bot(msg("vậy à", reply_to=bot_message))
    human_message = factory.new_message(GROUP, USER, "ý kiến")
    assert not handlers.is_addressed_to_bot(msg("đồng ý", reply_to=human_message))
    assert not handlers.is_addressed_to_bot(msg(f"nhắn {factory.username} không có @"))


# ---------------------------------------------------------------- messages


async def test_start_up_derives_the_progress_the_first_questions_read(
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    factory: FakeBotApi,
    tmp_path: Path,
    derived_rows: list[tuple[Any, ...]],
) -> None:
    """After a restart with a long history, the first progress question must not read
    and derive it inside the event loop (it blocks every other update): starting the
    features warms the one view the brain, /tiendo and the reminders share."""
    import bot.progress.view as progress_view
    from bot.app.runtime import Runtime, default_features
    from bot.storage.base import NewUpdate
    from bot.storage.sqlite import open_sqlite

    path = tmp_path / "history.db"
    db = open_sqlite(path, now=NOW)
    await db.insert_update(NewUpdate("2.4", "2.4", "snv", "done", 100, None, 1, "A", NOW))
    db.close()
    settings = make_settings(database_url=f"sqlite:///{path}")
    per_view = len(progress_view.ProgressView(knowledge, None).rows(TODAY))
    derived_rows.clear()
    clock = FixedClock(TODAY)
    runtime = Runtime.build(settings, knowledge, clock)
    request = RecordingRequest(factory.bot_user)
    application = build_application(
        settings,
        runtime.brain,
        clock=clock,
        rate_limiter=False,
        request=request,
        features=default_features(runtime),
    )
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    try:
        assert len(derived_rows) == per_view  # one view: the brain's, /tiendo's, the reminders'
        derived_rows.clear()
        await feed(application, message(factory, PRIVATE, "tiến độ nhiệm vụ 2.4"))
        await feed(application, message(factory, PRIVATE, "/tiendo 2.4"))
        first, second = request.sent()
        assert "hoàn thành" in first["text"] and "hoàn thành" in second["text"]
        assert derived_rows == []
    finally:
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)
        runtime.close()


async def test_private_text_is_answered_in_html(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    await feed(application, message(factory, PRIVATE, "Sở  Nội vụ\u200b phải làm gì?"))
    (sent,) = request.sent()
    assert sent["chat_id"] == USER["id"] and sent["parse_mode"] == "HTML"
    assert sent["text"] == "Đã nhận: <b>Sở Nội vụ phải làm gì?</b>"  # cleaned input
    assert sent["link_preview_options"] == {"is_disabled": True}


async def test_replies_send_what_send_message_with_our_defaults_would(built: Built) -> None:
    """Replies go out through `sending.post_message`, which leaves Telegram's answer
    unparsed: its request must be the one PTB's typed `send_message` makes with the
    bot's Defaults (HTML, no link preview, reply even if the quoted message is gone),
    and PTB's advice to use the typed method must not reach the logs."""
    application, request = built
    bot = application.bot
    rows = [[Button("Xem 2.4", "v1:item:2.4"), Button("Hỏi", "Sở Nội vụ phải làm gì")]]
    store = callbacks.AskStore()
    html = "<b>Sở Nội vụ</b> &amp; Sở Ngoại vụ"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sending.silence_typed_method_advice()  # as build_application does at start-up
        message_id = await sending.post_message(
            bot, GROUP["id"], html, reply_markup=callbacks.keyboard_json(rows, store),
            quote_id=77, thread_id=5,
        )  # fmt: skip
    await bot.send_message(
        GROUP["id"], html, reply_markup=callbacks.keyboard(rows, store),
        reply_parameters=ReplyParameters(77), message_thread_id=5,
    )  # fmt: skip
    await sending.post_message(bot, USER["id"], "a < b", html=False)
    await bot.send_message(USER["id"], "a < b", parse_mode=None)
    lean, typed, lean_plain, typed_plain = request.sent()
    assert lean == typed and lean_plain == typed_plain
    assert lean["reply_parameters"]["allow_sending_without_reply"] is True
    assert "parse_mode" not in lean_plain
    assert isinstance(message_id, int)
    assert not [w for w in caught if issubclass(w.category, PTBUserWarning)]


async def test_rejected_html_is_resent_as_plain_text(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    request.fail_next("sendMessage", 400, "Bad Request: can't parse entities: unsupported tag")
    await feed(application, message(factory, PRIVATE, "a < b"))
    first, second = request.sent()
    assert first["parse_mode"] == "HTML"
    assert "parse_mode" not in second and second["text"] == "Đã nhận: a < b"


async def test_long_reply_is_split_with_keyboard_last(
    make_settings: Callable[..., Settings], factory: FakeBotApi
) -> None:
    class LongBrain:
        knowledge = None

        def answer(self, text: str, *, today: date, asker: Any = None, **_: Any) -> Reply:
            html = "\n".join(f"<i>đoạn {i}</i> " + "chữ " * 20 for i in range(90))
            return Reply("long", html, buttons=[[Button("Xem 2.4", "v1:item:2.4")]])

    application, request = await _build(make_settings(), LongBrain(), factory)
    try:
        await feed(application, message(factory, PRIVATE, "dài"))
        sent = request.sent()
        assert len(sent) == 3
        assert all(len(s["text"]) <= 4096 for s in sent)
        assert ["reply_markup" in s for s in sent] == [False, False, True]
        assert all(s["text"].count("<i>") == s["text"].count("</i>") for s in sent)
    finally:
        await application.shutdown()


async def test_chatter_bots_and_channels_are_ignored(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    channel = {"id": -100900, "type": "channel", "title": "Kênh"}
    sticker = {"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1,
               "height": 1, "is_animated": False, "is_video": False}  # fmt: skip
    updates = [
        message(factory, GROUP, "chuyện phiếm"),
        message(factory, GROUP, None, sticker=sticker),
        message(factory, GROUP, "/nhiemvu@OtherBot 2.4"),
        message(factory, GROUP, "/lenhla"),
        message(factory, PRIVATE, "bot nói", user=OTHER_BOT),
        {"edited_message": factory.new_message(GROUP, USER, "chuyện phiếm đã sửa")},
        {"channel_post": factory.new_message(channel, USER, "tin kênh")},
        {"edited_channel_post": factory.new_message(channel, USER, "tin kênh sửa")},
    ]
    for payload in updates:
        await feed(application, payload)
    assert request.calls == []


async def test_non_text_in_private_gets_a_hint(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    voice = {"file_id": "v", "file_unique_id": "uv", "duration": 3}
    await feed(application, message(factory, PRIVATE, None, voice=voice))
    (sent,) = request.sent()
    assert "chỉ đọc được tin nhắn chữ" in sent["text"]


async def test_unknown_command_hint_in_private_and_when_addressed(
    built: Built, factory: FakeBotApi
) -> None:
    application, request = built
    await feed(application, message(factory, PRIVATE, "/lenhla <x>"))
    await feed(application, message(factory, GROUP, f"/lenhla@{factory.username}"))
    first, second = request.sent()
    assert "Không có lệnh /lenhla" in first["text"] and second["chat_id"] == GROUP["id"]


# ---------------------------------------------------------------- callbacks


async def test_forged_callback_gets_a_toast_only(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    bot_message = factory.new_message(PRIVATE, factory.bot_user, "danh sách")
    for data in ("x", "v1:item:7.7", "v1:ask:zzzzzzzzzzzzzzzz", "v1:unknown:1", "v1:q: "):
        query = {"id": "q1", "from": USER, "chat_instance": "c", "data": data}
        await feed(application, {"callback_query": {**query, "message": bot_message}})
    answers = request.called("answerCallbackQuery")
    assert len(answers) == 5 and all(a.get("text") for a in answers)
    assert request.sent() == []


async def test_item_button_opens_the_item(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    bot_message = factory.new_message(PRIVATE, factory.bot_user, "danh sách")
    query = {"id": "q1", "from": USER, "chat_instance": "c", "data": "v1:item:III.1"}
    await feed(application, {"callback_query": {**query, "message": bot_message}})
    assert request.called("answerCallbackQuery") == [{"callback_query_id": "q1"}]
    (sent,) = request.sent()
    assert sent["text"] == "Đã nhận: <b>nhiệm vụ III.1</b>" and "reply_parameters" not in sent


# ---------------------------------------------------------------- errors


async def test_brain_error_is_logged_and_apologised(
    built: Built, factory: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    application, request = built
    await feed(application, message(factory, PRIVATE, "lỗi"))
    (sent,) = request.sent()
    assert sent["text"] == errors.APOLOGY
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)


async def test_error_in_button_press_is_answered_on_the_query(
    built: Built, factory: FakeBotApi
) -> None:
    application, request = built

    async def broken(update: Update, context: Any, arg: str) -> None:
        raise RuntimeError("route failure")

    handlers.add_route(application, "broken", broken)
    bot_message = factory.new_message(PRIVATE, factory.bot_user, "x")
    query = {"id": "q9", "from": USER, "chat_instance": "c", "data": "v1:broken:1"}
    await feed(application, {"callback_query": {**query, "message": bot_message}})
    (answer,) = request.called("answerCallbackQuery")
    assert answer["text"] == errors.APOLOGY and request.sent() == []


async def test_network_and_forbidden_errors_are_not_apologised(
    built: Built, factory: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    application, request = built
    await application.process_error(None, NetworkError("connection reset"))
    update = Update.de_json({"update_id": 5, **message(factory, PRIVATE, "x")}, application.bot)
    await application.process_error(update, Forbidden("bot was blocked by the user"))
    assert request.calls == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("Lỗi mạng" in r.getMessage() for r in caplog.records)


async def test_a_chat_that_is_gone_is_one_log_line(
    built: Built, factory: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram answers 400 "chat not found" to the reply: one warning line that names
    the chat and the reason, no traceback, no apology sent to the same missing chat."""
    application, request = built
    request.fail_next("sendMessage", 400, "Bad Request: chat not found")
    await feed(application, message(factory, PRIVATE, "Sở Nội vụ phải làm gì?"))
    assert len(request.called("sendMessage")) == 1  # the reply only, no apology after it
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    (line,) = logged
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "chat not found" in line.getMessage().lower() and "\n" not in line.getMessage()


async def test_group_chatter_error_is_not_apologised(built: Built, factory: FakeBotApi) -> None:
    application, request = built
    update = Update.de_json({"update_id": 6, **message(factory, GROUP, "ồn ào")}, application.bot)
    await application.process_error(update, RuntimeError("x"))
    assert request.calls == []


# ---------------------------------------------------------------- real brain


@pytest.fixture(scope="module")
def real_brain(knowledge: Knowledge) -> Brain:
    return Brain(knowledge)


async def test_real_brain_replies_fit_telegram(
    make_settings: Callable[..., Settings], real_brain: Brain, factory: FakeBotApi
) -> None:
    application, request = await _build(make_settings(), real_brain, factory)
    try:
        questions = ["Sở Nội vụ phải làm gì?", "nhiệm vụ 2.4", "việc nào sắp đến hạn",
                     "tìm hội hữu nghị", "ai ký kế hoạch", "hôm nay trời đẹp", "/nhiemvu 4.2",
                     "/coquan Sở Tài chính", "/han quý II/2023", "/tiendo 2.4", "/start"]  # fmt: skip
        for question in questions:
            request.calls.clear()
            await feed(application, message(factory, PRIVATE, question))
            sent = request.sent()
            assert sent, question
            for params in sent:
                assert params["chat_id"] == USER["id"] and params["parse_mode"] == "HTML"
                assert 0 < len(params["text"]) <= 4096
                for row in params.get("reply_markup", {}).get("inline_keyboard", []):
                    assert all(len(b["callback_data"].encode()) <= 64 for b in row)
    finally:
        await application.shutdown()


# ---------------------------------------------------------------- application


async def test_build_application_wiring(make_settings: Callable[..., Settings]) -> None:
    brain = ScriptedBrain()
    settings = make_settings(telegram_api_url="http://127.0.0.1:8081/bot")
    application = build_application(settings, brain)
    assert application.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    assert application.bot.base_file_url == f"http://127.0.0.1:8081/file/bot{TOKEN}"
    defaults = application.bot.defaults
    assert defaults is not None and defaults.parse_mode == "HTML"
    assert str(defaults.tzinfo) == "Asia/Ho_Chi_Minh"
    assert isinstance(application.bot.rate_limiter, AIORateLimiter)
    assert isinstance(application.update_processor, PerChatUpdateProcessor)
    assert application.error_handlers and application.post_init is not None
    assert logging.getLogger("httpx").level == logging.WARNING
    with pytest.raises(ConfigError):
        build_application(make_settings(telegram_bot_token=None), brain)


def test_file_url_for() -> None:
    assert app_module.file_url_for("https://api.telegram.org/bot") == (
        "https://api.telegram.org/file/bot"
    )
    assert app_module.file_url_for("http://h:1/api/") == "http://h:1/api/file/bot"


def test_webhook_settings_are_checked(make_settings: Callable[..., Settings]) -> None:
    assert webhook_secret(make_settings(webhook_secret="ok_Secret-1")) == "ok_Secret-1"
    generated = webhook_secret(make_settings())
    assert len(generated) >= 32 and app_module._SECRET_TOKEN.match(generated)
    with pytest.raises(ConfigError):
        webhook_secret(make_settings(webhook_secret="có dấu và khoảng trắng"))
    assert app_module._webhook_path("https://x.example/tg/hook/") == "tg/hook"
    with pytest.raises(ConfigError):
        app_module._webhook_path("bot.example/hook")


async def test_per_chat_processor_orders_one_chat_and_overlaps_chats(
    factory: FakeBotApi,
) -> None:
    processor = PerChatUpdateProcessor(8)
    log: list[str] = []
    gate = asyncio.Event()

    def update(chat: dict[str, Any], text: str) -> Update:
        payload = {"update_id": 1, **message(factory, chat, text)}
        return Update.de_json(payload, None)

    async def work(name: str, wait: bool) -> None:
        log.append(f"start {name}")
        if wait:
            await gate.wait()
        log.append(f"end {name}")

    first = asyncio.create_task(processor.process_update(update(PRIVATE, "1"), work("a1", True)))
    second = asyncio.create_task(processor.process_update(update(PRIVATE, "2"), work("a2", False)))
    other = asyncio.create_task(processor.process_update(update(GROUP, "3"), work("b", False)))
    await other  # another chat is not held up by the waiting one
    assert log == ["start a1", "start b", "end b"]
    gate.set()
    await asyncio.gather(first, second)
    assert log[3:] == ["end a1", "start a2", "end a2"]
    assert processor._locks == {} and processor._waiting == {}


# ---------------------------------------------------------------- logs and start-up


def test_secrets_are_redacted_from_log_records(caplog: pytest.LogCaptureFixture) -> None:
    errors.protect_logs(TOKEN)
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("telegram.test")
    logger.debug("URL https://api.telegram.org/bot%s/getMe", TOKEN)
    logger.info("only the secret half: %s", TOKEN.split(":")[1])
    try:
        raise ValueError(f"boom {TOKEN}")
    except ValueError:
        logger.exception("failed")
    assert TOKEN.split(":")[1] not in caplog.text
    assert all(TOKEN.split(":")[1] not in r.getMessage() for r in caplog.records)
    assert errors.REDACTED in caplog.records[0].getMessage()


def test_run_bot_refuses_an_invalid_plan(
    make_settings: Callable[..., Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("meta: [không đóng\n", encoding="utf-8")
    (tmp_path / "agencies.yaml").write_text("agencies: []\n", encoding="utf-8")
    assert run_bot(make_settings(plan_path=plan)) == 1
    err = capsys.readouterr().err
    assert "Không khởi động được bot" in err and "plan.yaml" in err


def test_run_bot_refuses_without_token(
    make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_bot(make_settings(telegram_bot_token=None)) == 1
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_terminal_chat_answers_until_thoat(make_settings: Callable[..., Settings]) -> None:
    brain = ScriptedBrain()
    lines = iter(["Sở Nội vụ phải làm gì?", "", "  ", "nhiệm vụ 2.4", "Thoát"])
    out = io.StringIO()
    code = run_chat(make_settings(), brain=brain, read=lambda prompt: next(lines), out=out)
    assert code == 0
    assert brain.texts == ["Sở Nội vụ phải làm gì?", "nhiệm vụ 2.4"]
    assert "Đã nhận: Sở Nội vụ phải làm gì?" in out.getvalue()  # plain text, no tags
    assert "<b>" not in out.getvalue()


def test_terminal_chat_ends_on_ctrl_d(make_settings: Callable[..., Settings]) -> None:
    def eof(prompt: str) -> str:
        raise EOFError

    out = io.StringIO()
    assert run_chat(make_settings(), brain=ScriptedBrain(), read=eof, out=out) == 0
    assert "Tạm biệt" in out.getvalue()


# ---------------------------------------------------------------- clarification buttons


async def test_a_clarification_button_answers_its_reading_without_asking_back(
    make_settings: Callable[..., Settings], real_brain: Brain, factory: FakeBotApi
) -> None:
    """Pressing «Ý anh/chị là …?» answers that reading (issue 14, item 6): the reply
    is not the same question again, also for a question too long for `v1:q:`."""
    application, request = await _build(make_settings(), real_brain, factory)
    try:
        for text, expected in [
            ("Sở Nội vụ 2.4 ra sao", ["Tính đến ngày", "Sở Nội vụ được giao"]),
            (
                "Ủy ban nhân dân các huyện 2.4 ra sao",
                ["Tính đến ngày", "Ủy ban nhân dân các huyện"],
            ),
        ]:
            request.calls.clear()
            await feed(application, message(factory, PRIVATE, text))
            (asked,) = request.sent()
            assert "Ý anh/chị là «" in asked["text"].splitlines()[-1]  # after the answer
            first_row = asked["reply_markup"]["inline_keyboard"][0]
            assert first_row[0]["text"] == "xem tiến độ nhiệm vụ 2.4"
            assert first_row[1]["text"].startswith("các nhiệm vụ của ")
            bot_message = factory.new_message(PRIVATE, factory.bot_user, asked["text"])
            for button, says in zip(first_row, expected, strict=True):
                request.calls.clear()
                query = {"id": "q9", "from": USER, "chat_instance": "c"}
                query |= {"data": button["callback_data"], "message": bot_message}
                await feed(application, {"callback_query": query})
                assert request.called("answerCallbackQuery") == [{"callback_query_id": "q9"}]
                sent = request.sent()
                assert sent, button
                shown = html_to_plain("\n".join(params["text"] for params in sent))
                assert "Ý anh/chị là" not in shown and "Tôi hiểu là" not in shown
                assert says in shown, (button, shown[:300])
    finally:
        await application.shutdown()


def test_terminal_chat_lists_the_suggestions_and_a_number_asks_one(
    make_settings: Callable[..., Settings], real_brain: Brain
) -> None:
    lines = iter(["Sở Nội vụ 2.4 ra sao", "2", "thoát"])
    out = io.StringIO()
    clock = FixedClock(TODAY)
    code = run_chat(
        make_settings(), brain=real_brain, clock=clock, read=lambda p: next(lines), out=out
    )
    assert code == 0
    text = out.getvalue()
    assert "Gõ số để chọn: 1 — xem tiến độ nhiệm vụ 2.4 · 2 — các nhiệm vụ của Sở Nội vụ" in text
    after = text.split("Gõ số để chọn:", 1)[1]
    assert "Sở Nội vụ được giao" in after and "Ý anh/chị là" not in after


# ---------------------------------------------------------------- conversation


@pytest.fixture
async def talking(
    make_settings: Callable[..., Settings], knowledge: Knowledge, factory: FakeBotApi
) -> AsyncIterator[tuple[Built, Brain]]:
    """The Telegram door on the real brain with a conversation store."""
    from bot.conversation import InMemoryConversationStore

    brain = Brain(knowledge, conversations=InMemoryConversationStore(FixedClock(TODAY)))
    application, request = await _build(make_settings(), brain, factory)
    yield (application, request), brain
    await application.shutdown()


def _addressed(factory: FakeBotApi, user: dict[str, Any], text: str) -> dict[str, Any]:
    handle = f"@{factory.username}"
    mention = [{"type": "mention", "offset": 0, "length": len(handle)}]
    return message(factory, GROUP, f"{handle} {text}", user=user, entities=mention)


async def test_a_follow_up_is_answered_in_its_chat(
    talking: tuple[Built, Brain], factory: FakeBotApi
) -> None:
    (application, request), _ = talking
    await feed(application, message(factory, PRIVATE, "mục 4.3 nói gì"))
    await feed(application, message(factory, PRIVATE, "ai chủ trì?"))
    follow_up = request.sent()[-1]
    assert follow_up["chat_id"] == PRIVATE["id"]
    assert "Sở Kế hoạch và Đầu tư" in follow_up["text"].split("\n", 1)[0]
    # in a group each member has their own conversation
    other = FakeBotApi.user(502, "Minh")
    await feed(application, _addressed(factory, USER, "nhiệm vụ 2.4"))
    await feed(application, _addressed(factory, other, "ai chủ trì?"))
    assert "Xin lỗi" in request.sent()[-1]["text"]  # Minh has said nothing before
    await feed(application, _addressed(factory, USER, "ai chủ trì?"))
    assert "Sở Nội vụ" in request.sent()[-1]["text"].split("\n", 1)[0]


async def test_the_see_all_button_and_typing_more_send_the_whole_list(
    talking: tuple[Built, Brain], factory: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    (application, request), brain = talking
    real = brain.answerer.reply
    whole = "<b>Tất cả</b>\n• 2.4\n• 3.1\n• 6"

    def cut(*args: Any, **kwargs: Any) -> Reply:
        out = real(*args, **kwargs)
        if out.intent == "agency_tasks":
            out.html, out.more = out.html.split("\n")[0], whole
        return out

    monkeypatch.setattr(brain.answerer, "reply", cut)
    await feed(application, message(factory, PRIVATE, "Sở Nội vụ phải làm gì?"))
    listed = request.sent()[-1]
    button = listed["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "Xem tất cả" and button["callback_data"].startswith("v1:more:")
    bot_message = factory.new_message(PRIVATE, factory.bot_user, listed["text"])
    query = {"id": "q1", "from": USER, "chat_instance": "c", "data": button["callback_data"]}
    await feed(application, {"callback_query": {**query, "message": bot_message}})
    assert request.called("answerCallbackQuery")[-1] == {"callback_query_id": "q1"}
    assert request.sent()[-1]["text"] == whole
    # pressed again (the list was shown): stale; typing «thêm» after a new list works
    await feed(application, {"callback_query": {**query, "id": "q2", "message": bot_message}})
    assert request.called("answerCallbackQuery")[-1]["text"] == handlers.STALE_LIST
    await feed(application, message(factory, PRIVATE, "còn Sở Tài chính?"))
    await feed(application, message(factory, PRIVATE, "thêm"))
    assert request.sent()[-1]["text"] == whole
