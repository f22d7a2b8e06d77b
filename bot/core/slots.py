"""Slots of work in flight, and giving one back while waiting for the disk.

The Telegram door handles a bounded number of updates at once (a semaphore of slots),
so that the CPU is shared by few and answers come close to first come, first served.
A handler waiting for its write to be committed uses no CPU: `waiting_elsewhere` hands
its slot to the next update for that time and takes a slot again before it goes on, so
a slow disk (a 200 ms fsync) does not queue every question behind the reports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar


class Slot:
    """One slot of a semaphore, held or given back (never released twice)."""

    def __init__(self, semaphore: asyncio.Semaphore):
        self._semaphore = semaphore
        self.held = False

    async def take(self) -> None:
        await self._semaphore.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()


CURRENT_SLOT: ContextVar[Slot | None] = ContextVar("current_slot", default=None)


@asynccontextmanager
async def holding(slot: Slot) -> AsyncIterator[None]:
    """Hold `slot` for the block (as the current task's slot)."""
    await slot.take()
    token = CURRENT_SLOT.set(slot)
    try:
        yield
    finally:
        CURRENT_SLOT.reset(token)
        slot.give_back()


@asynccontextmanager
async def waiting_elsewhere() -> AsyncIterator[None]:
    """Give the current task's slot back for the block (if it holds one)."""
    slot = CURRENT_SLOT.get()
    if slot is None or not slot.held:
        yield
        return
    slot.give_back()
    try:
        yield
    finally:
        await slot.take()
