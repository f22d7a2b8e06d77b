"""The composition root (`bot.app.runtime.Runtime`) and the feature contract.

One process builds one database (one writer thread), one progress view, one agency
registry, one access service and one brain, and the features hold those very objects;
the application starts the features in order after initialising and stops them in
reverse at shutdown; when `serve` returns, the database is closed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from conftest import ScriptedBrain
from fake_bot_api import FakeBotApi
from serve_helpers import serve_in_background

from bot.app.runtime import Runtime, default_features
from bot.brain import Brain
from bot.core.clock import DEFAULT_TZ, FixedClock
from bot.core.config import ConfigError, Settings
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge
from bot.progress.access import AccessService
from bot.progress.view import ProgressView
from bot.reminders.handlers import RemindersFeature
from bot.storage.writer import SqliteWriter
from bot.telegram.plans import PlansFeature
from bot.telegram.progress import ProgressFeature

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=DEFAULT_TZ)
LAN = FakeBotApi.user(501, "Lan")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many of each service are constructed from now on."""
    counts: Counter[str] = Counter()
    for cls in (SqliteWriter, ProgressView, AgencyRegistry, AccessService, Brain):

        def counting(
            self: Any, *args: Any, _init: Any = cls.__init__, _name: str = cls.__name__, **kw: Any
        ) -> None:
            counts[_name] += 1
            _init(self, *args, **kw)

        monkeypatch.setattr(cls, "__init__", counting)
    return counts


async def test_one_process_builds_each_service_once_and_closes_it_at_the_end(
    api: FakeBotApi,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    built: Counter[str],
) -> None:
    runtime = Runtime.build(make_settings(), knowledge, FixedClock(NOW))
    features = default_features(runtime)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        runtime.serve(
            stop=stop, ready=ready, base_url=api.base_url, rate_limiter=False, features=features
        )
    )
    await asyncio.wait_for(ready.wait(), 10)
    try:
        chat = api.private(LAN)
        for text in ("tiến độ nhiệm vụ 2.4", "/tiendo 2.4", "Sở Nội vụ phải làm gì?"):
            since = api.mark()
            api.send(chat, LAN, text)
            await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0

    # one of each (a ProgressService is the one AccessService; two writers: one database
    # and its update inbox file)
    assert built == {
        "SqliteWriter": 2,
        "ProgressView": 1,
        "AgencyRegistry": 1,
        "AccessService": 1,
        "Brain": 1,
    }, built
    progress, reminders, plans = features
    assert isinstance(progress, ProgressFeature) and isinstance(reminders, RemindersFeature)
    assert isinstance(plans, PlansFeature) and plans.shelf is runtime.shelf
    assert progress.runtime is runtime.progress and reminders.services is runtime.reminders
    # the main plan's share of the one database (every plan's progress is in one table)
    assert runtime.progress.db.inner is runtime.database  # type: ignore[attr-defined]
    assert runtime.plans[runtime.main.key].store is runtime.progress.db
    assert runtime.progress.view is runtime.view
    assert runtime.reminders.engine.snapshot().progress is runtime.view
    assert runtime.brain.registry is runtime.registry is runtime.progress.registry
    assert runtime.reminders.registry is runtime.registry
    assert runtime.progress.service is runtime.service is runtime.reminders.access

    # everything opened is closed once serve returns: the writer thread, both connections
    assert runtime.closed and not runtime.database.writer.alive
    assert not runtime.database.inbox.writer.alive
    with pytest.raises(sqlite3.ProgrammingError):
        runtime.database.schema_version()
    with pytest.raises(sqlite3.ProgrammingError):
        runtime.database.writer.connection.execute("SELECT 1")
    runtime.close()  # a second close does nothing


class Recording:
    """A feature that notes when it is registered, started and stopped."""

    def __init__(self, name: str, log: list[str]):
        self.name, self.log = name, log

    def register(self, application: Any) -> None:
        self.log.append(f"register {self.name}")

    async def start(self, application: Any) -> None:
        assert application.bot.username  # after initialize (getMe)
        self.log.append(f"start {self.name}")

    async def stop(self, application: Any) -> None:
        assert not application.running  # after the application stopped
        self.log.append(f"stop {self.name}")


class Failing(Recording):
    async def stop(self, application: Any) -> None:
        await super().stop(application)
        raise RuntimeError("stop failed")


async def test_features_start_in_order_and_stop_in_reverse(
    api: FakeBotApi, make_settings: Callable[..., Settings], knowledge: Knowledge
) -> None:
    log: list[str] = []
    features = [Recording("a", log), Failing("b", log), Recording("c", log)]
    task, stop = await serve_in_background(
        make_settings(),
        ScriptedBrain(knowledge),
        base_url=api.base_url,
        rate_limiter=False,
        features=features,
    )
    assert log == ["register a", "register b", "register c", "start a", "start b", "start c"]
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert log[6:] == ["stop c", "stop b", "stop a"]  # a failing stop does not stop the rest


def test_a_database_that_cannot_be_opened_builds_nothing(
    knowledge: Knowledge, make_settings: Callable[..., Settings], built: Counter[str]
) -> None:
    with pytest.raises(ConfigError):
        Runtime.build(make_settings(database_url="postgresql://x/y"), knowledge)
    assert built == {}
