"""The `plan_info` intent: facts about the plan as a document (number, signer, dates,
issuer, the directive it implements, its bases, recipients, purposes, requirements,
structure, or an overview), chosen by the `topics` of intents/vi/plan_info.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.plan_queries import issuer_answer
from bot.answers.registry import register
from bot.answers.rendering import d
from bot.core.reply import Reply, esc
from bot.nlu.intent_registry import load_intents
from bot.nlu.lexicon import PhraseIndex
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding


def topics_index(ctx: AnswerContext) -> PhraseIndex:
    """The phrases naming each topic (loaded once, when the brain is built)."""

    def load() -> PhraseIndex:
        topics = load_intents(ctx.intents_dir).intents["plan_info"].topics
        return PhraseIndex({k: list(v) for k, v in topics.items()})

    return ctx.cached("plan_info.topics", load)


def _section_part(ctx: AnswerContext, part_id: str) -> list[str]:
    for section in ctx.plan.sections:
        for part in section.parts:
            if part.id == part_id:
                return [" ".join(p.split()) for p in part.points]
    return []


def issuer_today(ctx: AnswerContext, today: date) -> str:
    """What became of the issuing body by `today`, and what the knowledge does not know:
    no legal status is invented (empty when the issuer still exists)."""
    meta = ctx.plan.meta
    timeline = ctx.k.timeline
    event = timeline.ended(meta.issuer, today)
    if event is None:
        return ""
    holders = ", ".join(ctx.name(a) for a, _, _ in timeline.successors(meta.issuer, today))
    basis = timeline.basis_text(event)
    return (
        f"\nTừ {d(event.date)}, {esc(event.change)}"
        + (f" (căn cứ: {esc(basis)})" if basis else "")
        + f"; cơ quan kế thừa {esc(meta.issuer_name)} là <b>{esc(holders)}</b>."
        f"\nDữ liệu của tôi không ghi văn bản nào bãi bỏ, sửa đổi hay thay thế Kế hoạch"
        f" {esc(meta.number)}; việc tiếp tục áp dụng kế hoạch do {esc(holders)} quyết định —"
        " anh/chị nên xác nhận với Văn phòng Ủy ban nhân dân tỉnh."
    )


@register(
    "plan_info",
    reading="thông tin chung của Kế hoạch",
    question="tổng quan kế hoạch",
    prepare=topics_index,
)
def plan_info(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    plan = ctx.plan
    meta = plan.meta
    found = topics_index(ctx).find_all(u.tokens)
    if not found and u.agency is not None and u.agency.agency.kind == "province":
        # "UBND tỉnh Bình Thuận bây giờ là cơ quan nào?": no topic of the document asked
        return issuer_answer(ctx, u.agency.agency.id, today, "plan_info")
    topics = found or ["overview"]
    refs = plan.legal_refs
    directive = refs[meta.implements]
    blocks: dict[str, Callable[[], str]] = {
        "signer": lambda: (
            f"Kế hoạch {esc(meta.number)} do <b>{esc(meta.signer.name)}</b> ký "
            f"({esc(meta.signer.capacity)}, {esc(meta.signer.position)} {esc(meta.issuer_name)})."
        ),
        "number": lambda: (
            f"Số hiệu: <b>{esc(meta.number)}</b> ({esc(meta.doc_type)}), ban hành ngày {d(meta.issued)}."
        ),
        "issued": lambda: (
            f"Kế hoạch {esc(meta.number)} ban hành ngày <b>{d(meta.issued)}</b> tại {esc(meta.place)}."
        ),
        "effective": lambda: (
            f"Kế hoạch {esc(meta.number)} có hiệu lực từ ngày <b>{d(meta.effective)}</b>."
            + issuer_today(ctx, today)
        ),
        "issuer": lambda: (
            f"Cơ quan ban hành: <b>{esc(meta.issuer_name)}</b>; người ký: {esc(meta.signer.name)}."
            + issuer_today(ctx, today)
        ),
        "directive": lambda: (
            f"Kế hoạch {esc(meta.number)} triển khai <b>{esc(directive.label())}</b> của "
            f"{esc(ctx.name(directive.issuer)) if directive.issuer else ''} về {esc(directive.subject)}."
        ),
        "bases": lambda: (
            "Căn cứ ban hành:\n"
            + "\n".join(
                f"• {esc(refs[b].label())}"
                + (f" của {esc(ctx.name(refs[b].issuer))}" if refs[b].issuer else "")  # type: ignore[arg-type]
                for b in meta.bases
            )
        ),
        "recipients": lambda: "Nơi nhận:\n" + "\n".join(f"• {esc(r)}" for r in meta.recipients),
        "purposes": lambda: (
            "Mục đích:\n" + "\n".join(f"• {esc(p)}" for p in _section_part(ctx, "I.1"))
        ),
        "requirements": lambda: (
            "Yêu cầu:\n" + "\n".join(f"• {esc(p)}" for p in _section_part(ctx, "I.2"))
        ),
        "structure": lambda: (
            f"Kế hoạch có {len(plan.items)} mục nhiệm vụ: "
            + ", ".join(esc(i) for i in ctx.order)
            + f" (phần II gồm {len([g for g in plan.groups if g.section == 'II'])} nhóm;"
            f" phần {plan.execution_section}: tổ chức thực hiện)."
        ),
        "overview": lambda: (
            f"<b>{esc(meta.doc_type)} {esc(meta.number)}</b> ngày {d(meta.issued)} của {esc(meta.issuer_name)}: "
            f"{esc(' '.join(meta.title.split()))}. Người ký: {esc(meta.signer.name)} "
            f"({esc(meta.signer.capacity)}, {esc(meta.signer.position)}). "
            f"Gồm {len(plan.items)} mục nhiệm vụ."
        ),
    }
    html = "\n\n".join(blocks[t]() for t in dict.fromkeys(topics))
    return Reply("plan_info", html)
