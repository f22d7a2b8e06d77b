"""Running the bot's `serve` in-process, in the background, against the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.config import Settings
from bot.telegram.app import serve


async def serve_in_background(
    settings: Settings, brain: Any, **serve_options: Any
) -> tuple[asyncio.Task[int], asyncio.Event]:
    """`serve(settings, brain, **serve_options)` as a task, once it is ready (10 s at
    most, else AssertionError): the task and the event that stops it."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(settings, brain, stop=stop, ready=ready, **serve_options))
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        waiter.cancel()
        raise AssertionError(f"bot did not start: {task.result() if task.done() else 'timeout'}")
    return task, stop
