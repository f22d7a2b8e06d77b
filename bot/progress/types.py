"""Shared types of progress reporting, used by the brain, storage and Telegram doors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Status = Literal["done", "in_progress", "blocked", "not_started"]

STATUS_LABELS: dict[str, str] = {
    "done": "đã hoàn thành",
    "in_progress": "đang thực hiện",
    "blocked": "vướng mắc",
    "not_started": "chưa triển khai",
}

HISTORY_LABEL = "📜 Lịch sử báo cáo"  # the one label of an item's history button, every door


@dataclass(frozen=True)
class Asker:
    """Who is asking: a Telegram user (or None for the terminal / `ask`), and from which
    chat (a group linked to an agency reports for it)."""

    user_id: int | None = None
    agency_id: str | None = None
    is_admin: bool = False
    display_name: str | None = None
    chat_id: int | None = None


@dataclass(frozen=True)
class ProgressRecord:
    """One stored progress update (append-only)."""

    id: int
    item_id: str
    assignment_key: str
    agency_id: str
    status: Status
    percent: int | None
    note: str | None
    reporter_id: int | None
    reporter_name: str | None
    created_at: datetime


class ProgressReader(Protocol):
    """Read side of progress storage, as the brain needs it."""

    def latest_by_assignment(self, item_id: str) -> dict[str, ProgressRecord]:
        """Latest record per assignment key ("4.2b") and agency of an item, keyed
        "assignment_key|agency_id"."""
        ...

    def history(self, item_id: str, limit: int = 20) -> list[ProgressRecord]:
        """Most recent first."""
        ...
