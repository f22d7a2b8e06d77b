"""The `agency_tasks` intent: what the plan gives one agency (or up to four), in a role or
all of them, with the tasks its groups share; an agency the plan does not name is said so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.plan_queries import (
    agency_block,
    best_part,
    deadline_of,
    engine,
    holders_of,
    issuer_answer,
    joint_items,
    role_in_items,
    who_toward,
)
from bot.answers.registry import register
from bot.answers.rendering import fit, item_buttons
from bot.core.reply import Reply, esc
from bot.nlu.query import plan_query
from bot.plan.agencies import ASSIGNABLE
from bot.plan.models import ROLE_LABELS, Item
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


def group_items(ctx: AnswerContext, group_ids: list[str]) -> list[Item]:
    return [
        item
        for item in ctx.plan.items
        if any(ar.agency in group_ids for a in item.assignments for ar in a.agencies)
    ]


# words that point a question at a topic («về», «với», «đối với», «liên quan»)
ABOUT = frozenset({"ve", "voi", "lien", "quan"})
ABOUT_REACH = 10  # tokens from the end where that word must be
NEAR = 0.85  # a second topic item scores at least this share of the first
# words that say a predecessor is named as context («sau khi hợp nhất», «nhận … từ»)
CHANGE_WORDS = frozenset({"sau", "nhan", "hop", "nhat", "sap", "nhap", "thay", "tiep", "tu"})


@register("agency_tasks", reading="các nhiệm vụ của {agency}", question="{agency} phải làm gì?")
def agency_tasks(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    q = plan_query(u, today, ctx.plan.meta.issued.year)
    targets = list(q.agencies)
    if not targets and u.agency is not None and u.agency.agency.kind in ASSIGNABLE:
        targets = [u.agency.agency.id]
    if not targets and asker and asker.agency_id:
        targets = [asker.agency_id]
    if not targets and u.agency is not None and u.agency.agency.kind == "province":
        # "UBND tỉnh Lâm Đồng có nhiệm vụ gì?": the issuer, or the body that succeeded it
        return issuer_answer(ctx, u.agency.agency.id, today, "agency_tasks")
    if not targets:
        return _unknown_agency(ctx, u)
    if len(targets) == 2:
        # "UBND huyện HTB": a group named with one of its members means the member
        for group, member in (targets, targets[::-1]):
            if group in ctx.k.agencies[member].member_of:
                targets = [member]
                break
    if len(targets) == 2 and CHANGE_WORDS & set(u.tokens):
        # "Sau khi hợp nhất với Sở KH&ĐT, Sở Tài chính phải làm gì?": the predecessor named
        # beside its successor is context, not a second agency asked about
        timeline = ctx.k.timeline
        for old, new in (targets, targets[::-1]):
            if any(a == new for a, _, _ in timeline.successors(old, today)):
                targets = [new]
                q = replace(q, join="any", partner=None)
                break
    q = replace(q, agencies=tuple(targets))
    if q.partner or (q.join == "all" and len(targets) > 1):
        return joint_items(ctx, q, today)
    items = [ctx.items[i] for i in q.items if i in ctx.items]
    part = None
    if u.entities.legal:  # "… việc thực hiện Nghị định 114": the items citing it, first
        cited = [
            i.id
            for i in ctx.plan.items
            if set(u.entities.legal) & {*i.refs, *(r for a in i.assignments for r in a.refs)}
        ]
        q = replace(q, topic=tuple(cited) or q.topic)
    topical = q.asked in ("role", "who", "when") or (q.asked == "yesno" and bool(q.roles))
    # «làm gì về kinh phí», «vai trò với vốn ODA»: the word near the end, before the topic
    about = bool(ABOUT & set(u.tokens[-ABOUT_REACH:]))
    if not items and q.topic and (topical or (about and q.asked == "items" and not q.roles)):
        # the topic's items that name the agency (a second one only when it scores nearly
        # as well: «vốn ODA» is 4.2 and 4.3), else the best item
        held = {r.item.id for r in engine(ctx).rows_of(targets[0], groups=False)}
        scores = dict(u.search.hits)
        named = [i for i in q.topic if i in held]
        if named:
            top = scores.get(named[0], 0.0)
            # «chủ trì hay phối hợp trong việc …» asks of one task: the best one only
            keep = 1 if u.cues.role_choice else 2
            named = [i for i in named[:keep] if scores.get(i, top) >= NEAR * top]
        if named or topical:
            items = [ctx.items[i] for i in (named or q.topic[:1])]
            part = best_part(items[0], u.tokens) if len(items) == 1 else None
    if not items and q.asked == "who" and len(targets) == 1 and (q.asked_roles or q.roles):
        return who_toward(ctx, q, targets[0], today)  # "ai chỉ đạo các cơ quan báo chí?"
    if items and len(targets) == 1:
        if q.asked == "who":
            return holders_of(ctx, q, items[0], today, intent="agency_tasks")
        if q.asked == "when":
            return deadline_of(ctx, items[0], today, intent="agency_tasks")
        return role_in_items(ctx, q, targets[0], items, today, part=part)
    blocks: list[str] = []
    task_ids: list[str] = []
    general_ids: list[str] = []
    inherited: list[str] = []
    for agency_id in targets[:4]:
        html, direct_ids, group_ids, taken_ids = agency_block(ctx, q, agency_id, today)
        blocks.append(html)
        inherited += taken_ids
        task_ids += direct_ids if q.roles else direct_ids + group_ids
        general_ids += group_ids
    task_ids = list(dict.fromkeys(task_ids))
    html, full = fit("\n\n".join(blocks).split("\n"))
    reply = Reply(
        "agency_tasks",
        html,
        agency=" và ".join(ctx.name(a) for a in targets[:4]),
        agency_id=targets[0],
        task_ids=task_ids,
        general_task_ids=list(dict.fromkeys(general_ids)),
        inherited_task_ids=list(dict.fromkeys(inherited)),
        role=q.roles[0] if q.roles else None,
        buttons=item_buttons(task_ids),
    )
    if full:
        reply.more = full
    return reply


def _unknown_agency(ctx: AnswerContext, u: Understanding) -> Reply:
    """No known agency in the message: say so, naming what was typed if it looks like one."""
    typed = u.unknown_agency  # as typed: "Sở Ngoại vụ"
    named = sorted(
        {
            ctx.name(ar.agency)
            for item in ctx.plan.items
            for assignment in item.assignments
            for ar in assignment.agencies
        }
    )
    hint = "Các cơ quan được giao việc: " + esc(", ".join(named)) + "."
    if typed:
        html = f"Kế hoạch {esc(ctx.plan.meta.number)} không nhắc tới «{esc(typed)}»."
        # a department of the province still shares the tasks given to all departments
        groups = [
            a.id
            for a in ctx.k.agencies.values()
            if a.is_group and typed.split()[0].lower() in a.name.lower().replace(",", " ").split()
        ]
        general = group_items(ctx, groups) if groups else []
        if general:
            shares = "; ".join(_group_share(item, groups) for item in general)
            html += (
                f" Nếu đây là một cơ quan của tỉnh, cơ quan này cùng thực hiện các nhiệm vụ giao"
                f" chung cho «{esc(ctx.agencies_text(groups))}»: {shares}."
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


def _group_share(item: Item, groups: list[str]) -> str:
    """ "3.2 (phối hợp, Thường xuyên)": a group's role and deadline in an item."""
    roles = []
    for a in item.assignments:
        for ar in a.agencies:
            if ar.agency in groups:
                roles.append(ROLE_LABELS[ar.role])
    role = ", ".join(dict.fromkeys(roles))
    return f"<b>{esc(item.id)}</b> ({role}; {esc(_deadline_of_group(item, groups))})"


def _deadline_of_group(item: Item, groups: list[str]) -> str:
    return "; ".join(
        dict.fromkeys(
            a.deadline.text
            for a in item.assignments
            if any(ar.agency in groups for ar in a.agencies)
        )
    )
