"""Asking back when two readings of a message score close: «Ý anh/chị là A hay B?».

The best reading is answered anyway, under a line saying how it was understood; each
other reading that has a question becomes a button that asks it. Each intent's wording
(`reading`) and question come from its registration (`bot.answers.registry`), with
their diacritics. The button asks the question behind the intent's command
("/tiendo tiến độ nhiệm vụ 6"): a command forces its intent, so pressing it answers
that reading and never brings the same question back.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import AnswerSpec
from bot.core.reply import Button, Reply, esc
from bot.nlu.intent_registry import FALLBACK_INTENT, load_intents
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

MAX_READINGS = 3
MAX_LABEL = 40


def _slots(u: Understanding) -> dict[str, str]:
    return {
        "item": u.entities.items[0].id if u.entities.items else "",
        "agency": u.agency.agency.name if u.agency else "",
    }


def _fill(template: str | None, slots: dict[str, str]) -> str | None:
    """The template with the message's item and agency, None when one it needs is missing."""
    if not template or any(f"{{{k}}}" in template and not v for k, v in slots.items()):
        return None
    return template.format(**slots)


def readings(answers: dict[str, AnswerSpec], u: Understanding) -> list[tuple[str, str]]:
    """The (intent, wording) of the best-scored readings that can be put in words."""
    slots = _slots(u)
    options = []
    for intent, _ in u.scores.ranked[:MAX_READINGS]:
        if intent == FALLBACK_INTENT:
            continue
        spec = answers.get(intent)
        text = _fill(spec.reading if spec else None, slots)
        if text is not None:
            options.append((intent, text))
    return options


def command_of(ctx: AnswerContext, intent: str) -> str | None:
    """The first command of an intent (intents/vi/<intent>.yaml), which forces it."""

    def load() -> dict[str, str]:
        intents = load_intents(ctx.intents_dir).intents
        return {name: spec.commands[0] for name, spec in intents.items() if spec.commands}

    return ctx.cached("clarification.commands", load).get(intent)


def asked_question(ctx: AnswerContext, spec: AnswerSpec, u: Understanding) -> str | None:
    """What a button for `spec`'s reading asks: its question behind its intent's command
    (that intent, whatever the words); None when it has no question or no command."""
    question = _fill(spec.question, _slots(u))
    if question is None:
        return None
    if question.startswith("/"):
        return question
    command = command_of(ctx, spec.intent)
    return f"/{command} {question}" if command else None


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def clarify(
    ctx: AnswerContext,
    answers: dict[str, AnswerSpec],
    u: Understanding,
    today: date,
    asker: Asker | None,
) -> Reply | None:
    """The best reading's reply, asking back about the others; None when the best
    reading cannot be put in words or no other reading can be chosen by a button."""
    options = readings(answers, u)
    if not options or options[0][0] != u.intent:
        return None  # «Tôi hiểu là …» must name the reading that is answered
    choices = []
    for intent, text in options[1:]:
        question = asked_question(ctx, answers[intent], u)
        if question:
            choices.append((intent, text, question))
    if not choices:
        return None
    best = answers[u.intent].answer(ctx, u, today, asker)
    # the answer first; how it was read, and the other readings, after it
    others = " hay ".join(f"«{esc(text)}»" for _, text, _ in choices)
    best.html += (
        f"\n\n<i>Tôi hiểu là «{esc(options[0][1])}». Ý anh/chị là {others}? Bấm nút bên dưới.</i>"
    )
    buttons = [
        Button(_label(text), action="ask", args=(question,)) for _, text, question in choices
    ]
    best.buttons = [buttons, *best.buttons]
    best.confidence = u.scores.confidence
    best.extra["clarify"] = [u.intent, *(intent for intent, _, _ in choices)]
    return best
