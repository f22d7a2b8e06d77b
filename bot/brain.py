"""The brain: from a message (however it is typed) to a grounded Vietnamese reply.

A thin facade, transport-free: the Telegram handlers, the terminal chat and
`python -m bot ask` all call `Brain.answer`, which understands the message
(`bot.nlu.understanding`) and then answers it (`bot.answers`), reading only the plan
and stored progress.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answers.answerer import Answerer
from bot.core.reply import Reply
from bot.nlu.understanding import Understander, Understanding
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge
from bot.progress.drafts import UpdateChecker
from bot.progress.types import Asker, ProgressReader

if TYPE_CHECKING:
    from bot.progress.view import ProgressView

__all__ = ["Brain", "Understanding"]


class Brain:
    """Understands messages about one plan and answers them.

    `updates` checks progress updates: the progress service's `checker` where members
    report (the composition root passes it); by default the operator's rules, as
    `python -m bot ask` and the terminal chat use. `view` is the process's one progress
    view of `progress` (the composition root's); without it one is made when needed."""

    def __init__(
        self,
        knowledge: Knowledge,
        progress: ProgressReader | None = None,
        intents_dir: Path | None = None,
        registry: AgencyRegistry | None = None,
        updates: UpdateChecker | None = None,
        view: ProgressView | None = None,
    ):
        self.knowledge = knowledge
        self.progress = progress
        self.understander = Understander(knowledge, intents_dir, registry)
        self.registry = self.understander.registry
        self.answerer = Answerer(
            knowledge, self.registry, self.understander.folder, progress, updates, view
        )

    def understand(self, message: str) -> Understanding:
        return self.understander.understand(message)

    # --- answering -----------------------------------------------------------

    def warm_up(self, today: date) -> None:
        """Do at start-up what the first progress question would otherwise do in the
        event loop: read the stored history and derive today's progress."""
        self.answerer.warm_up(today)

    def answer(self, text: str, *, today: date, asker: Asker | None = None) -> Reply:
        """Understand `text` and compose the reply, relative to `today`."""
        understanding = self.understand(text)
        return self.answerer.reply(understanding, today=today, asker=asker)
