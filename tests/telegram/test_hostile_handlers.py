"""Hostile input through every Telegram handler (property-based, hypothesis).

The whole bot is built as `python -m bot run` builds it (the real brain, the
progress and reminders features on a seeded SQLite file, commands, callbacks,
the flood gate) around a recording fake `BaseRequest` that answers every Bot API
call from memory, as tests/test_telegram_handlers.py does. Hypothesis generates
updates: random Unicode, control and zero-width characters, 10,000-character
messages, HTML and Markdown injection, every command (known, unknown, for
another bot) with hostile arguments, forged callback data for every route,
stickers, photos, voice and service messages, edited messages, channel posts,
messages without a `from` user, from other bots, in private chats, linked and
unlinked groups. Each is fed to `Application.process_update`.

For every update: the error handler never fires (no unhandled exception), and
every text the bot sends or edits is valid Telegram HTML (only the tags Telegram
accepts, balanced, entities well formed) of at most 4096 characters, with
callback data of at most 64 bytes and toasts of at most 200 characters.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN
from fake_bot_api import BOT_USERNAME, ApiError, FakeBotApi, parse_html, utf16_len
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import Application, ContextTypes
from telegram.request import BaseRequest, RequestData

from bot.app.runtime import Runtime, default_features
from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.storage.reminders import open_store
from bot.storage.sqlite import open_sqlite
from bot.telegram import flood
from bot.telegram.app import build_application

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=DEFAULT_TZ)
ADMIN = FakeBotApi.user(900001, "Quản trị")
MEMBER = FakeBotApi.user(601, "Lan <b>&")
PENDING = FakeBotApi.user(602, "Minh_*bold*")
STRANGER = FakeBotApi.user(603, "\u202eKhách\u200b")
GROUP_ADMIN = FakeBotApi.user(604, "Hà")
OTHER_BOT = {"id": 42, "is_bot": True, "first_name": "Bot khác", "username": "OtherBot"}
ANONYMOUS = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
LINKED = {"id": -100601, "type": "supergroup", "title": "Sở Nội vụ <KH 91> & *nhóm*"}
UNLINKED = {"id": -100602, "type": "group", "title": "Nhóm lạ"}
CHANNEL = {"id": -100603, "type": "channel", "title": "Kênh"}
ANSWER_LIMIT = 200  # characters of a callback query answer
MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)


class CheckingRequest(BaseRequest):
    """Answers every Bot API call from memory, as Telegram would, and checks what the
    bot sends: problems (invalid HTML, too long, bad buttons) are collected."""

    def __init__(self, bot_user: dict[str, Any]):
        self.bot_user = bot_user
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []
        self._ids = itertools.count(5000)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _check_text(self, method: str, params: dict[str, Any], name: str) -> None:
        raw = params.get(name)
        if raw is None:
            return
        text = str(raw)
        plain = text
        if str(params.get("parse_mode", "")).upper() == "HTML":
            try:
                plain = parse_html(text)
            except ApiError as exc:
                self.problems.append(f"{method}: {exc.description}: {text[:300]!r}")
                return
        limit = 1024 if name == "caption" else 4096
        if len(text) > limit or utf16_len(plain) > limit:
            self.problems.append(
                f"{method}: {name} of {len(text)} characters ({utf16_len(plain)} UTF-16"
                f" units as read): {text[:200]!r}"
            )
        if name == "text" and not plain.strip():
            self.problems.append(f"{method}: empty text")

    def _check_markup(self, method: str, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if not button.get("text") or (
                    data is not None and not 1 <= len(data.encode("utf-8")) <= 64
                ):
                    self.problems.append(f"{method}: bad button {button!r}")

    def check(self, method: str, params: dict[str, Any]) -> None:
        self._check_text(method, params, "text")
        self._check_text(method, params, "caption")
        self._check_markup(method, params)
        if method == "answerCallbackQuery" and len(str(params.get("text", ""))) > ANSWER_LIMIT:
            self.problems.append(f"answerCallbackQuery: {len(params['text'])} characters")

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", MEMBER["id"]))
        chat_type = "private" if chat_id > 0 else "supergroup"
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": 0,
            "chat": {"id": chat_id, "type": chat_type, "title": "Nhóm"},
            "from": self.bot_user,
        }
        if "text" in params:
            message["text"] = str(params["text"])[:4096]
        return message

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
        self.check(endpoint, params)
        result: Any = True
        if endpoint == "getMe":
            result = self.bot_user
        elif endpoint in MESSAGE_METHODS:
            result = self._message(params)
        elif endpoint == "getChatMember":
            user_id = int(params["user_id"])
            status = "administrator" if user_id in (GROUP_ADMIN["id"], ADMIN["id"]) else "member"
            member: dict[str, Any] = {"status": status, "user": FakeBotApi.user(user_id)}
            if status == "administrator":
                rights = (
                    "can_be_edited is_anonymous can_manage_chat can_delete_messages"
                    " can_manage_video_chats can_restrict_members can_promote_members"
                    " can_change_info can_invite_users can_post_stories can_edit_stories"
                    " can_delete_stories"
                )
                member.update(dict.fromkeys(rights.split(), False))
            result = member
        return 200, json.dumps({"ok": True, "result": result}).encode()


Built = tuple[Application[Any, Any, Any, Any, Any, Any], CheckingRequest, list[BaseException]]


async def _seed(path: Path, knowledge: Knowledge) -> None:
    db = open_sqlite(path, now=NOW)
    try:
        service = ProgressService(db, knowledge, FixedClock(NOW), {ADMIN["id"]})
        assert (await service.request_membership(MEMBER["id"], "snv", "Lan")).ok
        assert (await service.approve_member(ADMIN["id"], MEMBER["id"])).code == "ok"
        assert (await service.request_membership(PENDING["id"], "syt", "Minh")).ok
        assert (await service.request_chat_link(LINKED["id"], "snv", GROUP_ADMIN["id"], "Nhóm")).ok
        assert (await service.approve_chat_link(ADMIN["id"], LINKED["id"])).code == "ok"
    finally:
        db.close()
    store = open_store(path, now=NOW)
    try:
        await store.subscribe(LINKED["id"], "snv", "Nhóm", GROUP_ADMIN["id"], NOW)
    finally:
        store.close()


@pytest.fixture
async def built(
    knowledge: Knowledge, make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[Built]:
    path = tmp_path / "hostile.db"
    await _seed(path, knowledge)
    settings = make_settings(database_url=f"sqlite:///{path}", admin_ids=frozenset({ADMIN["id"]}))
    clock = FixedClock(NOW)
    runtime = Runtime.build(settings, knowledge, clock)
    request = CheckingRequest(FakeBotApi(TOKEN).bot_user)
    application = build_application(
        settings,
        runtime.brain,
        clock=clock,
        rate_limiter=False,
        request=request,
        features=default_features(runtime),
    )
    application.bot_data.flood_gate = flood.FloodGate(limit=10**9)  # tested elsewhere
    failures: list[BaseException] = []

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        failures.append(context.error)

    application.add_error_handler(record)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)  # starts the features, publishes the menus
    try:
        yield application, request, failures
    finally:
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)
        runtime.close()


# ---------------------------------------------------------------- strategies

any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)
nasty = st.sampled_from(
    [
        "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\x00", "\x07",
        "\x1b[31m", "\r\n", "\t", "\u0301", "\u0323", "<", ">", "&", "&amp;", "&lt;b&gt;",
        "&#0;", "&#x110000;", "<b>", "</b>", "<i>", "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>', "<tg-spoiler>", "<pre><code>", "**đậm**",
        "__nghiêng__", "`mã`", "```\nkhối\n```", "[liên kết](http://x.invalid)", "~~gạch~~",
        "||ẩn||", "\\", "%s", "{0}", "'; DROP TABLE members; --", "\U0001f600", "👨‍👩‍👧",
        f"@{BOT_USERNAME}", "@OtherBot", "/capnhat", "2.4", "III.1", "3.1b", "100%",
        "-5%", "1e309%", "đã hoàn thành", "đang thực hiện", "vướng mắc", "Sở Nội vụ",
        "UBND huyện Tuy Phong", "tất cả", "ok:501", "v1:undo:1",
    ]
)  # fmt: skip
words = st.sampled_from(
    ["nhiệm", "vụ", "tiến", "độ", "cập", "nhật", "xong", "hạn", "quý", "sở", "ngành", "báo",
     "cáo", "mục", "cơ", "quan", "tỉnh", "nhac", "viec", "tat", "ca"]
)  # fmt: skip
mixed = st.lists(st.one_of(any_text, nasty, words, words.map(" {} ".format)), max_size=14).map(
    "".join
)
long_text = st.builds(
    lambda piece: (piece * (10_000 // max(1, len(piece)) + 1))[:10_000],
    st.sampled_from(["Sở Nội vụ <b>2.4</b> & ", "\u200b", "cập nhật 2.4 60% ", "a", "👨‍👩‍👧 "]),
)
COMMANDS = [
    "start", "help", "nhiemvu", "coquan", "han", "timkiem", "tiendo", "capnhat",
    "chuabaocao", "baocao", "dangky", "toi", "lienket", "thanhvien", "duyet", "thuhoi",
    "nhacviec", "tatnhacviec", "batnhacviec", "lichnhac", "khongco", "CAPNHAT", "Start",
]  # fmt: skip
arguments = st.one_of(
    st.just(""),
    mixed,
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["2.4 đang thực hiện 60%", "2.4 xong 40%", "9.9 xong", "nv_2_4", "help",
                     "Sở Nội vụ", "tất cả", "501", "602", "3.1b 150%", "III.1 vướng mắc"]),
)  # fmt: skip
command = st.builds(
    lambda name, target, arg: f"/{name}{target} {arg}".rstrip(),
    st.sampled_from(COMMANDS),
    st.sampled_from(["", "", f"@{BOT_USERNAME}", "@OtherBot"]),
    arguments,
)
texts = st.one_of(mixed, command, long_text, st.sampled_from(["", " ", "\u200b", "/"]))
senders = st.sampled_from([ADMIN, MEMBER, PENDING, STRANGER, GROUP_ADMIN, OTHER_BOT, None])
chats = st.sampled_from(["private", "linked", "unlinked"])
STICKER = {"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1,
           "is_animated": False, "is_video": False}  # fmt: skip
OTHER_CONTENT: list[dict[str, Any]] = [
    {"sticker": STICKER},
    {"photo": [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}]},
    {"photo": [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}],
     "caption": "<b>ảnh</b> /capnhat 2.4 xong"},
    {"voice": {"file_id": "v", "file_unique_id": "uv", "duration": 3}},
    {"document": {"file_id": "d", "file_unique_id": "ud", "file_name": "<x>.xlsx"}},
    {"location": {"latitude": 10.9, "longitude": 108.1}},
    {"contact": {"phone_number": "+84", "first_name": "<i>"}},
    {"dice": {"emoji": "🎲", "value": 3}},
    {"new_chat_members": [FakeBotApi.user(700, "Mới")]},
    {"left_chat_member": FakeBotApi.user(701, "Đi")},
    {"new_chat_title": "<b>tên mới</b>"},
    {"pinned_message": {"message_id": 1, "date": 0, "chat": UNLINKED}},
]  # fmt: skip
ROUTES = ["item", "q", "ask", "undo", "upd", "upick", "pick", "hist", "reg", "mem", "link",
          "zzz", "ITEM", ""]  # fmt: skip
route_args = st.one_of(
    any_text,
    nasty,
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["2.4", "III.1", "99.9", "save:0123456789", "edit:abcdef0123",
                     "cancel:zz", "0123456789:2.4", "ok:603", "no:602", "ok:-100602",
                     "ok:99999999999999999999", "cập nhật:2.4", "xem tiến độ:2.4",
                     "xem:III.1", "snv", "vp_ubnd", "1", "2", "3"]),
)  # fmt: skip
callback_data = st.one_of(
    any_text,
    st.builds(lambda kind, arg: f"v1:{kind}:{arg}", st.sampled_from(ROUTES), route_args),
).filter(lambda data: 1 <= len(data.encode("utf-8")) <= 64)


@st.composite
def hostile_updates(draw: st.DrawFn) -> dict[str, Any]:
    factory = FakeBotApi(TOKEN)
    sender = draw(senders)
    where = draw(chats)
    kind = draw(st.sampled_from(["message", "edited", "callback", "channel", "other"]))
    if where == "private":
        user = sender or STRANGER
        chat: dict[str, Any] = {"id": user["id"], "type": "private", "first_name": "Người"}
    else:
        chat = LINKED if where == "linked" else UNLINKED
    if kind == "callback":
        user = sender or MEMBER
        bot_message = factory.new_message(chat, factory.bot_user, draw(mixed) or "tin của bot")
        query: dict[str, Any] = {
            "id": str(draw(st.integers(1, 10**6))),
            "from": user,
            "chat_instance": "ci",
            "data": draw(callback_data),
        }
        if draw(st.booleans()):
            query["message"] = bot_message
        else:
            query["inline_message_id"] = "inline-1"
        return {"callback_query": query}
    if kind == "channel":
        post = factory.new_message(CHANNEL, STRANGER, draw(texts))
        del post["from"]
        post["sender_chat"] = CHANNEL
        return {draw(st.sampled_from(["channel_post", "edited_channel_post"])): post}
    user = sender or ANONYMOUS
    if kind == "other":
        message = factory.new_message(chat, user, None, **draw(st.sampled_from(OTHER_CONTENT)))
    else:
        text = draw(texts)
        entities = []
        if where != "private" and draw(st.booleans()):
            handle = f"@{BOT_USERNAME}"
            text = f"{handle} {text}"
            entities = [{"type": "mention", "offset": 0, "length": len(handle)}]
        message = factory.new_message(chat, user, text or None, entities=entities)
        if draw(st.booleans()):
            message["reply_to_message"] = factory.new_message(chat, factory.bot_user, "trả lời")
    if sender is None:  # no `from`: an anonymous admin, or nobody at all
        if where != "private" and draw(st.booleans()):
            message["from"], message["sender_chat"] = ANONYMOUS, chat
        else:
            del message["from"]
    if kind == "edited":
        message["edit_date"] = 1
        return {"edited_message": message}
    return {"message": message}


# ---------------------------------------------------------------- the properties


async def _feed(built: Built, payload: dict[str, Any], update_id: int) -> None:
    application, request, failures = built
    failures.clear()
    request.problems.clear()
    update = Update.de_json({"update_id": update_id, **payload}, application.bot)
    await application.process_update(update)
    assert not failures, repr(failures[0])
    assert not request.problems, request.problems


_ids = itertools.count(1)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=hostile_updates())
async def test_any_update_is_handled_without_error_and_answered_in_valid_html(
    built: Built, payload: dict[str, Any]
) -> None:
    await _feed(built, payload, next(_ids))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(long_text, mixed, command), sender=st.sampled_from([MEMBER, ADMIN]))
async def test_reporters_and_admins_in_private_chats(
    built: Built, text: str, sender: dict[str, Any]
) -> None:
    """The paths that write (reports, registrations, approvals) with hostile text."""
    factory = FakeBotApi(TOKEN)
    chat = factory.private(sender)
    for prefix in ("/capnhat 2.4 ", "cập nhật 2.4: ", "/dangky ", "/duyet ", ""):
        await _feed(
            built, {"message": factory.new_message(chat, sender, prefix + text)}, next(_ids)
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(["lienket", "nhacviec", "tatnhacviec", "lichnhac", "capnhat", "toi"]),
    argument=arguments,
    sender=st.sampled_from([GROUP_ADMIN, ADMIN, MEMBER, STRANGER, None]),
    chat=st.sampled_from([LINKED, UNLINKED]),
)
async def test_group_commands_from_anyone(
    built: Built, name: str, argument: str, sender: dict[str, Any] | None, chat: dict[str, Any]
) -> None:
    """Group-only paths (admin checks through getChatMember, links, subscriptions)."""
    factory = FakeBotApi(TOKEN)
    message = factory.new_message(chat, sender or ANONYMOUS, f"/{name} {argument}".rstrip())
    if sender is None:
        message["sender_chat"] = chat  # an anonymous group admin
    await _feed(built, {"message": message}, next(_ids))


async def test_the_checks_catch_what_telegram_refuses(built: Built) -> None:
    """The checking request is not a rubber stamp: it flags what Telegram would refuse."""
    _, request, _ = built
    request.check("sendMessage", {"text": "<b>không đóng", "parse_mode": "HTML"})
    request.check("sendMessage", {"text": "<script>x</script>", "parse_mode": "HTML"})
    request.check("sendMessage", {"text": "x" * 4097, "parse_mode": "HTML"})
    request.check("editMessageText", {"text": "a &bogus; <i>b</b>", "parse_mode": "HTML"})
    request.check("answerCallbackQuery", {"text": "x" * 201})
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "ệ" * 30}]]}
    request.check("sendMessage", {"text": "ok", "reply_markup": markup})
    assert len(request.problems) == 6
    request.problems.clear()
