"""The `agency_tasks` intent: what the plan gives one agency (or up to four), in a role or
all of them, with the tasks its groups share; an agency the plan does not name is said so.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.answers.rendering import item_buttons, item_line
from bot.core.reply import Reply, esc
from bot.plan.models import ROLE_LABELS, Agency, Item
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


def agency_items(
    ctx: AnswerContext, agency_id: str, role: str | None = None
) -> list[tuple[Item, list[str]]]:
    """Items naming the agency directly, with its roles (filtered by `role`)."""
    out = []
    for item in ctx.plan.items:
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


def group_items(ctx: AnswerContext, group_ids: list[str]) -> list[Item]:
    return [
        item
        for item in ctx.plan.items
        if any(ar.agency in group_ids for a in item.assignments for ar in a.agencies)
    ]


@register("agency_tasks", reading="các nhiệm vụ của {agency}", question="{agency} phải làm gì?")
def agency_tasks(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    from bot.plan.agencies import ASSIGNABLE

    targets = list(dict.fromkeys(m.agency.id for m in u.agencies if m.agency.kind in ASSIGNABLE))
    if not targets and u.agency is not None:
        targets = [u.agency.agency.id]
    if not targets and asker and asker.agency_id:
        targets = [asker.agency_id]
    if not targets:
        return _unknown_agency(ctx, u)
    role = next(
        (r for r in u.entities.roles if r in ("chu_tri", "phoi_hop", "tham_muu", "chi_dao")),
        None,
    )
    blocks: list[str] = []
    task_ids: list[str] = []
    general_ids: list[str] = []
    for agency_id in targets[:4]:
        html, direct_ids, group_ids = _agency_block(ctx, ctx.k.agencies[agency_id], role)
        blocks.append(html)
        task_ids += direct_ids if role else direct_ids + group_ids
        general_ids += group_ids
    task_ids = list(dict.fromkeys(task_ids))
    return Reply(
        "agency_tasks",
        "\n\n".join(blocks),
        agency=" và ".join(ctx.name(a) for a in targets[:4]),
        agency_id=targets[0],
        task_ids=task_ids,
        general_task_ids=list(dict.fromkeys(general_ids)),
        role=role,
        buttons=item_buttons(task_ids),
    )


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


def _agency_block(
    ctx: AnswerContext, agency: Agency, role: str | None
) -> tuple[str, list[str], list[str]]:
    """One agency's share of the plan: (html, direct item ids, group item ids)."""
    direct = agency_items(ctx, agency.id, role)
    groups = list(agency.member_of)
    general = [] if agency.is_group else group_items(ctx, groups)
    lines: list[str] = []
    name = esc(agency.name)
    role_label = ROLE_LABELS[role] if role else ""
    number = esc(ctx.plan.meta.number)
    if direct:
        head = f"<b>{name}</b> {role_label + ' ' if role else 'được giao '}{len(direct)} nhiệm vụ"
        head += " trong Kế hoạch " + number + ":"
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
            lines.append(item_line(item, detail=f" ({rl})") + f" — <i>{due}</i>")
    elif role:
        lines.append(f"<b>{name}</b> không {role_label} nhiệm vụ nào trong Kế hoạch {number}.")
        others = agency_items(ctx, agency.id)
        if others:
            lines.append(
                "Các nhiệm vụ có tên cơ quan này: "
                + "; ".join(
                    f"{esc(i.id)} ({', '.join(ROLE_LABELS[r] for r in rs)})" for i, rs in others
                )
                + "."
            )
    else:
        lines.append(f"Kế hoạch {number} không giao nhiệm vụ đích danh cho <b>{name}</b>.")
    general_ids = [i.id for i in general]
    if general and not role:
        group_names = esc(ctx.agencies_text(groups))
        shown = [_group_share(item, groups) for item in general]
        lines.append(
            f"\nNhiệm vụ giao chung cho «{group_names}» (gồm cả {name}): " + "; ".join(shown) + "."
        )
    elif general and role:
        lines.append(
            f"\n(Các nhiệm vụ giao chung cho «{esc(ctx.agencies_text(groups))}»: {esc(', '.join(general_ids))}.)"
        )
    return "\n".join(lines), [i.id for i, _ in direct], general_ids


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
