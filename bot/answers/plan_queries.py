"""Renderers of plan queries: the engine's rows (`bot.plan.query`) shaped by what was asked.

Each reply puts the answer in its first line («Sở Nội vụ <b>chủ trì</b> ở nhiệm vụ 2.4 (…)»,
«Có. …», «Sở Nội vụ có <b>3</b> nhiệm vụ …»), then a few short lines of detail and the
source. Shapes: an agency's role in items (`role_in_items`), who holds an item
(`holders_of`), an item's deadline (`deadline_of`), an agency's items (`agency_block`, with
its count and a yes/no), several agencies together (`joint_items`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from bot.answers.context import AnswerContext
from bot.answers.rendering import deadline_text, item_buttons, short_text, source
from bot.core.reply import Reply, esc
from bot.nlu.lexicon import phrase_tokens
from bot.plan.models import ROLE_LABELS, Assignment, Item
from bot.plan.query import PlanQuery, QueryEngine, Row
from bot.plan.successions import Inheritance

SHORT = 70  # characters of a task's text on a detail line
_ROLE_TOKENS = frozenset(t for label in ROLE_LABELS.values() for t in phrase_tokens(label))


def engine(ctx: AnswerContext) -> QueryEngine:
    """The plan's one query engine (built when first needed)."""
    return ctx.cached("plan_queries.engine", lambda: QueryEngine(ctx.plan, ctx.k.agencies))


def roles_text(roles: Iterable[str]) -> str:
    return ", ".join(ROLE_LABELS[r] for r in dict.fromkeys(roles))


def task_of(row_item: Item, assignment: Assignment) -> str:
    """What an assignment asks, in a few words: its part's task, else the item's text."""
    return short_text(assignment.task or row_item.text, SHORT)


def _key(item: Item, assignment: Assignment) -> str:
    return item.assignment_key(assignment) if len(item.assignments) > 1 else item.id


def _lead_note(ctx: AnswerContext, item: Item, assignment: Assignment, agency: str) -> str:
    """ "(Sở Nội vụ chủ trì)", or the coordinators when `agency` leads."""
    lead = item.leader_of(assignment)
    if lead and lead.agency != agency:
        return f" ({esc(ctx.name(lead.agency))} {roles_text(lead.roles[:1])})"
    others = [ar.agency for ar in assignment.agencies if ar.agency != agency and ar.has("phoi_hop")]
    return f" (phối hợp: {esc(ctx.agencies_text(others))})" if others else ""


def _items_named(rows: list[Row]) -> list[str]:
    return list(dict.fromkeys(r.item.id for r in rows))


def _per_item_roles(rows: list[Row]) -> dict[str, tuple[list[str], list[Row]]]:
    """item id → (the roles, the rows) in plan order."""
    out: dict[str, tuple[list[str], list[Row]]] = {}
    for r in rows:
        roles, rs = out.setdefault(r.item.id, ([], []))
        roles.extend(x for x in r.roles if x not in roles)
        rs.append(r)
    return out


def _keys(rows: list[Row]) -> str:
    """ "2.4", or the parts "6b" when the agency holds only some parts of an item."""
    keys: list[str] = []
    for item_id, (_, rs) in _per_item_roles(rows).items():
        item = rs[0].item
        if len(item.assignments) > 1 and len(rs) < len(item.assignments):
            keys.extend(_key(item, r.assignment) for r in rs)
        else:
            keys.append(item_id)
    return ", ".join(dict.fromkeys(keys))


def _compact(rows: list[Row]) -> str:
    """ "2.4 (chủ trì, thực hiện), 3.1a (thực hiện), 6b (phối hợp)"; an agency leading a
    part without the word "chủ trì" is said to be the one agency given it."""
    parts = []
    for _, (roles, rs) in _per_item_roles(rows).items():
        text = roles_text(roles)
        if "chu_tri" not in roles and any(r.leads and r.via is None for r in rs):
            text += ", đầu mối"
        parts.append(f"<b>{esc(_keys(rs))}</b> ({text})")
    return ", ".join(parts)


def _detail_lines(ctx: AnswerContext, rows: list[Row], today: date, limit: int = 8) -> list[str]:
    lines = []
    for r in rows[:limit]:
        lines.append(
            f"• <b>{esc(_key(r.item, r.assignment))}</b>: {esc(task_of(r.item, r.assignment))}"
            f" — <i>{deadline_text(r.assignment.deadline, today)}</i>"
        )
    if len(rows) > limit:
        lines.append(f"… và {len(rows) - limit} việc khác.")
    return lines


