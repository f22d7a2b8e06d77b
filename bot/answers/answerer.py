"""The answers' entry point: from an understanding of a message to a grounded reply.

`Answerer` holds the shared `AnswerContext` and the registry of answers (one module per
intent, see `bot.answers.registry`); it asks back when two readings score close
(`bot.answers.clarification`) and otherwise calls the intent's answer. Every answer
quotes the plan: item numbers, lead and coordinating agencies, the deadline in the
plan's own words. Relative answers state today's date. All plan and user text is
escaped for Telegram HTML.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answers.clarification import clarify
from bot.answers.context import AnswerContext
from bot.answers.registry import AnswerSpec, load_answers
from bot.core.reply import Reply
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge
from bot.progress.drafts import UpdateChecker
from bot.progress.types import Asker, ProgressReader

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding
    from bot.progress.view import ProgressView


class Answerer:
    """Turns an Understanding into a Reply."""

    def __init__(
        self,
        knowledge: Knowledge,
        registry: AgencyRegistry,
        intents_dir: Path,
        progress: ProgressReader | None,
        updates: UpdateChecker | None = None,
        view: ProgressView | None = None,
    ):
        self.context = AnswerContext(knowledge, registry, intents_dir, progress, updates, view)
        self.answers: dict[str, AnswerSpec] = load_answers()
        for spec in self.answers.values():
            if spec.prepare is not None:
                spec.prepare(self.context)

    def reply(self, u: Understanding, *, today: date, asker: Asker | None = None) -> Reply:
        if u.scores.ambiguous and not u.scores.forced and u.intent != "unknown":
            clarified = clarify(self.context, self.answers, u, today, asker)
            if clarified is not None:
                return clarified
        reply = self.answers[u.intent].answer(self.context, u, today, asker)
        reply.confidence = 1.0 if u.scores.forced else u.scores.confidence
        return reply

    def warm_up(self, today: date) -> None:
        """Derive today's progress now (see `ProgressView.warm_up`); nothing without a store."""
        self.context.warm_up(today)
