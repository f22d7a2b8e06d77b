"""SQLite backend: WAL, foreign keys, busy timeout, migrations applied at open.

Reads are short and synchronous on a connection of their own (WAL readers never wait
for the writer), so asyncio handlers call them directly. Writes are `async`: each is a
job for the `SqliteWriter` thread, which owns a second connection, groups the jobs
waiting into one transaction and answers only after COMMIT, so no fsync ever stops the
event loop. `SqliteReader` opens the file read-only and never creates or migrates it.
The SQL of each concern lives beside it: `sqlite_progress` (updates), `sqlite_access`
(members and chat links), `sqlite_rows` (stored times, rows to records). The update
inbox is a second file beside the database, opened and closed with it, with its own
writer thread (`bot.storage.inbox`), so its writes never wait for a report's commit.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.progress.types import ProgressRecord
from bot.storage import (
    EMPTY_FILE_DETAIL,
    INBOX_FILE_PROBLEM,
    sqlite_access,
    sqlite_plans,
    sqlite_progress,
)
from bot.storage.base import (
    AccessStatus,
    ChatLink,
    Member,
    NewPlanDocument,
    NewUpdate,
    PlanDocument,
    PlanStatus,
    StoredUpdate,
)
from bot.storage.inbox import SqliteInbox, adopt_legacy_inbox, inbox_path, migrate_inbox
from bot.storage.migrate import apply_migrations
from bot.storage.sqlite_rows import chat_link_from_row, member_from_row, to_utc_text
from bot.storage.writer import SqliteWriter, checkpoint

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000

log = logging.getLogger(__name__)


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(
            path.resolve().as_uri() + "?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    conn.execute("PRAGMA foreign_keys = ON")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    return conn


class SqliteSession:
    """A read connection used from several tasks (queries under a lock) and, for a store
    that writes, the writer thread its write jobs go to (shared by the progress store
    and the reminders store)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        writer: SqliteWriter | None = None,
        lock: threading.RLock | None = None,
    ):
        self._conn = conn
        self._lock = lock or threading.RLock()
        self._writer = writer

    async def _write(self, job: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run `job` in the writer's next transaction; return once it is committed
        (`durable`: see `SqliteWriter.run`)."""
        if self._writer is None:
            raise sqlite3.OperationalError("cơ sở dữ liệu mở chỉ để đọc")
        return await self._writer.run(job, durable=durable)

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row


class SqliteReader(SqliteSession):
    """Read side of the SQLite store (implements `ProgressStore`)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        writer: SqliteWriter | None = None,
        lock: threading.RLock | None = None,
    ):
        super().__init__(conn, writer=writer, lock=lock)
        self.path = path
        self._read_cache: dict[tuple[str | None, bool], list[StoredUpdate]] = {}
        self._read_state: tuple[int, int] | None = None
        self._log = sqlite_progress.UpdateLog()

    def pragma(self, name: str) -> Any:
        """Read a PRAGMA value (journal_mode, foreign_keys, busy_timeout…)."""
        if not name.isidentifier():
            raise ValueError(name)
        row = self._one(f"PRAGMA {name}")
        return row[0] if row is not None else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def schema_version(self) -> int:
        row = self._one(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", ("schema_version",)
        )
        if row is None:
            return 0
        found = self._one("SELECT MAX(version) FROM schema_version")
        return int(found[0] or 0) if found is not None else 0

    # -- progress -----------------------------------------------------------

    def _data_state(self) -> tuple[int, int] | None:
        """A token that changes with every commit this connection can see: those of other
        connections (`PRAGMA data_version`) and its own (`total_changes`); None inside an
        open transaction, whose reads are never cached."""
        if self._conn.in_transaction:
            return None
        row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0]), self._conn.total_changes

    def version(self) -> tuple[int, int] | None:
        """Changes whenever the stored data may have changed (see `_data_state`)."""
        with self._lock:
            return self._data_state()

    def updates(
        self, item_id: str | None = None, *, include_undone: bool = False
    ) -> list[StoredUpdate]:
        """Updates (of one item, or all), oldest first.

        Rows are parsed once: the log keeps every update read so far and, when the
        database changed, reads only the rows added since (and the undo marks, when
        their number changed) — the tables are append-only. The filtered lists are kept
        until the next change, so the progress questions, /tiendo and the reminders'
        tick neither re-read nor re-filter an unchanged history. Inside an open
        transaction, whose rows may still be rolled back, it reads the table directly."""
        key = (item_id, include_undone)
        with self._lock:
            state = self._data_state()
            if state is None:
                return self._query_updates(item_id, include_undone)
            if state == self._read_state and key in self._read_cache:
                return list(self._read_cache[key])
            if state != self._read_state:
                self._log.refresh(self._conn)
                self._read_cache, self._read_state = {}, state
            if item_id is None:
                found = self._log.ordered if include_undone else self._log.active
            else:
                found = [
                    u
                    for u in self._log.ordered
                    if u.item_id == item_id and (include_undone or u.undone_at is None)
                ]
            self._read_cache[key] = found
            return list(found)

    def _query_updates(self, item_id: str | None, include_undone: bool) -> list[StoredUpdate]:
        with self._lock:
            return sqlite_progress.query_updates(self._conn, item_id, include_undone)

    def get_update(self, update_id: int) -> StoredUpdate | None:
        with self._lock:
            return sqlite_progress.get_update(self._conn, update_id)

    def find_by_source(self, chat_id: int, message_id: int) -> StoredUpdate | None:
        with self._lock:
            return sqlite_progress.find_by_source(self._conn, chat_id, message_id)

    def latest_by_assignment(self, item_id: str) -> dict[str, ProgressRecord]:
        latest: dict[str, ProgressRecord] = {}
        for update in self.updates(item_id):
            latest[f"{update.assignment_key}|{update.agency_id}"] = update
        return latest

    def history(
        self, item_id: str, limit: int = 20, *, include_undone: bool = False
    ) -> list[ProgressRecord]:
        """Most recent first (undone updates only when asked)."""
        newest_first: list[ProgressRecord] = [
            *reversed(self.updates(item_id, include_undone=include_undone))
        ]
        return newest_first[:limit]

    # -- access -------------------------------------------------------------

    def get_member(self, user_id: int) -> Member | None:
        row = self._one("SELECT * FROM members WHERE user_id = ?", (user_id,))
        return member_from_row(row) if row is not None else None

    def list_members(
        self, status: AccessStatus | None = None, agency_id: str | None = None
    ) -> list[Member]:
        rows = self._all(
            "SELECT * FROM members WHERE (? IS NULL OR status = ?) AND (? IS NULL OR agency_id = ?)"
            " ORDER BY agency_id, requested_at, user_id",
            (status, status, agency_id, agency_id),
        )
        return [member_from_row(row) for row in rows]

    def get_chat_link(self, chat_id: int) -> ChatLink | None:
        row = self._one("SELECT * FROM chat_links WHERE chat_id = ?", (chat_id,))
        return chat_link_from_row(row) if row is not None else None

    def list_chat_links(self, status: AccessStatus | None = None) -> list[ChatLink]:
        rows = self._all(
            "SELECT * FROM chat_links WHERE (? IS NULL OR status = ?)"
            " ORDER BY requested_at, chat_id",
            (status, status),
        )
        return [chat_link_from_row(row) for row in rows]

    # -- plans --------------------------------------------------------------

    def plan_documents(self, status: PlanStatus | None = None) -> list[PlanDocument]:
        with self._lock:
            return sqlite_plans.documents(self._conn, status)

    def plan_document(self, document_id: int) -> PlanDocument | None:
        with self._lock:
            return sqlite_plans.document(self._conn, document_id)

    def chat_plan(self, chat_id: int) -> str | None:
        with self._lock:
            return sqlite_plans.chat_plan(self._conn, chat_id)

    def chat_plans(self) -> dict[int, str]:
        return {
            int(r["chat_id"]): str(r["plan_key"]) for r in self._all("SELECT * FROM chat_plans")
        }


