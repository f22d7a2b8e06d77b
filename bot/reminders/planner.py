"""What reminders are due, and their text: pure functions of plan, progress and time.

Given the plan, one chat's subscription, the derived progress and a time window,
`ReminderPlanner.occurrences` lists the reminder occurrences whose (moved) send
time falls in the window. Each has a stable key — (chat, kind, assignment key,
occurrence date) — that the send log makes unique. The schedule:

- a dated assignment (a quarter, a date, a yearly date): 7, 3 and 1 days before
  and on the day (kinds `before-7` … `before-0`); a deadline written "trước
  ngày …" is due *before* that day, so it has no on-the-day reminder, and the
  yearly report of that kind (III.1, "Trước ngày 30/11 hàng năm") is reminded 14,
  7, 3 and 1 days before;
- then, while the agency's part is overdue and not reported done, every 7 days
  after the due date (`overdue`);
- every Monday 08:00, a digest of the agency's open assignments and of those
  without an update for 30 days (`digest`), when there is anything open.

Nominal times are 08:00 local. A reminder before a deadline falling outside
working time moves to the previous working slot (`WorkCalendar`), and when that
lands on a day that already has a reminder for the same deadline the two are
merged at the earlier time; overdue notices and digests move to the next working
slot. A reminder before a deadline is never planned for after it, and once the
deadline has passed (catch-up after downtime) it is left to the overdue notice.

Which assignments a chat follows: for an agency, those it is responsible for
(`responsible_agencies`: chủ trì, thực hiện, tham mưu, or a member of a group that
carries it out); for ALL (the plan's monitoring agency), every dated assignment, "done"
meaning every responsible agency reported it done.

`compose_html` writes one Telegram HTML message for everything due for a chat
at once (a normal slot, or a catch-up after downtime): each item once, with its
deadline in the plan's words and how to report it with /capnhat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol

from bot.core.reply import esc
from bot.core.text import fold
from bot.plan.deadlines import Deadline
from bot.plan.loader import Knowledge
from bot.plan.models import Assignment, Item
from bot.plan.responsibility import (
    agency_name,
    all_assignments,
    responsible_agencies,
    role_label,
    short_text,
)
from bot.progress.types import STATUS_LABELS
from bot.progress.view import AssignmentStatus, RowStatus, State, reporting_period
from bot.reminders.calendar import WorkCalendar, weekday_vi
from bot.storage.reminders import Subscription

REMINDER_TIME = time(8, 0)
DIGEST_WEEKDAY = 0  # Monday
BEFORE_OFFSETS = (7, 3, 1, 0)
BEFORE_DATE_OFFSETS = (7, 3, 1)
YEARLY_REPORT_OFFSETS = (14, 7, 3, 1)
OVERDUE_EVERY_DAYS = 7
STALE_AFTER_DAYS = 30
CATCH_UP_NOTE_AFTER = timedelta(hours=1)
MAX_NAMES = 12
_AROUND = timedelta(days=25)  # longer than any offset plus any move (Tết)

DONE_STATES = frozenset({State.DONE_ON_TIME, State.DONE_LATE})
Category = Literal["before", "overdue", "digest"]


# ---------------------------------------------------------------- occurrences


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


def is_before_date(deadline: Deadline) -> bool:
    """ "Trước ngày 30/11…": due before that day, not on it."""
    return "truoc ngay" in fold(deadline.text)


def before_offsets(deadline: Deadline) -> tuple[int, ...]:
    if is_before_date(deadline):
        return YEARLY_REPORT_OFFSETS if deadline.kind == "yearly" else BEFORE_DATE_OFFSETS
    return BEFORE_OFFSETS


def deadline_end(deadline: Deadline, due: date, calendar: WorkCalendar) -> datetime:
    """The first instant past the deadline: the start of the due day for "trước ngày",
    else the end of the due day."""
    day = due if is_before_date(deadline) else due + timedelta(days=1)
    return calendar.at(day, time(0, 0))


# ---------------------------------------------------------------- progress


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


# ---------------------------------------------------------------- planner


class ReminderPlanner:
    """Reminder occurrences and their messages for one plan and working calendar."""

    def __init__(self, knowledge: Knowledge, calendar: WorkCalendar):
        self.knowledge = knowledge
        self.calendar = calendar
        self._pairs = [
            Followed(item, a, item.assignment_key(a)) for item, a in all_assignments(knowledge.plan)
        ]
        self._responsible = {
            f.key: responsible_agencies(f.assignment, knowledge.agencies) for f in self._pairs
        }

    # -- what a chat follows ----------------------------------------------------

    def followed(self, agency_id: str | None) -> list[Followed]:
        """Assignments followed: an agency's responsible ones, or all (None)."""
        return [
            f for f in self._pairs if agency_id is None or agency_id in self._responsible[f.key]
        ]

    def name(self, agency_id: str) -> str:
        return agency_name(self.knowledge.agencies, agency_id)

    def audience(self, sub: Subscription) -> str:
        return "tất cả cơ quan" if sub.all_agencies else self.name(sub.agency_id)

    @staticmethod
    def _agency(sub: Subscription) -> str | None:
        return None if sub.all_agencies else sub.agency_id

    def _done(self, snap: Snapshot, day: date, sub: Subscription, key: str) -> bool:
        agency = self._agency(sub)
        if agency is None:
            status = snap.assignments(day).get(key)
            return status is not None and status.state in DONE_STATES
        row = snap.rows(day).get((key, agency))
        return row is not None and row.state in DONE_STATES

    def _overdue_due(
        self, snap: Snapshot, day: date, sub: Subscription, f: Followed
    ) -> date | None:
        agency = self._agency(sub)
        if agency is None:
            status = snap.assignments(day).get(f.key)
            if status is None or status.state != State.OVERDUE:
                return None
            return reporting_period(f.assignment.deadline, day).due
        row = snap.rows(day).get((f.key, agency))
        return row.due if row is not None and row.state == State.OVERDUE else None

    def _open(self, snap: Snapshot, day: date, sub: Subscription) -> bool:
        agency = self._agency(sub)
        if agency is None:
            return any(a.state not in DONE_STATES for a in snap.assignments(day).values())
        return any(r.state not in DONE_STATES for r in snap.agency_rows(day, agency))

    # -- occurrences ------------------------------------------------------------

    def occurrences(
        self,
        sub: Subscription,
        start: datetime,
        end: datetime,
        snap: Snapshot,
        *,
        as_of: datetime,
    ) -> list[Occurrence]:
        """Occurrences for `sub` with start <= send_at <= end, in send order.

        `as_of` is when this is asked: a reminder before a deadline already past at
        `as_of` is left out, and progress is read at max(send day, as_of day), so an
        item reported done since stops its reminders."""
        cal = self.calendar
        lo, hi = cal.local(start).date() - _AROUND, cal.local(end).date() + _AROUND
        as_of_day = cal.local(as_of).date()
        found: list[Occurrence] = []

        def keep(occ: Occurrence) -> bool:
            return start <= occ.send_at <= end

        def state_day(occ: Occurrence) -> date:
            return max(occ.send_at.date(), as_of_day)

        for f in self.followed(self._agency(sub)):
            deadline = f.assignment.deadline
            if not deadline.is_dated:
                continue
            for occ in self._before(sub.chat_id, f, lo, hi):
                if not keep(occ) or occ.due is None:
                    continue
                if as_of >= deadline_end(deadline, occ.due, cal):
                    continue
                if not self._done(snap, state_day(occ), sub, f.key):
                    found.append(occ)
            for occ in self._overdue(sub.chat_id, f, lo, hi):
                if keep(occ) and self._overdue_due(snap, state_day(occ), sub, f) == occ.due:
                    found.append(occ)
        for occ in self._digests(sub.chat_id, lo, hi):
            if keep(occ) and self._open(snap, state_day(occ), sub):
                found.append(occ)
        found.sort(key=lambda o: (o.send_at, o.category != "before", o.subject, o.kind))
        return found

    def _before(self, chat_id: int, f: Followed, lo: date, hi: date) -> Iterable[Occurrence]:
        deadline = f.assignment.deadline
        offsets = before_offsets(deadline)
        for due in deadline.due_between(lo, hi + timedelta(days=max(offsets))):
            planned: list[Occurrence] = []
            for offset in offsets:
                day = due - timedelta(days=offset)
                nominal = self.calendar.at(day, REMINDER_TIME)
                send_at = self.calendar.previous_working_slot(nominal)
                planned.append(
                    Occurrence(chat_id, f"before-{offset}", f.key, day, nominal, send_at, due)
                )
            earliest: dict[date, datetime] = {}
            for occ in planned:  # two reminders moved onto one day go out together
                day = occ.send_at.date()
                earliest[day] = min(earliest.get(day, occ.send_at), occ.send_at)
            for occ in planned:
                send_at = earliest[occ.send_at.date()]
                yield Occurrence(
                    chat_id, occ.kind, occ.subject, occ.occurs_on, occ.nominal, send_at, due
                )

    def _overdue(self, chat_id: int, f: Followed, lo: date, hi: date) -> Iterable[Occurrence]:
        deadline = f.assignment.deadline
        first = date(lo.year - 1, 1, 1) if deadline.kind == "yearly" else date.min
        for due in deadline.due_between(first, hi):
            k = max(1, -(-(lo - due).days // OVERDUE_EVERY_DAYS))
            while (day := due + timedelta(days=k * OVERDUE_EVERY_DAYS)) <= hi:
                nominal = self.calendar.at(day, REMINDER_TIME)
                send_at = self.calendar.next_working_slot(nominal)
                yield Occurrence(chat_id, "overdue", f.key, day, nominal, send_at, due)
                k += 1

    def _digests(self, chat_id: int, lo: date, hi: date) -> Iterable[Occurrence]:
        day = lo + timedelta(days=(DIGEST_WEEKDAY - lo.weekday()) % 7)
        while day <= hi:
            nominal = self.calendar.at(day, REMINDER_TIME)
            send_at = self.calendar.next_working_slot(nominal)
            yield Occurrence(chat_id, "digest", "week", day, nominal, send_at)
            day += timedelta(days=7)

    # -- texts --------------------------------------------------------------------

    def _find(self, key: str) -> Followed | None:
        return next((f for f in self._pairs if f.key == key), None)

    def _deadline_text(self, deadline: Deadline, due: date | None) -> str:
        text = f"<i>{esc(deadline.text)}</i>"
        return f"{text} ({due:%d/%m/%Y})" if due is not None else text

    def _pending_names(self, snap: Snapshot, day: date, key: str) -> str:
        status = snap.assignments(day).get(key)
        if status is None:
            return ""
        counted = [r for r in status.rows if r.responsible] or list(status.rows)
        waiting = [self.name(r.agency_id) for r in counted if r.state not in DONE_STATES]
        if not waiting:
            return ""
        shown = ", ".join(waiting[:MAX_NAMES])
        if len(waiting) > MAX_NAMES:
            shown += f" và {len(waiting) - MAX_NAMES} cơ quan khác"
        return f"Chưa hoàn thành ({len(waiting)}/{len(counted)} cơ quan): {esc(shown)}."

    def _latest_text(self, row: RowStatus | None) -> str:
        if row is None or row.latest is None:
            return "Chưa có báo cáo nào."
        latest = row.latest
        text = STATUS_LABELS.get(latest.status, latest.status)
        if latest.percent is not None and latest.status != "done":
            text += f" {latest.percent}%"
        when = latest.created_at.astimezone(self.calendar.tz)
        return f"Báo cáo gần nhất: {esc(text)} ({when:%d/%m/%Y})."

    def _item_head(self, f: Followed, sub: Subscription) -> str:
        head = f"• <b>{esc(f.key)}</b>"
        if not sub.all_agencies:
            head += f" ({esc(role_label(f.assignment, sub.agency_id, self.knowledge.agencies))})"
        return f"{head}: {esc(short_text(f.item, f.assignment, 130))}"

    def _before_lines(
        self, occs: Sequence[Occurrence], sub: Subscription, snap: Snapshot, today: date
    ) -> list[str]:
        latest: dict[str, Occurrence] = {}
        for occ in occs:
            if occ.subject not in latest or occ.occurs_on > latest[occ.subject].occurs_on:
                latest[occ.subject] = occ
        lines: list[str] = []
        for key, occ in latest.items():
            f = self._find(key)
            if f is None or occ.due is None:
                continue
            left = (occ.due - today).days
            when = "hôm nay là hạn cuối" if left <= 0 else f"còn {left} ngày"
            lines.append(self._item_head(f, sub))
            lines.append(
                f"   Thời hạn: {self._deadline_text(f.assignment.deadline, occ.due)} — {when}."
            )
            lines.append("   " + self._status_line(f, sub, snap, today))
        return lines

    def _status_line(self, f: Followed, sub: Subscription, snap: Snapshot, today: date) -> str:
        if sub.all_agencies:
            return self._pending_names(snap, today, f.key) or "Các cơ quan đã báo cáo hoàn thành."
        return self._latest_text(snap.rows(today).get((f.key, sub.agency_id)))

    def _overdue_lines(
        self, occs: Sequence[Occurrence], sub: Subscription, snap: Snapshot, today: date
    ) -> list[str]:
        lines: list[str] = []
        for key in dict.fromkeys(o.subject for o in occs):
            f = self._find(key)
            due = max((o.due for o in occs if o.subject == key and o.due), default=None)
            if f is None or due is None:
                continue
            late = max((today - due).days, 1)
            lines.append(self._item_head(f, sub))
            lines.append(
                f"   Thời hạn: {self._deadline_text(f.assignment.deadline, due)} — quá hạn"
                f" {late} ngày, chưa báo cáo hoàn thành."
            )
            lines.append("   " + self._status_line(f, sub, snap, today))
        return lines

    def digest_lines(self, sub: Subscription, snap: Snapshot, today: date) -> list[str]:
        """The weekly digest: open assignments (dated ones in full, the others in one
        line), and those without an update for 30 days."""
        stale_before = today - timedelta(days=STALE_AFTER_DAYS)
        lines = [f"📋 <b>Tổng hợp tuần</b> ({weekday_vi(today)} {today:%d/%m/%Y})"]
        if sub.all_agencies:
            statuses = [a for a in snap.assignments(today).values() if a.state not in DONE_STATES]
            dated = [a for a in statuses if a.assignment.deadline.is_dated]
            other = [a for a in statuses if not a.assignment.deadline.is_dated]
            if dated:
                lines.append(f"Việc có thời hạn chưa hoàn thành ({len(dated)}):")
                lines += [
                    f"• <b>{esc(a.key)}</b> — {self._deadline_text(a.assignment.deadline, None)}"
                    f" — {esc(a.label)} ({a.reported}/{a.expected} cơ quan đã báo cáo)"
                    for a in dated
                ]
            if other:
                listed = ", ".join(f"{esc(a.key)} ({a.reported}/{a.expected})" for a in other)
                lines.append(
                    f"Việc thường xuyên hoặc không ghi hạn, chưa hoàn thành ({len(other)},"
                    f" số cơ quan đã báo cáo/được giao): {listed}."
                )
            stale: dict[str, int] = defaultdict(int)
            for status in statuses:
                for row in status.rows:
                    if row.responsible and row.state not in DONE_STATES:
                        stale[row.agency_id] += _stale(row, stale_before, self.calendar)
            named = [f"{esc(self.name(a))} ({n} việc)" for a, n in stale.items() if n]
            if named:
                lines.append(
                    f"Cơ quan chưa cập nhật trong {STALE_AFTER_DAYS} ngày qua ({len(named)}):"
                    f" {', '.join(named)}."
                )
            return lines
        rows = [r for r in snap.agency_rows(today, sub.agency_id) if r.state not in DONE_STATES]
        dated_rows = [r for r in rows if r.assignment.deadline.is_dated]
        other_rows = [r for r in rows if not r.assignment.deadline.is_dated]
        if dated_rows:
            lines.append(f"Việc có thời hạn chưa hoàn thành ({len(dated_rows)}):")
            lines += [
                f"• <b>{esc(r.key)}</b> — {self._deadline_text(r.assignment.deadline, None)}"
                f" — {esc(r.label)}"
                for r in dated_rows
            ]
        if other_rows:
            listed = ", ".join(
                esc(r.key) + (f" ({esc(r.label)})" if r.latest is not None else "")
                for r in other_rows
            )
            lines.append(
                f"Việc thường xuyên hoặc không ghi hạn, chưa hoàn thành ({len(other_rows)}):"
                f" {listed}."
            )
        never = [esc(r.key) for r in rows if r.latest is None]
        old = [
            f"{esc(r.key)} ({self.calendar.local(r.latest.created_at):%d/%m/%Y})"
            for r in rows
            if r.latest is not None and _stale(r, stale_before, self.calendar)
        ]
        if never or old:
            parts = []
            if never:
                parts.append(f"chưa có cập nhật nào: {', '.join(never)}")
            if old:
                parts.append(f"cập nhật gần nhất đã lâu: {', '.join(old)}")
            lines.append(
                f"Chưa cập nhật trong {STALE_AFTER_DAYS} ngày qua ({len(never) + len(old)}) —"
                f" {'; '.join(parts)}."
            )
        return lines

    def compose_html(
        self,
        sub: Subscription,
        occurrences: Sequence[Occurrence],
        snap: Snapshot,
        at: datetime,
    ) -> str:
        """One message for everything due for this chat at `at` (merged, each item once)."""
        local = self.calendar.local(at)
        today = local.date()
        by_category: Mapping[str, list[Occurrence]] = _group(occurrences)
        plan_number = self.knowledge.plan.meta.number
        lines = [f"🔔 <b>Nhắc việc Kế hoạch {esc(plan_number)}</b> — {esc(self.audience(sub))}"]
        earliest = min((o.send_at for o in occurrences), default=local)
        if local - earliest > CATCH_UP_NOTE_AFTER:
            since = self.calendar.local(earliest)
            lines.append(f"<i>Gộp các nhắc việc chưa gửi được từ {since:%H:%M %d/%m/%Y}.</i>")
        keys: list[str] = []
        if by_category["before"]:
            lines += ["", "⏳ <b>Sắp đến hạn</b>"]
            lines += self._before_lines(by_category["before"], sub, snap, today)
            keys += [o.subject for o in by_category["before"]]
        if by_category["overdue"]:
            lines += ["", "⏰ <b>Quá hạn</b>"]
            lines += self._overdue_lines(by_category["overdue"], sub, snap, today)
            keys += [o.subject for o in by_category["overdue"]]
        if by_category["digest"]:
            lines += ["", *self.digest_lines(sub, snap, today)]
        example = keys[0] if keys else _first_open_key(sub, snap, today, self)
        lines += [
            "",
            "Báo cáo tiến độ bằng lệnh <code>/capnhat &lt;số mục&gt; &lt;trạng thái hoặc %&gt;"
            " [ghi chú]</code>, ví dụ: <code>/capnhat"
            f" {esc(example)} đang thực hiện 60%</code> hoặc <code>/capnhat {esc(example)}"
            " đã hoàn thành</code>.",
            "Lịch nhắc: /lichnhac · Tắt nhắc việc: /tatnhacviec",
        ]
        return "\n".join(lines)

    def describe(self, occ: Occurrence) -> str:
        """One line of /lichnhac and the preview: when, what, and why it moved."""
        local = self.calendar.local(occ.send_at)
        when = f"{local:%H:%M} {weekday_vi(local.date())} {local:%d/%m/%Y}"
        if occ.category == "digest":
            what = "tổng hợp tuần"
        elif occ.category == "overdue":
            what = f"mục {esc(occ.subject)} quá hạn (hạn {occ.due:%d/%m/%Y})"
        else:
            left = (occ.due - occ.occurs_on).days if occ.due else 0
            what = f"nhắc hạn mục {esc(occ.subject)} (hạn {occ.due:%d/%m/%Y}"
            what += ", đúng ngày hạn)" if left == 0 else f", trước {left} ngày)"
        text = f"{when} — {what}"
        if occ.moved:
            reason = self.calendar.day_off_reason(occ.nominal.date())
            nominal = self.calendar.local(occ.nominal)
            text += f"; dời từ {weekday_vi(nominal.date())} {nominal:%d/%m}"
            text += f" ({esc(reason)})" if reason else ""
        return text


def _group(occurrences: Iterable[Occurrence]) -> dict[str, list[Occurrence]]:
    groups: dict[str, list[Occurrence]] = {"before": [], "overdue": [], "digest": []}
    for occ in occurrences:
        groups[occ.category].append(occ)
    return groups


def _stale(row: RowStatus, stale_before: date, calendar: WorkCalendar) -> bool:
    if row.latest is None:
        return True
    return calendar.local(row.latest.created_at).date() < stale_before


def _first_open_key(
    sub: Subscription, snap: Snapshot, today: date, planner: ReminderPlanner
) -> str:
    if sub.all_agencies:
        keys = [a.key for a in snap.assignments(today).values() if a.state not in DONE_STATES]
    else:
        keys = [r.key for r in snap.agency_rows(today, sub.agency_id) if r.state not in DONE_STATES]
    return keys[0] if keys else "III.1"