def _role_reply(
    ctx: AnswerContext,
    intent: str,
    lines: list[str],
    agency: str,
    items: list[Item],
    today: date,
    asked_role: str | None,
    *,
    inherited: bool = False,
) -> Reply:
    """An agency's part in items: the answer's `lines`, then what the items ask and the
    source; `inherited` when it holds them through an agency it took over from."""
    ids = [i.id for i in items]
    return Reply(
        intent,
        "\n".join([*lines, *_about_items(ctx, items, today)]),
        agency=ctx.name(agency),
        agency_id=agency,
        task_ids=ids,
        inherited_task_ids=ids if inherited else [],
        role=asked_role,
        buttons=item_buttons(ids),
    )


def _about_items(ctx: AnswerContext, items: list[Item], today: date) -> list[str]:
    """The short lines after an answer: what the (first two) items ask, by when, and the
    source."""
    lines = [
        f"Nhiệm vụ {esc(item.id)}: {esc(short_text(item.text, 90))} — "
        + "; ".join(dict.fromkeys(deadline_text(a.deadline, today) for a in item.assignments))
        + "."
        for item in items[:2]
    ]
    return [*lines, source(ctx, items[0])]


# --------------------------------------------------------------------------- an agency's role


def role_in_items(
    ctx: AnswerContext,
    q: PlanQuery,
    agency: str,
    items: list[Item],
    today: date,
    intent: str = "agency_tasks",
    part: Assignment | None = None,
) -> Reply:
    """ "Văn phòng UBND tỉnh <b>chủ trì, tham mưu</b> ở nhiệm vụ 2.1 (phối hợp: …)." — or
    "Có./Không." first when a role is asked with yes or no; `part`: the part of a
    multi-part item the question's words are about ("kinh phí": 6c)."""
    name = esc(ctx.name(agency))
    every = [r for r in engine(ctx).rows_of(agency) if r.item in items]
    taken = [
        (inheritance, r)
        for inheritance, rs in inherited_rows(ctx, agency, today)
        for r in rs
        if r.item in items and (part is None or r.assignment is part)
    ]
    if taken and not [r for r in every if r.via is None]:
        # today it holds these through the agency it took over from: answer with theirs
        return _inherited_role(ctx, q, agency, items, today, intent, taken)
    rows = [r for r in every if part is None or r.assignment is part]
    direct = [r for r in rows if r.via is None]
    ids = [i.id for i in items]
    where = "nhiệm vụ " + esc(", ".join(ids))
    if part is not None:
        where = f"phần {esc(items[0].assignment_key(part))}"
        if part.task:
            where += f" ({esc(short_text(part.task, 50))})"
    asked_role = q.roles[0] if q.roles else None
    lines: list[str] = []
    if direct:
        roles = [x for r in direct for x in r.roles]
        first = f"<b>{name}</b> <b>{roles_text(roles)}</b> ở {where}"
        quals = [
            ar.qualifier
            for r in direct
            for ar in r.assignment.agencies
            if ar.agency == agency and ar.qualifier
        ]
        if quals:  # the text's own words for its part: "theo dõi, đôn đốc, …"
            first += f" ({esc(quals[0])})"
        first += _lead_note(ctx, direct[0].item, direct[0].assignment, agency) + "."
        if (
            part is None
            and len({_key(r.item, r.assignment) for r in direct})
            < sum(len(i.assignments) for i in items)
            and any(len(i.assignments) > 1 for i in items)
        ):
            first = first[:-1] + f" — phần {esc(_keys(direct))}."
    elif rows:
        groups = list(dict.fromkeys(r.via for r in rows if r.via))
        roles = [x for r in rows for x in r.roles]
        first = (
            f"<b>{name}</b> không được nêu tên riêng ở {where}; cơ quan này tham gia với tư cách"
            f" thành viên «{esc(ctx.agencies_text(groups))}»: <b>{roles_text(roles)}</b>"
        )
        qualifiers = [
            ar.qualifier
            for r in rows
            for ar in r.assignment.agencies
            if ar.agency == r.via and ar.qualifier
        ]
        first += f" ({esc(qualifiers[0])})." if qualifiers else "."
    else:
        roles = []
        leads = [
            lead.agency
            for i in items
            for a in i.assignments
            if (lead := i.leader_of(a)) is not None
        ]
        if part is not None:
            lead = items[0].leader_of(part)
            leads = [lead.agency] if lead else []
        first = f"<b>{name}</b> không có tên ở {where}"
        first += f" ({esc(ctx.agencies_text(leads))} phụ trách)." if leads else "."
        elsewhere = [r for r in every if r.via is None]
        if elsewhere:
            first += f" Ở nhiệm vụ này, {name} {_compact(elsewhere)}."
    if q.asked == "yesno" and not asked_role:  # "Sở X có thực hiện nhiệm vụ 2.3 không?"
        first = ("Có. " if rows else "Không. ") + first
    if q.asked == "yesno" and asked_role:
        yes = asked_role in roles
        first = ("Có. " if yes else "Không. ") + first
        if not yes and roles:
            first = first.replace(
                f"<b>{name}</b>", f"<b>{name}</b> không {ROLE_LABELS[asked_role]} mà", 1
            )
    lines.append(first)
    return _role_reply(ctx, intent, lines, agency, items, today, asked_role)


