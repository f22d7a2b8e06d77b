"""Start-up calls to Telegram, retried with backoff for a bounded time.

At start the bot asks Telegram who it is (getMe), publishes its command menus
(setMyCommands) and clears or sets the webhook (deleteWebhook / setWebhook). A
server error, a flood wait or a network failure there is usually over in seconds,
so `StartupRetry` tries again after 1, 2, 4, 8, 15, 15… seconds, logging one
Vietnamese line per retry, until `STARTUP_RETRY_SECONDS` have passed since the
start began; then the last error is raised and `serve` exits 1 (Docker restarts the
container), except for the command menus, which are never fatal. A refused
token (401, `InvalidToken`), a refused request (400) or a conflict (409: another
process polling) is final at once. A stop (SIGTERM) during a wait ends it at once:
`StartupStopped`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.telegram.shutdown import retry_seconds

log = logging.getLogger(__name__)

STARTUP_RETRY_SECONDS = 60.0  # how long start-up keeps trying before the process gives up
FIRST_DELAY_SECONDS = 1.0
LONGEST_DELAY_SECONDS = 15.0

T = TypeVar("T")


class StartupStopped(Exception):
    """Stop was requested while start-up was waiting to try again."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `first`, doubling, at most `longest`, within `budget` seconds
    from the first try (tests pass short ones)."""

    budget: float = STARTUP_RETRY_SECONDS
    first: float = FIRST_DELAY_SECONDS
    longest: float = LONGEST_DELAY_SECONDS

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.longest)


DEFAULT_BACKOFF = Backoff()


def worth_retrying(exc: BaseException) -> bool:
    """Telegram or the network failing for now (5xx, 429, timeouts, no connection), not a
    refusal that another try would only repeat (401, 400, 403, 409)."""
    if isinstance(exc, RetryAfter | TimedOut):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


async def _wait(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
    if stop.is_set():
        raise StartupStopped


class StartupRetry:
    """Retries start-up calls (see the module docstring) within one time budget counted
    from this object's creation: every call of one start shares `backoff.budget`."""

    def __init__(self, backoff: Backoff = DEFAULT_BACKOFF, stop: asyncio.Event | None = None):
        self.backoff = backoff
        self.stop = stop
        self.started = time.monotonic()

    async def __call__(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """`await call()`, again after a passing failure; `what` names it in the log
        ("getMe", "setMyCommands"…). The last failure is raised once the budget is spent."""
        delays = self.backoff.delays()
        attempt = 1
        while True:
            if self.stop is not None and self.stop.is_set():
                raise StartupStopped
            try:
                return await call()
            except TelegramError as exc:
                if not worth_retrying(exc):
                    raise
                delay = next(delays)
                if isinstance(exc, RetryAfter):
                    delay = max(delay, retry_seconds(exc))
                elapsed = time.monotonic() - self.started
                if elapsed + delay > self.backoff.budget:
                    log.warning(
                        "Telegram vẫn lỗi khi khởi động (%s, %d lần thử, %.0f giây): thôi thử",
                        what,
                        attempt,
                        elapsed,
                    )
                    raise
                log.warning(
                    "Telegram lỗi khi khởi động (%s: %s); thử lại sau %.1f giây (lần thử %d)",
                    what,
                    exc,
                    delay,
                    attempt + 1,
                )
                await _wait(delay, self.stop)
                attempt += 1
