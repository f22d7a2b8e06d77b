"""Derived progress at a given day, in the statuses monitoring reports use.

Each (assignment, agency) row is: hoàn thành đúng hạn, hoàn thành quá hạn,
đang thực hiện trong hạn, quá hạn (with days overdue) or chưa báo cáo
(`bot.progress.status` says how a row's state is derived); a row whose latest report
says «vướng mắc» keeps its state and is flagged «⚠️ vướng mắc» beside it, in the
overview (a count, a line of its own, the item's line) and in an item's detail. Only updates not undone
count. The view keeps the updates grouped between calls, so a new report does not
regroup or re-derive a year of them.

The texts show statuses to anyone; the notes and who reported only when the
caller says the reader may see them (`notes=False` puts `NOTES_HIDDEN` instead).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import DEFAULT_TZ
from bot.core.reply import esc
from bot.plan.loader import Knowledge
from bot.plan.models import Assignment, Item
from bot.plan.responsibility import (
    Holders,
    agency_name,
    all_assignments,
    find_item,
    part_label,
    short_text,
)
from bot.progress.status import (
    BLOCKED_ICON,
    BLOCKED_LABEL,
    STATE_LABELS,
    STATE_ORDER,
    AgencyGap,
    AssignmentStatus,
    RowStatus,
    State,
    day_start,
    derive_row,
    reporting_period,
    summarise,
)
from bot.progress.types import STATUS_LABELS
from bot.storage.base import ProgressStore, StoredUpdate

DERIVED_LIMIT = 20_000  # rows (and summaries) a view keeps (a few MB at most)
NOTES_HIDDEN = (
    "<i>Ghi chú và người báo cáo chỉ hiển thị cho thành viên đã được duyệt của các cơ quan"
    " trong Kế hoạch, nhóm đã liên kết với cơ quan và quản trị viên. Anh/chị đăng ký bằng"
    " lệnh /dangky &lt;tên cơ quan&gt;.</i>"
)
_ICONS = {
    State.DONE_ON_TIME: "✅",
    State.DONE_LATE: "☑️",
    State.IN_PROGRESS: "🔄",
    State.OVERDUE: "⏰",
    State.NOT_REPORTED: "⚪",
}
BRIEF_NAMES = 5  # agencies named on a brief line; the rest counted
BLOCKED_FLAG = f"{BLOCKED_ICON} {BLOCKED_LABEL}"


class ProgressView:
    """Derived progress over a (read-only) store; `store` None means nothing reported."""

    def __init__(
        self, knowledge: Knowledge, store: ProgressStore | None, tz: ZoneInfo = DEFAULT_TZ
    ):
        self.knowledge = knowledge
        self.store = store
        self.tz = tz
        self._rows_memo: dict[tuple[date, str | None], list[RowStatus]] = {}
        self._memo_version: object | None = None
        self._records_version: object | None = None  # the store's version `_grouped` is of
        self._reporters_memo: dict[str, list[str]] = {}
        self._reporters_version: object | None = None
        self._seen: list[StoredUpdate] = []
        self._grouped: dict[tuple[str, str], list[StoredUpdate]] = defaultdict(list)
        # rows as derived last: (key, agency, today, record count) → row; and summaries
        self._derived: dict[tuple[str, str, date, int], RowStatus] = {}
        self._summaries: dict[tuple[str, date], AssignmentStatus] = {}
        self.holders = Holders(knowledge.plan, knowledge.agencies, knowledge.timeline)

    def _name(self, agency_id: str) -> str:
        return agency_name(self.knowledge.agencies, agency_id)

    def _records(self, version: object | None = None) -> dict[tuple[str, str], list[StoredUpdate]]:
        """The plan's updates by (assignment key, agency); read only, never change.

        Kept between calls: when the history only grew at its end (the usual case: a new
        report), just the new updates are added, so a year of reports is not regrouped
        and re-derived after each one. Anything else (an undo, a report stamped earlier
        than the last) regroups from scratch. While the store's `version` is the one
        they were grouped at (the rows of other items asked after one report), the
        history is not even read again."""
        if self.store is None:
            return {}
        if version is not None and version == self._records_version:
            return self._grouped
        current = self.store.updates()
        seen = self._seen
        if len(self._derived) > DERIVED_LIMIT:  # old days and superseded counts
            self._derived = {}
        if seen and len(current) >= len(seen) and all(map(operator.is_, current, seen)):
            for update in current[len(seen) :]:
                self._grouped[(update.assignment_key, update.agency_id)].append(update)
        else:
            self._grouped, self._derived = defaultdict(list), {}
            for update in current:
                self._grouped[(update.assignment_key, update.agency_id)].append(update)
        self._seen, self._records_version = current, version
        return self._grouped

    def _reporters(
        self, records: dict[tuple[str, str], list[StoredUpdate]], version: object | None
    ) -> dict[str, list[str]]:
        """The agencies that reported on each assignment key (of `records`, kept with them
        while the store's `version` is the same)."""
        if version is not None and version == self._reporters_version:
            return self._reporters_memo
        reporters: dict[str, list[str]] = defaultdict(list)
        for key, agency in records:
            reporters[key].append(agency)
        self._reporters_memo, self._reporters_version = reporters, version
        return reporters

    def _pairs(self, item_id: str | None) -> list[tuple[Item, Assignment]]:
        pairs = all_assignments(self.knowledge.plan)
        if item_id is None:
            return pairs
        found = find_item(self.knowledge.plan, item_id)
        if found is None:
            return []
        item, part = found
        return [(i, a) for i, a in pairs if i.id == item.id and (part is None or a is part)]

    def warm_up(self, today: date) -> None:
        """Read the history and derive the whole plan's progress for `today` now, at
        start-up, rather than inside the first question after a restart (about 55 ms of
        blocked event loop with a year of reports)."""
        self.assignments(today)

    def rows(self, today: date, item_id: str | None = None) -> list[RowStatus]:
        """Every responsible row plus any other agency that reported, in plan order.

        Kept until the store's `version` changes, so a view that lives as long as the bot
        derives the whole plan's progress once per change, not once per question."""
        version = self.store.version() if self.store is not None else None
        if version is None:
            return self._derive_rows(today, item_id)
        if version != self._memo_version:
            self._rows_memo, self._memo_version = {}, version
        key = (today, item_id)
        if key not in self._rows_memo:
            self._rows_memo[key] = self._derive_rows(today, item_id, version)
        return list(self._rows_memo[key])

    def _derive_rows(
        self, today: date, item_id: str | None, version: object | None = None
    ) -> list[RowStatus]:
        records = self._records(version)
        reporters = self._reporters(records, version)
        tomorrow = day_start(today + timedelta(days=1), self.tz)
        out: list[RowStatus] = []
        for item, assignment in self._pairs(item_id):
            key = item.assignment_key(assignment)
            period = reporting_period(assignment.deadline, today)
            # today's agencies expected to report, each with the plan's agencies whose
            # part it holds: a successor's row counts its predecessors' reports too
            holders = self.holders.of(item, assignment, today, responsible=True)
            responsible = tuple(holders)
            absorbed = {p for through in holders.values() for p in through}
            others = [
                agency
                for agency in reporters.get(key, ())
                if agency not in responsible
                and agency not in absorbed
                and records[(key, agency)][0].created_at < tomorrow  # reported by `today`
            ]
            for agency in [*responsible, *sorted(others)]:
                before = [p for p in holders.get(agency, ()) if p != agency]
                lists = [records.get((key, a), []) for a in (agency, *before)]
                count = sum(map(len, lists))
                memo = (key, agency, today, count)  # the kept lists only ever grow
                row = self._derived.get(memo)
                if row is None:
                    recs = _merged(lists)
                    state, days, latest, done_on = derive_row(recs, period, today, self.tz)
                    row = self._derived[memo] = RowStatus(
                        item=item,
                        assignment=assignment,
                        key=key,
                        agency_id=agency,
                        responsible=agency in responsible,
                        state=state,
                        days_overdue=days,
                        due=period.due,
                        latest=latest,
                        done_on=done_on,
                        # shown «trước đây: …» only for a part not its own as well
                        plan_agencies=() if agency in holders.get(agency, ()) else tuple(before),
                    )
                out.append(row)
        return out

    def assignments(self, today: date, item_id: str | None = None) -> list[AssignmentStatus]:
        """Each assignment with a status summed over its responsible agencies.

        An assignment whose rows are the very objects of last time (no new report on
        it: rows are kept, see `_derive_rows`) keeps its summary too."""
        by_key: dict[str, list[RowStatus]] = defaultdict(list)
        for row in self.rows(today, item_id):
            by_key[row.key].append(row)
        out: list[AssignmentStatus] = []
        for item, assignment in self._pairs(item_id):
            key = item.assignment_key(assignment)
            rows = by_key.get(key, [])
            kept = self._summaries.get((key, today))
            if (
                kept is not None
                and len(kept.rows) == len(rows)
                and all(map(operator.is_, kept.rows, rows))
            ):
                out.append(kept)
                continue
            counted = [r for r in rows if r.responsible] or rows
            state, days = summarise(counted)
            summary = AssignmentStatus(
                item=item,
                assignment=assignment,
                key=key,
                state=state,
                days_overdue=days,
                rows=tuple(rows),
                expected=len(counted),
                reported=sum(1 for r in counted if r.latest is not None),
            )
            if len(self._summaries) > DERIVED_LIMIT:
                self._summaries = {}
            self._summaries[(key, today)] = summary
            out.append(summary)
        return out

    def not_reported_agencies(self, today: date) -> list[AgencyGap]:
        """Agencies with responsible rows not reported on in the current period (/chuabaocao)."""
        gaps: dict[str, list[str]] = defaultdict(list)
        for row in self.rows(today):
            if row.responsible and row.latest is None:
                gaps[row.agency_id].append(row.key)
        order = list(self.knowledge.agencies)
        return [
            AgencyGap(agency, self._name(agency), tuple(keys))
            for agency, keys in sorted(
                gaps.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
            )
        ]

    # -- texts (Telegram HTML) -----------------------------------------------

    def row_name(self, row: RowStatus) -> str:
        """ "Sở Tài chính (trước đây: Sở Kế hoạch và Đầu tư)" for a part held through an
        agency that has ended; the agency's name otherwise (plain text)."""
        name = self._name(row.agency_id)
        if row.plan_agencies:
            name += f" (trước đây: {', '.join(self._name(a) for a in row.plan_agencies)})"
        return name

    def _update_text(
        self,
        update: StoredUpdate,
        *,
        with_date: bool = True,
        notes: bool = True,
        row_agency: str | None = None,
        with_status: bool = True,
    ) -> str:
        status = esc(STATUS_LABELS.get(update.status, update.status)) if with_status else ""
        if update.percent is not None:
            status = f"{status} {update.percent}%".strip()
        parts = [status] if status else []
        if update.note and notes:
            parts.append(f"«{esc(update.note)}»")
        who = update.reporter_name or (str(update.reporter_id) if update.reporter_id else "")
        who = who if notes else ""
        if row_agency is not None and update.agency_id != row_agency:
            # a predecessor's report, attributed as it was made
            who = f"{who} ({self._name(update.agency_id)})" if who else self._name(update.agency_id)
        when = f"{update.created_at.astimezone(self.tz):%d/%m/%Y}" if with_date else ""
        tail = ", ".join(x for x in (esc(who), when) if x)
        if tail:
            parts.append(tail)
        return " — ".join(parts)

    def overview_html(self, today: date) -> str:
        """/tiendo: every assignment grouped by status; «vướng mắc» counted, listed on a
        line of its own and flagged on the assignment's line."""
        statuses = self.assignments(today)
        plan = self.knowledge.plan
        counts = {s: sum(1 for a in statuses if a.state == s) for s in STATE_ORDER}
        blocked = [a for a in statuses if a.blocked_rows]
        lines = [
            f"<b>Tiến độ Kế hoạch {esc(plan.meta.number)}</b>, tính đến ngày {today:%d/%m/%Y}",
            " · ".join(
                [
                    *(f"{STATE_LABELS[s].capitalize()}: {counts[s]}" for s in STATE_ORDER),
                    f"{BLOCKED_ICON} {BLOCKED_LABEL.capitalize()}: {len(blocked)}",
                ]
            ),
        ]
        if blocked:
            listed = "; ".join(
                f"<b>{esc(a.key)}</b> ({esc(self._names(a.blocked_rows))})" for a in blocked
            )
            lines.append(f"\n{BLOCKED_ICON} <b>Có {BLOCKED_LABEL}</b> ({len(blocked)}): {listed}")
        for state in STATE_ORDER:
            group = [a for a in statuses if a.state == state]
            if not group:
                continue
            lines.append(
                f"\n{_ICONS[state]} <b>{STATE_LABELS[state].capitalize()}</b> ({len(group)})"
            )
            for status in group:
                lines.append("• " + self._assignment_line(status))
        lines.append(
            "\nChi tiết một mục: /tiendo &lt;số mục&gt;. Cơ quan chưa báo cáo: /chuabaocao."
        )
        return "\n".join(lines)

    def _names(self, rows: Sequence[RowStatus]) -> str:
        """ "Sở Nội vụ, Sở Y tế" (a few named, the rest counted; plain text)."""
        names = [self._name(r.agency_id) for r in rows]
        shown = ", ".join(names[:BRIEF_NAMES])
        if len(names) > BRIEF_NAMES:
            shown += f" và {len(names) - BRIEF_NAMES} cơ quan khác"
        return shown

    def _assignment_line(self, status: AssignmentStatus) -> str:
        head = f"<b>{esc(status.key)}</b>"
        blocked = status.blocked_rows
        if status.expected == 1:
            row = next(r for r in status.rows if r.responsible or len(status.rows) == 1)
            text = f"{head} {esc(self.row_name(row))}"
            if status.state in (State.OVERDUE, State.DONE_LATE):
                text += f": {esc(status.label)}"
            if row.blocked:
                text += f" — {BLOCKED_FLAG}"
                percent = row.latest.percent if row.latest is not None else None
                text += f" ({percent}%)" if percent is not None else ""
            elif row.latest is not None and row.latest.status != "done":
                text += f" ({esc(STATUS_LABELS[row.latest.status])}"
                text += f" {row.latest.percent}%)" if row.latest.percent is not None else ")"
            if row.done_on is not None:
                text += f", xong ngày {row.done_on:%d/%m/%Y}"
            return text
        text = f"{head} {status.reported}/{status.expected} cơ quan đã báo cáo"
        if status.state in (State.OVERDUE, State.DONE_LATE):
            text += f"; {esc(status.label)}"
        if blocked:
            text += f" — {BLOCKED_FLAG}: {esc(self._names(blocked))}"
        return text

    def item_html(
        self, item_ref: str, today: date, *, notes: bool = True, brief: bool = False
    ) -> str:
        """/tiendo <số>: each assignment of the item, agency by agency (the notes and
        reporters' names only with `notes`); `brief` names at most a few agencies that
        have not reported and leaves out the parts' texts."""
        found = find_item(self.knowledge.plan, item_ref)
        if found is None:
            ids = ", ".join(i.id for i in self.knowledge.plan.items)
            return f"Không có mục «{esc(item_ref)}» trong Kế hoạch. Các mục: {esc(ids)}."
        item = found[0]
        lines = [f"<b>Mục {esc(item.id)}</b>: {esc(short_text(item, item.assignments[0], 200))}"]
        statuses = self.assignments(today, item_ref)
        for status in statuses:
            lines.append(self._assignment_block(status, notes, brief))
        lines.append(f"Tính đến ngày {today:%d/%m/%Y}.")
        if not notes and any(r.latest is not None for s in statuses for r in s.rows):
            lines.append(NOTES_HIDDEN)
        return "\n".join(lines)

    def _assignment_block(
        self, status: AssignmentStatus, notes: bool = True, brief: bool = False
    ) -> str:
        a = status.assignment
        head = (
            f"\n<b>{esc(status.key)}</b> — thời hạn: {esc(a.deadline.text)} —"
            f" <i>{esc(status.label)}</i>"
        )
        blocked = status.blocked_rows
        if blocked:
            head += f" — {BLOCKED_FLAG} ({len(blocked)}/{status.expected} cơ quan)"
        lines = [head]
        if a.task and len(status.item.assignments) > 1:
            lines.append(esc(short_text(status.item, a, 70 if brief else 160)))
        silent: dict[str, list[str]] = defaultdict(list)
        for row in status.rows:
            if row.latest is None:
                silent[row.label].append(self.row_name(row))
                continue
            role = part_label(a, row.agency_id, row.plan_agencies, self.knowledge.agencies)
            if row.plan_agencies:
                role += f"; trước đây: {', '.join(self._name(p) for p in row.plan_agencies)}"
            flag = f", {BLOCKED_FLAG}" if row.blocked else ""  # the report's own status then
            report = self._update_text(
                row.latest, notes=notes, row_agency=row.agency_id, with_status=not row.blocked
            )
            lines.append(
                f"• {esc(self._name(row.agency_id))} ({esc(role)}): {esc(row.label)}{flag}"
                + (f" — {report}" if report else "")
            )
        for label, names in silent.items():
            head = label if label == STATE_LABELS[State.NOT_REPORTED] else f"{label}, chưa báo cáo"
            shown = ", ".join(names[:BRIEF_NAMES] if brief else names)
            if brief and len(names) > BRIEF_NAMES:
                shown += f" và {len(names) - BRIEF_NAMES} cơ quan khác"
            lines.append(f"• {esc(head.capitalize())} ({len(names)}): {esc(shown)}")
        return "\n".join(lines)

    def not_reported_html(self, today: date) -> str:
        """/chuabaocao: agencies that have not reported in the current period."""
        gaps = self.not_reported_agencies(today)
        period = self._period(today)
        if not gaps:
            return f"Tất cả cơ quan được giao đều đã báo cáo trong {period}."
        lines = [f"<b>Cơ quan chưa báo cáo</b> trong {period}, tính đến ngày {today:%d/%m/%Y}:"]
        for gap in gaps:
            lines.append(f"• {esc(gap.name)}: {esc(', '.join(gap.keys))}")
        lines.append(f"Tổng cộng: {len(gaps)} cơ quan.")
        return "\n".join(lines)

    def not_reported_brief_html(self, today: date, agency_id: str | None, hint: str) -> str:
        """/chuabaocao for a reader not shown the whole list: the totals, `agency_id`'s own
        state (a member's, a linked group's), then `hint` (HTML: who sees the list, how to
        register)."""
        gaps = self.not_reported_agencies(today)
        expected = {r.agency_id for r in self.rows(today) if r.responsible}
        lines = [
            f"<b>Báo cáo trong {self._period(today)}</b>, tính đến ngày {today:%d/%m/%Y}:"
            f" {len(expected) - len(gaps)}/{len(expected)} cơ quan được giao đã báo cáo đủ,"
            f" {len(gaps)} cơ quan còn thiếu."
        ]
        if agency_id is not None:
            name = esc(self._name(agency_id))
            own = next((g for g in gaps if g.agency_id == agency_id), None)
            if own is not None:
                lines.append(f"• <b>{name}</b> chưa báo cáo: {esc(', '.join(own.keys))}.")
            elif agency_id in expected:
                lines.append(f"• <b>{name}</b> đã báo cáo đủ các việc được giao trong kỳ.")
            else:
                lines.append(f"• <b>{name}</b> không có việc nào phải báo cáo trong kỳ.")
        lines.append(hint)
        return "\n".join(lines)

    def _period(self, today: date) -> str:
        """ "kỳ báo cáo năm 2026 (hạn báo cáo 30/11/2026)"."""
        period = f"kỳ báo cáo năm {today.year}"
        yearly = [
            a.deadline
            for _, a in all_assignments(self.knowledge.plan)
            if a.deadline.kind == "yearly"
        ]
        if yearly:
            due = yearly[0].due_in_year(today.year)
            if due is not None:
                period += f" (hạn báo cáo {due:%d/%m/%Y})"
        return period

    def history_html(self, item_ref: str, limit: int = 20, *, notes: bool = True) -> str:
        """The history button of /tiendo <số>: most recent first, undone ones marked (the
        notes and reporters' names only with `notes`)."""
        found = find_item(self.knowledge.plan, item_ref)
        if found is None:
            return f"Không có mục «{esc(item_ref)}» trong Kế hoạch."
        item = found[0]
        updates = self.store.updates(item.id, include_undone=True) if self.store else []
        if not updates:
            return f"Mục {esc(item.id)} chưa có báo cáo nào."
        lines = [f"<b>Lịch sử báo cáo mục {esc(item.id)}</b>"]
        for update in list(reversed(updates))[:limit]:
            when = f"{update.created_at.astimezone(self.tz):%H:%M %d/%m/%Y}"
            line = (
                f"• {when} — {esc(update.assignment_key)} {esc(self._name(update.agency_id))}:"
                f" {self._update_text(update, with_date=False, notes=notes)}"
            )
            lines.append(f"<s>{line}</s> (đã hoàn tác)" if update.undone else line)
        if not notes:
            lines.append(NOTES_HIDDEN)
        return "\n".join(lines)


def _merged(lists: Sequence[list[StoredUpdate]]) -> list[StoredUpdate]:
    """One agency's updates and its predecessors', oldest first (the first list alone
    as it is)."""
    if len(lists) == 1 or not any(lists[1:]):
        return lists[0]
    return sorted((u for updates in lists for u in updates), key=lambda u: u.created_at)
