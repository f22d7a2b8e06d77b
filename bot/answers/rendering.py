"""Shared pieces of every answer: dates, shortened item texts, item lines, who does an
assignment, deadlines in the plan's words, the source line, item buttons (at most 12, four
a row) and the «which item?» picker. All plan and user text is escaped for Telegram HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.core.reply import Button, Reply, esc, html_to_plain
from bot.plan.deadlines import Deadline
from bot.plan.models import ROLE_LABELS, Assignment, Item
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

REPLY_BUDGET = 680  # characters a reply to one question aims to stay under (as shown)
MAX_ITEM_BUTTONS = 12
MAX_PICKER_BUTTONS = 16
PER_ROW = 4


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


def views(ctx: AnswerContext) -> list[AssignmentView]:
    """Every assignment of the plan, with its item."""
    return [AssignmentView(i, a) for i in ctx.plan.items for a in i.assignments]


def who(ctx: AnswerContext, assignment: Assignment) -> str:
    """ "Sở Nội vụ chủ trì; phối hợp: Sở Tài chính, Công an tỉnh"."""
    lead = assignment.leader()
    others: dict[str, list[str]] = {}
    for ar in assignment.agencies:
        if ar is lead:
            continue
        others.setdefault(ar.role, []).append(ar.agency)
    parts = [f"{esc(ctx.name(lead.agency))} {ROLE_LABELS[lead.role]}"] if lead else []
    for role, ids in others.items():
        parts.append(f"{ROLE_LABELS[role]}: {esc(ctx.agencies_text(ids))}")
    return "; ".join(parts)


def deadline_text(deadline: Deadline, today: date | None = None) -> str:
    text = esc(deadline.text)
    due = deadline.single_due()
    if deadline.kind == "quarter" and due:
        text += f" (đến {d(due)})"
    elif deadline.kind == "yearly" and today:
        nxt = deadline.next_due(today)
        if nxt:
            text += f" (kỳ tới: {d(nxt)})"
    return text


def item_line(item: Item, *, detail: str = "") -> str:
    return f"• <b>{esc(item.id)}</b>{detail}: {esc(short_text(item.text))}"


def rows_of(buttons: list[Button]) -> list[list[Button]]:
    """Buttons four to a row."""
    return [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]


def item_buttons(ids: list[str]) -> list[list[Button]]:
    """Buttons opening the (first twelve distinct) items."""
    shown = list(dict.fromkeys(ids))[:MAX_ITEM_BUTTONS]
    return rows_of(
        [Button(f"Xem {item_id}", action="open_item", args=(item_id,)) for item_id in shown]
    )


def source(ctx: AnswerContext, item: Item) -> str:
    section = ctx.plan.section_of(item)
    where = f"mục {item.id}" if item.id.startswith(f"{section}.") else f"mục {section}.{item.id}"
    return f"<i>Nguồn: Kế hoạch {esc(ctx.plan.meta.number)}, {where}.</i>"


def nearest_items(ctx: AnswerContext, wanted: str) -> list[str]:
    """Items near a number the plan lacks: the same group first, else the closest."""
    head = wanted.split(".")[0]
    same_group = [i for i in ctx.order if i.split(".")[0] == head and i != wanted]
    if same_group:
        return same_group[:4]

    def position(item_id: str) -> float:
        """Numbered items by their number; a Roman section's after them («III.2» → 102)."""
        head, dot, rest = item_id.partition(".")
        if dot and head.isalpha():
            return 100.0 + float(rest or 0)
        return float(item_id)

    def distance(item_id: str) -> float:
        try:
            return abs(position(wanted) - position(item_id))
        except ValueError:
            return 1000.0

    return sorted(ctx.order, key=distance)[:3]


def ask_item(ctx: AnswerContext, u: Understanding, verb: str, asker: Asker | None) -> Reply:
    """«Anh/chị muốn {verb} nhiệm vụ nào?» with the items to pick (the asker's agency's, if known)."""
    ids = ctx.order
    if asker and asker.agency_id:
        groups = {asker.agency_id, *ctx.k.agencies[asker.agency_id].member_of}
        ids = [
            i.id
            for i in ctx.plan.items
            if any(ar.agency in groups for a in i.assignments for ar in a.agencies)
        ]
    html = f"Anh/chị muốn {verb} nhiệm vụ nào? Gõ số mục, ví dụ «2.4», hoặc chọn bên dưới."
    rows = rows_of(
        [
            Button(item_id, action="pick", args=(verb, item_id))
            for item_id in ids[:MAX_PICKER_BUTTONS]
        ]
    )
    return Reply("task_detail" if verb == "xem" else u.intent, html, buttons=rows, confidence=0.5)


def fit(lines: list[str], budget: int = REPLY_BUDGET) -> tuple[str, str | None]:
    """The reply's lines cut to about `budget` characters as shown: the first line (the
    answer) always, then whole lines while they fit, then «… còn N dòng nữa»; with the
    full text as the second value when anything was cut (shown by «Xem tất cả»/«thêm»)."""
    full = "\n".join(lines)
    if len(html_to_plain(full)) <= budget or len(lines) < 2:
        return full, None
    out = [lines[0]]
    used = len(html_to_plain(lines[0]))
    for i, line in enumerate(lines[1:], 1):
        size = len(html_to_plain(line)) + 1
        if used + size > budget - 60:
            rest = sum(1 for x in lines[i:] if x.strip())
            out.append(f"<i>… còn {rest} dòng nữa (Xem tất cả).</i>")
            return "\n".join(out), full
        out.append(line)
        used += size
    return full, None
