"""The `smalltalk` intent: thanks, greetings, «ok», goodbyes and praise get a short
polite reply in the assistant's own voice (it calls the user anh/chị), never «chưa hiểu».

Which kind a message is comes from the `topics` of intents/vi/smalltalk.yaml (the first
kind found in the file's order). A greeting also says, in one line, what can be asked,
with examples taken from the plan itself (the department most items name, a quarter
deadline, an item number), so no plan fact is written here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import register
from bot.core.reply import Reply, esc
from bot.nlu.intent_registry import load_intents
from bot.nlu.lexicon import PhraseIndex
from bot.plan.agencies import ASSIGNABLE
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
DEFAULT_KIND = "ack"

# {plan}: the label of the plan loaded (its number, from the plan's meta), escaped
REPLIES = {
    "thanks": "Dạ, không có gì ạ. Anh/chị cần tra cứu gì thêm về {plan} cứ nhắn tôi.",
    "goodbye": "Dạ, chào anh/chị. Khi cần tra cứu {plan}, anh/chị cứ nhắn tôi ạ.",
    "praise": ("Dạ, cảm ơn anh/chị đã động viên ạ. Tôi luôn sẵn sàng giúp anh/chị tra cứu {plan}."),
    "greeting": "Xin chào anh/chị! Tôi là trợ lý tra cứu và theo dõi {plan}.",
    "ack": "Dạ vâng ạ. Anh/chị cần hỏi gì thêm về {plan} cứ nhắn tôi.",
}
EXAMPLES_LINE = "Anh/chị có thể hỏi: {examples} — hoặc gõ /help để xem hướng dẫn."


def kinds_index(ctx: AnswerContext) -> tuple[PhraseIndex, tuple[str, ...]]:
    """The phrases of each kind of small talk and the kinds in their order (loaded once,
    when the brain is built)."""

    def load() -> tuple[PhraseIndex, tuple[str, ...]]:
        topics = load_intents(ctx.intents_dir).intents["smalltalk"].topics
        return PhraseIndex({k: list(v) for k, v in topics.items()}), tuple(topics)

    return ctx.cached("smalltalk.kinds", load)


def kind_of(ctx: AnswerContext, u: Understanding) -> str:
    """Which kind of small talk the message is: the first of the file's order found."""
    index, order = kinds_index(ctx)
    found = set(index.find_all(u.tokens))
    return next((kind for kind in order if kind in found), DEFAULT_KIND)


def example_questions(ctx: AnswerContext) -> list[str]:
    """A few questions this plan can answer, built from its own data: what the
    department most items name must do, which items are due in a quarter, a progress
    update."""
    plan, agencies = ctx.plan, ctx.k.agencies
    out: list[str] = []
    named: dict[str, int] = {}  # agency → how many items name it
    for item in plan.items:
        for agency_id in {r.agency for a in item.assignments for r in a.agencies}:
            named[agency_id] = named.get(agency_id, 0) + 1
    # the department most items name (else any single agency): the likeliest asker
    candidates = sorted(
        (
            (agencies[i].kind != "department", -n, agencies[i].name)
            for i, n in named.items()
            if i in agencies and agencies[i].kind in ASSIGNABLE and not agencies[i].is_group
        )
    )
    lead = candidates[0][2] if candidates else None
    if lead:
        out.append(f"{lead} phải làm gì?")
    quarter = next(
        (
            a.deadline
            for item in plan.items
            for a in item.assignments
            if a.deadline.kind == "quarter" and a.deadline.quarter and a.deadline.year
        ),
        None,
    )
    if quarter is not None and quarter.quarter is not None:
        out.append(f"Việc nào hạn quý {ROMAN[quarter.quarter]}/{quarter.year}?")
    if plan.items:
        out.append(f"/capnhat {plan.items[0].id} 40% …")
    return out


@register("smalltalk", reading="lời chào hỏi, cảm ơn", prepare=kinds_index)
def smalltalk(ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None) -> Reply:
    kind = kind_of(ctx, u)
    html = REPLIES.get(kind, REPLIES[DEFAULT_KIND]).format(plan=esc(ctx.plan.meta.label))
    if kind == "greeting":
        examples = ctx.cached("smalltalk.examples", lambda: example_questions(ctx))
        if examples:
            html += "\n" + EXAMPLES_LINE.format(examples=" · ".join(esc(e) for e in examples))
    return Reply("smalltalk", html, confidence=u.scores.confidence)
