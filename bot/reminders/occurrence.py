"""A reminder occurrence and what the planner reads: the assignments a chat follows, the
derived progress, computed once per day asked, and the chat's history (the overdue
notices it has had, the items it silenced)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

from bot.plan.models import Assignment, Item
from bot.progress.status import AssignmentStatus, RowStatus, State

DONE_STATES = frozenset({State.DONE_ON_TIME, State.DONE_LATE})
Category = Literal["before", "overdue", "digest"]


@dataclass(frozen=True)
class Occurrence:
    """One reminder for one chat: what, for which assignment, when."""

    chat_id: int
    kind: str  # "before-7" … "before-0", "overdue", "digest"
    subject: str  # assignment key ("2.4", "4.2b", "III.1") or "week"
    occurs_on: date  # the nominal day (the stable part of the key)
    nominal: datetime
    send_at: datetime
    due: date | None = None

    @property
    def key(self) -> str:
        """Unique per chat: kind, subject and occurrence date."""
        return f"{self.kind}:{self.subject}:{self.occurs_on.isoformat()}"

    @property
    def category(self) -> Category:
        if self.kind.startswith("before"):
            return "before"
        return "overdue" if self.kind == "overdue" else "digest"

    @property
    def moved(self) -> bool:
        return self.send_at != self.nominal

    @property
    def days_before(self) -> int | None:
        return int(self.kind.split("-", 1)[1]) if self.category == "before" else None


class ProgressLike(Protocol):
    """Derived progress (`bot.progress.view.ProgressView`)."""

    def rows(self, today: date, item_id: str | None = None) -> list[RowStatus]: ...

    def assignments(self, today: date, item_id: str | None = None) -> list[AssignmentStatus]: ...


@dataclass
class Snapshot:
    """Progress per day, computed once per day asked (one planning pass)."""

    progress: ProgressLike
    _rows: dict[date, dict[tuple[str, str], RowStatus]] = field(default_factory=dict)
    _assignments: dict[date, dict[str, AssignmentStatus]] = field(default_factory=dict)

    def rows(self, day: date) -> dict[tuple[str, str], RowStatus]:
        if day not in self._rows:
            self._rows[day] = {(r.key, r.agency_id): r for r in self.progress.rows(day)}
        return self._rows[day]

    def assignments(self, day: date) -> dict[str, AssignmentStatus]:
        if day not in self._assignments:
            self._assignments[day] = {a.key: a for a in self.progress.assignments(day)}
        return self._assignments[day]

    def agency_rows(self, day: date, agency_id: str) -> list[RowStatus]:
        return [r for r in self.rows(day).values() if r.agency_id == agency_id and r.responsible]


@dataclass(frozen=True)
class Followed:
    item: Item
    assignment: Assignment
    key: str


@dataclass(frozen=True)
class ChatHistory:
    """What the send log and the chat's settings tell the planner about one chat.

    `overdue_sent`: per assignment key, the days (`Occurrence.occurs_on`) of the overdue
    notices the chat has had; `muted`: the item ids and assignment keys a group admin
    silenced for it (/tatnhacviec 2.4)."""

    overdue_sent: Mapping[str, frozenset[date]] = field(default_factory=dict)
    muted: frozenset[str] = frozenset()

    def is_muted(self, f: Followed) -> bool:
        return f.key in self.muted or f.item.id in self.muted

    def overdue_count(self, key: str, due: date, before: date | None = None) -> int:
        """Overdue notices of `key` for the deadline `due` the chat has had (those of an
        earlier deadline of a yearly item do not count), before `before` if given."""
        return sum(
            1
            for day in self.overdue_sent.get(key, ())
            if day > due and (before is None or day < before)
        )
