"""The brain: from a message (any way it is typed) to a grounded Vietnamese reply.

Transport-free: Telegram handlers, the terminal chat and `ask` all call
`Brain.answer`. (Interface stub; implementation in progress.)
"""

from __future__ import annotations

from datetime import date

from bot.plan_loader import Knowledge
from bot.progress_types import Asker, ProgressReader
from bot.replies import Reply


class Brain:
    def __init__(self, knowledge: Knowledge, progress: ProgressReader | None = None):
        self.knowledge = knowledge
        self.progress = progress

    def answer(self, text: str, *, today: date, asker: Asker | None = None) -> Reply:
        return Reply(intent="help", html="Trợ lý Kế hoạch đang được xây dựng.")
