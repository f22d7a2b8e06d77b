"""Reminder subscriptions, the send log and silenced items in SQLite (tables of
migrations 002 and 006).

The send log is the engine's memory: a row per (chat, reminder key) is written
as `pending` *before* the message goes out, gets `attempted_at` just before the
request to Telegram, and ends `sent` or `failed`. The UNIQUE key means a
reminder is claimed once, whatever the number of ticks, restarts or catch-ups.
A `pending` row never attempted (the bot stopped before trying) may be claimed
again; one attempted but not confirmed is never retried, since it may have been
delivered. Failures Telegram guarantees were not delivered (flood wait, a
server error) are `retryable` and claimed again up to `MAX_ATTEMPTS` times. The log
also says how many overdue notices of an item a chat has had (`overdue_sent`), which the
planner reads to stop weekly notices after a few (`bot.reminders.planner`).

The engine is the only writer (one bot process per database). Reads are short and
synchronous; every write is one transaction run by the database's writer thread
(`bot.storage.writer`) and awaited until committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.storage.migrate import apply_migrations
from bot.storage.reminder_records import (
    Claimable,
    Event,
    LogEntry,
    Mute,
    Subscription,
    entry_from_row,
    subscription_from_row,
    time_from_text,
)
from bot.storage.sqlite import (  # same pragmas as the bot's DB
    SqliteDatabase,
    SqliteSession,
    _connect,
    open_sqlite,
)
from bot.storage.sqlite_rows import to_utc_text

SCHEMA_VERSION = 2


def _subscription_row(conn: sqlite3.Connection, chat_id: int) -> sqlite3.Row:
    row: sqlite3.Row = conn.execute(
        "SELECT * FROM reminder_subscriptions WHERE chat_id = ?", (chat_id,)
    ).fetchone()
    return row


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _set_keys(
    conn: sqlite3.Connection,
    sql: str,
    params: tuple[Any, ...],
    chat_id: int,
    keys: Sequence[str],
) -> None:
    """Run `sql` (an UPDATE of reminder_log) on the chat's rows with these keys (a job)."""
    for chunk in _chunks(list(keys)):
        marks = ", ".join("?" for _ in chunk)
        conn.execute(
            f"{sql} WHERE chat_id = ? AND reminder_key IN ({marks})",
            (*params, chat_id, *chunk),
        )


