"""The contract between the Telegram application and a feature module.

A feature (progress reporting, reminders…) is built by the composition root with the
services it needs and passed to `build_application(features=…)` / `serve`. The
application calls `register` while it is built (commands, menus, button routes,
intent hooks, jobs: feature handlers come before the core ones, so their commands
win), `start` in order once it is initialised (warm caches, before the first update)
and `stop` in reverse order at shutdown. A feature never imports `bot.telegram.app`,
and it closes nothing it did not open: the database belongs to the composition root.
"""

from __future__ import annotations

from typing import Protocol

from bot.telegram.context import App


class Feature(Protocol):
    """A feature module plugged into the Telegram application."""

    def register(self, application: App) -> None: ...

    async def start(self, application: App) -> None: ...

    async def stop(self, application: App) -> None: ...
