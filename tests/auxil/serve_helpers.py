"""Running the bot's `serve` in-process, in the background, against the fake Bot API.

`serve` runs on a database it is given (the composition root's, in production); for a
bare door these helpers open the one DATABASE_URL names and close it when `serve`
returns. `FunctionFeature` makes a feature of a `register(application)` function.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.core.config import Settings
from bot.storage import open_database
from bot.telegram.app import serve


@dataclass
class FunctionFeature:
    """A feature made of a `register(application)` function (`start`, `stop`: nothing)."""

    register: Callable[[Any], None]

    async def start(self, application: Any) -> None:
        return None

    async def stop(self, application: Any) -> None:
        return None


async def serve_with_database(settings: Settings, brain: Any, **serve_options: Any) -> int:
    """`serve(settings, brain, **serve_options)`; without a `database` option, on the
    one DATABASE_URL names, opened here and closed once `serve` returns."""
    if serve_options.get("database") is not None:
        return await serve(settings, brain, **serve_options)
    database = open_database(settings, serve_options.get("clock"))
    try:
        return await serve(settings, brain, **{**serve_options, "database": database})
    finally:
        database.close()


Serving = Callable[[asyncio.Event, asyncio.Event], Coroutine[Any, Any, int]]


async def serve_until_ready(serving: Serving) -> tuple[asyncio.Task[int], asyncio.Event]:
    """`serving(stop, ready)` as a task, once it is ready (10 s at most, else
    AssertionError): the task and the event that stops it."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serving(stop, ready))
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        waiter.cancel()
        raise AssertionError(f"bot did not start: {task.result() if task.done() else 'timeout'}")
    return task, stop


async def serve_in_background(
    settings: Settings, brain: Any, **serve_options: Any
) -> tuple[asyncio.Task[int], asyncio.Event]:
    """`serve_with_database(settings, brain, **serve_options)` as a task, once it is
    ready (10 s at most, else AssertionError): the task and the event that stops it."""
    return await serve_until_ready(
        lambda stop, ready: serve_with_database(
            settings, brain, stop=stop, ready=ready, **serve_options
        )
    )
