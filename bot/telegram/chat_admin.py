"""Who administers a group chat: the one check both the progress and reminders features use."""

from __future__ import annotations

import logging

from telegram import Chat, Message, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.telegram.handlers import Context

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


async def is_group_admin(
    context: Context, chat: Chat, message: Message | None, user: User | None
) -> bool | None:
    """True for an administrator or the creator of the group (getChatMember), or an
    anonymous admin posting as the group; None when Telegram cannot tell now."""
    if (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("Không kiểm tra được quyền quản trị nhóm %s: %s", chat.id, exc)
        return None
    return member.status in ADMIN_STATUSES
