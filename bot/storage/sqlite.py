"""SQLite backend: WAL, foreign keys, busy timeout, migrations applied at open.

Reads are short and synchronous on a connection of their own (WAL readers never wait
for the writer), so asyncio handlers call them directly. Writes are `async`: each is a
job for the `SqliteWriter` thread, which owns a second connection, groups the jobs
waiting into one transaction and answers only after COMMIT, so no fsync ever stops the
event loop. `SqliteReader` opens the file read-only and never creates or migrates it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from bot.progress.types import ProgressRecord, Status
from bot.storage import EMPTY_FILE_DETAIL
from bot.storage.base import AccessStatus, ChatLink, Member, NewUpdate, StoredUpdate
from bot.storage.migrate import apply_migrations
from bot.storage.writer import SqliteWriter

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000

log = logging.getLogger(__name__)

_Decided = TypeVar("_Decided", Member, ChatLink)

_UPDATE_COLUMNS = (
    "u.id, u.item_id, u.assignment_key, u.agency_id, u.status, u.percent, u.note,"
    " u.reporter_id, u.reporter_name, u.created_at, u.source_chat_id, u.source_message_id,"
    " x.undone_at, x.undone_by"
)
_UPDATE_FROM = "progress_updates u LEFT JOIN update_undos x ON x.update_id = u.id"


def to_utc_text(at: datetime) -> str:
    """The stored form of a time: UTC ISO-8601 with microseconds (sorts as text)."""
    if at.tzinfo is None:
        raise ValueError("thời điểm phải có múi giờ")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def from_utc_text(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _update(row: sqlite3.Row) -> StoredUpdate:
    created = from_utc_text(row["created_at"])
    assert created is not None
    return StoredUpdate(
        id=row["id"],
        item_id=row["item_id"],
        assignment_key=row["assignment_key"],
        agency_id=row["agency_id"],
        status=cast(Status, row["status"]),
        percent=row["percent"],
        note=row["note"],
        reporter_id=row["reporter_id"],
        reporter_name=row["reporter_name"],
        created_at=created,
        source_chat_id=row["source_chat_id"],
        source_message_id=row["source_message_id"],
        undone_at=from_utc_text(row["undone_at"]),
        undone_by=row["undone_by"],
    )


def _member(row: sqlite3.Row) -> Member:
    requested = from_utc_text(row["requested_at"])
    assert requested is not None
    return Member(
        user_id=row["user_id"],
        agency_id=row["agency_id"],
        display_name=row["display_name"],
        status=cast(AccessStatus, row["status"]),
        requested_at=requested,
        decided_at=from_utc_text(row["decided_at"]),
        decided_by=row["decided_by"],
    )


def _chat_link(row: sqlite3.Row) -> ChatLink:
    requested = from_utc_text(row["requested_at"])
    assert requested is not None
    return ChatLink(
        chat_id=row["chat_id"],
        agency_id=row["agency_id"],
        title=row["title"],
        status=cast(AccessStatus, row["status"]),
        requested_by=row["requested_by"],
        requested_at=requested,
        decided_at=from_utc_text(row["decided_at"]),
        decided_by=row["decided_by"],
        **_pending_change(row),
    )


def _pending_change(row: sqlite3.Row) -> dict[str, Any]:
    """The change of agency waiting beside a confirmed link (none in a file read before
    migration 004, which a read-only reader does not apply)."""
    if "pending_agency_id" not in row.keys():  # noqa: SIM118 (`in` on a Row reads values)
        return {}
    return {
        "pending_agency_id": row["pending_agency_id"],
        "pending_requested_by": row["pending_requested_by"],
        "pending_requested_at": from_utc_text(row["pending_requested_at"]),
    }


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


def _order(update: StoredUpdate) -> tuple[datetime, int]:
    return update.created_at, update.id


class _UpdateLog:
    """Every stored update parsed once, oldest first (by time, then id), kept in step with
    the append-only tables: `refresh` reads the rows with a larger id than any seen and,
    when the number of undo marks changed, marks the updates undone since."""

    def __init__(self) -> None:
        self.ordered: list[StoredUpdate] = []
        self.active: list[StoredUpdate] = []  # `ordered` without the undone ones
        self._by_id: dict[int, StoredUpdate] = {}
        self._last_id = 0
        self._undos = 0

    def refresh(self, conn: sqlite3.Connection) -> None:
        """One read transaction, so the new rows and the undo marks agree."""
        conn.execute("BEGIN")
        try:
            new = [
                _update(row)
                for row in conn.execute(
                    f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM} WHERE u.id > ? ORDER BY u.id",
                    (self._last_id,),
                )
            ]
            undos = int(conn.execute("SELECT COUNT(*) FROM update_undos").fetchone()[0])
            marks = []
            if undos != self._undos:
                marks = conn.execute(
                    "SELECT update_id, undone_at, undone_by FROM update_undos"
                ).fetchall()
        finally:
            conn.execute("COMMIT")
        resort = False
        for update in new:
            self._by_id[update.id] = update
            self._last_id = update.id  # read in id order
            if self.ordered and _order(update) < _order(self.ordered[-1]):
                resort = True
            self.ordered.append(update)
            if update.undone_at is None:
                self.active.append(update)
        for row in marks:
            current = self._by_id.get(row["update_id"])
            if current is not None and current.undone_at is None:
                self._by_id[current.id] = replace(
                    current,
                    undone_at=from_utc_text(row["undone_at"]),
                    undone_by=row["undone_by"],
                )
                resort = True
        self._undos = undos
        if resort:
            self.ordered = sorted(self._by_id.values(), key=_order)
            self.active = [u for u in self.ordered if u.undone_at is None]


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

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run `job` in the writer's next transaction; return once it is committed."""
        if self._writer is None:
            raise sqlite3.OperationalError("cơ sở dữ liệu mở chỉ để đọc")
        return await self._writer.run(job)

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
        self._log = _UpdateLog()

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
        sql = f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM} WHERE 1 = 1"
        params: tuple[Any, ...] = ()
        if item_id is not None:
            sql += " AND u.item_id = ?"
            params = (item_id,)
        if not include_undone:
            sql += " AND x.update_id IS NULL"
        sql += " ORDER BY u.created_at, u.id"
        return [_update(row) for row in self._all(sql, params)]

    def get_update(self, update_id: int) -> StoredUpdate | None:
        row = self._one(
            f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM} WHERE u.id = ?", (update_id,)
        )
        return _update(row) if row is not None else None

    def find_by_source(self, chat_id: int, message_id: int) -> StoredUpdate | None:
        row = self._one(
            f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM}"
            " WHERE u.source_chat_id = ? AND u.source_message_id = ?",
            (chat_id, message_id),
        )
        return _update(row) if row is not None else None

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
        return _member(row) if row is not None else None

    def list_members(
        self, status: AccessStatus | None = None, agency_id: str | None = None
    ) -> list[Member]:
        rows = self._all(
            "SELECT * FROM members WHERE (? IS NULL OR status = ?) AND (? IS NULL OR agency_id = ?)"
            " ORDER BY agency_id, requested_at, user_id",
            (status, status, agency_id, agency_id),
        )
        return [_member(row) for row in rows]

    def get_chat_link(self, chat_id: int) -> ChatLink | None:
        row = self._one("SELECT * FROM chat_links WHERE chat_id = ?", (chat_id,))
        return _chat_link(row) if row is not None else None

    def list_chat_links(self, status: AccessStatus | None = None) -> list[ChatLink]:
        rows = self._all(
            "SELECT * FROM chat_links WHERE (? IS NULL OR status = ?)"
            " ORDER BY requested_at, chat_id",
            (status, status),
        )
        return [_chat_link(row) for row in rows]


