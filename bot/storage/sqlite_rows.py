"""Stored times (UTC ISO-8601 text) and the mapping of SQLite rows to storage records."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any, cast

from bot.progress.types import Status
from bot.storage.base import AccessStatus, ChatLink, Member, StoredUpdate


def to_utc_text(at: datetime) -> str:
    """The stored form of a time: UTC ISO-8601 with microseconds (sorts as text)."""
    if at.tzinfo is None:
        raise ValueError("thời điểm phải có múi giờ")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def from_utc_text(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def update_from_row(row: sqlite3.Row) -> StoredUpdate:
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


def member_from_row(row: sqlite3.Row) -> Member:
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


def chat_link_from_row(row: sqlite3.Row) -> ChatLink:
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
