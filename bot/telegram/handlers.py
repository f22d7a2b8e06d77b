"""Message and callback handlers: thin glue between Telegram updates and the brain.

Handlers hold no knowledge of the plan: they pick the text, ask the brain (kept in
the typed `context.bot_data`, `bot.telegram.context.BotData`) and send its `Reply`
back, split and escaped.

- Private chats: any text goes to the brain; stickers, photos and the like get a
  short hint; an edited message is answered again.
- Every message is asked with its conversation's key (`conversation_key`: the private
  chat, or in a group the chat and the member), so follow-ups («còn Sở Tài chính?»,
  «hạn khi nào?») are read against that conversation; a reply whose list was cut
  carries «Xem tất cả» (`v1:more:<key>`, `show_more`).
- Groups (privacy mode): only messages that mention the bot or reply to it are
  answered; commands are handled in `commands`; everything else stays unanswered.
- Button presses are routed by kind: one `CallbackQueryHandler(pattern=…)` per kind
  (`add_route`, `callbacks.pattern_for`); forged or stale data, which no route's
  pattern matches, gets a harmless toast (`on_stale_callback`).

Feature modules extend the door without editing it: `add_route` for callback
kinds, `add_intent_hook` to take over a brain intent (e.g. progress updates),
`BotData.asker_for` to say who is asking, and their own handlers registered
before `register` so they take precedence.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import (
    Chat,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.conversation import chat_key
from bot.core.reply import Reply, esc, html_to_plain
from bot.core.text import clean
from bot.plan.library import Library, button_id, plan_key
from bot.plan.loader import Knowledge
from bot.telegram import callbacks
from bot.telegram.context import (
    App,
    BotData,
    BrainLike,
    CallbackRoute,
    Context,
    IntentHook,
    default_asker,
)
from bot.telegram.delivery import send_retrying
from bot.telegram.sending import post_message

__all__ = ["App", "BotData", "BrainLike", "Context", "default_asker"]

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 4096

NON_TEXT_HINT = (
    "Trợ lý chỉ đọc được tin nhắn chữ. Anh/chị hãy gõ câu hỏi, ví dụ:"
    " <i>Sở Nội vụ phải làm gì?</i> hoặc gõ /help để xem hướng dẫn."
)
EMPTY_HINT = (
    "Anh/chị cần hỏi gì về {plan}? Ví dụ: <i>nhiệm vụ 2.4</i>,"
    " <i>Sở Nội vụ phải làm gì?</i>, <i>việc nào sắp đến hạn?</i>"
)
STALE_BUTTON = "Nút này đã cũ hoặc không hợp lệ. Anh/chị vui lòng hỏi lại."
UNKNOWN_ITEM = "Kế hoạch không có mục này."
STALE_LIST = "Danh sách này đã cũ hoặc đã quá 15 phút. Anh/chị vui lòng hỏi lại."


def plan_label(knowledge: Knowledge | None) -> str:
    """The plan as the texts name it, from its own data ("Kế hoạch 12/KH-UBND")."""
    return knowledge.plan.meta.label if knowledge is not None else "Kế hoạch"


def known_items(brain: BrainLike) -> frozenset[str] | None:
    """The item numbers a button may open: the main plan's as they are, every plan's
    with its short key («58#1.2») when the brain serves several; None when unknown."""
    library = getattr(brain, "library", None)
    if isinstance(library, Library):
        return frozenset(
            ident
            for knowledge in library
            for item in knowledge.plan.items
            for ident in ((item.id,) if knowledge is library.main else ())
            + (button_id(plan_key(knowledge.plan.meta.number), item.id),)
        )
    knowledge = brain.knowledge
    if knowledge is None:
        return None
    return frozenset(item.id for item in knowledge.plan.items)


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def add_route(application: App, kind: str, route: CallbackRoute) -> None:
    """Handle callback data `v1:<kind>:<arg>` with `route(update, context, arg)`: a
    `CallbackQueryHandler` whose pattern matches well-formed data of that kind only."""
    pattern = callbacks.pattern_for(kind)  # validates the kind name
    application.bot_data.callback_kinds.add(kind)
    application.add_handler(CallbackQueryHandler(_routed(kind, route), pattern=pattern))


def _routed(kind: str, route: CallbackRoute) -> Handler:
    async def handle(update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        parsed = callbacks.parse(query.data)
        if parsed is None or parsed.kind != kind:  # no data at all matches every pattern
            await on_stale_callback(update, context)
            return
        await route(update, context, parsed.arg)

    handle.__name__ = f"on_{kind}_button"
    return handle


def add_intent_hook(application: App, intent: str, hook: IntentHook) -> None:
    """Let a feature take over replies of one brain intent: `hook(update, ctx, reply, text)`."""
    application.bot_data.intent_hooks[intent] = hook


# ---------------------------------------------------------------- sending


async def send_reply(
    context: Context,
    chat_id: int,
    reply: Reply,
    *,
    quote: Message | None = None,
    thread_id: int | None = None,
) -> list[int | None]:
    """Send a reply as one or more HTML messages; the keyboard goes on the last one.
    Returns the ids of the messages sent."""
    markup = callbacks.keyboard_json(reply.buttons, context.bot_data.asks)
    pieces = reply.pieces()
    sent: list[int | None] = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent.append(
            await send_html(
                context,
                chat_id,
                piece,
                reply_markup=markup if last else None,
                quote=quote if index == 0 else None,
                thread_id=thread_id,
            )
        )
    return sent


async def send_html(
    context: Context,
    chat_id: int,
    html: str,
    *,
    reply_markup: dict[str, Any] | None = None,
    quote: Message | None = None,
    thread_id: int | None = None,
) -> int | None:
    """Send one HTML message (`reply_markup` as `callbacks.keyboard_json` gives it); if
    Telegram rejects the markup, send its plain text. A send that surely did not arrive
    (server error, no connection) is tried again. Returns the new message's id."""
    quote_id = quote.message_id if quote is not None else None
    try:
        return await send_retrying(
            lambda: post_message(
                context.bot,
                chat_id,
                html,
                reply_markup=reply_markup,
                quote_id=quote_id,
                thread_id=thread_id,
            )
        )
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.warning("Telegram từ chối HTML của câu trả lời (%s); gửi dạng chữ thường", exc)
        return await send_retrying(
            lambda: post_message(
                context.bot,
                chat_id,
                html_to_plain(html),
                html=False,
                reply_markup=reply_markup,
                quote_id=quote_id,
                thread_id=thread_id,
            )
        )


def conversation_key(chat: Chat, user: User | None) -> str:
    """Whose conversation a message continues: a private chat's; in a group, each
    member's own (two officials asking in one group do not mix their follow-ups)."""
    if chat.type == ChatType.PRIVATE or user is None:
        return chat_key(chat.id)
    return chat_key(chat.id, user.id)


def _thread_of(message: Message | None) -> int | None:
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


async def answer_text(
    update: Update,
    context: Context,
    text: str,
    *,
    quote: bool | None = None,
    fresh: bool = False,
) -> None:
    """Ask the brain about `text` and send its reply to the chat of `update`; `fresh`:
    a question a command or a button built, never read as a follow-up."""
    chat = update.effective_chat
    if chat is None:
        return
    message = update.effective_message
    text = clean(text[:MAX_INPUT_CHARS])
    if quote is None:
        quote = chat.type != ChatType.PRIVATE or update.edited_message is not None
    if not text:
        await send_html(
            context,
            chat.id,
            EMPTY_HINT.format(plan=esc(plan_label(context.bot_data.brain.knowledge))),
            quote=message if quote else None,
            thread_id=_thread_of(message),
        )
        return
    data = context.bot_data
    key = conversation_key(chat, update.effective_user)
    reply = await data.answer(
        text,
        user=update.effective_user,
        where=chat,
        chat=key,
        fresh=fresh,
        plan=data.chat_plans.get(chat.id),
    )
    hook = data.intent_hooks.get(reply.intent)
    if hook is not None:
        await hook(update, context, reply, text)
        return
    await send_reply(
        context,
        chat.id,
        reply,
        quote=message if quote else None,
        thread_id=_thread_of(message),
    )


# ---------------------------------------------------------------- messages


@functools.lru_cache(maxsize=8)
def bot_mention_pattern(username: str) -> re.Pattern[str]:
    return re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE)


def is_addressed_to_bot(message: Message) -> bool:
    """True when a group message mentions the bot or replies to one of its messages."""
    bot = message.get_bot()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    username = (bot.username or "").lower()
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    for entity, text in entities.items():
        if entity.type == MessageEntity.MENTION and username and text.lower() == f"@{username}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
    return False


class _AddressedToBot(filters.MessageFilter):
    __slots__ = ()

    def filter(self, message: Message) -> bool:
        return is_addressed_to_bot(message)


ADDRESSED_TO_BOT = _AddressedToBot(name="AddressedToBot")
FROM_HUMAN = ~filters.VIA_BOT & ~filters.SenderChat.CHANNEL
MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE


def _from_bot(update: Update) -> bool:
    """Messages of other bots are never answered (anonymous group admins are people)."""
    user, message = update.effective_user, update.effective_message
    return user is not None and user.is_bot and (message is None or message.sender_chat is None)


async def on_private_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None or _from_bot(update):
        return
    await answer_text(update, context, message.text)


async def on_group_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None or _from_bot(update):
        return
    text = message.text
    if context.bot.username:
        text = bot_mention_pattern(context.bot.username).sub(" ", text)
    await answer_text(update, context, text.strip(" \t\n,.:;-–—"), quote=True)


async def on_private_other(update: Update, context: Context) -> None:
    """Stickers, photos, voice… in a private chat: one short hint."""
    chat = update.effective_chat
    if chat is None or _from_bot(update):
        return
    await send_html(context, chat.id, NON_TEXT_HINT)


# ---------------------------------------------------------------- callbacks


async def on_stale_callback(update: Update, context: Context) -> None:
    """A button no route takes (forged, foreign or stale data): answered, nothing else."""
    query = update.callback_query
    if query is None:
        return
    log.info("Bỏ qua callback_data không hợp lệ hoặc đã cũ")
    await query.answer(STALE_BUTTON)


def _unrouted(kinds: set[str]) -> Callable[[object], bool]:
    """The pattern of `on_stale_callback`: data no route's pattern matches."""

    def matches(data: object) -> bool:
        parsed = callbacks.parse(data)
        return parsed is None or parsed.kind not in kinds

    return matches


def _query_chat(update: Update) -> Chat | None:
    query = update.callback_query
    if query is not None and query.message is not None:
        return query.message.chat
    return None


async def open_item(update: Update, context: Context, arg: str) -> None:
    """`v1:item:<số>`: answer about that item in the chat of the button."""
    query = update.callback_query
    assert query is not None
    known = context.bot_data.item_ids
    chat = _query_chat(update)
    if not callbacks.ITEM_ID.match(arg) or (known is not None and arg not in known):
        await query.answer(UNKNOWN_ITEM)
        return
    if chat is None:
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    await answer_text(update, context, f"nhiệm vụ {arg}", quote=False, fresh=True)


async def ask_again(update: Update, context: Context, arg: str) -> None:
    """`v1:ask:<id>`: a stored question chosen; drop the suggestions and answer it."""
    text = context.bot_data.asks.get(arg) if callbacks.ASK_KEY.match(arg) else None
    await _ask_chosen(update, context, text)


async def ask_question(update: Update, context: Context, arg: str) -> None:
    """`v1:q:<text>`: a question carried in the button itself (brain suggestions)."""
    await _ask_chosen(update, context, clean(arg) or None)


async def _ask_chosen(update: Update, context: Context, text: str | None) -> None:
    query = update.callback_query
    assert query is not None
    if text is None or _query_chat(update) is None:
        await query.answer(STALE_BUTTON)
        return
    await query.answer()
    if isinstance(query.message, Message):
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest as exc:  # already edited, too old…: the answer still goes out
            log.debug("Không gỡ được bàn phím gợi ý: %s", exc)
    await answer_text(update, context, text, quote=False, fresh=True)


async def show_more(update: Update, context: Context, arg: str) -> None:
    """`v1:more:<key>`: «Xem tất cả», the whole of the list a reply cut, from the
    conversation of whoever pressed it (as typing «thêm» would)."""
    query = update.callback_query
    assert query is not None
    chat = _query_chat(update)
    if chat is None or not callbacks.MORE_KEY.match(arg):
        await query.answer(STALE_BUTTON)
        return
    reply = await context.bot_data.more(conversation_key(chat, update.effective_user), arg)
    if reply is None:
        await query.answer(STALE_LIST)
        return
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    await send_reply(context, chat.id, reply, thread_id=_thread_of(message))


# ---------------------------------------------------------------- wiring


def register(application: App) -> None:
    """Add the message and button handlers (after commands and feature handlers)."""
    add_route(application, callbacks.ITEM, open_item)
    add_route(application, callbacks.ASK, ask_again)
    add_route(application, callbacks.QUESTION, ask_question)
    add_route(application, callbacks.MORE, show_more)
    application.add_handler(
        CallbackQueryHandler(
            on_stale_callback,
            pattern=_unrouted(application.bot_data.callback_kinds),
            game_pattern=".*",
        )
    )
    private = filters.ChatType.PRIVATE & MESSAGES & FROM_HUMAN
    groups = filters.ChatType.GROUPS & MESSAGES & FROM_HUMAN
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_private_text)
    )
    application.add_handler(
        MessageHandler(groups & filters.TEXT & ~filters.COMMAND & ADDRESSED_TO_BOT, on_group_text)
    )
    application.add_handler(
        MessageHandler(
            private
            & filters.UpdateType.MESSAGE
            & ~filters.TEXT
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            on_private_other,
        )
    )