class SqliteDatabase(SqliteReader):
    """Read-write SQLite store (implements `Database`): reads on this object's connection,
    writes as jobs of its `SqliteWriter` (see the module docstring)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        writer: SqliteWriter,
        lock: threading.RLock | None = None,
    ):
        super().__init__(conn, path, writer=writer, lock=lock)
        self.writer = writer

    def close(self) -> None:
        """Commit what is queued, checkpoint the WAL into the main file, close both
        connections (a copy of the .db file alone then holds everything)."""
        self.writer.close()
        write_conn = self.writer.connection
        with self._lock:
            if write_conn is not self._conn:
                checkpoint(write_conn)
                write_conn.close()
            self._conn.close()

    # -- progress -----------------------------------------------------------

    async def insert_update(self, update: NewUpdate) -> tuple[StoredUpdate, bool]:
        return await self._write(lambda conn: _insert_update(conn, update))

    async def mark_undone(self, update_id: int, *, by: int | None, at: datetime) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO update_undos (update_id, undone_by, undone_at)"
                " SELECT id, ?, ? FROM progress_updates WHERE id = ?"
                " ON CONFLICT (update_id) DO NOTHING",
                (by, to_utc_text(at), update_id),
            )
            return cursor.rowcount == 1

        return await self._write(job)

    # -- access -------------------------------------------------------------

    async def save_member_request(
        self, user_id: int, agency_id: str, display_name: str | None, at: datetime
    ) -> Member:
        def job(conn: sqlite3.Connection) -> Member:
            conn.execute(
                "INSERT INTO members (user_id, agency_id, display_name, status, requested_at)"
                " VALUES (?, ?, ?, 'pending', ?)"
                " ON CONFLICT (user_id) DO UPDATE SET agency_id = excluded.agency_id,"
                " display_name = excluded.display_name, status = 'pending',"
                " requested_at = excluded.requested_at, decided_at = NULL, decided_by = NULL",
                (user_id, agency_id, display_name, to_utc_text(at)),
            )
            _event(conn, "user", user_id, agency_id, "requested", user_id, at)
            return _get_member(conn, user_id)

        return await self._write(job)

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
            lambda conn: _decide(
                conn, _MEMBERS, user_id, status, allowed_from, by, at, _get_member, requested_at
            )
        )

    async def save_chat_link_request(
        self, chat_id: int, agency_id: str, title: str | None, requested_by: int, at: datetime
    ) -> ChatLink:
        def job(conn: sqlite3.Connection) -> ChatLink:
            current = conn.execute(
                "SELECT agency_id, status FROM chat_links WHERE chat_id = ?", (chat_id,)
            ).fetchone()
            if current is not None and current["status"] == "approved":
                # the confirmed link stays in force; the change waits beside it (asking
                # for the link's own agency again drops a waiting change)
                change = current["agency_id"] != agency_id
                conn.execute(
                    "UPDATE chat_links SET title = COALESCE(?, title), pending_agency_id = ?,"
                    " pending_requested_by = ?, pending_requested_at = ? WHERE chat_id = ?",
                    (
                        title,
                        agency_id if change else None,
                        requested_by if change else None,
                        to_utc_text(at) if change else None,
                        chat_id,
                    ),
                )
            else:
                conn.execute(
                    "INSERT INTO chat_links (chat_id, agency_id, title, status, requested_by,"
                    " requested_at) VALUES (?, ?, ?, 'pending', ?, ?)"
                    " ON CONFLICT (chat_id) DO UPDATE SET agency_id = excluded.agency_id,"
                    " title = excluded.title, status = 'pending',"
                    " requested_by = excluded.requested_by, requested_at = excluded.requested_at,"
                    " decided_at = NULL, decided_by = NULL, pending_agency_id = NULL,"
                    " pending_requested_by = NULL, pending_requested_at = NULL",
                    (chat_id, agency_id, title, requested_by, to_utc_text(at)),
                )
            _event(conn, "chat", chat_id, agency_id, "requested", requested_by, at)
            return _get_chat_link(conn, chat_id)

        return await self._write(job)

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
            lambda conn: _decide_chat_link(
                conn, chat_id, status, allowed_from, by, at, requested_at
            )
        )


# -- write jobs (run on the writer's connection, inside its transaction) ---------------


def _insert_update(conn: sqlite3.Connection, update: NewUpdate) -> tuple[StoredUpdate, bool]:
    if update.source_chat_id is not None and update.source_message_id is not None:
        row = conn.execute(
            f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM}"
            " WHERE u.source_chat_id = ? AND u.source_message_id = ?",
            (update.source_chat_id, update.source_message_id),
        ).fetchone()
        if row is not None:
            return _update(row), False
    cursor = conn.execute(
        "INSERT INTO progress_updates (item_id, assignment_key, agency_id, status,"
        " percent, note, reporter_id, reporter_name, created_at, source_chat_id,"
        " source_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            update.item_id,
            update.assignment_key,
            update.agency_id,
            update.status,
            update.percent,
            update.note,
            update.reporter_id,
            update.reporter_name,
            to_utc_text(update.created_at),
            update.source_chat_id,
            update.source_message_id,
        ),
    )
    row = conn.execute(
        f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM} WHERE u.id = ?", (cursor.lastrowid,)
    ).fetchone()
    return _update(row), True


def _event(
    conn: sqlite3.Connection,
    subject: str,
    subject_id: int,
    agency_id: str,
    action: str,
    actor_id: int | None,
    at: datetime,
) -> None:
    conn.execute(
        "INSERT INTO access_events (subject, subject_id, agency_id, action, actor_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (subject, subject_id, agency_id, action, actor_id, to_utc_text(at)),
    )


def _get_member(conn: sqlite3.Connection, user_id: int) -> Member:
    return _member(conn.execute("SELECT * FROM members WHERE user_id = ?", (user_id,)).fetchone())


def _get_chat_link(conn: sqlite3.Connection, chat_id: int) -> ChatLink:
    row = conn.execute("SELECT * FROM chat_links WHERE chat_id = ?", (chat_id,)).fetchone()
    return _chat_link(row)


@dataclass(frozen=True)
class _Decidable:
    subject: Literal["user", "chat"]


_MEMBERS = _Decidable("user")
_CHAT_LINKS = _Decidable("chat")


def _decide(
    conn: sqlite3.Connection,
    kind: _Decidable,
    subject_id: int,
    status: AccessStatus,
    allowed_from: tuple[AccessStatus, ...],
    by: int | None,
    at: datetime,
    get: Callable[[sqlite3.Connection, int], _Decided],
    requested_at: datetime | None = None,
) -> _Decided | None:
    """Shared by `decide_member` and `decide_chat_link`: move a pending (or other allowed)
    row to `status`, record who decided and when, and log the event. With
    `requested_at`, only if the row still is the request made at that time."""
    # constant SQL per table (tests/test_security.py checks every statement is bound)
    if kind is _MEMBERS:
        select = "SELECT agency_id, status, requested_at FROM members WHERE user_id = ?"
        update = "UPDATE members SET status = ?, decided_at = ?, decided_by = ? WHERE user_id = ?"
    else:
        select = "SELECT agency_id, status, requested_at FROM chat_links WHERE chat_id = ?"
        update = (
            "UPDATE chat_links SET status = ?, decided_at = ?, decided_by = ? WHERE chat_id = ?"
        )
    row = conn.execute(select, (subject_id,)).fetchone()
    if row is None or row["status"] not in allowed_from:
        return None
    if requested_at is not None and row["requested_at"] != to_utc_text(requested_at):
        return None
    conn.execute(update, (status, to_utc_text(at), by, subject_id))
    _event(conn, kind.subject, subject_id, row["agency_id"], status, by, at)
    return get(conn, subject_id)


def _decide_chat_link(
    conn: sqlite3.Connection,
    chat_id: int,
    status: AccessStatus,
    allowed_from: tuple[AccessStatus, ...],
    by: int | None,
    at: datetime,
    requested_at: datetime | None,
) -> ChatLink | None:
    """A decision on a group's link (see `_decide`; any change waiting beside the link
    goes with it), or, when `requested_at` names the change of agency waiting beside a
    confirmed link, on that change: approved, the link moves to the new agency; rejected,
    the change is dropped and the link stays."""
    row = conn.execute(
        "SELECT pending_agency_id, pending_requested_at FROM chat_links WHERE chat_id = ?",
        (chat_id,),
    ).fetchone()
    change = (
        row is not None
        and row["pending_agency_id"] is not None
        and requested_at is not None
        and row["pending_requested_at"] == to_utc_text(requested_at)
    )
    drop_change = (
        "UPDATE chat_links SET pending_agency_id = NULL, pending_requested_by = NULL,"
        " pending_requested_at = NULL WHERE chat_id = ?"
    )
    if not change:
        decided = _decide(
            conn, _CHAT_LINKS, chat_id, status, allowed_from, by, at, _get_chat_link, requested_at
        )
        if decided is not None and decided.pending_agency_id is not None:
            conn.execute(drop_change, (chat_id,))
            decided = _get_chat_link(conn, chat_id)
        return decided
    if status == "approved":
        conn.execute(
            "UPDATE chat_links SET agency_id = pending_agency_id, status = 'approved',"
            " requested_by = pending_requested_by, requested_at = pending_requested_at,"
            " decided_at = ?, decided_by = ? WHERE chat_id = ?",
            (to_utc_text(at), by, chat_id),
        )
    elif status != "rejected":
        return None
    conn.execute(drop_change, (chat_id,))
    _event(conn, "chat", chat_id, row["pending_agency_id"], status, by, at)
    return _get_chat_link(conn, chat_id)


def checkpoint(conn: sqlite3.Connection) -> None:
    """Move the WAL into the main file and empty it (at a clean close)."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:  # another connection still reads: the WAL stays, no loss
        log.warning("Không gộp được nhật ký WAL vào tệp cơ sở dữ liệu: %s", exc)


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
    """Open (creating if needed) the database file, check it and apply pending migrations;
    start its writer thread (`commit_delay`: see `SqliteWriter`).

    An existing file of 0 bytes is refused: SQLite would take it for a new, empty
    database, but this function never leaves one behind (the first page is written at
    creation), so it is a truncated database and starting empty would hide the loss."""
    memory = str(path) == ":memory:"
    if not memory:
        if path.is_file() and path.stat().st_size == 0:
            raise sqlite3.DatabaseError(EMPTY_FILE_DETAIL)
        path.parent.mkdir(parents=True, exist_ok=True)
    write_conn = _memory() if memory else _connect(path, read_only=False)
    try:
        check_integrity(write_conn)
        apply_migrations(write_conn, now=now)
        read_conn = write_conn if memory else _connect(path, read_only=False)
    except Exception:
        write_conn.close()
        raise
    if not memory:
        read_conn.execute("PRAGMA query_only = ON")  # every write goes through the writer
    # an in-memory database has one connection: reader and writer share it and its lock
    lock = threading.RLock()
    writer = SqliteWriter(write_conn, lock=lock if memory else None, commit_delay=commit_delay)
    return SqliteDatabase(read_conn, path, writer=writer, lock=lock)


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
