"""The `search` intent: items about a topic (the understanding's topic search), or the
items citing a legal document, and whether that document is a basis of the plan.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.agency_tasks import agency_tasks
from bot.answers.context import AnswerContext
from bot.answers.plan_queries import best_part, deadline_of, holders_of, role_holders
from bot.answers.registry import register
from bot.answers.rendering import item_buttons, item_line, who
from bot.core.reply import Reply, esc
from bot.nlu.query import plan_query
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


def _legal(ctx: AnswerContext, keys: list[str]) -> Reply | None:
    """Where the plan cites each legal document (None when it cites none of them)."""
    plan = ctx.plan
    lines = []
    ids: list[str] = []
    for key in keys:
        legal = plan.legal_refs[key]
        citing = [
            i for i in plan.items if key in i.refs or any(key in a.refs for a in i.assignments)
        ]
        label = esc(legal.label())
        if key == plan.meta.implements or key in plan.meta.bases:
            lines.append(
                f"{label} ({esc(legal.subject)}) là căn cứ ban hành Kế hoạch {esc(plan.meta.number)}."
            )
        if citing:
            lines.append(f"<b>{label}</b> ({esc(legal.subject)}) được dẫn tại:")
            for item in citing:
                lines.append(item_line(item) + f" — {who(ctx, item.assignments[0])}")
            ids.extend(i.id for i in citing)
    if not lines:
        return None
    ids = list(dict.fromkeys(ids))
    return Reply("search", "\n".join(lines), task_ids=ids, buttons=item_buttons(ids))


@register("search", reading="tìm các nhiệm vụ theo chủ đề")
def search(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    ent = u.entities
    query = esc(u.command_arg or u.text)
    hits = u.search.item_ids
    if (hits or ent.legal) and u.cues.agencies and (ent.roles or u.cues.asked in ("role", "yesno")):
        # "SKHĐT có chủ trì việc thực hiện Nghị định 114 không?": the agency's role there
        return agency_tasks(ctx, u, today, asker)
    if ent.legal:
        cited = _legal(ctx, ent.legal)
        if cited is not None:
            return cited
    if not hits and u.cues.asked == "who" and u.entities.roles:
        return role_holders(ctx, tuple(u.entities.roles), today, "search")
    if hits and u.cues.asked in ("who", "when", "count"):
        # "ai lo kinh phí?": who holds the part of the best item the words are about
        q = plan_query(u, today, ctx.plan.meta.issued.year)
        item = ctx.items[hits[0]]
        if q.asked == "when":
            return deadline_of(ctx, item, today, intent="search")
        return holders_of(ctx, q, item, today, "search", best_part(item, u.tokens))
    if not hits:
        return Reply(
            "search",
            f"Không tìm thấy nhiệm vụ nào trong Kế hoạch {esc(ctx.plan.meta.number)} về «{query}». "
            "Thử từ khóa khác, ví dụ: «kiều bào», «ODA», «hội hữu nghị».",
        )
    lines = [f"Các nhiệm vụ liên quan đến «{query}»:"]
    for item_id in hits:
        item = ctx.items[item_id]
        dls = "; ".join(dict.fromkeys(esc(a.deadline.text) for a in item.assignments))
        lines.append(item_line(item) + f" — {who(ctx, item.assignments[0])}; <i>{dls}</i>")
    return Reply("search", "\n".join(lines), task_ids=hits, buttons=item_buttons(hits))
