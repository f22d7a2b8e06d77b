"""The `task_detail` intent: one item of the plan in full (agencies, deadlines, cited
documents, source), or what was asked of it (its lead, a role, its deadline); a group's
items; nearby items when the plan lacks the number.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.plan_queries import (
    deadline_of,
    holders_of,
    overdue_verdict,
    reports_of,
    role_in_items,
)
from bot.answers.registry import register
from bot.answers.rendering import (
    ask_item,
    deadline_text,
    fit,
    item_buttons,
    item_line,
    nearest_items,
    short_text,
    source,
    who,
)
from bot.core.reply import Reply, esc
from bot.core.text import fold
from bot.nlu.intent_registry import load_intents
from bot.nlu.query import plan_query
from bot.plan.models import ROLE_LABELS, Item
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


@register("task_detail", reading="nội dung nhiệm vụ {item}", question="nhiệm vụ {item}")
def task_detail(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    refs = u.entities.items
    if not refs:
        return ask_item(ctx, u, "xem", asker)
    existing = [r for r in refs if r.exists]
    if not existing:
        wanted = refs[0].id
        near = nearest_items(ctx, wanted)
        html = (
            f"Kế hoạch {esc(ctx.plan.meta.number)} không có nhiệm vụ {esc(wanted)}. "
            f"Các mục gần nhất: {esc(', '.join(near))}. "
            f"Kế hoạch có các mục: {esc(', '.join(ctx.order))}."
        )
        return Reply("task_detail", html, buttons=item_buttons(near))
    ref = existing[0]
    if ref.group:
        return group_detail(ctx, ref.id, today)
    item = ctx.items[ref.id]
    focus = detail_focus(ctx, u)
    q = plan_query(u, today, ctx.plan.meta.issued.year)
    items = [ctx.items[r.id] for r in existing if not r.group and r.id in ctx.items]
    if q.agencies and q.asked not in ("who", "when", "count"):
        # "Sở KH&ĐT ở 2.1 là gì?", "Công an tỉnh có phối hợp ở 2.4 không?"
        return role_in_items(ctx, q, q.agencies[0], items, today, intent="task_detail")
    if focus == "reports_to":  # "III.1 báo cáo gửi về đâu?"
        return reports_of(ctx, item, today)
    if q.asked in ("who", "count") or focus in ("who", *ROLE_LABELS):
        if focus in ROLE_LABELS and not q.asked_roles:
            q = replace(q, asked_roles=(focus,))
        return holders_of(ctx, q, item, today)
    if u.entities.relative == "overdue":  # "nhiệm vụ 2.4 hết hạn chưa?"
        return deadline_of(ctx, item, today, verdict=overdue_verdict(item, today))
    if q.deadline is not None and u.cues.yes_no:  # "2.4 có phải làm thường xuyên không?"
        held = any(q.deadline.dues(a.deadline) for a in item.assignments)
        return deadline_of(ctx, item, today, verdict="Có." if held else "Không.")
    if q.asked == "when" or focus == "deadline":
        return deadline_of(ctx, item, today)
    html, cut = fit(item_summary(ctx, item, today))
    agency = u.agency.agency.name if u.agency else None
    reply = Reply(
        "task_detail",
        html,
        task_ids=[r.id for r in existing if not r.group],
        agency=agency,
    )
    if cut or len(item.text) > SUMMARY_TEXT:  # the whole text and every qualifier
        reply.more = render_item(ctx, item, today, focus)
    return reply


SUMMARY_TEXT = 260  # characters of an item's text in its summary (the full text: «Xem tất cả»)


def item_summary(ctx: AnswerContext, item: Item, today: date) -> list[str]:
    """An item in a few lines: who and when first, its text, each part, the documents it
    cites (by number) and the source."""
    multi = len(item.assignments) > 1
    deadlines = list(dict.fromkeys(deadline_text(a.deadline, today) for a in item.assignments))
    leads = [
        f"{esc(ctx.name(ld.agency))} {ROLE_LABELS[ld.role]}"
        for a in item.assignments
        if (ld := item.leader_of(a)) is not None
    ]
    if multi:
        lines = [
            f"<b>Nhiệm vụ {esc(item.id)}</b> ({len(item.assignments)} phần; thời hạn:"
            f" {'; '.join(deadlines)})."
        ]
    else:
        holders = "; ".join(dict.fromkeys(leads)) or who(ctx, item.assignments[0])
        lines = [f"<b>Nhiệm vụ {esc(item.id)}</b> — {holders}; thời hạn: {'; '.join(deadlines)}."]
    lines.append(esc(short_text(item.text, SUMMARY_TEXT)))
    for a in item.assignments:
        head = f"{esc(item.assignment_key(a))}" + (
            f" ({esc(short_text(a.task, 60))})" if a.task else ""
        )
        if multi:
            lines.append(f"• {head}: {who(ctx, a)} — <i>{deadline_text(a.deadline, today)}</i>")
        elif len(a.agencies) > 1:
            lines.append(f"• Cơ quan: {who(ctx, a)}")
    refs = list(dict.fromkeys([*item.refs, *(r for a in item.assignments for r in a.refs)]))
    if refs:
        numbers = ", ".join(
            f"{ctx.plan.legal_refs[r].kind} {ctx.plan.legal_refs[r].number}" for r in refs
        )
        lines.append(f"• Văn bản dẫn chiếu: {esc(numbers)}")
    lines.append(source(ctx, item))
    return lines


def focus_words(ctx: AnswerContext) -> dict[str, list[frozenset[str]]]:
    """The `focus` of intents/vi/task_detail.yaml: per focus, the word sets that ask it."""

    def load() -> dict[str, list[frozenset[str]]]:
        focus = load_intents(ctx.intents_dir).intents["task_detail"].focus
        return {
            name: [frozenset(fold(word) for word in words) for words in entries]
            for name, entries in focus.items()
        }

    return ctx.cached("task_detail.focus", load)


def detail_focus(ctx: AnswerContext, u: Understanding) -> str | None:
    """What the question asks of the item: a role, a focus of task_detail.yaml ("deadline",
    "who": every word of one of its entries is in the message), or None (all of it)."""
    if u.entities.roles:
        return u.entities.roles[0]
    toks = set(u.tokens)
    for name, entries in focus_words(ctx).items():
        if any(words <= toks for words in entries):
            return name
    return None


def render_item(ctx: AnswerContext, item: Item, today: date, focus: str | None = None) -> str:
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
                f"{label} nhiệm vụ {esc(item.id)}: <b>{esc(ctx.agencies_text(found))}</b>."
            )
        else:
            lines.append(f"Nhiệm vụ {esc(item.id)} không ghi cơ quan {ROLE_LABELS[focus]}.")
    elif focus == "deadline":
        texts = {deadline_text(a.deadline, today) for a in item.assignments}
        if len(texts) == 1:
            lines.append(f"Thời hạn nhiệm vụ {esc(item.id)}: <b>{texts.pop()}</b>.")
        else:  # parts with their own deadlines: say which is which
            per_part = "; ".join(
                f"{esc(item.assignment_key(a))} ({esc(ctx.name(a.lead().agency))}): "
                f"<b>{deadline_text(a.deadline, today)}</b>"
                for a in item.assignments
            )
            lines.append(f"Thời hạn nhiệm vụ {esc(item.id)}: {per_part}.")
    elif focus == "who":
        leads = [a.lead().agency for a in item.assignments]
        lines.append(
            f"Nhiệm vụ {esc(item.id)} do <b>{esc(ctx.agencies_text(leads))}</b> thực hiện chính."
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
        lines.append(f"• {prefix}Cơ quan: {who(ctx, a)}")
        for ar in a.agencies:
            if ar.qualifier:
                lines.append(f"  ({esc(ctx.name(ar.agency))}: {esc(ar.qualifier)})")
        lines.append(f"• Thời hạn: {deadline_text(a.deadline, today)}")
    general = general_groups(ctx, item)
    if general:
        lines.append(f"• Giao chung cho: {esc(ctx.agencies_text(general))}")
    refs = list(dict.fromkeys([*item.refs, *(r for a in item.assignments for r in a.refs)]))
    if refs:
        lines.append(
            "• Văn bản dẫn chiếu: " + "; ".join(esc(ctx.plan.legal_refs[r].label()) for r in refs)
        )
    lines.append(source(ctx, item))
    return "\n".join(lines)


def general_groups(ctx: AnswerContext, item: Item) -> list[str]:
    """The groups of agencies ("các sở, ban, ngành") an item is given to."""
    return [
        ar.agency
        for a in item.assignments
        for ar in a.agencies
        if ctx.k.agencies[ar.agency].is_group
    ]


def group_detail(ctx: AnswerContext, group_id: str, today: date) -> Reply:
    group = next(g for g in ctx.plan.groups if g.id == group_id)
    lines = [f"<b>Nhóm nhiệm vụ {esc(group.id)}</b>: {esc(group.title)}"]
    for item in group.items:
        lead = ", ".join(dict.fromkeys(ctx.name(a.lead().agency) for a in item.assignments))
        lines.append(item_line(item) + f" — <i>{esc(lead)}</i>")
    ids = [i.id for i in group.items]
    return Reply("task_detail", "\n".join(lines), task_ids=ids, buttons=item_buttons(ids))