# --------------------------------------------------------------------------- who holds an item


def best_part(item: Item, tokens: Iterable[str]) -> Assignment | None:
    """The part of a multi-part item whose own words share most with the message ("ai lo
    kinh phí" → 6c); None for a one-part item or when no part stands out."""
    if len(item.assignments) < 2:
        return None
    wanted = set(tokens) - _ROLE_TOKENS  # "chủ trì hay phối hợp" says nothing of the part
    scored = [
        (len(wanted & set(phrase_tokens((a.task or "") + " " + a.source_text))), a)
        for a in item.assignments
    ]
    scored.sort(key=lambda x: -x[0])
    return scored[0][1] if scored[0][0] > scored[1][0] else None


def holders_of(
    ctx: AnswerContext,
    q: PlanQuery,
    item: Item,
    today: date,
    intent: str = "task_detail",
    part: Assignment | None = None,
) -> Reply:
    """ "Chủ trì nhiệm vụ 2.4: <b>Sở Nội vụ</b> (phối hợp: …)." and, asked how many, the count
    first; a multi-part item names the part each holder has."""
    roles = q.asked_roles
    rows = [r for r in engine(ctx).holders(item, roles) if part is None or r.assignment is part]
    exclude = set(q.agencies) if roles else set()
    rows = [r for r in rows if r.agency not in exclude] or rows
    lines: list[str] = []
    iid = esc(item.id)
    if not rows:
        lines.append(
            f"Nhiệm vụ {iid} không ghi cơ quan {roles_text(roles)}."
            if roles
            else f"Nhiệm vụ {iid} không ghi cơ quan thực hiện."
        )
        leads = [ld.agency for a in item.assignments if (ld := item.leader_of(a))]
        if leads:
            lines.append(f"Cơ quan phụ trách: <b>{esc(ctx.agencies_text(leads))}</b>.")
    else:
        label = roles_text(roles).capitalize() if roles else "Thực hiện"
        explicit = [r for r in rows if not roles or set(roles) & set(r.roles)]
        if roles and not explicit:  # "ai chủ trì 2.3": the text names no chủ trì, only who does it
            lines.append(
                f"Nhiệm vụ {iid} không ghi cơ quan {roles_text(roles)}; cơ quan thực hiện:"
                f" <b>{esc(ctx.agencies_text(r.agency for r in rows))}</b>."
            )
        else:
            multi = len(item.assignments) > 1
            if not roles and q.asked != "count":  # "ai làm?": who leads; "mấy cơ quan": all
                rows = [r for r in rows if r.leads] or rows
            named = [r for r in rows if not ctx.k.agencies[r.agency].is_group]
            groups = [r for r in rows if ctx.k.agencies[r.agency].is_group]
            if q.asked == "count" and named:
                doing = roles_text(roles) or "có tên"
                head = f"<b>{len(named)}</b> cơ quan {doing} ở nhiệm vụ {iid}: "
            else:
                head = f"{label} nhiệm vụ {iid}: "
            shown = named or groups
            parts = []
            for r in shown:
                part_key = f" (phần {esc(_key(item, r.assignment))})" if multi else ""
                held = "" if roles else " " + roles_text(r.roles)
                today_name = esc(now_held_by(ctx, r.agency, today))
                parts.append(f"<b>{esc(ctx.name(r.agency))}</b>{today_name}{held}{part_key}")
            if not roles and q.asked != "count":
                head = f"Nhiệm vụ {iid}: "
            if not roles and q.asked == "count":
                parts = [f"{esc(ctx.name(r.agency))} ({roles_text(r.roles)})" for r in shown]
            first = head + ", ".join(dict.fromkeys(parts))
            if named and groups:
                first += "; cùng " + esc(ctx.agencies_text(r.agency for r in groups))
                quals = [
                    ar.qualifier
                    for r in groups
                    for ar in r.assignment.agencies
                    if ar.agency == r.agency and ar.qualifier
                ]
                first += f" ({esc(quals[0])})" if quals else ""
            lines.append(first + ".")
            if roles != ("phoi_hop",):
                a = shown[0].assignment
                coord = [
                    ar.agency
                    for ar in a.agencies
                    if ar.has("phoi_hop") and ar.agency not in {r.agency for r in shown}
                ]
                if coord:
                    lines.append(f"Phối hợp: {esc(ctx.agencies_text(coord))}.")
    lines += _about_items(ctx, [item], today)
    return Reply(intent, "\n".join(lines), task_ids=[item.id], buttons=item_buttons([item.id]))


