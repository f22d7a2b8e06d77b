"""Asking back when two readings of a message score close: «Ý anh/chị là A hay B?».

The best reading is answered anyway, under a line saying how it was understood; the
other readings become buttons that ask their question again. Each intent's wording
(`reading`) and question come from its registration (`bot.answers.registry`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.answers.context import AnswerContext
from bot.answers.registry import AnswerSpec
from bot.core.reply import Button, Reply, esc
from bot.core.text import fold
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

MAX_READINGS = 3
MAX_LABEL = 40


def readings(answers: dict[str, AnswerSpec], u: Understanding) -> list[tuple[str, str]]:
    """The (intent, wording) of the best-scored readings that can be put in words."""
    item = u.entities.items[0].id if u.entities.items else ""
    agency = u.agency.agency.name if u.agency else ""
    options = []
    for intent, _ in u.scores.ranked[:MAX_READINGS]:
        if intent == "unknown":
            continue
        spec = answers.get(intent)
        template = (spec.reading if spec else None) or ""
        if ("{item}" in template and not item) or ("{agency}" in template and not agency):
            continue
        options.append((intent, template.format(item=item, agency=agency)))
    return options


def clarify(
    ctx: AnswerContext,
    answers: dict[str, AnswerSpec],
    u: Understanding,
    today: date,
    asker: Asker | None,
) -> Reply | None:
    """The best reading's reply, asking back about the others; None when fewer than two
    readings can be told apart."""
    options = readings(answers, u)
    if len(options) < 2:
        return None
    item = u.entities.items[0].id if u.entities.items else ""
    agency = u.agency.agency.name if u.agency else ""
    best = answers[u.intent].answer(ctx, u, today, asker)
    lines = [f"Ý anh/chị là: {' hay '.join(esc(text) for _, text in options[:3])}?"]
    lines.append(f"Tôi hiểu là <b>{esc(options[0][1])}</b>:")
    best.html = "\n".join(lines) + "\n\n" + best.html
    buttons = []
    for intent, text in options[1:3]:
        spec = answers.get(intent)
        query = spec.question if spec else None
        if query:
            question = fold(query.format(item=item, agency=agency))
            buttons.append(Button(text[:MAX_LABEL], action="ask", args=(question,)))
    if buttons:
        best.buttons = [buttons, *best.buttons]
    best.confidence = u.scores.confidence
    best.extra["clarify"] = [intent for intent, _ in options]
    return best
