"""The update processor: updates of one conversation in order (a private chat; in a
group, each member's), different ones side by side, a bounded number at a time, each as
work in flight the shutdown can cut off."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.core.slots import Slot, holding
from bot.telegram.shutdown import Shutdown


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different conversations run concurrently, at most
    `max_concurrent_updates` at a time; those of one conversation run in order. A private
    chat is one conversation; in a group each member is one, as their context is kept
    (`bot.telegram.handlers.conversation_key`): a member's question does not wait for
    another member's report to be committed (the report is not confirmed before its
    commit, and the question is answered from what is committed), while one member's own
    messages, edits and button presses keep their order.

    An update first waits for its chat's turn and only then for a slot, so updates queued
    behind a busy chat hold no slot (PTB's own semaphore, taken before `do_process_update`,
    is therefore left wide: `QUEUE_BOUND`). Few slots keep the order close to first come,
    first served: with many, every update in flight shares the CPU and each one's answer
    waits for nearly all of them (bench/load.py)."""

    QUEUE_BOUND = 100_000

    def __init__(self, max_concurrent_updates: int = 16, *, shutdown: Shutdown | None = None):
        super().__init__(self.QUEUE_BOUND)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[ConversationKey, asyncio.Lock] = {}
        self._waiting: dict[ConversationKey, int] = {}
        self._shutdown = shutdown or Shutdown()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handling as work in flight (cancelled when the shutdown's
        grace period is over; not started at all after it)."""
        key = _chat_key(update)
        run = self._shutdown.run_unless_expired
        if key is None:
            async with holding(Slot(self._slots)):
                await run(_as_coroutine(coroutine))
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            # a handler waiting for a commit gives its slot back (bot.core.slots)
            async with lock, holding(Slot(self._slots)):
                await run(_as_coroutine(coroutine))
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # keep memory bounded by the chats in flight
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _as_coroutine(awaitable: Awaitable[Any]) -> Coroutine[Any, Any, Any]:
    return awaitable if asyncio.iscoroutine(awaitable) else _awaited(awaitable)


ConversationKey = int | tuple[int, int]


def _chat_key(update: object) -> ConversationKey | None:
    """Whose turn an update waits for: its private chat, or in a group its member (the
    group itself when no member is known)."""
    if not isinstance(update, Update):
        return None
    chat, user = update.effective_chat, update.effective_user
    if chat is not None:
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and user is not None:
            return (chat.id, user.id)
        return chat.id
    return user.id if user is not None else None