def overdue_verdict(item: Item, today: date) -> str:
    """ "Đã hết hạn (30/06/2023, đã qua 1245 ngày)." — or not yet, or no end at all."""
    lasts = [d for a in item.assignments if (d := a.deadline.last_due(today)) is not None]
    nexts = [d for a in item.assignments if (d := a.deadline.next_due(today)) is not None]
    if lasts and not nexts:
        last = max(lasts)
        return f"Đã hết hạn ({last:%d/%m/%Y}, đã qua {(today - last).days} ngày)."
    if nexts:
        nxt = min(nexts)
        return f"Chưa hết hạn: kỳ hạn tới {nxt:%d/%m/%Y} (còn {(nxt - today).days} ngày)."
    return "Không có hạn kết thúc (thực hiện thường xuyên hoặc theo sự kiện)."


def deadline_of(
    ctx: AnswerContext,
    item: Item,
    today: date,
    intent: str = "task_detail",
    verdict: str = "",
) -> Reply:
    """ "Thời hạn nhiệm vụ 2.4: <b>Trong quý II/2023</b> (đến 30/06/2023)." then who;
    `verdict` ("Có.", "Đã hết hạn …") goes first when the question asked yes or no."""
    iid = esc(item.id)
    texts = list(dict.fromkeys(deadline_text(a.deadline, today) for a in item.assignments))
    if len(texts) == 1:
        first = f"Thời hạn nhiệm vụ {iid}: <b>{texts[0]}</b>."
    else:
        first = (
            f"Thời hạn nhiệm vụ {iid}: "
            + "; ".join(
                f"phần {esc(item.assignment_key(a))}: <b>{deadline_text(a.deadline, today)}</b>"
                for a in item.assignments
            )
            + "."
        )
    lines = [f"{esc(verdict)} {first}" if verdict else first]
    for a in item.assignments:
        lead = item.leader_of(a)
        who = (
            esc(ctx.name(lead.agency))
            if lead
            else esc(ctx.agencies_text(ar.agency for ar in a.agencies))
        )
        part = f"Phần {esc(item.assignment_key(a))}" if len(item.assignments) > 1 else "Cơ quan"
        lines.append(f"{part}: {who} — {esc(task_of(item, a))}")
    lines.append(source(ctx, item))
    return Reply(intent, "\n".join(lines), task_ids=[item.id], buttons=item_buttons([item.id]))


# --------------------------------------------------------------------------- an agency's items


