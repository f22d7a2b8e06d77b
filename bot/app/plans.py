"""Each plan's services over the one database, and the desk over them.

The composition root (`bot.app.runtime`) builds them for the door's process; the brain's
own process (`bot.app.brain_worker`) builds the same from here, without the Telegram
door's modules (PTB, aiohttp: about 45 MiB it does not need).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.brain import Brain, PlanDesk
from bot.conversation import ConversationStore
from bot.core.clock import Clock
from bot.plan.agencies import AgencyRegistry
from bot.plan.library import Library, plan_key
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.progress.view import ProgressView
from bot.storage import Database
from bot.storage.plan_scope import scoped


@dataclass
class PlanServices:
    """One plan's services over the shared database: its share of the progress table
    (`store`), its progress view and service, and its brain."""

    key: str
    knowledge: Knowledge
    store: Database
    view: ProgressView
    service: ProgressService
    brain: Brain


def plan_services(
    knowledge: Knowledge,
    library: Library,
    database: Database,
    clock: Clock,
    admin_ids: Iterable[int],
    registry: AgencyRegistry,
    conversations: ConversationStore,
) -> PlanServices:
    """One plan's services over its share of the database."""
    key = plan_key(knowledge.plan.meta.number)
    store = scoped(database, library.storage_key(knowledge))
    view = ProgressView(knowledge, store, clock.tz)
    service = ProgressService(store, knowledge, clock, admin_ids)
    brain = Brain(
        knowledge,
        progress=store,
        registry=registry if knowledge is library.main else None,
        updates=service.checker,
        view=view,
        conversations=conversations,
    )
    return PlanServices(key, knowledge, store, view, service, brain)


def serve_plans(
    library: Library,
    database: Database,
    clock: Clock,
    admin_ids: Iterable[int],
    conversations: ConversationStore,
) -> tuple[Library, AgencyRegistry, dict[str, PlanServices], PlanDesk]:
    """Every plan's services (by short key, the main plan first), the one agency registry
    over every plan's agencies, and the desk the doors ask."""
    registry = AgencyRegistry(library.agencies)
    plans = {
        plan_key(k.plan.meta.number): plan_services(
            k, library, database, clock, admin_ids, registry, conversations
        )
        for k in library
    }
    return library, registry, plans, PlanDesk(library, [p.brain for p in plans.values()])
