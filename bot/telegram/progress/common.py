"""Small helpers the progress handlers share: the runtime, replies, edits, group checks."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import CallbackQuery, Chat, ChatMemberRestricted, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError

from bot.core.reply import Button, Reply, esc
from bot.plan.responsibility import agency_name
from bot.telegram import callbacks, handlers
from bot.telegram.handlers import Context
from bot.telegram.progress.state import ProgressRuntime

log = logging.getLogger(__name__)

NOT_READY = "Chức năng báo cáo tiến độ chưa sẵn sàng (chưa mở được cơ sở dữ liệu)."
CHECK_FAILED = "Không kiểm tra được quyền trong nhóm lúc này; anh/chị vui lòng thử lại sau."
GONE_STATUSES = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


def runtime(context: Context) -> ProgressRuntime:
    """The progress services of the running application."""
    found = context.bot_data.progress
    if found is None:
        raise RuntimeError(NOT_READY)
    return found


def display_name(user: User | None) -> str | None:
    return user.full_name if user is not None else None


def in_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type != ChatType.PRIVATE


def rows_of(buttons: Sequence[Button], per_row: int = 4) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


async def reply(
    update: Update,
    context: Context,
    html: str,
    buttons: list[list[Button]] | None = None,
    *,
    intent: str = "progress",
) -> None:
    """Answer in the chat of `update` (quoting the message in groups); the last piece
    of a long answer carries the buttons."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    quote = message if in_group(chat) and update.callback_query is None else None
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    await handlers.send_reply(
        context,
        chat.id,
        Reply(intent=intent, html=html, buttons=buttons or []),
        quote=quote,
        thread_id=thread,
    )


async def notify(context: Context, chat_id: int, html: str, buttons: list[list[Button]]) -> bool:
    """Send to another chat (an admin, a member, a group); False when Telegram refuses."""
    try:
        await handlers.send_reply(
            context, chat_id, Reply(intent="progress", html=html, buttons=buttons)
        )
    except TelegramError as exc:
        log.warning("Không gửi được thông báo tới %s: %s", chat_id, exc)
        return False
    return True


async def edit_query_message(
    query: CallbackQuery,
    context: Context,
    html: str,
    buttons: list[list[Button]] | None = None,
) -> None:
    """Replace the text (and buttons) of the message a button belongs to; when it can
    no longer be edited, send the text as a new message instead."""
    markup = callbacks.keyboard(buttons or [], context.bot_data.asks)
    message = query.message
    if isinstance(message, Message):
        try:
            await query.edit_message_text(html, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("Không sửa được tin nhắn có nút (%s); gửi tin mới", exc)
    if message is not None:
        await handlers.send_reply(
            context, message.chat.id, Reply(intent="progress", html=html, buttons=buttons or [])
        )


async def drop_buttons(query: CallbackQuery) -> None:
    """Remove the keyboard of the message a button belongs to (errors are harmless)."""
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest as exc:
            log.debug("Không gỡ được bàn phím: %s", exc)


async def left_linked_group(context: Context, chat: Chat | None, user_id: int) -> str | None:
    """A refusal when `user_id` is no longer in the linked group `chat`, else None.

    Only groups linked to an agency are checked (reports there count for it); when
    Telegram cannot answer, the report goes on (the member is approved anyway)."""
    if chat is None or not in_group(chat):
        return None
    rt = runtime(context)
    agency = rt.service.chat_agency(chat.id)
    if agency is None:
        return None
    try:
        member = await context.bot.get_chat_member(chat.id, user_id)
    except TelegramError as exc:
        log.warning("Không kiểm tra được thành viên %s của nhóm %s: %s", user_id, chat.id, exc)
        return None
    gone = member.status in GONE_STATUSES or (
        isinstance(member, ChatMemberRestricted) and not member.is_member
    )
    if not gone:
        return None
    name = esc(agency_name(rt.knowledge.agencies, agency))
    return (
        f"Anh/chị không còn là thành viên nhóm này nên không báo cáo cho <b>{name}</b> từ nhóm"
        " được; chưa có gì được lưu. Nếu vẫn là thành viên đã duyệt của cơ quan, hãy báo cáo"
        " trong tin nhắn riêng với bot."
    )