def agency_block(
    ctx: AnswerContext, q: PlanQuery, agency: str, today: date
) -> tuple[str, list[str], list[str], list[str]]:
    """One agency's items for the query: (html, direct item ids, group item ids, item ids
    held through an agency it took over from); an agency that has ended says who holds
    its work today."""
    name = esc(ctx.name(agency))
    taken, inherited_ids, shared_ids = inherited_lines(ctx, agency, today, q.roles)
    number = esc(ctx.plan.meta.number)
    every = engine(ctx).rows_of(agency)
    scope = replace(q, items=(), topic=())  # the agency's whole share, by role and deadline
    rows = [r for r in every if engine(ctx).keeps(r, scope)]
    direct = [r for r in rows if r.via is None]
    general = [r for r in rows if r.via is not None]
    role = q.roles[0] if q.roles else None
    role_label = roles_text(q.roles) if q.roles else ""
    n = len(_items_named(direct))
    lines: list[str] = []
    if direct:
        count = f"<b>{n}</b>" if q.asked == "count" else str(n)
        if role:
            first = f"<b>{name}</b> {role_label} {count} nhiệm vụ: {_compact(direct)}."
        else:
            first = f"<b>{name}</b> được giao đích danh {count} nhiệm vụ: {_compact(direct)}."
        if q.asked == "yesno":
            first = "Có. " + first
        lines.append(first)
        details = _detail_lines(ctx, direct, today)
    else:
        details = []
        others = [r for r in every if r.via is None]
        if role and taken:  # it has the role today only through an agency it took over from
            count = (
                f"<b>{len(inherited_ids)}</b>" if q.asked == "count" else str(len(inherited_ids))
            )
            first = (
                f"<b>{name}</b> {role_label} {count} nhiệm vụ tiếp nhận từ cơ quan trước đây:"
                f" {esc(', '.join(inherited_ids))} (kế hoạch năm {ctx.plan.meta.issued.year} không"
                f" giao {role_label} đích danh cho {name})."
            )
            lines.append(("Có. " if q.asked == "yesno" else "") + first)
        elif role:
            first = f"<b>{name}</b> không {role_label} nhiệm vụ nào trong Kế hoạch {number}."
            if q.asked in ("yesno", "count"):
                first = ("Không. " if q.asked == "yesno" else "<b>0</b> — ") + first
            lines.append(first)
            if others:
                lines.append("Các nhiệm vụ có tên cơ quan này: " + _compact(others) + ".")
        elif taken:  # a body created since the plan: what it took over
            lines.append(
                f"<b>{name}</b> không có tên trong Kế hoạch {number} (ban hành năm"
                f" {ctx.plan.meta.issued.year}); nay thực hiện <b>{len(inherited_ids)}</b>"
                " nhiệm vụ tiếp nhận từ các cơ quan trước đây:"
            )
        else:
            lines.append(
                ("Không. " if q.asked == "yesno" else "")
                + f"Kế hoạch {number} không giao nhiệm vụ đích danh cho <b>{name}</b>."
            )
    note = ended_note(ctx, agency, today) or ("" if taken else founded_note(ctx, agency, today))
    if note:
        lines.insert(1, note)
    lines.extend(taken)
    if general:
        groups = list(dict.fromkeys(r.via for r in general if r.via))
        lines.append(
            f"Giao chung cho «{esc(ctx.agencies_text(groups))}» (gồm cả {name}): "
            + _general_line(general, today)
            + "."
        )
    lines.extend(details)  # the shared items' line before the details, which may be cut
    general_ids = list(dict.fromkeys(_items_named(general) + shared_ids))
    return "\n".join(lines), _items_named(direct), general_ids, inherited_ids


def _general_line(rows: list[Row], today: date) -> str:
    """The items shared by all departments on one line: "1.1, 1.2 (phối hợp), … III.1
    (báo cáo trước 30/11 hằng năm)"."""
    parts = []
    for item_id, (roles, rs) in _per_item_roles(rows).items():
        note = ", ".join(ROLE_LABELS[r] for r in roles if r != "thuc_hien")
        dl = rs[0].assignment.deadline
        if dl.kind not in ("recurring",):
            note = ", ".join(x for x in (note, esc(dl.text.lower())) if x)
        parts.append(f"{esc(item_id)}" + (f" ({note})" if note else ""))
    return ", ".join(parts)


def _shares_by_item(ctx: AnswerContext, rows: list[Row]) -> str:
    """ "2.4 (Sở Nội vụ chủ trì, thực hiện; Sở Tài chính phối hợp), 6 (…)"."""
    per_item = []
    for item_id in _items_named(rows):
        shares = "; ".join(
            f"{esc(ctx.name(r.agency))} {roles_text(r.roles)}"
            + (f" ({esc(_key(r.item, r.assignment))})" if len(r.item.assignments) > 1 else "")
            for r in rows
            if r.item.id == item_id
        )
        per_item.append(f"<b>{esc(item_id)}</b> ({shares})")
    return ", ".join(per_item)


