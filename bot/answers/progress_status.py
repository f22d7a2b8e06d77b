"""The `progress_status` intent: where an item stands, or all items, from stored updates
(the same view as /tiendo), with a button to its history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.answers.rendering import ask_item, fit, item_buttons
from bot.answers.task_detail import task_detail
from bot.core.reply import Button, Reply, esc
from bot.nlu.query import plan_query
from bot.plan.query import PlanQuery
from bot.progress.status import BLOCKED_ICON, BLOCKED_LABEL, RowStatus, State
from bot.progress.types import HISTORY_LABEL, Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


@register(
    "progress_status", reading="xem tiến độ nhiệm vụ {item}", question="tiến độ nhiệm vụ {item}"
)
def progress_status(
    ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None
) -> Reply:
    """Where an item stands (or all items): the same view as /tiendo, from stored updates."""
    refs = [r for r in u.entities.items if r.exists and not r.group]
    if not refs and u.entities.items:
        return task_detail(ctx, u, today, asker)
    view = ctx.view()
    q = plan_query(u, today, ctx.plan.meta.issued.year)
    if not refs and (q.progress or q.agencies):
        return progress_list(ctx, q, today, u.cues.asked == "who", asker)
    if not refs:
        # the overview, with the items as buttons to open one
        picker = ask_item(ctx, u, "xem tiến độ", asker)
        return Reply("progress_status", view.overview_html(today), buttons=picker.buttons)
    item = ctx.items[refs[0].id]
    buttons = [[Button(HISTORY_LABEL, action="history", args=(item.id,))]]
    # notes and reporters: approved members and admins (no asker: the operator's CLI)
    notes = asker is None or asker.is_admin or asker.agency_id is not None
    html = view.item_html(item.id, today, notes=notes, brief=True)
    reply = Reply("progress_status", html, task_ids=[item.id], buttons=buttons)
    full = view.item_html(item.id, today, notes=notes)
    if full != html:
        reply.more = full
    return reply


# what each asked state picks of an agency's row (its derived state, its last update)
_PICKS: dict[str, tuple[str, Callable[[RowStatus], bool]]] = {
    "done": ("đã hoàn thành", lambda r: r.state in (State.DONE_ON_TIME, State.DONE_LATE)),
    "not_done": ("chưa hoàn thành", lambda r: r.state not in (State.DONE_ON_TIME, State.DONE_LATE)),
    "in_progress": (
        "đang thực hiện",
        lambda r: r.latest is not None and r.latest.status == "in_progress",
    ),
    "blocked": ("đang vướng mắc", lambda r: r.latest is not None and r.latest.status == "blocked"),
    "not_started": (
        "chưa triển khai",
        lambda r: r.latest is not None and r.latest.status == "not_started",
    ),
    "not_reported": ("chưa báo cáo", lambda r: r.latest is None),
    "overdue": ("quá hạn", lambda r: r.state == State.OVERDUE),
}


def progress_list(
    ctx: AnswerContext, q: PlanQuery, today: date, who: bool, asker: Asker | None = None
) -> Reply:
    """ "Việc nào đã hoàn thành?", "Cơ quan nào chưa báo cáo?", "Sở Nội vụ đã báo cáo
    chưa?": the assignments (or agencies) in the asked state, from the derived progress.
    The list of agencies goes, as /chuabaocao's does, to bot admins, the monitoring
    office and the operator; anyone else gets the totals and their own agency's line."""
    label, pick = _PICKS.get(q.progress or "", ("", lambda r: True))
    rows = [
        r
        for status in ctx.view().assignments(today)
        for r in status.rows
        if r.responsible and (not q.agencies or r.agency_id in q.agencies) and pick(r)
    ]
    scope = " của " + esc(ctx.agencies_text(q.agencies)) if q.agencies else ""
    when = f"tính đến {today:%d/%m/%Y}"
    if not q.progress:  # an agency's progress, all states
        label = "có trong kế hoạch"
    if not rows:
        html = f"Không có việc nào {label}{scope} ({when})."
        return Reply("progress_status", html, agency=_agency(ctx, q))
    by_key: dict[str, list[RowStatus]] = {}
    for r in rows:
        by_key.setdefault(r.key, []).append(r)
    ids = list(dict.fromkeys(r.item.id for r in rows))
    if not q.progress and q.agencies:  # "Sở Nội vụ đã báo cáo chưa?"
        reported = [r for r in rows if r.latest is not None]
        first = (
            f"{esc(ctx.agencies_text(q.agencies))} đã báo cáo <b>{len(reported)}/{len(rows)}</b>"
            f" việc ({when})."
        )
    elif who and not _sees_everyone(ctx, asker):
        agencies = list(dict.fromkeys(r.agency_id for r in rows))
        own = asker.agency_id if asker else None
        first = f"<b>{len(agencies)}</b> cơ quan {label} ({when})."
        if own:
            mine = [r for r in rows if r.agency_id == own]
            first += (
                f" {esc(ctx.name(own))}: "
                + (", ".join(esc(r.key) for r in mine) if mine else "không có việc nào")
                + f" {label}."
            )
        first += " Danh sách đầy đủ: quản trị viên và văn phòng theo dõi kế hoạch."
        return Reply("progress_status", first, agency=_agency(ctx, q))
    elif who:
        agencies = list(dict.fromkeys(r.agency_id for r in rows))
        first = (
            f"<b>{len(agencies)}</b> cơ quan {label} ({when}): "
            + esc(", ".join(ctx.name(a) for a in agencies[:8]))
            + (f" và {len(agencies) - 8} cơ quan khác" if len(agencies) > 8 else "")
            + "."
        )
    else:
        first = (
            f"<b>{len(by_key)}</b> việc {label}{scope} ({when}): "
            + ", ".join(f"<b>{esc(k)}</b>" for k in by_key)
            + "."
        )
    lines = [first]
    for key, rs in by_key.items():
        names = [ctx.name(r.agency_id) for r in rs]
        shown = ", ".join(names[:3]) + (
            f" và {len(names) - 3} cơ quan khác" if len(names) > 3 else ""
        )
        state = rs[0].label
        if any(r.blocked for r in rs):  # a flag beside the status, never instead of it
            state += f", {BLOCKED_ICON} {BLOCKED_LABEL}"
        holder = "" if len(q.agencies) == 1 else f"{esc(shown)} — "
        lines.append(f"• <b>{esc(key)}</b>: {holder}{esc(state)}")
    html, full = fit(lines)
    reply = Reply(
        "progress_status", html, task_ids=ids, agency=_agency(ctx, q), buttons=item_buttons(ids)
    )
    if full:
        reply.more = full
    return reply


def _agency(ctx: AnswerContext, q: PlanQuery) -> str | None:
    return ctx.agencies_text(q.agencies) if q.agencies else None


def _sees_everyone(ctx: AnswerContext, asker: Asker | None) -> bool:
    """The operator (no asker), a bot admin, or the office that monitors the plan."""
    if asker is None or asker.is_admin:
        return True
    monitor = ctx.plan.meta.monitoring_agency
    return monitor is not None and asker.agency_id == monitor
