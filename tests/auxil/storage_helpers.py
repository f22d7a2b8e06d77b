"""Helpers of the storage tests: a report to store, the percents stored, and a writer
thread held inside a transaction of its own (what a slow fsync looks like to the rest)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from bot.storage.base import NewUpdate
from bot.storage.sqlite import SqliteDatabase

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def report(message_id: int, percent: int = 50) -> NewUpdate:
    return NewUpdate(
        item_id="2.4",
        assignment_key="2.4",
        agency_id="snv",
        status="in_progress",
        percent=percent,
        note=f"báo cáo {message_id}",
        reporter_id=10,
        reporter_name="Lan",
        created_at=NOW,
        source_chat_id=10,
        source_message_id=message_id,
    )


class HeldWriter:
    """Keeps the writer thread busy in a job of its own until `release`, so that the
    writes submitted meanwhile all wait together and form the next batch."""

    def __init__(self, db: SqliteDatabase):
        self.db = db
        self._started = threading.Event()
        self._gate = threading.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HeldWriter:
        def hold(conn: sqlite3.Connection) -> None:
            self._started.set()
            self._gate.wait(10)

        self.task = asyncio.create_task(self.db.writer.run(hold))
        assert await asyncio.to_thread(self._started.wait, 10)
        return self

    async def submit(self, *writes: Awaitable[Any]) -> list[asyncio.Future[Any]]:
        """Start the writes and wait until every one is queued behind the held job."""
        queue = self.db.writer._queue
        before = queue.qsize()
        tasks = [asyncio.ensure_future(w) for w in writes]
        for _ in range(500):
            if queue.qsize() == before + len(tasks):
                break
            await asyncio.sleep(0.002)
        assert queue.qsize() == before + len(tasks)
        assert not any(t.done() for t in tasks)  # nothing answered while waiting
        return tasks

    async def __aexit__(self, *exc: object) -> None:
        self._gate.set()
        assert self.task is not None
        await self.task


def stored_percents(db: SqliteDatabase) -> list[int | None]:
    return sorted(u.percent for u in db.updates(include_undone=True))
