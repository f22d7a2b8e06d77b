"""Progress states and their derivation: the state of one (assignment, agency) row at a
day from its updates and reporting period, and an assignment summed up over its rows.
The rows are today's agencies (`bot.plan.responsibility.Holders`): a successor's row
also counts the reports its predecessors made on that part.

Only updates made on or before the day count. One-off deadlines (a quarter, a date)
look at every update; recurring, yearly, event and open deadlines look at the current
reporting period, the calendar year (for the yearly "trước ngày 30/11" the period runs
up to 30/11 and is overdue after it). "Thường xuyên" and other undated deadlines are
never overdue.

«Vướng mắc» is not a state: a row whose latest counted report says `blocked` keeps its
state (in progress within the deadline, or overdue) and carries the `blocked` flag, which
every text and the report show beside the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.plan.deadlines import Deadline
from bot.plan.models import Assignment, Item
from bot.storage.base import StoredUpdate


class State(StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    NOT_REPORTED = "not_reported"


STATE_LABELS: dict[State, str] = {
    State.DONE_ON_TIME: "hoàn thành đúng hạn",
    State.DONE_LATE: "hoàn thành quá hạn",
    State.IN_PROGRESS: "đang thực hiện trong hạn",
    State.OVERDUE: "quá hạn",
    State.NOT_REPORTED: "chưa báo cáo",
}
STATE_ORDER: tuple[State, ...] = tuple(STATE_LABELS)
BLOCKED_LABEL = "vướng mắc"  # a flag beside the state, never a state of its own
BLOCKED_ICON = "⚠️"


def state_label(state: State, days_overdue: int = 0) -> str:
    """ "quá hạn 15 ngày", "hoàn thành quá hạn 3 ngày", "chưa báo cáo"…"""
    label = STATE_LABELS[state]
    if state in (State.OVERDUE, State.DONE_LATE) and days_overdue > 0:
        return f"{label} {days_overdue} ngày"
    return label


@dataclass(frozen=True)
class Period:
    """Which updates count (`start` None: all) and the due date (None: never overdue)."""

    start: date | None
    due: date | None


def reporting_period(deadline: Deadline, today: date) -> Period:
    if deadline.kind in ("quarter", "date"):
        return Period(None, deadline.single_due())
    year_start = date(today.year, 1, 1)
    if deadline.kind == "yearly":
        return Period(year_start, deadline.due_in_year(today.year))
    return Period(year_start, None)


@dataclass(frozen=True)
class RowStatus:
    """The derived status of one agency's part in one assignment."""

    item: Item
    assignment: Assignment
    key: str
    agency_id: str
    responsible: bool
    state: State
    days_overdue: int
    due: date | None
    latest: StoredUpdate | None
    done_on: date | None
    # the plan's agencies (ended by the day) whose part this agency holds, if any: their
    # reports count for the row too, attributed to them as stored
    plan_agencies: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return state_label(self.state, self.days_overdue)

    @property
    def blocked(self) -> bool:
        """Whether the latest counted report says «vướng mắc» (a done row never is)."""
        return self.latest is not None and self.latest.status == "blocked"


@dataclass(frozen=True)
class AssignmentStatus:
    """One assignment summed up over the agencies responsible for it."""

    item: Item
    assignment: Assignment
    key: str
    state: State
    days_overdue: int
    rows: tuple[RowStatus, ...]
    expected: int
    reported: int

    @property
    def label(self) -> str:
        return state_label(self.state, self.days_overdue)

    @property
    def blocked_rows(self) -> tuple[RowStatus, ...]:
        """The rows that reported «vướng mắc» (the responsible ones, or any when none is)."""
        counted = [r for r in self.rows if r.responsible] or list(self.rows)
        return tuple(r for r in counted if r.blocked)


@dataclass(frozen=True)
class AgencyGap:
    """An agency and the assignments it has not reported on in the current period."""

    agency_id: str
    name: str
    keys: tuple[str, ...]


_Derived = tuple[State, int, StoredUpdate | None, date | None]


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local day, in UTC as stored times are (comparing two times
    of the same zone skips the offset lookups)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def derive_row(records: list[StoredUpdate], period: Period, today: date, tz: ZoneInfo) -> _Derived:
    """(state, days overdue, latest counted update, completion day) of one row.

    `records` are the row's updates not undone, oldest first."""

    def day(update: StoredUpdate) -> date:
        return update.created_at.astimezone(tz).date()

    # the bounds as instants, so a year of records is filtered without a zone conversion each
    end = day_start(today + timedelta(days=1), tz)
    begin = day_start(period.start, tz) if period.start is not None else None
    counted = [
        r for r in records if r.created_at < end and (begin is None or r.created_at >= begin)
    ]
    due = period.due
    late_today = (today - due).days if due is not None and today > due else 0
    if not counted:
        if late_today:
            return State.OVERDUE, late_today, None, None
        return State.NOT_REPORTED, 0, None, None
    latest = counted[-1]
    if latest.status == "done":
        first = len(counted) - 1
        while first > 0 and counted[first - 1].status == "done":
            first -= 1
        done_on = day(counted[first])
        if due is not None and done_on > due:
            return State.DONE_LATE, (done_on - due).days, latest, done_on
        return State.DONE_ON_TIME, 0, latest, done_on
    if late_today:
        return State.OVERDUE, late_today, latest, None
    return State.IN_PROGRESS, 0, latest, None


def summarise(rows: list[RowStatus]) -> tuple[State, int]:
    if not rows:
        return State.NOT_REPORTED, 0
    states = {r.state for r in rows}
    days = max(r.days_overdue for r in rows)
    if states <= {State.DONE_ON_TIME, State.DONE_LATE}:
        return (State.DONE_LATE, days) if State.DONE_LATE in states else (State.DONE_ON_TIME, 0)
    if State.OVERDUE in states:
        return State.OVERDUE, max(r.days_overdue for r in rows if r.state == State.OVERDUE)
    if any(r.latest is not None for r in rows):
        return State.IN_PROGRESS, 0
    return State.NOT_REPORTED, 0
