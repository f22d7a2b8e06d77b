"""The access tables in SQLite (members, chat links, their event log): the write jobs
that the writer thread runs inside its transaction — requests and decisions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from bot.storage.base import AccessStatus, ChatLink, Member
from bot.storage.sqlite_rows import chat_link_from_row, member_from_row, to_utc_text

_Decided = TypeVar("_Decided", Member, ChatLink)


def save_member_request(
    conn: sqlite3.Connection,
    user_id: int,
    agency_id: str,
    display_name: str | None,
    at: datetime,
) -> Member:
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


def save_chat_link_request(
    conn: sqlite3.Connection,
    chat_id: int,
    agency_id: str,
    title: str | None,
    requested_by: int,
    at: datetime,
) -> ChatLink:
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
    return member_from_row(
        conn.execute("SELECT * FROM members WHERE user_id = ?", (user_id,)).fetchone()
    )


def _get_chat_link(conn: sqlite3.Connection, chat_id: int) -> ChatLink:
    row = conn.execute("SELECT * FROM chat_links WHERE chat_id = ?", (chat_id,)).fetchone()
    return chat_link_from_row(row)


@dataclass(frozen=True)
class _Decidable:
    subject: Literal["user", "chat"]


_MEMBERS = _Decidable("user")
_CHAT_LINKS = _Decidable("chat")


def decide_member(
    conn: sqlite3.Connection,
    user_id: int,
    status: AccessStatus,
    allowed_from: tuple[AccessStatus, ...],
    by: int | None,
    at: datetime,
    requested_at: datetime | None,
) -> Member | None:
    return _decide(conn, _MEMBERS, user_id, status, allowed_from, by, at, _get_member, requested_at)


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


def decide_chat_link(
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
