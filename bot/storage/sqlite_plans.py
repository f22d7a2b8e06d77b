"""The plan tables in SQLite: the plans admins sent (drafts, the active one of each
number, the ones replaced) and each chat's default plan; reads and the write jobs the
writer thread runs inside its transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import cast

from bot.storage.base import NewPlanDocument, PlanDocument, PlanStatus
from bot.storage.sqlite_rows import from_utc_text, to_utc_text


def document_from_row(row: sqlite3.Row) -> PlanDocument:
    uploaded = from_utc_text(row["uploaded_at"])
    assert uploaded is not None
    return PlanDocument(
        id=row["id"],
        plan_key=row["plan_key"],
        number=row["number"],
        title=row["title"],
        file_name=row["file_name"],
        plan_yaml=row["plan_yaml"],
        agencies_yaml=row["agencies_yaml"],
        review=row["review"],
        problems=row["problems"],
        status=cast(PlanStatus, row["status"]),
        uploaded_by=row["uploaded_by"],
        uploaded_at=uploaded,
        decided_by=row["decided_by"],
        decided_at=from_utc_text(row["decided_at"]),
    )


# -- reads -------------------------------------------------------------------------------


def documents(conn: sqlite3.Connection, status: PlanStatus | None) -> list[PlanDocument]:
    rows = conn.execute(
        "SELECT * FROM plan_documents WHERE (? IS NULL OR status = ?) ORDER BY id",
        (status, status),
    ).fetchall()
    return [document_from_row(row) for row in rows]


def document(conn: sqlite3.Connection, document_id: int) -> PlanDocument | None:
    row = conn.execute("SELECT * FROM plan_documents WHERE id = ?", (document_id,)).fetchone()
    return document_from_row(row) if row is not None else None


def chat_plan(conn: sqlite3.Connection, chat_id: int) -> str | None:
    row = conn.execute("SELECT plan_key FROM chat_plans WHERE chat_id = ?", (chat_id,)).fetchone()
    return str(row["plan_key"]) if row is not None else None


# -- write jobs --------------------------------------------------------------------------


def save_draft(conn: sqlite3.Connection, draft: NewPlanDocument) -> PlanDocument:
    cursor = conn.execute(
        "INSERT INTO plan_documents (plan_key, number, title, file_name, plan_yaml,"
        " agencies_yaml, review, problems, status, uploaded_by, uploaded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
        (
            draft.plan_key,
            draft.number,
            draft.title,
            draft.file_name,
            draft.plan_yaml,
            draft.agencies_yaml,
            draft.review,
            draft.problems,
            draft.uploaded_by,
            to_utc_text(draft.uploaded_at),
        ),
    )
    found = document(conn, int(cursor.lastrowid or 0))
    assert found is not None
    return found


def activate(conn: sqlite3.Connection, document_id: int, by: int, at: datetime) -> PlanDocument:
    current = document(conn, document_id)
    if current is None or current.status != "draft":
        raise ValueError(f"bản nháp {document_id} không còn chờ kích hoạt")
    stamp = to_utc_text(at)
    conn.execute(
        "UPDATE plan_documents SET status = 'replaced', decided_by = ?, decided_at = ?"
        " WHERE plan_key = ? AND status = 'active'",
        (by, stamp, current.plan_key),
    )
    conn.execute(
        "UPDATE plan_documents SET status = 'active', decided_by = ?, decided_at = ? WHERE id = ?",
        (by, stamp, document_id),
    )
    done = document(conn, document_id)
    assert done is not None
    return done


def set_chat_plan(
    conn: sqlite3.Connection, chat_id: int, plan_key: str | None, by: int, at: datetime
) -> None:
    if plan_key is None:
        conn.execute("DELETE FROM chat_plans WHERE chat_id = ?", (chat_id,))
        return
    conn.execute(
        "INSERT INTO chat_plans (chat_id, plan_key, set_by, set_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (chat_id) DO UPDATE SET plan_key = excluded.plan_key,"
        " set_by = excluded.set_by, set_at = excluded.set_at",
        (chat_id, plan_key, by, to_utc_text(at)),
    )