def joint_items(ctx: AnswerContext, q: PlanQuery, today: date) -> Reply:
    """Several agencies together: the items all of them take part in ("A và B"), or those
    where A coordinates with B ("A phối hợp với B")."""
    eng = engine(ctx)
    if q.partner:
        agency = q.agencies[0]
        rows = eng.select(
            PlanQuery(agencies=(agency,), roles=q.roles, partner=q.partner, groups=False)
        ).rows
        a_name, b_name = esc(ctx.name(agency)), esc(ctx.name(q.partner))
        ids = _items_named(rows)
        verb = roles_text(q.roles) or "làm việc"
        if rows:
            first = (
                f"<b>{a_name}</b> {verb} với <b>{b_name}</b> ở {len(ids)} nhiệm vụ: "
                + ", ".join(
                    f"<b>{esc(r.item.id)}</b>" + _lead_note(ctx, r.item, r.assignment, agency)
                    for r in rows
                )
                + "."
            )
        else:
            together = eng.select(
                PlanQuery(agencies=(agency, q.partner), join="all", groups=False)
            ).rows
            first = f"<b>{a_name}</b> không {verb} với <b>{b_name}</b> ở nhiệm vụ nào."
            if together:  # they do work together, in other roles: say which
                ids = _items_named(together)
                first += f" Hai cơ quan cùng có tên ở: {_shares_by_item(ctx, together)}."
                rows = together
        lines = [first, *_detail_lines(ctx, rows, today, 4)]
        return Reply(
            "agency_tasks",
            "\n".join(lines),
            agency=f"{ctx.name(agency)} và {ctx.name(q.partner)}",
            agency_id=agency,
            task_ids=ids,
            buttons=item_buttons(ids),
        )
    sel = eng.select(
        PlanQuery(
            agencies=q.agencies,
            join="all",
            roles=q.roles,
            agency_roles=q.agency_roles,
            deadline=q.deadline,
            groups=False,
        )
    )
    names = " và ".join(f"<b>{esc(ctx.name(a))}</b>" for a in q.agencies)
    ids = sel.item_ids
    if ids:
        first = f"{names} cùng có tên ở {len(ids)} nhiệm vụ: {_shares_by_item(ctx, sel.rows)}."
    else:
        first = f"{names} không cùng có tên ở nhiệm vụ nào."
    lines = [first]
    for a in q.agencies:
        own = [r for r in eng.rows_of(a, groups=False) if r.item.id not in ids]
        if own:
            lines.append(f"Riêng {esc(ctx.name(a))}: {_compact(own)}.")
    return Reply(
        "agency_tasks",
        "\n".join(lines),
        agency=" và ".join(ctx.name(a) for a in q.agencies),
        agency_id=q.agencies[0],
        task_ids=ids,
        buttons=item_buttons(ids),
    )


def role_holders(ctx: AnswerContext, roles: tuple[str, ...], today: date, intent: str) -> Reply:
    """ "Cơ quan nào tổng hợp báo cáo?": every agency the plan gives the role, with where."""
    rows = [r for r in engine(ctx).table if set(roles) & set(r.roles)]
    label = roles_text(roles)
    if not rows:
        return Reply(
            intent, f"Kế hoạch {esc(ctx.plan.meta.number)} không giao cơ quan nào {label}."
        )
    by_agency: dict[str, list[Row]] = {}
    for r in rows:
        by_agency.setdefault(r.agency, []).append(r)
    parts = [f"<b>{esc(ctx.name(a))}</b> ({esc(_keys(rs))})" for a, rs in by_agency.items()]
    lines = [f"{label.capitalize()}: " + "; ".join(parts) + "."]
    lines.extend(_detail_lines(ctx, rows, today, 4))
    ids = _items_named(rows)
    return Reply(intent, "\n".join(lines), task_ids=ids, buttons=item_buttons(ids))


def who_toward(
    ctx: AnswerContext, q: PlanQuery, target: str, today: date, intent: str = "agency_tasks"
) -> Reply:
    """ "Ai chỉ đạo các cơ quan báo chí?": the agencies holding the asked role in the
    assignments that name `target`."""
    roles = q.asked_roles or q.roles
    rows = [
        r
        for r in engine(ctx).table
        if r.agency != target
        and any(ar.agency == target for ar in r.assignment.agencies)
        and (not roles or set(roles) & set(r.roles))
    ]
    label = roles_text(roles) or "cùng thực hiện"
    if not rows:
        html = f"Kế hoạch không ghi cơ quan nào {label} cùng {esc(ctx.name(target))}."
        return Reply(intent, html, agency=ctx.name(target))
    parts = "; ".join(
        f"<b>{esc(ctx.name(r.agency))}</b> ({esc(_key(r.item, r.assignment))})" for r in rows
    )
    target_name = ctx.name(target)
    if target_name.startswith("Các "):
        target_name = "c" + target_name[1:]  # "chỉ đạo các cơ quan báo chí"
    if roles == ("phoi_hop",):
        first = f"Cơ quan phối hợp với {esc(target_name)}: {parts}."
    else:
        first = f"{label.capitalize()} {esc(target_name)}: {parts}."
    ids = _items_named(rows)
    unique = list({id(r.assignment): r for r in rows}.values())
    lines = [first, *_detail_lines(ctx, unique, today, 3)]
    return Reply(
        intent, "\n".join(lines), agency=ctx.name(target), task_ids=ids, buttons=item_buttons(ids)
    )


# --------------------------------------------------------------------------- today's agencies


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _holders_today(ctx: AnswerContext, agency: str, today: date) -> list[str]:
    """Who holds an ended agency's work on `today`: the successors taking some of its
    items (those taking only functions named when none does)."""
    handed = ctx.k.timeline.successors(agency, today)
    return [a for a, _, h in handed if h.takes_items] or [a for a, _, _ in handed]


