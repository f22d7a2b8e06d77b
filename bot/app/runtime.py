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
from typing import Any

from bot.brain import Brain
from bot.conversation import ConversationStore, InMemoryConversationStore
from bot.core.clock import Clock, SystemClock
from bot.core.config import ConfigError, Settings
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge, PlanError, load_knowledge
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
from bot.storage import Database, open_database, storage_problem
from bot.storage.migrate import MigrationError
from bot.storage.reminders import store_for
from bot.telegram import errors
from bot.telegram.app import serve, settle_heap
from bot.telegram.feature import Feature
from bot.telegram.progress import ProgressFeature, ProgressRuntime


@dataclass
class Runtime:
    """The services of one process, each built once (`build`) and closed once (`close`)."""

    settings: Settings
    knowledge: Knowledge
    clock: Clock
    database: Database
    registry: AgencyRegistry
    view: ProgressView
    service: ProgressService
    conversations: ConversationStore
    brain: Brain
    progress: ProgressRuntime
    reminders: ReminderServices
    closed: bool = field(default=False, init=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        knowledge: Knowledge | None = None,
        clock: Clock | None = None,
        *,
        pacer: Pacer | None = None,
        tick_seconds: float = TICK_SECONDS,
        first_tick_seconds: float = FIRST_TICK_SECONDS,
        database: Database | None = None,
    ) -> Runtime:
        """Open the database DATABASE_URL names (ConfigError when it cannot be used),
        unless `database` is given (the runtime then owns it), and build everything over
        it; the plan is loaded from PLAN_PATH unless given. `pacer` and the tick periods
        are the reminders' (tests shorten or lengthen them)."""
        knowledge = knowledge or load_knowledge(settings.plan_path)
        clock = clock or SystemClock(settings.tz)
        database = database or open_database(settings, clock)
        try:
            registry = AgencyRegistry(knowledge.agencies)
            view = ProgressView(knowledge, database, clock.tz)
            service = ProgressService(database, knowledge, clock, settings.admin_ids)
            conversations = InMemoryConversationStore(clock)
            brain = Brain(
                knowledge,
                progress=database,
                registry=registry,
                updates=service.checker,
                view=view,
                conversations=conversations,
            )
            progress = ProgressRuntime.create(
                knowledge,
                database,
                clock,
                brain=brain,
                service=service,
                view=view,
                registry=registry,
            )
            reminders = ReminderServices.create(
                knowledge,
                database,
                clock,
                access=service,
                store=store_for(database, now=clock.now()),
                pacer=pacer,
                calendar=WorkCalendar(settings.tz),
                view=view,
                registry=registry,
                tick_seconds=tick_seconds,
                first_tick_seconds=first_tick_seconds,
            )
        except BaseException:
            database.close()
            raise
        return cls(
            settings=settings,
            knowledge=knowledge,
            clock=clock,
            database=database,
            registry=registry,
            view=view,
            service=service,
            conversations=conversations,
            brain=brain,
            progress=progress,
            reminders=reminders,
        )

    async def serve(self, *, features: list[Feature] | None = None, **options: Any) -> int:
        """`bot.telegram.app.serve` on this runtime's brain, clock and database, with the
        default features unless `features` is given; everything is closed when it
        returns. `options` are `serve`'s (stop, ready, base_url, rate_limiter…)."""
        try:
            return await serve(
                self.settings,
                self.brain,
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


def default_features(runtime: Runtime) -> list[Feature]:
    """The feature modules `python -m bot run` plugs in: progress reporting, reminders."""
    return [ProgressFeature(runtime.progress), RemindersFeature(runtime.reminders)]


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
        knowledge = load_knowledge(settings.plan_path)
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
        runtime = Runtime.build(settings, knowledge)  # one database: inbox, progress, reminders
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
