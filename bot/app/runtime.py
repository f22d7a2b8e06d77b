"""The composition root of `python -m bot run`: build every service once, hand them to
the features, serve until stopped, close what was opened.

`Runtime.build` makes, once per process: the knowledge (unless given), the database,
the reminder store beside it, one progress view, one agency registry, one progress
(access) service, the conversation store (each chat's short context) and the brain, and over them the progress runtime and the reminder
services. Nothing below this layer builds a service that another part also builds:
the features (`default_features`) get theirs by constructor, and `Runtime.serve` runs
the Telegram application on the same database and closes it at the end. `run_bot` serves
on uvloop's event loop (`event_loop`), where it is installed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bot.app.brain_worker import BrainWorker, ServeSpec, enabled
from bot.app.plans import PlanServices, plan_services, serve_plans
from bot.brain import Brain, PlanDesk
from bot.conversation import ConversationStore, InMemoryConversationStore
from bot.core.clock import Clock, SystemClock
from bot.core.config import ConfigError, Settings
from bot.plan.agencies import AgencyRegistry
from bot.plan.library import Library, load_library
from bot.plan.loader import Knowledge, PlanError
from bot.progress.service import ProgressService
from bot.progress.view import ProgressView
from bot.reminders.calendar import WorkCalendar
from bot.reminders.engine import Pacer
from bot.reminders.handlers import (
    FIRST_TICK_SECONDS,
    TICK_SECONDS,
    ReminderServices,
    RemindersFeature,
)
from bot.shelf import PlanShelf
from bot.shelf.documents import plan_shelf, with_activated
from bot.storage import Database, open_database, storage_problem
from bot.storage.base import PlanStore
from bot.storage.migrate import MigrationError
from bot.storage.reminders import store_for
from bot.telegram import errors
from bot.telegram.app import serve, settle_heap
from bot.telegram.feature import Feature
from bot.telegram.plans import PlansFeature
from bot.telegram.progress import ProgressFeature, ProgressRuntime


@dataclass
class Runtime:
    """The services of one process, each built once (`build`) and closed once (`close`).

    `library` holds the plans served (PLAN_PATH's and those activated by admins), each
    with its `PlanServices` in `plans`; the door talks to `desk`, which routes a message
    to the plans it is about. `knowledge`, `view`, `service` and `brain` are the main
    plan's (the only one's, when one plan is served)."""

    settings: Settings
    library: Library
    clock: Clock
    database: Database
    registry: AgencyRegistry
    conversations: ConversationStore
    plans: dict[str, PlanServices]
    desk: PlanDesk
    progress: ProgressRuntime
    reminders: ReminderServices
    shelf: PlanShelf
    closed: bool = field(default=False, init=False)
    # the brain's own process, when `default_features` made one (bot.app.brain_worker)
    brain_worker: BrainWorker | None = field(default=None, init=False)

    @property
    def main(self) -> PlanServices:
        return next(iter(self.plans.values()))

    @property
    def knowledge(self) -> Knowledge:
        return self.main.knowledge

    @property
    def view(self) -> ProgressView:
        return self.main.view

    @property
    def service(self) -> ProgressService:
        return self.main.service

    @property
    def brain(self) -> Brain:
        return self.main.brain

    @classmethod
    def build(
        cls,
        settings: Settings,
        knowledge: Knowledge | Library | None = None,
        clock: Clock | None = None,
        *,
        pacer: Pacer | None = None,
        tick_seconds: float = TICK_SECONDS,
        first_tick_seconds: float = FIRST_TICK_SECONDS,
        database: Database | None = None,
    ) -> Runtime:
        """Open the database DATABASE_URL names (ConfigError when it cannot be used),
        unless `database` is given (the runtime then owns it), and build everything over
        it; the plans are PLAN_PATH's (unless given) and those admins activated (stored in
        the database). `pacer` and the tick periods are the reminders' (tests shorten or
        lengthen them)."""
        if isinstance(knowledge, Knowledge):
            library = Library((knowledge,))
        else:
            library = knowledge or load_library(settings.plan_path)
        clock = clock or SystemClock(settings.tz)
        database = database or open_database(settings, clock)
        try:
            shelf = plan_shelf(settings, database)
            conversations = InMemoryConversationStore(clock)
            library, registry, plans, desk = serve_plans(
                with_activated(library, shelf),
                database,
                clock,
                settings.admin_ids,
                conversations,
            )
            main = next(iter(plans.values()))
            progress = ProgressRuntime.create(
                main.knowledge,
                main.store,
                clock,
                brain=desk,
                service=main.service,
                view=main.view,
                registry=registry,
            )
            reminders = ReminderServices.create(
                main.knowledge,
                database,
                clock,
                access=main.service,
                store=store_for(database, now=clock.now()),
                pacer=pacer,
                calendar=WorkCalendar(settings.tz),
                view=main.view,
                registry=registry,
                tick_seconds=tick_seconds,
                first_tick_seconds=first_tick_seconds,
            )
            for services in list(plans.values())[1:]:
                attach(services, progress, reminders)
        except BaseException:
            database.close()
            raise
        return cls(
            settings=settings,
            library=library,
            clock=clock,
            database=database,
            registry=registry,
            conversations=conversations,
            plans=plans,
            desk=desk,
            progress=progress,
            reminders=reminders,
            shelf=shelf,
        )

    def prepare_plan(self, knowledge: Knowledge) -> PlanServices:
        """Build a plan's services (its brain, progress view and service), off the event
        loop if the caller likes: nothing served changes until `adopt_plan`."""
        library = self.library.with_plan(knowledge)
        services = plan_services(
            knowledge,
            library,
            self.database,
            self.clock,
            self.settings.admin_ids,
            self.registry,
            self.conversations,
        )
        services.view.warm_up(self.clock.today())
        return services

    def adopt_plan(self, services: PlanServices) -> None:
        """Serve a prepared plan from now on (an admin activated it): a new plan joins the
        library, a newer version of a served plan replaces it in its place (its stored
        progress is kept: it is stored by item number). Runs on the event loop."""
        self.library = self.library.with_plan(services.knowledge)
        self.plans[services.key] = services
        self.desk.serve(self.library, [p.brain for p in self.plans.values()])
        attach(services, self.progress, self.reminders)
        if self.brain_worker is not None:
            self.brain_worker.serve(self.library)

    def serve_plan(self, knowledge: Knowledge) -> PlanServices:
        """`prepare_plan` then `adopt_plan`, at once."""
        services = self.prepare_plan(knowledge)
        self.adopt_plan(services)
        return services

    async def serve(self, *, features: list[Feature] | None = None, **options: Any) -> int:
        """`bot.telegram.app.serve` on this runtime's brain, clock and database, with the
        default features unless `features` is given; everything is closed when it
        returns. `options` are `serve`'s (stop, ready, base_url, rate_limiter…)."""
        try:
            return await serve(
                self.settings,
                self.desk,
                database=self.database,
                clock=self.clock,
                features=default_features(self) if features is None else features,
                **options,
            )
        finally:
            self.close()

    def close(self) -> None:
        """Close the reminder store and the database (commits what is queued, stops the
        writer thread); a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        try:
            self.reminders.close()
        finally:
            self.database.close()


def attach(services: PlanServices, progress: ProgressRuntime, reminders: ReminderServices) -> None:
    """A plan's progress and reminders beside the main plan's (or a newer version of it)."""
    progress.add_plan(
        services.key, services.knowledge, services.store, services.service, services.view
    )
    reminders.add_plan(services.key, services.knowledge, services.view, services.service)


def default_features(runtime: Runtime) -> list[Feature]:
    """The feature modules `python -m bot run` plugs in: progress reporting, reminders, the
    plans (a chat's default plan, plans admins send); first, when the settings and the
    machine call for it, the brain in a process of its own (`bot.app.brain_worker`)."""
    worker = brain_worker_for(runtime)
    return [
        *([worker] if worker is not None else []),
        ProgressFeature(runtime.progress),
        RemindersFeature(runtime.reminders),
        PlansFeature(
            runtime.shelf,
            cast(PlanStore, runtime.database),
            runtime.clock,
            prepare=runtime.prepare_plan,
            adopt=runtime.adopt_plan,
        ),
    ]


def brain_worker_for(runtime: Runtime) -> BrainWorker | None:
    """The brain's own process for `runtime` (kept on it, so a plan activated later is
    served there too), or None when answers stay in this process."""
    path = getattr(runtime.database, "path", None)
    if not isinstance(path, Path) or str(path) == ":memory:" or not enabled(runtime.settings):
        return None
    runtime.brain_worker = BrainWorker(
        ServeSpec(
            runtime.library,
            path.resolve(),
            runtime.settings.admin_ids,
            runtime.settings.timezone,
            runtime.settings.log_level,
        )
    )
    return runtime.brain_worker


def event_loop() -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop `run_bot` serves on: uvloop's (libuv), where it is installed (it is a
    dependency on every platform but Windows); else asyncio's own. The bot's asyncio
    overhead — tasks, futures, sockets of each update and send — is what it cuts: about
    15 % of the CPU per update in bench/load.py (BENCHMARKS.md, issue 12, round 3)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run_bot(settings: Settings) -> int:
    """`python -m bot run`: load and check the plan, then serve until stopped."""
    errors.configure_logging(settings.log_level)
    errors.protect_logs(settings.token)
    try:
        library = load_library(settings.plan_path)
    except PlanError as exc:
        print(
            f"Không khởi động được bot: kế hoạch không hợp lệ ({len(exc.problems)} lỗi):\n{exc}",
            file=sys.stderr,
        )
        return 1
    if not settings.token:
        print(
            "Chưa có TELEGRAM_BOT_TOKEN. Tạo bot với @BotFather rồi đặt biến này (xem README).",
            file=sys.stderr,
        )
        return 1
    runtime: Runtime | None = None
    try:
        runtime = Runtime.build(settings, library)  # one database: inbox, progress, reminders
        settle_heap()
        with asyncio.Runner(loop_factory=event_loop()) as runner:
            return runner.run(runtime.serve())
    except ConfigError as exc:
        print(f"Không khởi động được bot: {exc}", file=sys.stderr)
        return 1
    except (MigrationError, sqlite3.Error) as exc:  # e.g. locked while warming up
        cause = exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else exc
        print(
            f"Không khởi động được bot: không mở được cơ sở dữ liệu: {storage_problem(cause)}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return 0
    finally:
        if runtime is not None:
            runtime.close()
