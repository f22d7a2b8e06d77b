"""The brain: from a message (however it is typed) to a grounded Vietnamese reply.

A thin facade, transport-free: the Telegram handlers, the terminal chat and
`python -m bot ask` all call `Brain.answer`, which understands the message
(`bot.nlu.understanding`) and then answers it (`bot.answers`), reading only the plan
and stored progress. Given a chat key and a conversation store, a message is read
against that chat's short context first (`bot.conversation`): «còn Sở Tài chính?»,
«hạn khi nào?», «việc thứ hai», «thêm».
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answers.answerer import Answerer
from bot.conversation import Conversations, ConversationStore
from bot.core.reply import Reply
from bot.nlu.followups import FollowUpReader
from bot.nlu.understanding import Understander, Understanding
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge
from bot.progress.drafts import UpdateChecker
from bot.progress.types import Asker, ProgressReader

if TYPE_CHECKING:
    from bot.progress.view import ProgressView

__all__ = ["Brain", "Understanding"]

LONG_MESSAGE = 300  # characters: past this, an unclear message is read again by its end
_SENTENCE_END = re.compile(r"(?<=[.!?…\n])\s+")


def last_sentences(text: str, count: int = 2) -> str:
    """The last `count` sentences of a message (its question is usually there)."""
    parts = [p for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    return " ".join(parts[-count:])


class Brain:
    """Understands messages about one plan and answers them.

    `updates` checks progress updates: the progress service's `checker` where members
    report (the composition root passes it); by default the operator's rules, as
    `python -m bot ask` and the terminal chat use. `view` is the process's one progress
    view of `progress` (the composition root's); without it one is made when needed.
    `conversations` keeps each chat's context (the composition root's one store); without
    it every message is read on its own."""

    def __init__(
        self,
        knowledge: Knowledge,
        progress: ProgressReader | None = None,
        intents_dir: Path | None = None,
        registry: AgencyRegistry | None = None,
        updates: UpdateChecker | None = None,
        view: ProgressView | None = None,
        conversations: ConversationStore | None = None,
    ):
        self.knowledge = knowledge
        self.progress = progress
        self.understander = Understander(knowledge, intents_dir, registry)
        self.registry = self.understander.registry
        self.answerer = Answerer(
            knowledge, self.registry, self.understander.folder, progress, updates, view
        )
        reader = FollowUpReader.load(self.understander.folder, self.understander.lexicon)
        self.conversations = (
            Conversations(conversations, reader) if conversations is not None else None
        )

    def understand(self, message: str) -> Understanding:
        return self.understander.understand(message)

    # --- answering -----------------------------------------------------------

    def warm_up(self, today: date) -> None:
        """Do at start-up what the first progress question would otherwise do in the
        event loop: read the stored history and derive today's progress."""
        self.answerer.warm_up(today)

    def answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None = None,
        chat: str | None = None,
        fresh: bool = False,
    ) -> Reply:
        """Understand `text` and compose the reply, relative to `today`. With a `chat`
        key (`bot.conversation.chat_key`) the message may be a follow-up of that chat's
        last questions, and the reply is remembered for the next; a `fresh` question (a
        command's, a button's) is read on its own and remembered."""
        understanding = self.understand(text)
        if len(text) > LONG_MESSAGE:
            # a long message that ends with its question («… Sở Nội vụ có nhiệm vụ gì?»):
            # its last sentences alone, when they ask something of the plan
            for count in (1, 2):
                tail = self.understand(last_sentences(text, count))
                if tail.intent not in ("unknown", "smalltalk"):
                    understanding = tail
                    break
        talk = self.conversations
        if chat is None or talk is None:
            return self.answerer.reply(understanding, today=today, asker=asker)
        turn = talk.resolve(understanding, chat, fresh=fresh)
        if turn.more:
            return talk.more(chat) or talk.nothing_more(chat)
        if turn.reply is not None:
            reply = turn.reply
        else:
            reply = self.answerer.reply(turn.understanding, today=today, asker=asker)
        return talk.remember(chat, turn, reply)

    def more(self, chat: str, key: str | None = None) -> Reply | None:
        """The whole of the chat's last list that was cut («Xem tất cả»); None when there
        is none, it has expired, or `key` names an older list."""
        if self.conversations is None:
            return None
        return self.conversations.more(chat, key)