def now_held_by(ctx: AnswerContext, agency: str, today: date) -> str:
    """ " (nay: Sở Tài chính)" after the name of an agency that has ended by `today`."""
    timeline = ctx.k.timeline
    if timeline.exists(agency, today):
        return ""
    holders = _holders_today(ctx, agency, today)
    if not holders:
        return ""
    shown = ", ".join(ctx.name(a) for a in holders[:3])
    if len(holders) > 3:
        shown += f" và {len(holders) - 3} đơn vị khác"
    return f" (nay: {shown})"


def _short(name: str) -> str:
    """ "xã Vĩnh Hảo" for "Ủy ban nhân dân xã Vĩnh Hảo" in a list of communes."""
    return name.removeprefix("Ủy ban nhân dân ")


def founded_note(ctx: AnswerContext, agency: str, today: date) -> str:
    """ "Sở Nông nghiệp và Môi trường được thành lập từ 01/03/2025 (…)" for a body created
    from agencies the plan gives nothing of their own."""
    for event in ctx.k.timeline.events:
        if event.date <= today and any(h.agency == agency for h in event.to):
            return (
                f"{esc(ctx.name(agency))} tiếp nhận chức năng từ"
                f" {esc(ctx.agencies_text(event.ends))} từ {_d(event.date)} ({esc(event.change)});"
                " các cơ quan này không được giao nhiệm vụ riêng trong kế hoạch."
            )
    return ""


def ended_note(ctx: AnswerContext, agency: str, today: date) -> str:
    """ "Sở Kế hoạch và Đầu tư không còn từ 01/03/2025 (hợp nhất …); các nhiệm vụ này nay do
    Sở Tài chính thực hiện (căn cứ: …)." — empty for an agency that exists on `today`."""
    timeline = ctx.k.timeline
    event = timeline.ended(agency, today)
    if event is None:
        return ""
    holders = _holders_today(ctx, agency, today)
    names = ", ".join(_short(ctx.name(a)) for a in holders[:6])
    if len(holders) > 6:
        names += f" và {len(holders) - 6} đơn vị khác"
    basis = timeline.basis_text(event)
    return (
        f"{esc(ctx.name(agency))} không còn từ {_d(event.date)} ({esc(event.change)}); các nhiệm vụ"
        f" này nay do <b>{esc(names)}</b> thực hiện"
        + (f" (căn cứ: {esc(basis)})." if basis else ".")
    )


def inherited_rows(
    ctx: AnswerContext, agency: str, today: date, roles: tuple[str, ...] = ()
) -> list[tuple[Inheritance, list[Row]]]:
    """The rows an agency holds on `today` through ended agencies it (or a group it belongs
    to) took work over from, per handover, with the asked roles."""
    timeline = ctx.k.timeline
    if not timeline:
        return []
    found = timeline.inherited(agency, today)
    known = ctx.k.agencies.get(agency)
    for group in known.member_of if known else ():
        found += timeline.inherited(group, today)
    out = []
    for inheritance in found:
        rows = [
            r
            for r in engine(ctx).rows_of(inheritance.predecessor, groups=False)
            if inheritance.handover.covers(r.item.id) and (not roles or r.has_any(roles))
        ]
        if rows:
            out.append((inheritance, rows))
    return out


def inherited_lines(
    ctx: AnswerContext, agency: str, today: date, roles: tuple[str, ...] = ()
) -> tuple[list[str], list[str], list[str]]:
    """ "Tiếp nhận từ Sở Kế hoạch và Đầu tư (từ 01/03/2025, …): 2.1 (phối hợp), …" per
    predecessor, the inherited item ids, and those of them taken over from a group
    ("Ủy ban nhân dân các huyện…": shared items, as a group's are)."""
    lines: list[str] = []
    ids: list[str] = []
    shared: list[str] = []
    timeline = ctx.k.timeline
    for inheritance, rows in inherited_rows(ctx, agency, today, roles):
        event, handover = inheritance.event, inheritance.handover
        what = f"phần {esc(handover.functions)}; " if handover.functions else ""
        basis = timeline.basis_text(event)
        lines.append(
            f"Tiếp nhận từ <b>{esc(ctx.name(inheritance.predecessor))}</b> ({what}từ"
            f" {_d(event.date)}"
            + (f"; căn cứ: {esc(basis)}" if basis else "")
            + f"): {_compact(rows)}."
        )
        ids += _items_named(rows)
        if ctx.k.agencies[inheritance.predecessor].is_group:
            shared += _items_named(rows)
    return lines, list(dict.fromkeys(ids)), list(dict.fromkeys(shared))


