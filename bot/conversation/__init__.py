"""Conversation: each chat's short context and the follow-ups read against it.

Transport-free, between the answers and the brain: `store` keeps a `ChatContext` per
chat key (`chat_key`: the door says whose conversation a message is), `followup`
reads «còn Sở Tài chính?», «hạn khi nào?», «việc thứ hai», «thêm» against it. The
composition root builds one `InMemoryConversationStore` and gives it to the brain.
"""

from bot.conversation.followup import MORE_HINT, MORE_LABEL, Conversations, Turn
from bot.conversation.store import (
    CONTEXT_TTL,
    ChatContext,
    ConversationStore,
    InMemoryConversationStore,
    MoreList,
    chat_key,
)

__all__ = [
    "CONTEXT_TTL",
    "MORE_HINT",
    "MORE_LABEL",
    "ChatContext",
    "ConversationStore",
    "Conversations",
    "InMemoryConversationStore",
    "MoreList",
    "Turn",
    "chat_key",
]
