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
  after the due date (`overdue`) — but only `OVERDUE_WEEKLY_NOTICES` of them to one
  chat for one deadline (counted from the send log, `ChatHistory`): after that the
  item is named once a month, in the digest of the first Monday of the month
  («Việc quá hạn lâu», `long_overdue`), until it is reported done;
- every Monday 08:00, a digest of the agency's open assignments and of those
  without an update for 30 days (`digest`), when there is anything open.

A group admin may silence one item for the group (/tatnhacviec 2.4): it gets no
reminder before its deadline, no overdue notice and no monthly line (`ChatHistory.muted`).

Nominal times are 08:00 local. A reminder before a deadline falling outside
working time moves to the previous working slot (`WorkCalendar`), and when that
lands on a day that already has a reminder for the same deadline the two are
merged at the earlier time; overdue notices and digests move to the next working
slot. A reminder before a deadline is never planned for after it, and once the
deadline has passed (catch-up after downtime) it is left to the overdue notice.

Which assignments a chat follows: for an agency, those it is responsible for on the
day of the reminder (`Holders.responsible`: chủ trì, thực hiện, tham mưu, or a member of
a group that carries it out — and, once an agency has ended, its successor for the parts
it took over); for ALL (the plan's monitoring agency), every dated assignment, "done"
meaning every agency responsible that day reported it done. Nothing is planned for an
agency after the day it ended.

The text of what is due (`ReminderMessages.compose_html`) is in
`bot.reminders.messages`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from bot.core.text import fold
from bot.plan.deadlines import Deadline
from bot.plan.loader import Knowledge
from bot.plan.responsibility import Holders, all_assignments
from bot.progress.status import State, reporting_period
from bot.reminders.calendar import WorkCalendar
from bot.reminders.messages import ReminderMessages
from bot.reminders.occurrence import DONE_STATES, ChatHistory, Followed, Occurrence, Snapshot
from bot.storage.reminder_records import Subscription

REMINDER_TIME = time(8, 0)
DIGEST_WEEKDAY = 0  # Monday
BEFORE_OFFSETS = (7, 3, 1, 0)
BEFORE_DATE_OFFSETS = (7, 3, 1)
YEARLY_REPORT_OFFSETS = (14, 7, 3, 1)
OVERDUE_EVERY_DAYS = 7
OVERDUE_WEEKLY_NOTICES = 3  # weekly overdue notices of one item to one chat, then monthly
_AROUND = timedelta(days=25)  # longer than any offset plus any move (Tết)


# ---------------------------------------------------------------- occurrences


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


def is_monthly(occ: Occurrence) -> bool:
    """The digest of the first Monday of a month: it also names the long-overdue items."""
    return occ.category == "digest" and occ.occurs_on.day <= 7


# ---------------------------------------------------------------- planner


class ReminderPlanner:
    """Reminder occurrences for one plan and working calendar (their text: `messages`)."""

    def __init__(self, knowledge: Knowledge, calendar: WorkCalendar):
        self.knowledge = knowledge
        self.calendar = calendar
        self._pairs = [
            Followed(item, a, item.assignment_key(a)) for item, a in all_assignments(knowledge.plan)
        ]
        self.holders = Holders(knowledge.plan, knowledge.agencies, knowledge.timeline)
        self.messages = ReminderMessages(knowledge, calendar, self._pairs, self.holders)

    # -- what a chat follows ----------------------------------------------------

    def followed(self, agency_id: str | None, day: date) -> list[Followed]:
        """Assignments followed on `day`: an agency's responsible ones, or all (None)."""
        return [f for f in self._pairs if self._follows(agency_id, f, day)]

    def _follows(self, agency_id: str | None, f: Followed, day: date) -> bool:
        return agency_id is None or agency_id in self.holders.responsible(f.item, f.assignment, day)

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
        history: ChatHistory | None = None,
    ) -> list[Occurrence]:
        """Occurrences for `sub` with start <= send_at <= end, in send order.

        `as_of` is when this is asked: a reminder before a deadline already past at
        `as_of` is left out, and progress is read at max(send day, as_of day), so an
        item reported done since stops its reminders. With the chat's `history`, silenced
        items are left out and an item's weekly overdue notices stop after
        `OVERDUE_WEEKLY_NOTICES` (those it had, and those planned before in the window);
        without it (tests of the schedule) every notice is planned."""
        cal = self.calendar
        lo, hi = cal.local(start).date() - _AROUND, cal.local(end).date() + _AROUND
        as_of_day = cal.local(as_of).date()
        found: list[Occurrence] = []

        agency = self._agency(sub)
        ended = self.knowledge.timeline.ended(agency, hi) if agency is not None else None

        def keep(occ: Occurrence) -> bool:
            # nothing for an agency from the day it ended (its successor's groups have it)
            if ended is not None and cal.local(occ.send_at).date() >= ended.date:
                return False
            return start <= occ.send_at <= end

        def state_day(occ: Occurrence) -> date:
            return max(occ.send_at.date(), as_of_day)

        def follows(f: Followed, occ: Occurrence) -> bool:
            return self._follows(agency, f, cal.local(occ.send_at).date())

        for f in self._pairs if agency is None else self.followed_between(agency, lo, hi):
            deadline = f.assignment.deadline
            if not deadline.is_dated or (history is not None and history.is_muted(f)):
                continue
            for occ in self._before(sub.chat_id, f, lo, hi):
                if not keep(occ) or occ.due is None or not follows(f, occ):
                    continue
                if as_of >= deadline_end(deadline, occ.due, cal):
                    continue
                if not self._done(snap, state_day(occ), sub, f.key):
                    found.append(occ)
            planned: dict[date, int] = {}  # notices planned here, not in the log, per due
            for occ in self._overdue(sub.chat_id, f, lo, hi):
                if not (
                    keep(occ)
                    and follows(f, occ)
                    and self._overdue_due(snap, state_day(occ), sub, f) == occ.due
                    and occ.due is not None
                ):
                    continue
                if history is not None:
                    had = history.overdue_count(f.key, occ.due, before=occ.occurs_on)
                    if had + planned.get(occ.due, 0) >= OVERDUE_WEEKLY_NOTICES:
                        continue  # named in the monthly digest instead
                    if occ.occurs_on not in history.overdue_sent.get(f.key, ()):
                        planned[occ.due] = planned.get(occ.due, 0) + 1
                found.append(occ)
        for occ in self._digests(sub.chat_id, lo, hi):
            if keep(occ) and self._open(snap, state_day(occ), sub):
                found.append(occ)
        found.sort(key=lambda o: (o.send_at, o.category != "before", o.subject, o.kind))
        return found

    def long_overdue(
        self, sub: Subscription, snap: Snapshot, day: date, history: ChatHistory
    ) -> list[tuple[Followed, date]]:
        """The overdue assignments (with their due dates) whose weekly notices to this
        chat are over (`OVERDUE_WEEKLY_NOTICES`), silenced ones left out: the monthly
        digest's «Việc quá hạn lâu»."""
        found: list[tuple[Followed, date]] = []
        for f in self.followed(self._agency(sub), day):
            if not f.assignment.deadline.is_dated or history.is_muted(f):
                continue
            due = self._overdue_due(snap, day, sub, f)
            if due is not None and history.overdue_count(f.key, due) >= OVERDUE_WEEKLY_NOTICES:
                found.append((f, due))
        return found

    def compose_html(
        self,
        sub: Subscription,
        occurrences: list[Occurrence],
        snap: Snapshot,
        at: datetime,
        history: ChatHistory | None = None,
    ) -> str:
        """The message for everything due for this chat at `at` (`ReminderMessages`), with
        the monthly «Việc quá hạn lâu» when a digest of the month's first Monday is in it."""
        if history is None or not any(o.category == "digest" for o in occurrences):
            return self.messages.compose_html(sub, occurrences, snap, at)
        long = self.long_overdue(sub, snap, self.calendar.local(at).date(), history)
        quiet = {f.key for f, _ in long} | {f.key for f in self._pairs if history.is_muted(f)}
        return self.messages.compose_html(
            sub,
            occurrences,
            snap,
            at,
            monthly=long if any(is_monthly(o) for o in occurrences) else (),
            long_overdue=[f.key for f, _ in long],
            muted=sorted(history.muted),
            quiet=quiet,
        )

    def followed_between(self, agency_id: str, lo: date, hi: date) -> list[Followed]:
        """The assignments `agency_id` follows on some day from `lo` to `hi` (the holders
        change only on the days of the events)."""
        days = {lo, hi} | {e.date for e in self.knowledge.timeline.events if lo <= e.date <= hi}
        return [f for f in self._pairs if any(self._follows(agency_id, f, d) for d in days)]

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
