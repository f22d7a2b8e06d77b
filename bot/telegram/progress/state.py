"""What the progress door keeps: its runtime (the services of one running bot) and
the pending confirmation cards.

`ProgressRuntime` holds the services the handlers use (`context.bot_data.progress`);
the composition root (`bot.app.runtime`) builds it with `ProgressRuntime.create` from
the process's one database, progress view, agency registry, progress service and
brain, and hands it to `ProgressFeature`. `PendingStore` keeps update drafts awaiting
«Lưu» server side, under short ids carried in callback data, bounded in number and age.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.plan.agencies import AgencyRegistry
from bot.plan.library import plan_key
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.progress.view import ProgressView
from bot.storage.base import Database
from bot.telegram.context import BrainLike

PENDING_CAPACITY = 1000
PENDING_TTL = timedelta(hours=24)


@dataclass
class PendingUpdate:
    """An update read from a message, not stored yet (a card or an item question).

    `immediate` ones come from /capnhat and are saved as soon as the item is known;
    the others wait for «Lưu». The source ids are those of the user's message."""

    user_id: int
    display_name: str | None
    chat_id: int
    message_id: int
    item_ref: str | None
    status: str | None
    percent: int | None
    note: str | None
    agency_id: str | None
    immediate: bool
    created_at: datetime
    card_html: str = ""
    plan: str | None = None  # the number of the plan it reports on (several plans served)


class PendingStore:
    """Pending updates by a random 10-character id; oldest evicted beyond `capacity`,
    expired after `ttl`. One pending update per source message (a newer one replaces it)."""

    def __init__(self, capacity: int = PENDING_CAPACITY, ttl: timedelta = PENDING_TTL):
        self.capacity = capacity
        self.ttl = ttl
        self._items: OrderedDict[str, PendingUpdate] = OrderedDict()
        self._by_source: dict[tuple[int, int], str] = {}

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self._by_source.clear()

    def put(self, pending: PendingUpdate) -> str:
        self.drop_source(pending.chat_id, pending.message_id)
        key = secrets.token_hex(5)
        while key in self._items:
            key = secrets.token_hex(5)
        self._items[key] = pending
        self._by_source[(pending.chat_id, pending.message_id)] = key
        while len(self._items) > self.capacity:
            old_key, _ = next(iter(self._items.items()))
            self.pop(old_key)
        return key

    def get(self, key: str, now: datetime) -> PendingUpdate | None:
        pending = self._items.get(key)
        if pending is None:
            return None
        if now - pending.created_at > self.ttl:
            self.pop(key)
            return None
        return pending

    def pop(self, key: str) -> PendingUpdate | None:
        pending = self._items.pop(key, None)
        if pending is not None:
            source = (pending.chat_id, pending.message_id)
            if self._by_source.get(source) == key:
                del self._by_source[source]
        return pending

    def drop_source(self, chat_id: int, message_id: int) -> None:
        key = self._by_source.get((chat_id, message_id))
        if key is not None:
            self.pop(key)

    def latest_without_item(
        self, user_id: int, chat_id: int, now: datetime
    ) -> tuple[str, PendingUpdate] | None:
        """The user's newest update in this chat still waiting for its item number."""
        for key, pending in reversed(list(self._items.items())):
            mine = pending.user_id == user_id and pending.chat_id == chat_id
            if mine and pending.item_ref is None and self.get(key, now) is not None:
                return key, pending
        return None


@dataclass
class ProgressRuntime:
    """The services of the progress door, one per process."""

    knowledge: Knowledge
    db: Database
    clock: Clock
    service: ProgressService
    view: ProgressView
    registry: AgencyRegistry
    brain: BrainLike  # reads, checks and shows updates (the running one: the desk)
    pending: PendingStore = field(default_factory=PendingStore)
    # every plan's runtime by its short key (the main plan's is this one), sharing the
    # pending updates; empty while one plan is served
    plans: dict[str, ProgressRuntime] = field(default_factory=dict)
    key: str = ""

    def add_plan(
        self,
        key: str,
        knowledge: Knowledge,
        db: Database,
        service: ProgressService,
        view: ProgressView,
    ) -> ProgressRuntime:
        """Serve another plan's progress (or a newer version of one) beside this one."""
        if not self.plans:
            self.key = plan_key(self.knowledge.plan.meta.number)
            self.plans[self.key] = self
        if key == self.key:  # a newer version of the main plan: this runtime is its
            self.knowledge, self.db, self.service, self.view = knowledge, db, service, view
            return self
        sibling = replace(self, knowledge=knowledge, db=db, service=service, view=view, key=key)
        sibling.plans = self.plans  # one map for all
        self.plans[key] = sibling
        return sibling

    def of(self, plan: str | None) -> ProgressRuntime:
        """The runtime of a plan (its number or short key); this one when it is not known."""
        if plan is None or not self.plans:
            return self
        return self.plans.get(plan_key(plan), self)

    @classmethod
    def create(
        cls,
        knowledge: Knowledge,
        db: Database,
        clock: Clock,
        *,
        brain: BrainLike,
        service: ProgressService,
        view: ProgressView,
        registry: AgencyRegistry,
    ) -> ProgressRuntime:
        """The runtime over services built once elsewhere (update lines are read,
        checked and shown by `brain`, the running one)."""
        return cls(
            knowledge=knowledge,
            db=db,
            clock=clock,
            service=service,
            view=view,
            registry=registry,
            brain=brain,
        )
