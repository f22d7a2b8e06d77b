"""The `deadline_tasks` intent: the assignments due in a window (a quarter, a date, a
month, the next N days, this week…), overdue (not reported done), recurring, yearly,
tied to an event or undated, optionally for one agency; relative answers state today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.plan_queries import engine, inherited_rows, now_held_by, roles_text
from bot.answers.registry import register
from bot.answers.rendering import AssignmentView, d, fit, item_buttons, short_text, views, who
from bot.core.reply import Reply, esc
from bot.nlu.query import plan_query, window
from bot.plan.deadlines import Deadline
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

UPCOMING_DAYS = 30


def _picked(
    ctx: AnswerContext, u: Understanding, today: date, scoped: list[AssignmentView]
) -> tuple[str, list[tuple[AssignmentView, str]]]:
    """The list's title and the assignments in it, each with what to say of its due date."""
    ent = u.entities
    explicit = bool(ent.dates or ent.quarter or ent.month or ent.window_days or ent.year)
    if ent.relative == "overdue" and not explicit:
        done = _done_keys(ctx, today)
        picked = []
        for v in scoped:
            last = v.assignment.deadline.last_due(today)
            if last is None or (v.assignment.deadline.kind == "yearly" and last.year != today.year):
                continue
            if v.key in done:
                continue
            picked.append((v, f"hạn {d(last)}, quá {(today - last).days} ngày"))
        return f"Các việc đã quá hạn (tính đến {d(today)})", picked
    if ent.recurring:
        return "Các việc thực hiện thường xuyên", [
            (v, "") for v in scoped if v.assignment.deadline.kind == "recurring"
        ]
    if ent.no_deadline:
        return "Các việc không ghi thời hạn cụ thể", [
            (v, "") for v in scoped if v.assignment.deadline.kind == "none"
        ]
    if ent.event_deadline:
        return "Các việc có thời hạn theo sự kiện", [
            (v, "") for v in scoped if v.assignment.deadline.kind == "event"
        ]
    if ent.yearly and not ent.dates and not ent.month:
        return "Các việc có hạn hằng năm", [
            (v, f"kỳ tới {d(v.assignment.deadline.next_due(today))}")  # type: ignore[arg-type]
            for v in scoped
            if v.assignment.deadline.kind == "yearly"
        ]
    found = window(ent, today, ctx.plan.meta.issued.year)
    if found is None:
        end = today + timedelta(days=UPCOMING_DAYS)
        label = f"{UPCOMING_DAYS} ngày tới (từ {d(today)} đến {d(end)})"
        due_fn: Callable[[Deadline], list[date]] = lambda dl: dl.due_between(today, end)  # noqa: E731
    else:
        label, due_fn = found.label, found.dues
    picked = []
    for v in scoped:
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
    return f"Các việc có hạn trong {label}", picked


@register("deadline_tasks", reading="các việc theo thời hạn")
def deadline_tasks(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    ent = u.entities
    agency_id = u.agency.agency.id if u.agency else None
    q = plan_query(u, today, ctx.plan.meta.issued.year)
    scoped = views(ctx)
    if agency_id:
        rows = engine(ctx).rows_of(agency_id)
        # and the shared items it holds today through a group it took over from (a ward:
        # the districts' III.1); the items it took from one agency are the agency answer's
        rows += [
            r
            for taken, rs in inherited_rows(ctx, agency_id, today)
            if ctx.k.agencies[taken.predecessor].is_group
            for r in rs
        ]
        if q.roles:  # "SKHĐT chủ trì những việc thường xuyên nào"
            rows = [r for r in rows if r.has_any(q.roles)]
        held = {id(r.assignment) for r in rows}
        scoped = [v for v in scoped if id(v.assignment) in held]
    today_line = f"Hôm nay: {d(today)}."
    title, picked = _picked(ctx, u, today, scoped)
    if agency_id:
        title += f" {roles_text(q.roles) if q.roles else 'của'} {esc(ctx.name(agency_id))}"
    ids = list(dict.fromkeys(v.item.id for v, _ in picked))
    agency = ctx.name(agency_id) if agency_id else None
    if not picked:
        nxt = _next_deadline(ctx, today)
        html = f"{esc(title)}: không có việc nào. {today_line}"
        if u.cues.yes_no:
            html = "Không. " + html
        if nxt and ent.relative in (
            "upcoming",
            "this_month",
            "this_week",
            "next_week",
            "next_month",
        ):
            v, due = nxt
            html += f"\nHạn gần nhất sắp tới: nhiệm vụ {esc(v.item.id)}, {esc(v.assignment.deadline.text)} ({d(due)})."
        return Reply("deadline_tasks", html, agency=agency)
    lines = [f"<b>{esc(title)}</b> — <b>{len(ids)}</b> nhiệm vụ ({today_line[:-1].lower()}):"]
    for v, when in picked:
        part = f" (phần {v.assignment.part})" if v.assignment.part else ""
        lead = v.item.leader_of(v.assignment)
        holder = (
            f"{esc(ctx.name(lead.agency))} {roles_text(lead.roles[:1])}"
            if lead
            else who(ctx, v.assignment)
        )
        lines.append(
            f"• <b>{esc(v.item.id)}</b>{esc(part)}: {esc(short_text(v.assignment.task or v.item.text, 70))}"
            f" — {holder}; <i>{esc(v.assignment.deadline.text)}</i>"
            + (f" ({esc(when)})" if when else "")
        )
    lines[0] += " " + ", ".join(f"<b>{esc(i)}</b>" for i in ids) + "."
    if u.cues.asked == "who":  # "ai báo cáo trước 30/11?": who holds them, first
        asked = set(u.entities.roles)  # "cơ quan nào tổng hợp báo cáo?": that role's holders

        def holds(roles: tuple[str, ...]) -> bool:
            return bool(asked & set(roles)) if asked else not set(roles) <= {"phoi_hop", "tong_hop"}

        holders = list(
            dict.fromkeys(
                ar.agency for v, _ in picked for ar in v.assignment.agencies if holds(ar.roles)
            )
        )
        named = ", ".join(ctx.name(a) + now_held_by(ctx, a, today) for a in holders)
        lines[0] = f"<b>{esc(named)}</b> — " + lines[0]
    if u.cues.yes_no:
        lines[0] = "Có. " + lines[0]
    html, full = fit(lines)
    reply = Reply(
        "deadline_tasks",
        html,
        task_ids=ids,
        agency=agency,
        buttons=item_buttons(ids),
    )
    if full:
        reply.more = full
    return reply


def _next_deadline(ctx: AnswerContext, today: date) -> tuple[AssignmentView, date] | None:
    best: tuple[AssignmentView, date] | None = None
    for v in views(ctx):
        nxt = v.assignment.deadline.next_due(today)
        if nxt and (best is None or nxt < best[1]):
            best = (v, nxt)
    return best


def _done_keys(ctx: AnswerContext, today: date) -> set[str]:
    """Assignments reported done, as /tiendo derives them (one view for both)."""
    from bot.progress.status import State

    if ctx.store() is None:
        return set()
    finished = (State.DONE_ON_TIME, State.DONE_LATE)
    return {s.key for s in ctx.view().assignments(today) if s.state in finished}
