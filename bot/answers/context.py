"""What every answer reads: the plan's knowledge, the agency registry, the intents folder
and stored progress (through one long-lived progress view), plus data an answer module
loads once (its cache). Built once per brain and shared by all answer modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bot.core.clock import DEFAULT_TZ
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge
from bot.plan.models import Item
from bot.progress.drafts import UpdateChecker
from bot.progress.types import ProgressReader

if TYPE_CHECKING:
    from bot.progress.view import ProgressView
    from bot.storage.base import ProgressStore

T = TypeVar("T")


class AnswerContext:
    """The plan and progress that answers are composed from."""

    def __init__(
        self,
        knowledge: Knowledge,
        registry: AgencyRegistry,
        intents_dir: Path,
        progress: ProgressReader | None,
        updates: UpdateChecker | None = None,
        view: ProgressView | None = None,
    ):
        self.k = knowledge
        self.plan = knowledge.plan
        self.registry = registry
        self.intents_dir = intents_dir
        self.progress = progress
        # checks progress updates: the progress service's where members report, else
        # the operator's rules (`ask`, the terminal chat)
        self.updates = updates if updates is not None else UpdateChecker(knowledge)
        self.items: dict[str, Item] = {item.id: item for item in self.plan.items}
        self.order: list[str] = [item.id for item in self.plan.items]
        self._cache: dict[str, Any] = {}
        # the process's one view of `progress` when given (shared with the progress
        # door and the reminders), else one made when first needed
        self._progress_view: ProgressView | None = view

    # --- names ---------------------------------------------------------------

    def name(self, agency_id: str) -> str:
        return self.k.agencies[agency_id].name

    def agencies_text(self, ids: Iterable[str]) -> str:
        return ", ".join(self.name(i) for i in dict.fromkeys(ids))

    # --- data an answer module loads once ------------------------------------

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """The value kept under `key`, built by `build` the first time."""
        if key not in self._cache:
            self._cache[key] = build()
        return cast(T, self._cache[key])

    # --- stored progress -----------------------------------------------------

    def store(self) -> ProgressStore | None:
        """The store behind the progress reader (every reader the doors pass is one)."""
        return cast("ProgressStore | None", self.progress)

    def warm_up(self, today: date) -> None:
        """Derive today's progress now (see `ProgressView.warm_up`); nothing without a store."""
        if self.store() is not None:
            self.view().warm_up(today)

    def view(self) -> ProgressView:
        """One long-lived view of the current store (it keeps what it derived until the
        store changes); a new one when the reader opened another store."""
        from bot.progress.view import ProgressView  # storage code, loaded when first needed

        store = self.store()
        if self._progress_view is None or self._progress_view.store is not store:
            self._progress_view = ProgressView(self.k, store, DEFAULT_TZ)
        return self._progress_view
