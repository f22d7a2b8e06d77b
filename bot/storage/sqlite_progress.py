"""The progress tables in SQLite: the queries over stored updates, the log that parses
each row once, and the write jobs (insert an update, mark one undone) that the writer
thread runs inside its transaction."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.storage.base import NewUpdate, StoredUpdate
from bot.storage.sqlite_rows import from_utc_text, to_utc_text, update_from_row

_UPDATE_COLUMNS = (
    "u.id, u.item_id, u.assignment_key, u.agency_id, u.status, u.percent, u.note,"
    " u.reporter_id, u.reporter_name, u.created_at, u.source_chat_id, u.source_message_id,"
    " x.undone_at, x.undone_by"
)
_UPDATE_FROM = "progress_updates u LEFT JOIN update_undos x ON x.update_id = u.id"


def _order(update: StoredUpdate) -> tuple[datetime, int]:
    return update.created_at, update.id


class UpdateLog:
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
                update_from_row(row)
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


# -- reads (on the reader's connection, under its lock) ---------------------------------


def query_updates(
    conn: sqlite3.Connection, item_id: str | None, include_undone: bool
) -> list[StoredUpdate]:
    sql = f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM} WHERE 1 = 1"
    params: tuple[Any, ...] = ()
    if item_id is not None:
        sql += " AND u.item_id = ?"
        params = (item_id,)
    if not include_undone:
        sql += " AND x.update_id IS NULL"
    sql += " ORDER BY u.created_at, u.id"
    return [update_from_row(row) for row in list(conn.execute(sql, params).fetchall())]


def get_update(conn: sqlite3.Connection, update_id: int) -> StoredUpdate | None:
    row = conn.execute(
        f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM} WHERE u.id = ?", (update_id,)
    ).fetchone()
    return update_from_row(row) if row is not None else None


def find_by_source(conn: sqlite3.Connection, chat_id: int, message_id: int) -> StoredUpdate | None:
    row = conn.execute(
        f"SELECT {_UPDATE_COLUMNS} FROM {_UPDATE_FROM}"
        " WHERE u.source_chat_id = ? AND u.source_message_id = ?",
        (chat_id, message_id),
    ).fetchone()
    return update_from_row(row) if row is not None else None


# -- write jobs (run on the writer's connection, inside its transaction) ---------------


def insert_update(conn: sqlite3.Connection, update: NewUpdate) -> tuple[StoredUpdate, bool]:
    if update.source_chat_id is not None and update.source_message_id is not None:
        found = find_by_source(conn, update.source_chat_id, update.source_message_id)
        if found is not None:
            return found, False
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
    return update_from_row(row), True


def mark_undone(conn: sqlite3.Connection, update_id: int, by: int | None, at: datetime) -> bool:
    cursor = conn.execute(
        "INSERT INTO update_undos (update_id, undone_by, undone_at)"
        " SELECT id, ?, ? FROM progress_updates WHERE id = ?"
        " ON CONFLICT (update_id) DO NOTHING",
        (by, to_utc_text(at), update_id),
    )
    return cursor.rowcount == 1
