"""The `unknown` intent: a polite «out of the plan» with what the assistant can answer."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.plan_queries import issuer_answer, role_holders
from bot.answers.registry import register
from bot.core.reply import Reply, esc
from bot.nlu.intent_registry import load_intents
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


def _only_emoji(ctx: AnswerContext, text: str) -> bool:
    """A message of nothing but a thumbs-up or the like (lists.yaml `ack_emoji`)."""
    emoji = ctx.cached("unknown.ack_emoji", lambda: load_intents(ctx.intents_dir).lists.ack_emoji)
    rest = text
    for e in sorted(emoji, key=len, reverse=True):
        rest = rest.replace(e, "")
    return bool(text.strip()) and not rest.replace("\ufe0f", "").strip()


@register("unknown")
def unknown(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    if _only_emoji(ctx, u.text):  # «👍»: small talk, answered as such
        from bot.answers.smalltalk import smalltalk

        return smalltalk(ctx, u, today, asker)
    if (
        u.agency is not None
        and u.agency.agency.kind == "province"
        and {"thuc", "nhiem", "lam", "giao"} & set(u.tokens)
    ):
        # "UBND tỉnh Lâm Đồng có phải thực hiện không?": the issuer and its successor
        return issuer_answer(ctx, u.agency.agency.id, today, "agency_tasks")
    if u.cues.asked == "who" and u.entities.roles and len(u.tokens) > 3:
        # "cơ quan nào tổng hợp báo cáo?" (a bare "ai chủ trì?" asks about something said before)
        return role_holders(ctx, tuple(u.entities.roles), today, "search")
    html = (
        f"Xin lỗi, tôi chưa hiểu câu này hoặc nó nằm ngoài Kế hoạch {esc(ctx.plan.meta.number)}. "
        "Tôi trả lời được: việc của từng cơ quan, chi tiết nhiệm vụ (vd. «nhiệm vụ 2.4»), "
        "thời hạn, tìm theo chủ đề, thông tin văn bản và tiến độ. Gõ /help để xem hướng dẫn."
    )
    return Reply("unknown", html, confidence=u.scores.confidence)
