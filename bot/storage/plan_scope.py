"""One plan's share of the database when a bot serves several plans.

Progress updates of every plan live in the one `progress_updates` table. The main plan's
(the first PLAN_PATH names) are stored as they always were («2.4»); another plan's carry
its short key before the item («58#1.2»), so its item numbers never meet the main
plan's and replacing a plan by a newer version of the same number keeps its progress by
item number. `PlanScoped` is a database as one plan's services see it: its own updates,
numbered as its plan numbers them; members, chat links and everything else shared.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from bot.storage.base import Database, NewUpdate, StoredUpdate

SEPARATOR = "#"


class PlanScoped:
    """`inner` as the plan of short key `key` sees it ("" for the main plan)."""

    def __init__(self, inner: Database, key: str):
        self.inner = inner
        self.key = key
        self._prefix = f"{key}{SEPARATOR}" if key else ""

    def __getattr__(self, name: str) -> Any:  # members, chat links, plans, inbox, writer…
        return getattr(self.inner, name)

    def stored_id(self, item_id: str) -> str:
        return f"{self._prefix}{item_id}"

    def owns(self, update: StoredUpdate) -> bool:
        if self.key:
            return update.item_id.startswith(self._prefix)
        return SEPARATOR not in update.item_id

    def _own(self, update: StoredUpdate) -> StoredUpdate:
        if not self.key:
            return update
        cut = len(self._prefix)
        return replace(
            update,
            item_id=update.item_id[cut:],
            assignment_key=update.assignment_key.removeprefix(self._prefix),
        )

    def updates(
        self, item_id: str | None = None, *, include_undone: bool = False
    ) -> list[StoredUpdate]:
        stored = self.inner.updates(
            None if item_id is None else self.stored_id(item_id), include_undone=include_undone
        )
        return [self._own(u) for u in stored if self.owns(u)]

    def version(self) -> object | None:
        return self.inner.version()

    def get_update(self, update_id: int) -> StoredUpdate | None:
        found = self.inner.get_update(update_id)
        return self._own(found) if found is not None and self.owns(found) else None

    def find_by_source(self, chat_id: int, message_id: int) -> StoredUpdate | None:
        found = self.inner.find_by_source(chat_id, message_id)
        return self._own(found) if found is not None and self.owns(found) else found

    async def insert_update(self, update: NewUpdate) -> tuple[StoredUpdate, bool]:
        stored, created = await self.inner.insert_update(
            replace(
                update,
                item_id=self.stored_id(update.item_id),
                assignment_key=self.stored_id(update.assignment_key),
            )
        )
        return (self._own(stored) if self.owns(stored) else stored), created

    async def mark_undone(self, update_id: int, *, by: int | None, at: datetime) -> bool:
        return await self.inner.mark_undone(update_id, by=by, at=at)


def scoped(database: Database, key: str, *, alone: bool = False) -> Database:
    """`database` as one plan sees it; a plan served `alone` sees it as it is."""
    if alone:
        return database
    return cast(Database, PlanScoped(database, key))
