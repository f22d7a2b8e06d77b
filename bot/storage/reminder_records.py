"""The reminder records (subscription, send-log entry, event, silenced item) and their
SQLite rows."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol, cast

from bot.storage.sqlite_rows import from_utc_text

ALL_AGENCIES = "ALL"
MAX_ATTEMPTS = 3

LogStatus = Literal["pending", "sent", "failed"]


@dataclass(frozen=True)
class Subscription:
    """A group chat's reminder subscription (agency id, or `ALL_AGENCIES`)."""

    chat_id: int
    agency_id: str
    title: str | None
    created_by: int
    created_at: datetime
    active_since: datetime
    paused: bool = False
    pause_reason: str | None = None
    paused_at: datetime | None = None

    @property
    def all_agencies(self) -> bool:
        return self.agency_id == ALL_AGENCIES


@dataclass(frozen=True)
class LogEntry:
    """One row of the send log."""

    chat_id: int
    key: str
    kind: str
    subject: str
    occurs_on: date
    scheduled_at: datetime
    status: LogStatus
    attempts: int
    retryable: bool
    created_at: datetime
    attempted_at: datetime | None
    sent_at: datetime | None
    message_id: int | None
    error: str | None

    def claimable(self) -> bool:
        """May a tick (re)claim this row? Never-tried pending, or retryable failed."""
        if self.status == "pending":
            return self.attempted_at is None
        return self.status == "failed" and self.retryable and self.attempts < MAX_ATTEMPTS


@dataclass(frozen=True)
class Event:
    chat_id: int
    action: str
    agency_id: str | None
    actor_id: int | None
    detail: str | None
    at: datetime


@dataclass(frozen=True)
class Mute:
    """An item (id, or assignment key) a group admin silenced for one chat."""

    chat_id: int
    subject: str
    muted_by: int
    muted_at: datetime


class Claimable(Protocol):
    """What the log needs of a reminder occurrence (see `bot.reminders.occurrence.Occurrence`)."""

    @property
    def key(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def occurs_on(self) -> date: ...

    @property
    def send_at(self) -> datetime: ...


def _maybe_time(text: str | None) -> datetime | None:
    return from_utc_text(text)


def time_from_text(text: str | None) -> datetime:
    value = from_utc_text(text)
    assert value is not None
    return value


def subscription_from_row(row: sqlite3.Row) -> Subscription:
    return Subscription(
        chat_id=row["chat_id"],
        agency_id=row["agency_id"],
        title=row["title"],
        created_by=row["created_by"],
        created_at=time_from_text(row["created_at"]),
        active_since=time_from_text(row["active_since"]),
        paused=bool(row["paused"]),
        pause_reason=row["pause_reason"],
        paused_at=_maybe_time(row["paused_at"]),
    )


def entry_from_row(row: sqlite3.Row) -> LogEntry:
    return LogEntry(
        chat_id=row["chat_id"],
        key=row["reminder_key"],
        kind=row["kind"],
        subject=row["subject"],
        occurs_on=date.fromisoformat(row["occurs_on"]),
        scheduled_at=time_from_text(row["scheduled_at"]),
        status=cast(LogStatus, row["status"]),
        attempts=row["attempts"],
        retryable=bool(row["retryable"]),
        created_at=time_from_text(row["created_at"]),
        attempted_at=_maybe_time(row["attempted_at"]),
        sent_at=_maybe_time(row["sent_at"]),
        message_id=row["message_id"],
        error=row["error"],
    )
