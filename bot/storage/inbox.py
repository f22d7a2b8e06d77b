"""The update inbox: Telegram updates stored before they are acknowledged, handled after.

Long polling acknowledges updates implicitly: the next getUpdates with a larger offset
tells Telegram to forget them. `store` therefore commits the fetched updates together
with that next offset, before the bot polls again, so an update is never both
acknowledged and lost; a webhook answers 200 only after `store` returned. `open_updates`
is what is still to be handled (after a crash: what was fetched but not finished), in
update_id order; `finish` marks updates handled or skipped and drops their text (the
inbox keeps no message text once it served its purpose). `forget_before` prunes old
rows; redeliveries come within Telegram's 24 hours, long before that.

Its writes are not fsynced on their own (`durable=False`, see `SqliteWriter.run`): they
survive `kill -9` (the WAL is in the operating system's hands), so a slow disk does not
delay every answer; a report's own commit is fsynced, and with it everything before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from bot.storage.sqlite import SqliteDatabase, SqliteSession
from bot.storage.sqlite_rows import to_utc_text

Outcome = Literal["handled", "skipped"]
OFFSET = "telegram_offset"


@dataclass(frozen=True)
class InboxUpdate:
    """One stored update: its id and Telegram's JSON, as received (`data`: the same JSON
    already decoded, when it was just fetched; not stored)."""

    update_id: int
    payload: str
    data: Any = field(default=None, compare=False, repr=False)


class UpdateInbox(Protocol):
    """What the Telegram door needs from storage (a PostgreSQL backend fills the same)."""

    def next_offset(self) -> int: ...

    async def store(
        self, updates: Sequence[InboxUpdate], *, next_offset: int, at: datetime
    ) -> list[InboxUpdate]: ...

    def open_updates(self, after: int = 0, limit: int = 1000) -> list[InboxUpdate]: ...

    async def finish(self, update_ids: Iterable[int], outcome: Outcome, at: datetime) -> None: ...

    async def forget_before(self, before: datetime) -> int: ...


class SqliteInbox(SqliteSession):
    """The inbox beside an open `SqliteDatabase` (its read connection and writer)."""

    def __init__(self, db: SqliteDatabase):
        super().__init__(db._conn, writer=db.writer, lock=db._lock)

    def next_offset(self) -> int:
        """The offset of the next getUpdates: one past the last update stored (0: none)."""
        row = self._one("SELECT value FROM poll_state WHERE name = ?", (OFFSET,))
        return int(row[0]) if row is not None else 0

    async def store(
        self, updates: Sequence[InboxUpdate], *, next_offset: int, at: datetime
    ) -> list[InboxUpdate]:
        """Store `updates` and the next offset in one transaction; return those that were
        new (a redelivered update_id is stored once)."""
        stamp = to_utc_text(at)

        def job(conn: sqlite3.Connection) -> list[InboxUpdate]:
            fresh: list[InboxUpdate] = []
            for update in updates:
                cursor = conn.execute(
                    "INSERT INTO update_inbox (update_id, payload, received_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (update_id) DO NOTHING",
                    (update.update_id, update.payload, stamp),
                )
                if cursor.rowcount == 1:
                    fresh.append(update)
            conn.execute(
                "INSERT INTO poll_state (name, value) VALUES (?, ?) ON CONFLICT (name)"
                " DO UPDATE SET value = MAX(value, excluded.value)",
                (OFFSET, next_offset),
            )
            return fresh

        return await self._write(job, durable=False)

    def open_updates(self, after: int = 0, limit: int = 1000) -> list[InboxUpdate]:
        """Stored updates not yet handled, oldest first (update_id > `after`)."""
        rows = self._all(
            "SELECT update_id, payload FROM update_inbox WHERE handled_at IS NULL"
            " AND update_id > ? ORDER BY update_id LIMIT ?",
            (after, limit),
        )
        return [InboxUpdate(int(r["update_id"]), str(r["payload"] or "")) for r in rows]

    async def finish(self, update_ids: Iterable[int], outcome: Outcome, at: datetime) -> None:
        """Mark updates handled (or skipped: unreadable) and drop their text."""
        ids = list(update_ids)
        stamp = to_utc_text(at)

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE update_inbox SET handled_at = ?, outcome = ?, payload = NULL"
                " WHERE update_id = ? AND handled_at IS NULL",
                [(stamp, outcome, update_id) for update_id in ids],
            )

        await self._write(job, durable=False)

    async def forget_before(self, before: datetime) -> int:
        """Delete handled rows older than `before`; how many."""

        def job(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM update_inbox WHERE handled_at IS NOT NULL AND handled_at < ?",
                (to_utc_text(before),),
            )
            return cursor.rowcount

        return await self._write(job, durable=False)


def inbox_beside(db: object) -> UpdateInbox:
    """The inbox of an open database (the SQLite backend's, for now)."""
    if not isinstance(db, SqliteDatabase):
        raise TypeError("hộp thư cập nhật cần cơ sở dữ liệu SQLite")
    return SqliteInbox(db)