class SqliteDatabase(SqliteReader):
    """Read-write SQLite store (implements `Database`): reads on this object's connection,
    writes as jobs of its `SqliteWriter` (see the module docstring)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        writer: SqliteWriter,
        inbox: SqliteInbox,
        lock: threading.RLock | None = None,
    ):
        super().__init__(conn, path, writer=writer, lock=lock)
        self.writer = writer
        self.inbox = inbox

    def close(self) -> None:
        """Commit what is queued, checkpoint the WAL into the main file, close both
        connections (a copy of the .db file alone then holds everything); the same for
        the inbox file."""
        try:
            self.writer.close()
            write_conn = self.writer.connection
            with self._lock:
                if write_conn is not self._conn:
                    checkpoint(write_conn)
                    write_conn.close()
                self._conn.close()
        finally:
            self.inbox.close()

    # -- progress -----------------------------------------------------------

    async def insert_update(self, update: NewUpdate) -> tuple[StoredUpdate, bool]:
        return await self._write(lambda conn: sqlite_progress.insert_update(conn, update))

    async def mark_undone(self, update_id: int, *, by: int | None, at: datetime) -> bool:
        return await self._write(lambda conn: sqlite_progress.mark_undone(conn, update_id, by, at))

    # -- plans --------------------------------------------------------------

    async def save_plan_draft(self, draft: NewPlanDocument) -> PlanDocument:
        return await self._write(lambda conn: sqlite_plans.save_draft(conn, draft))

    async def activate_plan(self, document_id: int, *, by: int, at: datetime) -> PlanDocument:
        return await self._write(lambda conn: sqlite_plans.activate(conn, document_id, by, at))

    async def set_chat_plan(
        self, chat_id: int, plan_key: str | None, *, by: int, at: datetime
    ) -> None:
        await self._write(lambda conn: sqlite_plans.set_chat_plan(conn, chat_id, plan_key, by, at))

    # -- access -------------------------------------------------------------

    async def save_member_request(
        self, user_id: int, agency_id: str, display_name: str | None, at: datetime
    ) -> Member:
        return await self._write(
            lambda conn: sqlite_access.save_member_request(
                conn, user_id, agency_id, display_name, at
            )
        )

    async def decide_member(
        self,
        user_id: int,
        status: AccessStatus,
        *,
        allowed_from: tuple[AccessStatus, ...],
        by: int | None,
        at: datetime,
        requested_at: datetime | None = None,
    ) -> Member | None:
        return await self._write(
            lambda conn: sqlite_access.decide_member(
                conn, user_id, status, allowed_from, by, at, requested_at
            )
        )

    async def save_chat_link_request(
        self, chat_id: int, agency_id: str, title: str | None, requested_by: int, at: datetime
    ) -> ChatLink:
        return await self._write(
            lambda conn: sqlite_access.save_chat_link_request(
                conn, chat_id, agency_id, title, requested_by, at
            )
        )

    async def decide_chat_link(
        self,
        chat_id: int,
        status: AccessStatus,
        *,
        allowed_from: tuple[AccessStatus, ...],
        by: int | None,
        at: datetime,
        requested_at: datetime | None = None,
    ) -> ChatLink | None:
        return await self._write(
            lambda conn: sqlite_access.decide_chat_link(
                conn, chat_id, status, allowed_from, by, at, requested_at
            )
        )


def check_integrity(conn: sqlite3.Connection) -> None:
    """`PRAGMA quick_check` of the whole file; sqlite3.DatabaseError when it is damaged.

    A file cut short or overwritten in the middle can still open (SQLite reads
    pages lazily) and only fail later, on the first read of a damaged page; the
    check at open turns that into a clear refusal to start (milliseconds for a
    database of this size)."""
    rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
    if rows != ["ok"]:
        raise sqlite3.DatabaseError("quick_check: " + "; ".join(rows[:3]))


def open_sqlite(path: Path, *, now: datetime, commit_delay: float = 0.0) -> SqliteDatabase:
    """Open (creating if needed) the database file and its inbox file, check them and
    apply pending migrations; start their writer threads (`commit_delay`: see
    `SqliteWriter`; the inbox's commits do not fsync, so it never applies to them).

    An existing file of 0 bytes is refused: SQLite would take it for a new, empty
    database, but this function never leaves one behind (the first page is written at
    creation), so it is a truncated database and starting empty would hide the loss."""
    memory = str(path) == ":memory:"
    if not memory:
        if path.is_file() and path.stat().st_size == 0:
            raise sqlite3.DatabaseError(EMPTY_FILE_DETAIL)
        inbox_file = inbox_path(path)
        if inbox_file.is_file() and inbox_file.stat().st_size == 0:
            raise sqlite3.DatabaseError(f"{INBOX_FILE_PROBLEM} {inbox_file}: {EMPTY_FILE_DETAIL}")
        path.parent.mkdir(parents=True, exist_ok=True)
    write_conn = _memory() if memory else _connect(path, read_only=False)
    inbox_conn: sqlite3.Connection | None = None
    try:
        check_integrity(write_conn)
        try:
            inbox_conn = _memory() if memory else _connect(inbox_path(path), read_only=False)
            inbox_conn.execute("PRAGMA synchronous = NORMAL")  # see bot.storage.inbox
            check_integrity(inbox_conn)
        except sqlite3.Error as exc:  # say which file: the inbox is not in the backups
            raise type(exc)(f"{INBOX_FILE_PROBLEM} {inbox_path(path)}: {exc}") from exc
        migrate_inbox(inbox_conn, now=now)
        adopt_legacy_inbox(write_conn, inbox_conn, now=to_utc_text(now))  # before 005
        apply_migrations(write_conn, now=now)
        read_conn = write_conn if memory else _connect(path, read_only=False)
        inbox_read = inbox_conn if memory else _connect(inbox_path(path), read_only=False)
    except Exception:
        write_conn.close()
        if inbox_conn is not None:
            inbox_conn.close()
        raise
    if not memory:
        read_conn.execute("PRAGMA query_only = ON")  # every write goes through the writer
        inbox_read.execute("PRAGMA query_only = ON")
    # an in-memory database has one connection: reader and writer share it and its lock
    lock, inbox_lock = threading.RLock(), threading.RLock()
    inbox = SqliteInbox(
        inbox_read,
        writer=SqliteWriter(
            inbox_conn, lock=inbox_lock if memory else None, name="sqlite-inbox-writer"
        ),
        path=None if memory else inbox_path(path),
        lock=inbox_lock,
    )
    writer = SqliteWriter(write_conn, lock=lock if memory else None, commit_delay=commit_delay)
    return SqliteDatabase(read_conn, path, writer=writer, inbox=inbox, lock=lock)


def _memory() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_sqlite_reader(path: Path) -> SqliteReader | None:
    """Open an existing database read-only; None when the file or its schema is missing."""
    if str(path) == ":memory:" or not path.is_file():
        return None
    try:
        conn = _connect(path, read_only=True)
    except sqlite3.Error:
        return None
    reader = SqliteReader(conn, path)
    try:
        version = reader.schema_version()
    except sqlite3.Error:
        version = 0
    if version < 1:
        reader.close()
        return None
    return reader