class ReminderStore(SqliteSession):
    """Subscriptions, send log and events: reads on a connection, writes through the
    writer of the database it stands beside (`beside`), or read-only (`open_store_reader`)."""

    def __init__(self, conn: sqlite3.Connection, *, owned: SqliteDatabase | None = None):
        super().__init__(conn)
        self._owned = owned
        self._read_only = True

    @classmethod
    def beside(cls, db: SqliteDatabase, *, owns: bool = False) -> ReminderStore:
        """A store sharing `db`'s read connection, lock and writer (closing it closes `db`
        only when `owns`)."""
        store = cls.__new__(cls)
        SqliteSession.__init__(store, db._conn, writer=db.writer, lock=db._lock)
        store._owned = db if owns else None
        store._read_only = False
        return store

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
        elif self._read_only:
            with self._lock:
                self._conn.close()

    @staticmethod
    def _event(
        conn: sqlite3.Connection,
        chat_id: int,
        action: str,
        agency_id: str | None,
        actor_id: int | None,
        detail: str | None,
        at: datetime,
    ) -> None:
        conn.execute(
            "INSERT INTO reminder_events (chat_id, action, agency_id, actor_id, detail, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, action, agency_id, actor_id, detail, to_utc_text(at)),
        )

    # -- subscriptions --------------------------------------------------------

    def get(self, chat_id: int) -> Subscription | None:
        row = self._one("SELECT * FROM reminder_subscriptions WHERE chat_id = ?", (chat_id,))
        return subscription_from_row(row) if row is not None else None

    def subscriptions(self, *, include_paused: bool = False) -> list[Subscription]:
        rows = self._all(
            "SELECT * FROM reminder_subscriptions WHERE (? = 1 OR paused = 0) ORDER BY chat_id",
            (1 if include_paused else 0,),
        )
        return [subscription_from_row(row) for row in rows]

    async def subscribe(
        self, chat_id: int, agency_id: str, title: str | None, created_by: int, at: datetime
    ) -> Subscription:
        """Create or replace the chat's subscription, active from `at` (resumes a paused one)."""

        def job(conn: sqlite3.Connection) -> Subscription:
            before = conn.execute(
                "SELECT paused FROM reminder_subscriptions WHERE chat_id = ?", (chat_id,)
            ).fetchone()
            stamp = to_utc_text(at)
            conn.execute(
                "INSERT INTO reminder_subscriptions (chat_id, agency_id, title, created_by,"
                " created_at, active_since) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET agency_id = excluded.agency_id,"
                " title = excluded.title, created_by = excluded.created_by,"
                " active_since = excluded.active_since, paused = 0, pause_reason = NULL,"
                " paused_at = NULL",
                (chat_id, agency_id, title, created_by, stamp, stamp),
            )
            action = "resumed" if before is not None and before["paused"] else "subscribed"
            self._event(conn, chat_id, action, agency_id, created_by, title, at)
            return subscription_from_row(_subscription_row(conn, chat_id))

        return await self._write(job)

    async def pause(
        self, chat_id: int, reason: str, at: datetime, *, actor_id: int | None = None
    ) -> Subscription | None:
        """Pause a subscription (Forbidden, /tatnhacviec); None when there is none."""

        def job(conn: sqlite3.Connection) -> Subscription | None:
            current = conn.execute(
                "SELECT agency_id FROM reminder_subscriptions WHERE chat_id = ?", (chat_id,)
            ).fetchone()
            if current is None:
                return None
            conn.execute(
                "UPDATE reminder_subscriptions SET paused = 1, pause_reason = ?, paused_at = ?"
                " WHERE chat_id = ?",
                (reason, to_utc_text(at), chat_id),
            )
            self._event(conn, chat_id, "paused", current["agency_id"], actor_id, reason, at)
            return subscription_from_row(_subscription_row(conn, chat_id))

        return await self._write(job)

    def events(self, chat_id: int | None = None) -> list[Event]:
        rows = self._all(
            "SELECT * FROM reminder_events WHERE (? IS NULL OR chat_id = ?) ORDER BY id",
            (chat_id, chat_id),
        )
        return [
            Event(
                r["chat_id"],
                r["action"],
                r["agency_id"],
                r["actor_id"],
                r["detail"],
                time_from_text(r["at"]),
            )
            for r in rows
        ]

    # -- silenced items -------------------------------------------------------

    def mutes(self, chat_id: int) -> list[Mute]:
        """The items silenced for a chat, in the order they were silenced (none in a file
        read before migration 006)."""
        if self._read_only and not self._one(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reminder_mutes'"
        ):
            return []
        rows = self._all(
            "SELECT * FROM reminder_mutes WHERE chat_id = ? ORDER BY muted_at, subject",
            (chat_id,),
        )
        return [
            Mute(r["chat_id"], r["subject"], r["muted_by"], time_from_text(r["muted_at"]))
            for r in rows
        ]

    async def mute(self, chat_id: int, subject: str, actor_id: int, at: datetime) -> bool:
        """Silence `subject` (an item id or assignment key) for the chat; False when it
        already was."""

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO reminder_mutes (chat_id, subject, muted_by, muted_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, subject) DO NOTHING",
                (chat_id, subject, actor_id, to_utc_text(at)),
            )
            if cursor.rowcount != 1:
                return False
            self._event(conn, chat_id, "muted", None, actor_id, subject, at)
            return True

        return await self._write(job)

    async def unmute(self, chat_id: int, subject: str, actor_id: int, at: datetime) -> bool:
        """Undo `mute`; False when the subject was not silenced."""

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM reminder_mutes WHERE chat_id = ? AND subject = ?", (chat_id, subject)
            )
            if cursor.rowcount != 1:
                return False
            self._event(conn, chat_id, "unmuted", None, actor_id, subject, at)
            return True

        return await self._write(job)

    # -- send log -------------------------------------------------------------

    def overdue_sent(self, chat_id: int) -> dict[str, frozenset[date]]:
        """Per assignment key, the days (`occurs_on`) of the overdue notices the chat has
        had or may have had: sent, or tried (a try may have been delivered)."""
        rows = self._all(
            "SELECT subject, occurs_on FROM reminder_log WHERE chat_id = ? AND kind = 'overdue'"
            " AND (status = 'sent' OR attempted_at IS NOT NULL)",
            (chat_id,),
        )
        found: dict[str, set[date]] = {}
        for row in rows:
            found.setdefault(row["subject"], set()).add(date.fromisoformat(row["occurs_on"]))
        return {key: frozenset(days) for key, days in found.items()}

    def entries(
        self, chat_id: int | None = None, *, since: datetime | None = None
    ) -> list[LogEntry]:
        """Log rows (of one chat), scheduled at or after `since`, oldest first."""
        rows = self._all(
            "SELECT * FROM reminder_log WHERE (? IS NULL OR chat_id = ?)"
            " AND (? IS NULL OR scheduled_at >= ?) ORDER BY scheduled_at, id",
            (
                chat_id,
                chat_id,
                None if since is None else to_utc_text(since),
                None if since is None else to_utc_text(since),
            ),
        )
        return [entry_from_row(row) for row in rows]

    def logged(self, chat_id: int, keys: Iterable[str]) -> dict[str, LogEntry]:
        """The log rows of these keys for a chat."""
        wanted = sorted(set(keys))
        found: dict[str, LogEntry] = {}
        for chunk in _chunks(wanted):
            marks = ", ".join("?" for _ in chunk)
            rows = self._all(
                f"SELECT * FROM reminder_log WHERE chat_id = ? AND reminder_key IN ({marks})",
                (chat_id, *chunk),
            )
            found.update({row["reminder_key"]: entry_from_row(row) for row in rows})
        return found

    async def claim(self, chat_id: int, due: Sequence[Claimable], at: datetime) -> list[str]:
        """Record `due` as pending and return the keys this caller may now send.

        New keys are inserted; never-attempted pending rows and retryable failures are
        taken again; everything else (sent, attempted, final failures) is skipped."""
        if not due:
            return []
        stamp = to_utc_text(at)

        def job(conn: sqlite3.Connection) -> list[str]:
            claimed: list[str] = []
            for occurrence in due:
                cursor = conn.execute(
                    "INSERT INTO reminder_log (chat_id, reminder_key, kind, subject, occurs_on,"
                    " scheduled_at, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)"
                    " ON CONFLICT (chat_id, reminder_key) DO NOTHING",
                    (
                        chat_id,
                        occurrence.key,
                        occurrence.kind,
                        occurrence.subject,
                        occurrence.occurs_on.isoformat(),
                        to_utc_text(occurrence.send_at),
                        stamp,
                    ),
                )
                if cursor.rowcount == 1:
                    claimed.append(occurrence.key)
                    continue
                row = conn.execute(
                    "SELECT * FROM reminder_log WHERE chat_id = ? AND reminder_key = ?",
                    (chat_id, occurrence.key),
                ).fetchone()
                if row is not None and entry_from_row(row).claimable():
                    conn.execute(
                        "UPDATE reminder_log SET status = 'pending', attempted_at = NULL,"
                        " retryable = 0 WHERE id = ?",
                        (row["id"],),
                    )
                    claimed.append(occurrence.key)
            return claimed

        return await self._write(job)

    async def _update_keys(
        self, chat_id: int, keys: Sequence[str], sql: str, params: tuple[Any, ...]
    ) -> None:
        await self._write(lambda conn: _set_keys(conn, sql, params, chat_id, keys))

    async def mark_attempted(self, chat_id: int, keys: Sequence[str], at: datetime) -> None:
        """Just before the request to Telegram: from now on the keys are never retried
        unless Telegram says they were not delivered."""
        await self._update_keys(
            chat_id,
            keys,
            "UPDATE reminder_log SET attempted_at = ?, attempts = attempts + 1",
            (to_utc_text(at),),
        )

    async def mark_sent(
        self, chat_id: int, keys: Sequence[str], at: datetime, message_id: int | None
    ) -> None:
        await self._update_keys(
            chat_id,
            keys,
            "UPDATE reminder_log SET status = 'sent', sent_at = ?, message_id = ?, error = NULL,"
            " retryable = 0",
            (to_utc_text(at), message_id),
        )

    async def mark_failed(
        self, chat_id: int, keys: Sequence[str], error: str, *, retryable: bool
    ) -> None:
        await self._update_keys(
            chat_id,
            keys,
            "UPDATE reminder_log SET status = 'failed', error = ?, retryable = ?",
            (error[:500], 1 if retryable else 0),
        )

    def interrupted(self) -> list[LogEntry]:
        """Rows attempted but never confirmed (the bot stopped mid-send): not retried."""
        rows = self._all(
            "SELECT * FROM reminder_log WHERE status = 'pending' AND attempted_at IS NOT NULL"
            " ORDER BY id"
        )
        return [entry_from_row(row) for row in rows]

    async def close_interrupted(self, error: str) -> int:
        """Mark interrupted rows failed (final): they may have been delivered."""

        def job(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE reminder_log SET status = 'failed', error = ?, retryable = 0"
                " WHERE status = 'pending' AND attempted_at IS NOT NULL",
                (error[:500],),
            )
            return cursor.rowcount

        return await self._write(job)


def open_store(path: Path, *, now: datetime) -> ReminderStore:
    """Open the database file read-write (creating and migrating it if needed); closing
    the store closes it."""
    return ReminderStore.beside(open_sqlite(path, now=now), owns=True)


def store_for(db: object, *, now: datetime) -> ReminderStore:
    """A store beside an open `bot.storage` database, sharing its connections and writer."""
    if not isinstance(db, SqliteDatabase):
        raise TypeError("nhắc việc cần cơ sở dữ liệu SQLite")
    return ReminderStore.beside(db)


def empty_store_reader(*, now: datetime) -> ReminderStore:
    """A store with no subscription and an empty send log, in memory (the preview of a
    hypothetical group when there is no database file)."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    apply_migrations(conn, now=now)
    return ReminderStore(conn)


def open_store_reader(path: Path) -> ReminderStore | None:
    """The store read-only (preview); None when the file or the reminder tables are missing."""
    if not path.is_file():
        return None
    try:
        conn = _connect(path, read_only=True)
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            ("reminder_subscriptions",),
        ).fetchone()
    except sqlite3.Error:
        return None
    if not exists:
        conn.close()
        return None
    return ReminderStore(conn)
