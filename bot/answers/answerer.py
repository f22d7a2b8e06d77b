"""Compose grounded Vietnamese replies from an understanding of a message.

Every answer quotes the plan: item numbers, lead and coordinating agencies, the
deadline in the plan's own words. Relative answers state today's date. All plan
and user text is escaped for Telegram HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from bot.answers.context import AnswerContext
from bot.answers.progress_update import parse_update, progress_update
from bot.core.clock import DEFAULT_TZ
from bot.core.reply import Button, Reply, esc
from bot.core.text import fold
from bot.core.yaml_io import load_yaml_file
from bot.nlu.agency_names import unknown_agency_name
from bot.nlu.lexicon import PhraseIndex
from bot.plan.agencies import AgencyRegistry
from bot.plan.deadlines import Deadline, quarter_end
from bot.plan.loader import Knowledge
from bot.plan.models import ROLE_LABELS, Agency, Assignment, Item
from bot.progress.types import Asker, ProgressReader

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding
    from bot.progress.view import ProgressView
    from bot.storage.base import ProgressStore

UPCOMING_DAYS = 30
ROMAN_QUARTER = {1: "I", 2: "II", 3: "III", 4: "IV"}


def d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def short_text(text: str, limit: int = 110) -> str:
    """The opening of an item's text, cut at a clause or word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text.rstrip(".")
    cut = max(text.rfind(";", 0, limit), text.rfind(",", 60, limit))
    if cut < 60:
        cut = text.rfind(" ", 0, limit)
    return text[:cut].rstrip(" ,;") + "…"


@dataclass(frozen=True)
class AssignmentView:
    item: Item
    assignment: Assignment

    @property
    def key(self) -> str:
        return self.item.assignment_key(self.assignment)


