"""One plan's share of the database when a bot serves several plans.

Progress updates of every plan live in the one `progress_updates` table. The main plan's
(the first PLAN_PATH names) are stored as they always were («2.4»); another plan's carry
its short key before the item («58#1.2»), so its item numbers never meet the main
plan's and replacing a plan by a newer version of the same number keeps its progress by
item number. `PlanScoped` is a database as one plan's services see it: its own updates,
numbered as its plan numbers them; members, chat links and everything else shared.
`PlanReminders` does the same for the reminders' send log and silenced items, so each
plan's reminders go to the same subscribed groups without their keys meeting.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast

from bot.storage.base import Database, NewUpdate, StoredUpdate
from bot.storage.reminder_records import Claimable, LogEntry, Mute
from bot.storage.reminders import ReminderStore

SEPARATOR = "#"


class PlanScoped:
    """`inner` as the plan of short key `key` sees it ("" for the main plan)."""

    def __init__(self, inner: Database, key: str):
        self.inner = inner
        self.key = key
        self._prefix = f"{key}{SEPARATOR}" if key else ""
        # every update of this plan, with the store's version and the list it was read from
        self._every: dict[bool, tuple[object, list[StoredUpdate], list[StoredUpdate]]] = {}
        self._owned: dict[StoredUpdate, StoredUpdate] = {}  # stored → as this plan numbers it

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
        if item_id is not None:  # one item's: few rows
            stored = self.inner.updates(self.stored_id(item_id), include_undone=include_undone)
            return [self._own(u) for u in stored if self.owns(u)]
        # every update: filtered once per version of the store (the views ask often)
        version = self.inner.version()
        kept = self._every.get(include_undone)
        if version is not None and kept is not None and kept[0] == version:
            return kept[2]
        stored = self.inner.updates(None, include_undone=include_undone)
        if kept is not None and _extends(stored, kept[1]):
            # the history only grew at its end (a new report): filter just the new ones
            mine = kept[2] + self._mine(stored[len(kept[1]) :], keep=True)
        else:
            mine = self._mine(stored, keep=False)
        if version is not None:
            self._every[include_undone] = (version, stored, mine)
        return mine

    def _mine(self, stored: list[StoredUpdate], *, keep: bool) -> list[StoredUpdate]:
        """This plan's updates among `stored`, as it numbers them: the main plan's are the
        stored ones themselves; another plan's the same object for an update from one
        read to the next (the views add only the ones they have not seen), kept only
        while it is stored as it was (`keep` adds to those kept, else they are replaced)."""
        if not self.key:
            return [u for u in stored if self.owns(u)]
        was = self._owned
        owned = {u: was.get(u) or self._own(u) for u in stored if self.owns(u)}
        if keep:
            was.update(owned)
        else:
            self._owned = owned
        return list(owned.values())

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


def _extends(current: Sequence[StoredUpdate], before: Sequence[StoredUpdate]) -> bool:
    """Whether `current` is `before` (the very objects, in order) with more at its end."""
    return len(current) >= len(before) and all(map(operator.is_, current, before))


def scoped(database: Database, key: str) -> Database:
    """`database` as the plan of short key `key` ("" for the main plan) sees it."""
    return cast(Database, PlanScoped(database, key))


# -- reminders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keyed:
    """An occurrence as another plan's reminders log it: key and subject with the plan."""

    key: str
    kind: str
    subject: str
    occurs_on: date
    send_at: datetime


class PlanReminders:
    """The reminder store as another plan's reminders see it (subscriptions shared): its
    send-log keys and silenced items carry the plan's short key («58#overdue:7:…»,
    «58#7»), so they never meet the main plan's, which sees the store as it is."""

    def __init__(self, inner: ReminderStore, key: str):
        self.inner = inner
        self._prefix = f"{key}{SEPARATOR}"

    def __getattr__(self, name: str) -> Any:  # subscriptions, events, pause, close…
        return getattr(self.inner, name)

    def _mine(self, text: str) -> str | None:
        return text[len(self._prefix) :] if text.startswith(self._prefix) else None

    def overdue_sent(self, chat_id: int) -> dict[str, frozenset[date]]:
        found = self.inner.overdue_sent(chat_id)
        return {own: days for key, days in found.items() if (own := self._mine(key)) is not None}

    def mutes(self, chat_id: int) -> list[Mute]:
        return [
            replace(m, subject=own)
            for m in self.inner.mutes(chat_id)
            if (own := self._mine(m.subject)) is not None
        ]

    def logged(self, chat_id: int, keys: Iterable[str]) -> dict[str, LogEntry]:
        found = self.inner.logged(chat_id, [self._prefix + k for k in keys])
        return {k[len(self._prefix) :]: v for k, v in found.items()}

    async def claim(self, chat_id: int, due: Sequence[Claimable], at: datetime) -> list[str]:
        keyed = [
            _Keyed(self._prefix + o.key, o.kind, self._prefix + o.subject, o.occurs_on, o.send_at)
            for o in due
        ]
        claimed = await self.inner.claim(chat_id, keyed, at)
        return [k[len(self._prefix) :] for k in claimed]

    async def mark_attempted(self, chat_id: int, keys: Sequence[str], at: datetime) -> None:
        await self.inner.mark_attempted(chat_id, [self._prefix + k for k in keys], at)

    async def mark_sent(
        self, chat_id: int, keys: Sequence[str], at: datetime, message_id: int | None
    ) -> None:
        await self.inner.mark_sent(chat_id, [self._prefix + k for k in keys], at, message_id)

    async def mark_failed(
        self, chat_id: int, keys: Sequence[str], error: str, *, retryable: bool
    ) -> None:
        await self.inner.mark_failed(
            chat_id, [self._prefix + k for k in keys], error, retryable=retryable
        )

    async def mute(self, chat_id: int, subject: str, actor_id: int, at: datetime) -> bool:
        return await self.inner.mute(chat_id, self._prefix + subject, actor_id, at)

    async def unmute(self, chat_id: int, subject: str, actor_id: int, at: datetime) -> bool:
        return await self.inner.unmute(chat_id, self._prefix + subject, actor_id, at)


def plan_reminders(store: ReminderStore, key: str, *, main: bool) -> ReminderStore:
    """The reminder store as one plan sees it; the main plan sees it as it is."""
    if main:
        return store
    return cast(ReminderStore, PlanReminders(store, key))
