"""The `progress_status` intent: where an item stands, or all items, from stored updates
(the same view as /tiendo), with a button to its history.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.answers.rendering import ask_item
from bot.answers.task_detail import task_detail
from bot.core.reply import Button, Reply
from bot.progress.types import Asker

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
    if not refs:
        # the overview, with the items as buttons to open one
        picker = ask_item(ctx, u, "xem tiến độ", asker)
        return Reply("progress_status", view.overview_html(today), buttons=picker.buttons)
    item = ctx.items[refs[0].id]
    buttons = [[Button("Lịch sử cập nhật", action="history", args=(item.id,))]]
    # notes and reporters: approved members and admins (no asker: the operator's CLI)
    notes = asker is None or asker.is_admin or asker.agency_id is not None
    html = view.item_html(item.id, today, notes=notes)
    return Reply("progress_status", html, task_ids=[item.id], buttons=buttons)