class Answerer:
    """Turns an Understanding into a Reply."""

    def __init__(
        self,
        knowledge: Knowledge,
        registry: AgencyRegistry,
        intents_dir: Path,
        progress: ProgressReader | None,
    ):
        self.context = AnswerContext(knowledge, registry, intents_dir, progress)
        self.k = knowledge
        self.plan = knowledge.plan
        self.registry = registry
        self.progress = progress
        self._progress_view: ProgressView | None = None
        self.items = {item.id: item for item in self.plan.items}
        self.order = [item.id for item in self.plan.items]
        info = load_yaml_file(intents_dir / "plan_info.yaml")
        self.info_topics = PhraseIndex({k: list(v) for k, v in info.get("topics", {}).items()})
        self._handlers: dict[str, Callable[[Understanding, date, Asker | None], Reply]] = {
            "agency_tasks": self.agency_tasks,
            "deadline_tasks": self.deadline_tasks,
            "task_detail": self.task_detail,
            "search": self.search,
            "progress_update": self.progress_update,
            "progress_status": self.progress_status,
            "plan_info": self.plan_info,
            "help": self.help,
            "unknown": self.unknown,
        }

    # --- helpers -------------------------------------------------------------

    def name(self, agency_id: str) -> str:
        return self.k.agencies[agency_id].name

    def agencies_text(self, ids: Iterable[str]) -> str:
        return ", ".join(self.name(i) for i in dict.fromkeys(ids))

    def who(self, assignment: Assignment) -> str:
        """ "Sở Nội vụ chủ trì; phối hợp: Sở Tài chính, Công an tỉnh"."""
        lead = assignment.leader()
        others: dict[str, list[str]] = {}
        for ar in assignment.agencies:
            if ar is lead:
                continue
            others.setdefault(ar.role, []).append(ar.agency)
        parts = [f"{esc(self.name(lead.agency))} {ROLE_LABELS[lead.role]}"] if lead else []
        for role, ids in others.items():
            parts.append(f"{ROLE_LABELS[role]}: {esc(self.agencies_text(ids))}")
        return "; ".join(parts)

    def deadline_text(self, deadline: Deadline, today: date | None = None) -> str:
        text = esc(deadline.text)
        due = deadline.single_due()
        if deadline.kind == "quarter" and due:
            text += f" (đến {d(due)})"
        elif deadline.kind == "yearly" and today:
            nxt = deadline.next_due(today)
            if nxt:
                text += f" (kỳ tới: {d(nxt)})"
        return text

    def views(self) -> list[AssignmentView]:
        return [AssignmentView(i, a) for i in self.plan.items for a in i.assignments]

    def item_line(self, item: Item, *, detail: str = "") -> str:
        return f"• <b>{esc(item.id)}</b>{detail}: {esc(short_text(item.text))}"

    def item_buttons(self, ids: list[str]) -> list[list[Button]]:
        row: list[Button] = []
        rows: list[list[Button]] = []
        for item_id in list(dict.fromkeys(ids))[:12]:
            row.append(Button(f"Xem {item_id}", f"v1:item:{item_id}"))
            if len(row) == 4:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        return rows

    def source(self, item: Item) -> str:
        where = f"mục {item.id}" if item.id.startswith("III") else f"mục II.{item.id}"
        return f"<i>Nguồn: Kế hoạch {esc(self.plan.meta.number)}, {where}.</i>"

    # --- entry point ---------------------------------------------------------

    def reply(self, u: Understanding, *, today: date, asker: Asker | None = None) -> Reply:
        if u.scores.ambiguous and not u.scores.forced and u.intent != "unknown":
            clarified = self.clarify(u, today, asker)
            if clarified is not None:
                return clarified
        reply = self._handlers[u.intent](u, today, asker)
        reply.confidence = 1.0 if u.scores.forced else u.scores.confidence
        return reply

    # --- clarification -------------------------------------------------------

    READINGS: ClassVar[dict[str, str]] = {
        "agency_tasks": "các nhiệm vụ của {agency}",
        "deadline_tasks": "các việc theo thời hạn",
        "task_detail": "nội dung nhiệm vụ {item}",
        "search": "tìm các nhiệm vụ theo chủ đề",
        "progress_update": "cập nhật tiến độ nhiệm vụ {item}",
        "progress_status": "xem tiến độ nhiệm vụ {item}",
        "plan_info": "thông tin chung của Kế hoạch",
        "help": "hướng dẫn sử dụng",
    }
    QUERIES: ClassVar[dict[str, str]] = {
        "agency_tasks": "{agency} phai lam gi",
        "task_detail": "nhiem vu {item}",
        "progress_status": "tien do {item}",
        "help": "/help",
        "plan_info": "tong quan ke hoach",
    }

    def clarify(self, u: Understanding, today: date, asker: Asker | None) -> Reply | None:
        item = u.entities.items[0].id if u.entities.items else ""
        agency = u.agency.agency.name if u.agency else ""
        options = []
        for intent, _ in u.scores.ranked[:3]:
            if intent == "unknown":
                continue
            template = self.READINGS.get(intent, "")
            if ("{item}" in template and not item) or ("{agency}" in template and not agency):
                continue
            options.append((intent, template.format(item=item, agency=agency)))
        if len(options) < 2:
            return None
        best = self._handlers[u.intent](u, today, asker)
        lines = [f"Ý anh/chị là: {' hay '.join(esc(text) for _, text in options[:3])}?"]
        lines.append(f"Tôi hiểu là <b>{esc(options[0][1])}</b>:")
        best.html = "\n".join(lines) + "\n\n" + best.html
        buttons = []
        for intent, text in options[1:3]:
            query = self.QUERIES.get(intent)
            if query:
                data = "v1:q:" + fold(query.format(item=item, agency=agency))[:58]
                buttons.append(
                    Button(text[:40], data.encode("utf-8")[:64].decode("utf-8", "ignore"))
                )
        if buttons:
            best.buttons = [buttons, *best.buttons]
        best.confidence = u.scores.confidence
        best.extra["clarify"] = [intent for intent, _ in options]
        return best

    # --- task detail ---------------------------------------------------------

    def nearest_items(self, wanted: str) -> list[str]:
        head = wanted.split(".")[0]
        same_group = [i for i in self.order if i.split(".")[0] == head and i != wanted]
        if same_group:
            return same_group[:4]

        def distance(item_id: str) -> float:
            try:
                a = float(wanted) if not wanted.startswith("III") else 100.0
                b = float(item_id) if not item_id.startswith("III") else 100.0 + float(item_id[4:])
            except ValueError:
                return 1000.0
            return abs(a - b)

        return sorted(self.order, key=distance)[:3]

    def task_detail(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        refs = u.entities.items
        if not refs:
            return self.ask_item(u, "xem", asker)
        existing = [r for r in refs if r.exists]
        if not existing:
            wanted = refs[0].id
            near = self.nearest_items(wanted)
            html = (
                f"Kế hoạch {esc(self.plan.meta.number)} không có nhiệm vụ {esc(wanted)}. "
                f"Các mục gần nhất: {esc(', '.join(near))}. "
                f"Kế hoạch có các mục: {esc(', '.join(self.order))}."
            )
            return Reply("task_detail", html, buttons=self.item_buttons(near))
        ref = existing[0]
        if ref.group:
            return self.group_detail(ref.id, today)
        item = self.items[ref.id]
        focus = self._detail_focus(u)
        html = self.render_item(item, today, focus)
        agency = u.agency.agency.name if u.agency else None
        return Reply(
            "task_detail",
            html,
            task_ids=[r.id for r in existing if not r.group],
            agency=agency,
        )

    def _detail_focus(self, u: Understanding) -> str | None:
        if u.entities.roles:
            return u.entities.roles[0]
        toks = set(u.tokens)
        if {"han", "bao", "gio"} & toks and ("han" in toks or "khi" in toks):
            return "deadline"
        if "ai" in toks or {"co", "quan", "nao"} <= toks:
            return "who"
        return None

    def render_item(self, item: Item, today: date, focus: str | None = None) -> str:
        lines: list[str] = []
        if focus in ("chu_tri", "phoi_hop", "tham_muu", "chi_dao"):
            found = [
                ar.agency
                for a in item.assignments
                for ar in a.agencies
                if ar.role == focus or (focus == "chu_tri" and ar is item.leader_of(a))
            ]
            label = ROLE_LABELS[focus].capitalize()
            if found:
                lines.append(
                    f"{label} nhiệm vụ {esc(item.id)}: <b>{esc(self.agencies_text(found))}</b>."
                )
            else:
                lines.append(f"Nhiệm vụ {esc(item.id)} không ghi cơ quan {ROLE_LABELS[focus]}.")
        elif focus == "deadline":
            texts = {self.deadline_text(a.deadline, today) for a in item.assignments}
            if len(texts) == 1:
                lines.append(f"Thời hạn nhiệm vụ {esc(item.id)}: <b>{texts.pop()}</b>.")
            else:  # parts with their own deadlines: say which is which
                per_part = "; ".join(
                    f"{esc(item.assignment_key(a))} ({esc(self.name(a.lead().agency))}): "
                    f"<b>{self.deadline_text(a.deadline, today)}</b>"
                    for a in item.assignments
                )
                lines.append(f"Thời hạn nhiệm vụ {esc(item.id)}: {per_part}.")
        elif focus == "who":
            leads = [a.lead().agency for a in item.assignments]
            lines.append(
                f"Nhiệm vụ {esc(item.id)} do <b>{esc(self.agencies_text(leads))}</b> thực hiện chính."
            )
        lines.append(
            f"<b>Nhiệm vụ {esc(item.id)}</b> (nhóm {esc(item.group_id)}: {esc(short_text(item.group_title, 90))})"
        )
        if item.text != item.group_title:
            lines.append(esc(item.text))
        multi = len(item.assignments) > 1
        for a in item.assignments:
            prefix = f"{esc(item.id)}{esc(a.part or '')}. " if multi else ""
            if multi and a.task:
                lines.append(f"\n<b>{prefix}</b>{esc(a.task)}")
                prefix = ""
            lines.append(f"• {prefix}Cơ quan: {self.who(a)}")
            for ar in a.agencies:
                if ar.qualifier:
                    lines.append(f"  ({esc(self.name(ar.agency))}: {esc(ar.qualifier)})")
            lines.append(f"• Thời hạn: {self.deadline_text(a.deadline, today)}")
        general = self.general_groups(item)
        if general:
            lines.append(f"• Giao chung cho: {esc(self.agencies_text(general))}")
        refs = list(dict.fromkeys([*item.refs, *(r for a in item.assignments for r in a.refs)]))
        if refs:
            lines.append(
                "• Văn bản dẫn chiếu: "
                + "; ".join(esc(self.plan.legal_refs[r].label()) for r in refs)
            )
        lines.append(self.source(item))
        return "\n".join(lines)

    def general_groups(self, item: Item) -> list[str]:
        return [
            ar.agency
            for a in item.assignments
            for ar in a.agencies
            if self.k.agencies[ar.agency].is_group
        ]

    def group_detail(self, group_id: str, today: date) -> Reply:
        group = next(g for g in self.plan.groups if g.id == group_id)
        lines = [f"<b>Nhóm nhiệm vụ {esc(group.id)}</b>: {esc(group.title)}"]
        for item in group.items:
            lead = ", ".join(dict.fromkeys(self.name(a.lead().agency) for a in item.assignments))
            lines.append(self.item_line(item) + f" — <i>{esc(lead)}</i>")
        ids = [i.id for i in group.items]
        return Reply("task_detail", "\n".join(lines), task_ids=ids, buttons=self.item_buttons(ids))

    # --- agency tasks --------------------------------------------------------

    def agency_items(self, agency_id: str, role: str | None = None) -> list[tuple[Item, list[str]]]:
        """Items naming the agency directly, with its roles (filtered by `role`)."""
        out = []
        for item in self.plan.items:
            roles: list[str] = []
            for a in item.assignments:
                for ar in a.agencies:
                    if ar.agency != agency_id:
                        continue
                    is_lead = ar is item.leader_of(a)
                    if role is None or ar.role == role or (role == "chu_tri" and is_lead):
                        roles.append("chu_tri" if is_lead and role == "chu_tri" else ar.role)
            if roles:
                out.append((item, list(dict.fromkeys(roles))))
        return out

    def group_items(self, group_ids: list[str]) -> list[Item]:
        return [
            item
            for item in self.plan.items
            if any(ar.agency in group_ids for a in item.assignments for ar in a.agencies)
        ]

    def agency_tasks(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        from bot.plan.agencies import ASSIGNABLE

        targets = list(
            dict.fromkeys(m.agency.id for m in u.agencies if m.agency.kind in ASSIGNABLE)
        )
        if not targets and u.agency is not None:
            targets = [u.agency.agency.id]
        if not targets and asker and asker.agency_id:
            targets = [asker.agency_id]
        if not targets:
            return self._unknown_agency(u)
        role = next(
            (r for r in u.entities.roles if r in ("chu_tri", "phoi_hop", "tham_muu", "chi_dao")),
            None,
        )
        blocks: list[str] = []
        task_ids: list[str] = []
        general_ids: list[str] = []
        for agency_id in targets[:4]:
            html, direct_ids, group_ids = self._agency_block(self.k.agencies[agency_id], role)
            blocks.append(html)
            task_ids += direct_ids if role else direct_ids + group_ids
            general_ids += group_ids
        task_ids = list(dict.fromkeys(task_ids))
        return Reply(
            "agency_tasks",
            "\n\n".join(blocks),
            agency=" và ".join(self.name(a) for a in targets[:4]),
            agency_id=targets[0],
            task_ids=task_ids,
            general_task_ids=list(dict.fromkeys(general_ids)),
            role=role,
            buttons=self.item_buttons(task_ids),
        )

    def _unknown_agency(self, u: Understanding) -> Reply:
        """No known agency in the message: say so, naming what was typed if it looks like one."""
        typed = unknown_agency_name(u.text)
        named = sorted(
            {
                self.name(ar.agency)
                for item in self.plan.items
                for assignment in item.assignments
                for ar in assignment.agencies
            }
        )
        hint = "Các cơ quan được giao việc: " + esc(", ".join(named)) + "."
        if typed:
            html = f"Kế hoạch {esc(self.plan.meta.number)} không nhắc tới «{esc(typed)}»."
            # a department of the province still shares the tasks given to all departments
            groups = [
                a.id
                for a in self.k.agencies.values()
                if a.is_group
                and typed.split()[0].lower() in a.name.lower().replace(",", " ").split()
            ]
            general = self.group_items(groups) if groups else []
            if general:
                shares = "; ".join(self._group_share(item, groups) for item in general)
                html += (
                    f" Nếu đây là một cơ quan của tỉnh, cơ quan này cùng thực hiện các nhiệm vụ giao"
                    f" chung cho «{esc(self.agencies_text(groups))}»: {shares}."
                )
            return Reply(
                "agency_tasks",
                html + "\n" + hint,
                agency=typed,
                general_task_ids=[i.id for i in general],
                confidence=0.4,
            )
        return Reply(
            "agency_tasks",
            "Anh/chị hỏi về cơ quan nào? Ví dụ: «Sở Nội vụ phải làm gì?», «SKHĐT chủ trì việc nào?». "
            + hint,
            confidence=0.4,
        )

    def _agency_block(self, agency: Agency, role: str | None) -> tuple[str, list[str], list[str]]:
        """One agency's share of the plan: (html, direct item ids, group item ids)."""
        direct = self.agency_items(agency.id, role)
        groups = list(agency.member_of)
        general = [] if agency.is_group else self.group_items(groups)
        lines: list[str] = []
        name = esc(agency.name)
        role_label = ROLE_LABELS[role] if role else ""
        if direct:
            head = (
                f"<b>{name}</b> {role_label + ' ' if role else 'được giao '}{len(direct)} nhiệm vụ"
            )
            head += " trong Kế hoạch " + esc(self.plan.meta.number) + ":"
            lines.append(head)
            for item, roles in direct:
                due = "; ".join(
                    dict.fromkeys(
                        esc(a.deadline.text)
                        for a in item.assignments
                        if any(ar.agency == agency.id for ar in a.agencies)
                    )
                )
                rl = ", ".join(ROLE_LABELS[r] for r in roles)
                lines.append(self.item_line(item, detail=f" ({rl})") + f" — <i>{due}</i>")
        elif role:
            lines.append(
                f"<b>{name}</b> không {role_label} nhiệm vụ nào trong Kế hoạch {esc(self.plan.meta.number)}."
            )
            others = self.agency_items(agency.id)
            if others:
                lines.append(
                    "Các nhiệm vụ có tên cơ quan này: "
                    + "; ".join(
                        f"{esc(i.id)} ({', '.join(ROLE_LABELS[r] for r in rs)})" for i, rs in others
                    )
                    + "."
                )
        else:
            lines.append(
                f"Kế hoạch {esc(self.plan.meta.number)} không giao nhiệm vụ đích danh cho <b>{name}</b>."
            )
        general_ids = [i.id for i in general]
        if general and not role:
            group_names = esc(self.agencies_text(groups))
            shown = [self._group_share(item, groups) for item in general]
            lines.append(
                f"\nNhiệm vụ giao chung cho «{group_names}» (gồm cả {name}): "
                + "; ".join(shown)
                + "."
            )
        elif general and role:
            lines.append(
                f"\n(Các nhiệm vụ giao chung cho «{esc(self.agencies_text(groups))}»: {esc(', '.join(general_ids))}.)"
            )
        return "\n".join(lines), [i.id for i, _ in direct], general_ids

    def _group_share(self, item: Item, groups: list[str]) -> str:
        """ "3.2 (phối hợp, Thường xuyên)": a group's role and deadline in an item."""
        roles = []
        for a in item.assignments:
            for ar in a.agencies:
                if ar.agency in groups:
                    roles.append(ROLE_LABELS[ar.role])
        role = ", ".join(dict.fromkeys(roles))
        return f"<b>{esc(item.id)}</b> ({role}; {esc(self._deadline_of_group(item, groups))})"

    def _deadline_of_group(self, item: Item, groups: list[str]) -> str:
        return "; ".join(
            dict.fromkeys(
                a.deadline.text
                for a in item.assignments
                if any(ar.agency in groups for ar in a.agencies)
            )
        )

    # --- deadlines -----------------------------------------------------------

    def _window(
        self, u: Understanding, today: date
    ) -> tuple[str, Callable[[Deadline], list[date]]] | None:
        ent = u.entities
        if ent.quarter:
            q, year = ent.quarter
            label = f"quý {ROMAN_QUARTER[q]}" + (f"/{year}" if year else "")
            return (
                label,
                lambda dl: [quarter_end(q, year or 2023)] if dl.matches_quarter(q, year) else [],
            )
        if ent.dates:
            day, month, year = ent.dates[0]
            try:
                target = date(year or today.year, month, day)
            except ValueError:
                return None
            if year is None:
                label = f"ngày {day:02d}/{month:02d}"
                return (
                    label,
                    lambda dl: (
                        [target]
                        if dl.kind == "yearly" and (dl.day, dl.month) == (day, month)
                        else [
                            x for x in [dl.single_due()] if x and (x.day, x.month) == (day, month)
                        ]
                    ),
                )
            return f"ngày {d(target)}", lambda dl: dl.due_between(target, target)
        rel = ent.relative
        if ent.month:
            month, year = ent.month[0], ent.month[1] or today.year
            start = date(year, month, 1)
            end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
            return f"tháng {month:02d}/{year}", lambda dl: dl.due_between(start, end)
        if ent.window_days or rel == "upcoming":
            days = ent.window_days or UPCOMING_DAYS
            end = today + timedelta(days=days)
            return (
                f"{days} ngày tới (từ {d(today)} đến {d(end)})",
                lambda dl: dl.due_between(today, end),
            )
        if rel in ("this_week", "next_week"):
            start = today - timedelta(days=today.weekday())
            if rel == "next_week":
                start += timedelta(days=7)
            end = start + timedelta(days=6)
            word = "tuần này" if rel == "this_week" else "tuần tới"
            return f"{word} ({d(start)}–{d(end)})", lambda dl: dl.due_between(start, end)
        if rel in ("this_month", "next_month") or ent.month:
            if ent.month:
                month, year = ent.month[0], ent.month[1] or today.year
            else:
                month, year = today.month, today.year
                if rel == "next_month":
                    month, year = (1, year + 1) if month == 12 else (month + 1, year)
            start = date(year, month, 1)
            end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
            return f"tháng {month:02d}/{year}", lambda dl: dl.due_between(start, end)
        if rel == "this_quarter":
            q = (today.month - 1) // 3 + 1
            return (
                f"quý {ROMAN_QUARTER[q]}/{today.year}",
                lambda dl: dl.due_between(
                    date(today.year, 3 * q - 2, 1), quarter_end(q, today.year)
                ),
            )
        if rel == "this_year" or (ent.year and not ent.recurring):
            year = ent.year or today.year
            return f"năm {year}", lambda dl: dl.due_between(date(year, 1, 1), date(year, 12, 31))
        return None

    def deadline_tasks(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        ent = u.entities
        agency_id = u.agency.agency.id if u.agency else None
        views = self.views()
        if agency_id:
            scope = {agency_id, *self.k.agencies[agency_id].member_of}
            views = [v for v in views if any(ar.agency in scope for ar in v.assignment.agencies)]
        today_line = f"Hôm nay: {d(today)}."
        picked: list[tuple[AssignmentView, str]] = []
        title: str
        explicit = bool(ent.dates or ent.quarter or ent.month or ent.window_days or ent.year)
        if ent.relative == "overdue" and not explicit:
            done = self._done_keys(today)
            title = f"Các việc đã quá hạn (tính đến {d(today)})"
            for v in views:
                last = v.assignment.deadline.last_due(today)
                if last is None or (
                    v.assignment.deadline.kind == "yearly" and last.year != today.year
                ):
                    continue
                if v.key in done:
                    continue
                picked.append((v, f"hạn {d(last)}, quá {(today - last).days} ngày"))
        elif ent.recurring:
            title = "Các việc thực hiện thường xuyên"
            picked = [(v, "") for v in views if v.assignment.deadline.kind == "recurring"]
        elif ent.no_deadline:
            title = "Các việc không ghi thời hạn cụ thể"
            picked = [(v, "") for v in views if v.assignment.deadline.kind == "none"]
        elif ent.event_deadline:
            title = "Các việc có thời hạn theo sự kiện"
            picked = [(v, "") for v in views if v.assignment.deadline.kind == "event"]
        elif ent.yearly and not ent.dates and not ent.month:
            title = "Các việc có hạn hằng năm"
            picked = [
                (v, f"kỳ tới {d(v.assignment.deadline.next_due(today))}")  # type: ignore[arg-type]
                for v in views
                if v.assignment.deadline.kind == "yearly"
            ]
        else:
            window = self._window(u, today)
            if window is None:
                window = (
                    f"{UPCOMING_DAYS} ngày tới (từ {d(today)} đến {d(today + timedelta(days=UPCOMING_DAYS))})",
                    lambda dl: dl.due_between(today, today + timedelta(days=UPCOMING_DAYS)),
                )
            label, due_fn = window
            title = f"Các việc có hạn trong {label}"
            for v in views:
                dues = due_fn(v.assignment.deadline)
                if dues:
                    left = (dues[0] - today).days
                    when = f"hạn {d(dues[0])}"
                    when += (
                        f", còn {left} ngày"
                        if left > 0
                        else (", hôm nay" if left == 0 else f", đã qua {-left} ngày")
                    )
                    picked.append((v, when))
        if agency_id:
            title += f" của {esc(self.name(agency_id))}"
        ids = list(dict.fromkeys(v.item.id for v, _ in picked))
        if not picked:
            nxt = self._next_deadline(today)
            html = f"{esc(title)}: không có việc nào. {today_line}"
            if nxt and ent.relative in (
                "upcoming",
                "this_month",
                "this_week",
                "next_week",
                "next_month",
            ):
                v, due = nxt
                html += f"\nHạn gần nhất sắp tới: nhiệm vụ {esc(v.item.id)}, {esc(v.assignment.deadline.text)} ({d(due)})."
            return Reply("deadline_tasks", html, agency=self.name(agency_id) if agency_id else None)
        lines = [f"<b>{esc(title)}</b> — {len(ids)} nhiệm vụ. {today_line}"]
        for v, when in picked:
            part = f" (phần {v.assignment.part})" if v.assignment.part else ""
            lines.append(
                f"• <b>{esc(v.item.id)}</b>{esc(part)}: {esc(short_text(v.assignment.task or v.item.text, 90))}"
                f" — {self.who(v.assignment)}; <i>{esc(v.assignment.deadline.text)}</i>"
                + (f" ({esc(when)})" if when else "")
            )
        return Reply(
            "deadline_tasks",
            "\n".join(lines),
            task_ids=ids,
            agency=self.name(agency_id) if agency_id else None,
            buttons=self.item_buttons(ids),
        )

    def _next_deadline(self, today: date) -> tuple[AssignmentView, date] | None:
        best: tuple[AssignmentView, date] | None = None
        for v in self.views():
            nxt = v.assignment.deadline.next_due(today)
            if nxt and (best is None or nxt < best[1]):
                best = (v, nxt)
        return best

    def _done_keys(self, today: date) -> set[str]:
        """Assignments reported done, as /tiendo derives them (one view for both)."""
        from bot.progress.view import State

        if self._store() is None:
            return set()
        finished = (State.DONE_ON_TIME, State.DONE_LATE)
        return {s.key for s in self._view().assignments(today) if s.state in finished}

    # --- search --------------------------------------------------------------

    def search(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        ent = u.entities
        query = esc(u.command_arg or u.text)
        if ent.legal:
            lines = []
            ids: list[str] = []
            for key in ent.legal:
                legal = self.plan.legal_refs[key]
                citing = [
                    i
                    for i in self.plan.items
                    if key in i.refs or any(key in a.refs for a in i.assignments)
                ]
                label = esc(legal.label())
                if key == self.plan.meta.implements or key in self.plan.meta.bases:
                    lines.append(
                        f"{label} ({esc(legal.subject)}) là căn cứ ban hành Kế hoạch {esc(self.plan.meta.number)}."
                    )
                if citing:
                    lines.append(f"<b>{label}</b> ({esc(legal.subject)}) được dẫn tại:")
                    for item in citing:
                        lines.append(self.item_line(item) + f" — {self.who(item.assignments[0])}")
                    ids.extend(i.id for i in citing)
            if lines:
                ids = list(dict.fromkeys(ids))
                return Reply(
                    "search", "\n".join(lines), task_ids=ids, buttons=self.item_buttons(ids)
                )
        hits = u.search.item_ids
        if not hits:
            return Reply(
                "search",
                f"Không tìm thấy nhiệm vụ nào trong Kế hoạch {esc(self.plan.meta.number)} về «{query}». "
                "Thử từ khóa khác, ví dụ: «kiều bào», «ODA», «hội hữu nghị».",
            )
        lines = [f"Các nhiệm vụ liên quan đến «{query}»:"]
        for item_id in hits:
            item = self.items[item_id]
            dls = "; ".join(dict.fromkeys(esc(a.deadline.text) for a in item.assignments))
            lines.append(self.item_line(item) + f" — {self.who(item.assignments[0])}; <i>{dls}</i>")
        return Reply("search", "\n".join(lines), task_ids=hits, buttons=self.item_buttons(hits))

    # --- plan info -----------------------------------------------------------

    def plan_info(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        meta = self.plan.meta
        topics = self.info_topics.find_all(u.tokens) or ["overview"]
        refs = self.plan.legal_refs
        directive = refs[meta.implements]
        blocks: dict[str, Callable[[], str]] = {
            "signer": lambda: (
                f"Kế hoạch {esc(meta.number)} do <b>{esc(meta.signer.name)}</b> ký "
                f"({esc(meta.signer.capacity)}, {esc(meta.signer.position)} {esc(meta.issuer_name)})."
            ),
            "number": lambda: (
                f"Số hiệu: <b>{esc(meta.number)}</b> ({esc(meta.doc_type)}), ban hành ngày {d(meta.issued)}."
            ),
            "issued": lambda: (
                f"Kế hoạch {esc(meta.number)} ban hành ngày <b>{d(meta.issued)}</b> tại {esc(meta.place)}."
            ),
            "effective": lambda: (
                f"Kế hoạch {esc(meta.number)} có hiệu lực từ ngày <b>{d(meta.effective)}</b>."
            ),
            "issuer": lambda: (
                f"Cơ quan ban hành: <b>{esc(meta.issuer_name)}</b>; người ký: {esc(meta.signer.name)}."
            ),
            "directive": lambda: (
                f"Kế hoạch {esc(meta.number)} triển khai <b>{esc(directive.label())}</b> của "
                f"{esc(self.name(directive.issuer)) if directive.issuer else ''} về {esc(directive.subject)}."
            ),
            "bases": lambda: (
                "Căn cứ ban hành:\n"
                + "\n".join(
                    f"• {esc(refs[b].label())}"
                    + (f" của {esc(self.name(refs[b].issuer))}" if refs[b].issuer else "")  # type: ignore[arg-type]
                    for b in meta.bases
                )
            ),
            "recipients": lambda: "Nơi nhận:\n" + "\n".join(f"• {esc(r)}" for r in meta.recipients),
            "purposes": lambda: (
                "Mục đích:\n" + "\n".join(f"• {esc(p)}" for p in self._section_part("I.1"))
            ),
            "requirements": lambda: (
                "Yêu cầu:\n" + "\n".join(f"• {esc(p)}" for p in self._section_part("I.2"))
            ),
            "structure": lambda: (
                f"Kế hoạch có {len(self.plan.items)} mục nhiệm vụ: "
                + ", ".join(esc(i) for i in self.order)
                + f" (phần II gồm {len([g for g in self.plan.groups if g.section == 'II'])} nhóm; phần III: tổ chức thực hiện)."
            ),
            "overview": lambda: (
                f"<b>{esc(meta.doc_type)} {esc(meta.number)}</b> ngày {d(meta.issued)} của {esc(meta.issuer_name)}: "
                f"{esc(' '.join(meta.title.split()))}. Người ký: {esc(meta.signer.name)} "
                f"({esc(meta.signer.capacity)}, {esc(meta.signer.position)}). "
                f"Gồm {len(self.plan.items)} mục nhiệm vụ."
            ),
        }
        html = "\n\n".join(blocks[t]() for t in dict.fromkeys(topics))
        return Reply("plan_info", html)

    def _section_part(self, part_id: str) -> list[str]:
        for section in self.plan.sections:
            for part in section.parts:
                if part.id == part_id:
                    return [" ".join(p.split()) for p in part.points]
        return []

    # --- progress ------------------------------------------------------------

    def ask_item(self, u: Understanding, verb: str, asker: Asker | None) -> Reply:
        ids = self.order
        if asker and asker.agency_id:
            groups = {asker.agency_id, *self.k.agencies[asker.agency_id].member_of}
            ids = [
                i.id
                for i in self.plan.items
                if any(ar.agency in groups for a in i.assignments for ar in a.agencies)
            ]
        html = f"Anh/chị muốn {verb} nhiệm vụ nào? Gõ số mục, ví dụ «2.4», hoặc chọn bên dưới."
        rows = []
        row: list[Button] = []
        for item_id in ids[:16]:
            row.append(Button(item_id, f"v1:pick:{verb[:6]}:{item_id}"))
            if len(row) == 4:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        return Reply(
            "task_detail" if verb == "xem" else u.intent, html, buttons=rows, confidence=0.5
        )

    def parse_update(self, u: Understanding) -> dict[str, Any]:
        """Item, status, percent and note of a progress update message."""
        return parse_update(u)

    def progress_update(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        return progress_update(self.context, u, today, asker)

    def progress_status(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        """Where an item stands (or all items): the same view as /tiendo, from stored updates."""
        refs = [r for r in u.entities.items if r.exists and not r.group]
        if not refs and u.entities.items:
            return self.task_detail(u, today, asker)
        view = self._view()
        if not refs:
            # the overview, with the items as buttons to open one
            picker = self.ask_item(u, "xem tiến độ", asker)
            return Reply("progress_status", view.overview_html(today), buttons=picker.buttons)
        item = self.items[refs[0].id]
        buttons = [[Button("Lịch sử cập nhật", f"v1:hist:{item.id}")]]
        # notes and reporters: approved members and admins (no asker: the operator's CLI)
        notes = asker is None or asker.is_admin or asker.agency_id is not None
        html = view.item_html(item.id, today, notes=notes)
        return Reply("progress_status", html, task_ids=[item.id], buttons=buttons)

    def _store(self) -> ProgressStore | None:
        """The store behind the progress reader (a live reader exposes the open one)."""
        store = getattr(self.progress, "store", self.progress)
        return cast("ProgressStore | None", store)

    def warm_up(self, today: date) -> None:
        """Derive today's progress now (see `ProgressView.warm_up`); nothing without a store."""
        if self._store() is not None:
            self._view().warm_up(today)

    def _view(self) -> ProgressView:
        """One long-lived view of the current store (it keeps what it derived until the
        store changes); a new one when the reader opened another store."""
        from bot.progress.view import ProgressView  # storage code, loaded when first needed

        store = self._store()
        if self._progress_view is None or self._progress_view.store is not store:
            self._progress_view = ProgressView(self.k, store, DEFAULT_TZ)
        return self._progress_view

    # --- help and unknown ----------------------------------------------------

    HELP = (
        "<b>Trợ lý Kế hoạch {number}</b> — tra cứu và theo dõi Kế hoạch triển khai Chỉ thị 12-CT/TW "
        "về công tác đối ngoại nhân dân. Anh/chị có thể hỏi:\n"
        "• Việc của một cơ quan: «Sở Nội vụ phải làm gì?», «SKHĐT chủ trì việc nào?»\n"
        "• Chi tiết một nhiệm vụ: «nhiệm vụ 2.4», «ai phối hợp 4.2?»\n"
        "• Theo thời hạn: «việc nào hạn quý II/2023?», «việc nào sắp đến hạn?», «việc nào quá hạn?»\n"
        "• Theo chủ đề: «kiều bào», «ODA», «Nghị định 58/2022»\n"
        "• Thông tin văn bản: «ai ký kế hoạch?», «mục đích của kế hoạch?»\n"
        "• Báo cáo tiến độ: «/capnhat 2.4 60% đang lấy ý kiến», xem: «/tiendo 2.4»\n"
        "Lệnh: /nhiemvu, /coquan, /han, /timkiem, /tiendo, /capnhat, /help."
    )

    def help(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        return Reply("help", self.HELP.format(number=esc(self.plan.meta.number)))

    def unknown(self, u: Understanding, today: date, asker: Asker | None) -> Reply:
        html = (
            f"Xin lỗi, tôi chưa hiểu câu này hoặc nó nằm ngoài Kế hoạch {esc(self.plan.meta.number)}. "
            "Tôi trả lời được: việc của từng cơ quan, chi tiết nhiệm vụ (vd. «nhiệm vụ 2.4»), "
            "thời hạn, tìm theo chủ đề, thông tin văn bản và tiến độ. Gõ /help để xem hướng dẫn."
        )
        return Reply("unknown", html, confidence=u.scores.confidence)
