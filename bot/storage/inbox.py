"""The update inbox: Telegram updates stored before they are acknowledged, handled after.

Long polling acknowledges updates implicitly: the next getUpdates with a larger offset
tells Telegram to forget them. `store` therefore commits the fetched updates together
with that next offset, before the bot polls again, so an update is never both
acknowledged and lost; a webhook answers 200 only after `store` returned. `open_updates`
is what is still to be handled (after a crash: what was fetched but not finished), in
update_id order; `finish` marks updates handled or skipped and drops their text (the
inbox keeps no message text once it served its purpose). `forget_before` prunes old
rows; redeliveries come within Telegram's 24 hours, long before that.

SQLite keeps it in a database file of its own beside the main one (`inbox_path`:
`planbot.db` → `planbot.inbox.db`), with its own connections and writer thread: SQLite
has one write lock per file, so in the main file every fetched batch waited for the
report being committed (and its fsync) before it could be stored and handled. Its
commits are not fsynced (`synchronous=NORMAL` in WAL, `durable=False`): they survive
`kill -9` (the WAL is in the operating system's hands), not a power cut, which can
only lose updates fetched but not yet handled; a report's own commit, in the main
file, is fsynced as before. It holds nothing to back up: `python -m bot backup` copies
the main file only (README, «Sao lưu và khôi phục»).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.storage.migrate import MIGRATIONS_DIR, apply_migrations, discover
from bot.storage.sqlite_rows import to_utc_text
from bot.storage.writer import SqliteWriter, checkpoint

Outcome = Literal["handled", "skipped"]
OFFSET = "telegram_offset"
INBOX_MIGRATIONS_DIR = MIGRATIONS_DIR / "inbox"
LEGACY_TABLES = ("update_inbox", "poll_state")  # where main migration 003 kept the inbox


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


def inbox_path(db_path: Path) -> Path:
    """The inbox file beside the database `db_path` (`data/planbot.db` →
    `data/planbot.inbox.db`)."""
    return db_path.with_name(f"{db_path.stem}.inbox{db_path.suffix or '.db'}")


class SqliteInbox:
    """The inbox in its own SQLite file: reads on one connection (start-up only), writes
    as `durable=False` jobs of its own `SqliteWriter` thread."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        writer: SqliteWriter,
        path: Path | None = None,
        lock: threading.RLock | None = None,
    ):
        self._conn = conn
        self._lock = lock or threading.RLock()
        self.writer = writer
        self.path = path

    def close(self) -> None:
        """Commit what is queued, checkpoint the WAL into the file, close both connections."""
        self.writer.close()
        write_conn = self.writer.connection
        with self._lock:
            if write_conn is not self._conn:
                checkpoint(write_conn)
                write_conn.close()
            self._conn.close()

    def next_offset(self) -> int:
        """The offset of the next getUpdates: one past the last update stored (0: none)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM poll_state WHERE name = ?", (OFFSET,)
            ).fetchone()
        return int(row[0]) if row is not None else 0

    async def store(
        self, updates: Sequence[InboxUpdate], *, next_offset: int, at: datetime
    ) -> list[InboxUpdate]:
        """Store `updates` and the next offset in one transaction; return those that were
        new (a redelivered update_id is stored once)."""
        stamp = to_utc_text(at)

        def job(conn: sqlite3.Connection) -> list[InboxUpdate]:
            return store_rows(conn, updates, next_offset, stamp)

        return await self.writer.run(job, durable=False)

    def open_updates(self, after: int = 0, limit: int = 1000) -> list[InboxUpdate]:
        """Stored updates not yet handled, oldest first (update_id > `after`)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT update_id, payload FROM update_inbox WHERE handled_at IS NULL"
                " AND update_id > ? ORDER BY update_id LIMIT ?",
                (after, limit),
            ).fetchall()
        return [InboxUpdate(int(r[0]), str(r[1] or "")) for r in rows]

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

        await self.writer.run(job, durable=False)

    async def forget_before(self, before: datetime) -> int:
        """Delete handled rows older than `before`; how many."""

        def job(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM update_inbox WHERE handled_at IS NOT NULL AND handled_at < ?",
                (to_utc_text(before),),
            )
            return cursor.rowcount

        return await self.writer.run(job, durable=False)


def store_rows(
    conn: sqlite3.Connection, updates: Sequence[InboxUpdate], next_offset: int, stamp: str
) -> list[InboxUpdate]:
    """Insert `updates` (a known update_id is left as it is) and raise the stored offset
    to `next_offset`; the updates that were new."""
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


def migrate_inbox(conn: sqlite3.Connection, *, now: datetime) -> list[int]:
    """Apply the inbox file's own migrations (`migrations/inbox/`); the versions applied."""
    return apply_migrations(conn, now=now, migrations=discover(INBOX_MIGRATIONS_DIR))


def adopt_legacy_inbox(main: sqlite3.Connection, inbox: sqlite3.Connection, *, now: str) -> int:
    """Copy what the main database's old inbox tables (migration 003) still hold — the
    updates not handled yet and the polling offset — into the inbox file, and commit it
    there; main migration 005 drops the old tables afterwards. Run again after a crash
    in between, it copies nothing twice. How many updates were copied."""
    found = {
        str(row[0])
        for row in main.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            LEGACY_TABLES,
        )
    }
    if set(LEGACY_TABLES) - found:
        return 0
    left = [
        InboxUpdate(int(row[0]), str(row[1] or ""))
        for row in main.execute(
            "SELECT update_id, payload FROM update_inbox WHERE handled_at IS NULL"
            " ORDER BY update_id"
        )
    ]
    row = main.execute("SELECT value FROM poll_state WHERE name = ?", (OFFSET,)).fetchone()
    offset = int(row[0]) if row is not None else 0
    if not left and not offset:
        return 0
    inbox.execute("BEGIN IMMEDIATE")
    try:
        fresh = store_rows(inbox, left, offset, now)
        inbox.execute("COMMIT")
    except BaseException:
        inbox.execute("ROLLBACK")
        raise
    return len(fresh)


def inbox_beside(db: object) -> UpdateInbox:
    """The inbox of an open database (the SQLite backend's, for now)."""
    inbox = getattr(db, "inbox", None)
    if not isinstance(inbox, SqliteInbox):
        raise TypeError("hộp thư cập nhật cần cơ sở dữ liệu SQLite")
    return inbox
