"""The text of reminders: one Telegram HTML message for everything due for a chat at
once (a normal slot, or a catch-up after downtime), each item once, with its deadline in
the plan's words and how to report it with /capnhat; the weekly digest (each open part's
status, «⚠️ vướng mắc» beside it when the latest report says so, and for the group that
follows every agency the caption of the status-by-agency chart sent with it), and once a
month the items long overdue; the line of /lichnhac that says when a reminder goes out and
why it moved. Past `DAY_COUNT_UP_TO` days overdue a text says since when («quá hạn từ
30/06/2023»), not a count of days that only grows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from bot.core.reply import esc
from bot.plan.deadlines import Deadline
from bot.plan.loader import Knowledge
from bot.plan.responsibility import Holders, agency_name, part_label, short_text
from bot.progress.status import (
    BLOCKED_ICON,
    BLOCKED_LABEL,
    STATE_LABELS,
    AssignmentStatus,
    RowStatus,
    State,
)
from bot.progress.types import STATUS_LABELS
from bot.reminders.calendar import WorkCalendar, weekday_vi
from bot.reminders.occurrence import DONE_STATES, Followed, Occurrence, Snapshot
from bot.storage.reminder_records import Subscription

STALE_AFTER_DAYS = 30
CATCH_UP_NOTE_AFTER = timedelta(hours=1)
MAX_NAMES = 12
MAX_STALE_NAMES = 24  # agencies named in the digest's «chưa cập nhật»; the rest counted
DAY_COUNT_UP_TO = 60  # days overdue said as a count; later: «quá hạn từ <due>»


def overdue_words(due: date, today: date) -> str:
    """ "quá hạn 12 ngày", or past `DAY_COUNT_UP_TO` days "quá hạn từ 30/06/2023"."""
    late = max((today - due).days, 1)
    return f"quá hạn {late} ngày" if late <= DAY_COUNT_UP_TO else f"quá hạn từ {due:%d/%m/%Y}"


def row_label(row: RowStatus | AssignmentStatus, today: date) -> str:
    """The status label; past `DAY_COUNT_UP_TO` days overdue «quá hạn từ 30/06/2023»."""
    if row.state == State.OVERDUE and row.days_overdue > DAY_COUNT_UP_TO:
        since = today - timedelta(days=row.days_overdue)
        return f"{STATE_LABELS[State.OVERDUE]} từ {since:%d/%m/%Y}"
    return row.label


BLOCKED_FLAG = f"{BLOCKED_ICON} {BLOCKED_LABEL}"


class ReminderMessages:
    """The messages of reminders for one plan and working calendar."""

    def __init__(
        self,
        knowledge: Knowledge,
        calendar: WorkCalendar,
        followed: Sequence[Followed],
        holders: Holders | None = None,
    ):
        self.knowledge = knowledge
        self.calendar = calendar
        self._pairs = list(followed)
        self.holders = holders or Holders(knowledge.plan, knowledge.agencies, knowledge.timeline)

    def name(self, agency_id: str) -> str:
        return agency_name(self.knowledge.agencies, agency_id)

    def audience(self, sub: Subscription) -> str:
        return "tất cả cơ quan" if sub.all_agencies else self.name(sub.agency_id)

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

    def formerly(self, plan_agencies: Iterable[str]) -> str:
        """ " (trước đây: Sở Kế hoạch và Đầu tư)" for a part taken over from ended agencies."""
        names = ", ".join(self.name(a) for a in plan_agencies)
        return f" (trước đây: {esc(names)})" if names else ""

    def _item_head(self, f: Followed, sub: Subscription, today: date) -> str:
        head = f"• <b>{esc(f.key)}</b>"
        if not sub.all_agencies:
            agencies = self.knowledge.agencies
            before = self.holders.inherited_from(f.item, f.assignment, sub.agency_id, today)
            role = part_label(f.assignment, sub.agency_id, before, agencies)
            head += f"{self.formerly(before)}, {esc(role)}" if before else f" ({esc(role)})"
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
            lines.append(self._item_head(f, sub, today))
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
            lines += self._overdue_item(f, due, sub, snap, today)
        return lines

    def _overdue_item(
        self, f: Followed, due: date, sub: Subscription, snap: Snapshot, today: date
    ) -> list[str]:
        return [
            self._item_head(f, sub, today),
            f"   Thời hạn: {self._deadline_text(f.assignment.deadline, due)} —"
            f" {overdue_words(due, today)}, chưa báo cáo hoàn thành.",
            "   " + self._status_line(f, sub, snap, today),
        ]

    def monthly_lines(
        self,
        items: Sequence[tuple[Followed, date]],
        sub: Subscription,
        snap: Snapshot,
        today: date,
    ) -> list[str]:
        """The month's «Việc quá hạn lâu»: items whose weekly overdue notices are over."""
        lines = [
            "",
            "📌 <b>Việc quá hạn lâu</b> (đã nhắc hằng tuần; từ nay nhắc mỗi tháng một lần,"
            " đến khi báo cáo hoàn thành)",
        ]
        for f, due in items:
            lines += self._overdue_item(f, due, sub, snap, today)
        return lines

    def digest_lines(
        self, sub: Subscription, snap: Snapshot, today: date, quiet: Collection[str] = ()
    ) -> list[str]:
        """The weekly digest: open assignments (dated ones in full but those `quiet`: long
        overdue or silenced, the others in one line), and those without an update for 30
        days."""
        stale_before = today - timedelta(days=STALE_AFTER_DAYS)
        lines = [f"📋 <b>Tổng hợp tuần</b> ({weekday_vi(today)} {today:%d/%m/%Y})"]
        if sub.all_agencies:
            statuses = [a for a in snap.assignments(today).values() if a.state not in DONE_STATES]
            dated = [a for a in statuses if a.assignment.deadline.is_dated and a.key not in quiet]
            other = [a for a in statuses if not a.assignment.deadline.is_dated]
            blocked = [a for a in statuses if a.blocked_rows]
            if blocked:
                listed = "; ".join(
                    f"<b>{esc(a.key)}</b> ({esc(self._blocked_names(a))})" for a in blocked
                )
                lines.append(f"{BLOCKED_ICON} Có {BLOCKED_LABEL} ({len(blocked)}): {listed}.")
            if dated:
                lines.append(f"Việc có thời hạn chưa hoàn thành ({len(dated)}):")
                lines += [
                    f"• <b>{esc(a.key)}</b> — {self._deadline_text(a.assignment.deadline, None)}"
                    f" — {esc(row_label(a, today))} ({a.reported}/{a.expected} cơ quan đã báo cáo)"
                    + (f" — {BLOCKED_FLAG}" if a.blocked_rows else "")
                    for a in dated
                ]
            if other:
                listed = ", ".join(
                    f"{esc(a.key)} ({a.reported}/{a.expected}"
                    + (f", {BLOCKED_FLAG})" if a.blocked_rows else ")")
                    for a in other
                )
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
                shown = ", ".join(named[:MAX_STALE_NAMES])
                if len(named) > MAX_STALE_NAMES:
                    shown += f" và {len(named) - MAX_STALE_NAMES} cơ quan khác"
                lines.append(
                    f"Cơ quan chưa cập nhật trong {STALE_AFTER_DAYS} ngày qua ({len(named)}):"
                    f" {shown}."
                )
            return lines
        rows = [r for r in snap.agency_rows(today, sub.agency_id) if r.state not in DONE_STATES]
        dated_rows = [r for r in rows if r.assignment.deadline.is_dated and r.key not in quiet]
        other_rows = [r for r in rows if not r.assignment.deadline.is_dated]
        if dated_rows:
            lines.append(f"Việc có thời hạn chưa hoàn thành ({len(dated_rows)}):")
            lines += [
                f"• <b>{esc(r.key)}</b>{self.formerly(r.plan_agencies)} —"
                f" {self._deadline_text(r.assignment.deadline, None)} — {esc(row_label(r, today))}"
                + (f" — {BLOCKED_FLAG}" if r.blocked else "")
                for r in dated_rows
            ]
        if other_rows:
            # «6b: đang thực hiện trong hạn, ⚠️ vướng mắc» (the status after a colon: the
            # part's former agency may already stand in brackets)
            listed = "; ".join(
                esc(r.key)
                + self.formerly(r.plan_agencies)
                + (f": {esc(r.label)}" if r.latest is not None else "")
                + (f", {BLOCKED_FLAG}" if r.blocked else "")
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

    def _blocked_names(self, status: AssignmentStatus) -> str:
        names = [self.name(r.agency_id) for r in status.blocked_rows]
        shown = ", ".join(names[:MAX_NAMES])
        if len(names) > MAX_NAMES:
            shown += f" và {len(names) - MAX_NAMES} cơ quan khác"
        return shown

    def digest_chart_caption(
        self, sub: Subscription, occurrences: Sequence[Occurrence], at: datetime
    ) -> str | None:
        """The caption of the status-by-agency chart that goes with a digest to a group
        following every agency (the monitoring office's); None when no chart goes."""
        if not sub.all_agencies or not any(o.category == "digest" for o in occurrences):
            return None
        today = self.calendar.local(at).date()
        return (
            f"📊 Trạng thái phần việc theo cơ quan, Kế hoạch {esc(self.knowledge.plan.meta.number)},"
            f" tính đến ngày {today:%d/%m/%Y}. Chi tiết: /tiendo."
        )

    def compose_html(
        self,
        sub: Subscription,
        occurrences: Sequence[Occurrence],
        snap: Snapshot,
        at: datetime,
        *,
        monthly: Sequence[tuple[Followed, date]] = (),
        long_overdue: Sequence[str] = (),
        muted: Sequence[str] = (),
        quiet: Collection[str] = (),
    ) -> str:
        """One message for everything due for this chat at `at` (merged, each item once).
        With a digest: the `monthly` long-overdue items in full on the month's first
        Monday, else their keys (`long_overdue`) in one line; the items `muted` here; the
        digest leaves the `quiet` assignments (both kinds) out of its list."""
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
            lines += ["", *self.digest_lines(sub, snap, today, quiet)]
            if monthly:
                lines += self.monthly_lines(monthly, sub, snap, today)
                keys += [f.key for f, _ in monthly]
            elif long_overdue:
                lines.append(
                    f"📌 Quá hạn lâu, nhắc mỗi tháng một lần (Thứ Hai đầu tháng):"
                    f" {esc(', '.join(long_overdue))}."
                )
            if muted:
                lines.append(
                    f"🔕 Nhóm đã tắt nhắc riêng: {esc(', '.join(muted))} (bật lại:"
                    " <code>/batnhacviec &lt;số mục&gt;</code>)."
                )
        example = keys[0] if keys else _first_open_key(sub, snap, today, self)
        lines += [
            "",
            "Báo cáo tiến độ bằng lệnh <code>/capnhat &lt;số mục&gt; &lt;trạng thái hoặc %&gt;"
            " [ghi chú]</code>, ví dụ: <code>/capnhat"
            f" {esc(example)} đang thực hiện 60%</code> hoặc <code>/capnhat {esc(example)}"
            " đã hoàn thành</code>.",
            "Lịch nhắc: /lichnhac · Tắt nhắc một mục: <code>/tatnhacviec &lt;số mục&gt;</code>"
            " · Tắt mọi nhắc việc: /tatnhacviec",
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
    sub: Subscription, snap: Snapshot, today: date, planner: ReminderMessages
) -> str:
    if sub.all_agencies:
        keys = [a.key for a in snap.assignments(today).values() if a.state not in DONE_STATES]
    else:
        keys = [r.key for r in snap.agency_rows(today, sub.agency_id) if r.state not in DONE_STATES]
    return keys[0] if keys else "III.1"
