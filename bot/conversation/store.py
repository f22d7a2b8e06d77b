"""A chat's short memory: what the last questions were about, kept about 15 minutes.

`ChatContext` is what a follow-up may lean on: the last question about the plan as it
was understood (its agencies, items, roles, period and intent), the item last talked
about, the items of the last list shown and the rest of a list that was cut. A
`ConversationStore` keeps one per chat key; `InMemoryConversationStore` forgets a
context `ttl` after it was saved (by the injected clock) and the least recently used
chats beyond `capacity`. The composition root builds one store per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.core.clock import Clock

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

CONTEXT_TTL = timedelta(minutes=15)
CAPACITY = 10_000  # chats remembered at once


def chat_key(chat_id: int | str, user_id: int | str | None = None) -> str:
    """The key of a conversation, as a door gives it: a private chat is its id; in a
    group each member keeps their own thread (the chat and the user)."""
    return str(chat_id) if user_id is None else f"{chat_id}:{user_id}"


@dataclass(frozen=True)
class MoreList:
    """The whole of a list that a reply showed cut: what «Xem tất cả» / «thêm» sends."""

    key: str  # a short digest of `html`: a button of an older list is stale
    html: str
    intent: str
    agency: str | None
    task_ids: tuple[str, ...]


@dataclass(frozen=True)
class ChatContext:
    """What the conversation so far says (empty fields: nothing known)."""

    query: Understanding | None = None  # the last question about the plan, as resolved
    item: str | None = None  # the item last talked about
    shown: tuple[str, ...] = ()  # the items of the last list shown, in its order
    more: MoreList | None = None  # the rest of the last list, when it was cut

    @property
    def intent(self) -> str | None:
        return self.query.intent if self.query is not None else None

    @property
    def agency_ids(self) -> list[str]:
        """The agencies of the last question."""
        if self.query is None:
            return []
        return list(dict.fromkeys(m.agency.id for m in self.query.agencies))

    @property
    def roles(self) -> list[str]:
        return list(self.query.entities.roles) if self.query is not None else []


class ConversationStore(Protocol):
    """Where chats' contexts are kept, by chat key (see `chat_key`)."""

    def get(self, key: str) -> ChatContext | None:
        """The chat's context, or None when there is none or it has expired."""
        ...

    def put(self, key: str, context: ChatContext) -> None:
        """Keep `context` as the chat's (its time-to-live starts again)."""
        ...

    def drop(self, key: str) -> None:
        """Forget the chat's context."""
        ...


class InMemoryConversationStore:
    """Contexts in memory: each forgotten `ttl` after it was saved (by `clock`), the
    least recently used beyond `capacity` too. Safe to share between threads."""

    def __init__(
        self, clock: Clock, *, ttl: timedelta = CONTEXT_TTL, capacity: int = CAPACITY
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity phải lớn hơn 0")
        self.clock = clock
        self.ttl = ttl
        self.capacity = capacity
        self._contexts: OrderedDict[str, tuple[datetime, ChatContext]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ChatContext | None:
        with self._lock:
            entry = self._contexts.get(key)
            if entry is None:
                return None
            saved, context = entry
            if self.clock.now() - saved >= self.ttl:
                del self._contexts[key]
                return None
            self._contexts.move_to_end(key)
            return context

    def put(self, key: str, context: ChatContext) -> None:
        with self._lock:
            self._contexts[key] = (self.clock.now(), context)
            self._contexts.move_to_end(key)
            while len(self._contexts) > self.capacity:
                self._contexts.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._contexts.pop(key, None)

    def __len__(self) -> int:
        return len(self._contexts)