def issuer_answer(ctx: AnswerContext, agency: str, today: date, intent: str) -> Reply:
    """ "UBND tỉnh Lâm Đồng có phải thực hiện không?": the body that issued the plan (or
    succeeded it) is not given items; what the plan asks of it (reports it receives)."""
    meta = ctx.plan.meta
    timeline = ctx.k.timeline
    name = esc(ctx.name(agency))
    lines: list[str] = []
    issuer = meta.issuer
    if agency != issuer and any(a == agency for a, _, _ in timeline.successors(issuer, today)):
        event = timeline.ended(issuer, today)
        when = f" từ {_d(event.date)}" if event else ""
        lines.append(
            f"<b>{name}</b> kế thừa {esc(meta.issuer_name)}{when} — cơ quan ban hành Kế hoạch"
            f" {esc(meta.number)}; kế hoạch không giao nhiệm vụ thực hiện cho cơ quan ban hành."
        )
    elif agency == issuer:
        lines.append(
            f"<b>{name}</b>{esc(now_held_by(ctx, agency, today))} là cơ quan ban hành Kế hoạch"
            f" {esc(meta.number)}; kế hoạch không giao nhiệm vụ thực hiện cho cơ quan ban hành."
        )
    else:
        return Reply(
            intent,
            f"Kế hoạch {esc(meta.number)} không giao nhiệm vụ cho <b>{name}</b>.",
            agency=ctx.name(agency),
        )
    reports = [
        item.assignment_key(a) if len(item.assignments) > 1 else item.id
        for item in ctx.plan.items
        for a in item.assignments
        if a.reports_to == issuer
    ]
    if reports:
        lines.append("Các cơ quan báo cáo Ủy ban nhân dân tỉnh ở: " + esc(", ".join(reports)) + ".")
    lines.append(
        "Tôi không có dữ liệu về văn bản nào của tỉnh Lâm Đồng bãi bỏ hay thay thế kế hoạch này."
        if timeline.ended(issuer, today)
        else ""
    )
    return Reply(intent, "\n".join(x for x in lines if x), agency=ctx.name(agency))


def _inherited_role(
    ctx: AnswerContext,
    q: PlanQuery,
    agency: str,
    items: list[Item],
    today: date,
    intent: str,
    taken: list[tuple[Inheritance, Row]],
) -> Reply:
    """ "Có. Sở Tài chính chủ trì ở nhiệm vụ 4.3 — tiếp nhận từ Sở Kế hoạch và Đầu tư (từ
    01/03/2025)." """
    name = esc(ctx.name(agency))
    roles = [x for _, r in taken for x in r.roles]
    inheritance = taken[0][0]
    keys = ", ".join(dict.fromkeys(_key(r.item, r.assignment) for _, r in taken))
    first = (
        f"<b>{name}</b> <b>{roles_text(roles)}</b> ở nhiệm vụ {esc(keys)} — tiếp nhận từ"
        f" <b>{esc(ctx.name(inheritance.predecessor))}</b> (từ {_d(inheritance.event.date)};"
        f" {esc(inheritance.event.change)})."
    )
    asked_role = q.roles[0] if q.roles else None
    if q.asked == "yesno":
        yes = asked_role in roles if asked_role else True
        first = ("Có. " if yes else "Không. ") + first
    return _role_reply(ctx, intent, [first], agency, items, today, asked_role, inherited=True)


def reports_of(ctx: AnswerContext, item: Item, today: date) -> Reply:
    """ "Nhiệm vụ III.1: báo cáo gửi <b>Văn phòng UBND tỉnh</b> (…); thời hạn …" — where the
    plan says the results go, part by part."""
    iid = esc(item.id)
    parts = []
    for a in item.assignments:
        if a.reports_to is None:
            continue
        key = f" (phần {esc(item.assignment_key(a))})" if len(item.assignments) > 1 else ""
        receiver = a.reports_to
        note = esc(now_held_by(ctx, receiver, today))
        parts.append(
            f"<b>{esc(ctx.name(receiver))}</b>{note}{key} — {deadline_text(a.deadline, today)}"
        )
    if parts:
        first = f"Nhiệm vụ {iid}: báo cáo gửi " + "; ".join(parts) + "."
    else:
        first = f"Kế hoạch không ghi nơi nhận báo cáo riêng cho nhiệm vụ {iid}."
    senders = [
        r.agency for r in engine(ctx).holders(item) if set(r.roles) & {"thuc_hien", "chu_tri"}
    ]
    lines = [first]
    if senders:
        lines.append(f"Cơ quan báo cáo: {esc(ctx.agencies_text(senders))}.")
    lines += _about_items(ctx, [item], today)
    return Reply(
        "task_detail", "\n".join(lines), task_ids=[item.id], buttons=item_buttons([item.id])
    )
