"""Sending once: which failures surely did not deliver a message, and a retry for those.

A request to Telegram can fail in two ways. Either Telegram surely did not
deliver the message — a flood wait (429), an error status from the server
(500, 502…), a connection that was never made, PTB's own pool timeout — and
sending it again cannot make a duplicate; or it is ambiguous — a read timeout,
a connection lost after the request went out — and the message may well have
arrived, so sending again could show it twice.

`not_delivered` tells the two apart (the reminder engine marks a reminder
retryable with it); `send_retrying` retries a send a couple of times, shortly,
only in the first case, so a transient server error does not cost a reply and an
ambiguous one never doubles it. Flood waits are the rate limiter's business
(`AIORateLimiter` waits them out) and refusals (`BadRequest`, `Forbidden`) are
final, so neither is retried here; `chat_gone` tells which refusals mean the chat
itself is out of reach (deleted, bot removed or muted), an expected event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.telegram.transport import RequestNotSent

log = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (0.5, 1.5)  # seconds before the 2nd and the 3rd try
# Bad Request answers meaning the bot can no longer write in the chat at all
CHAT_GONE = (
    "chat not found",
    "not enough rights",
    "chat_write_forbidden",
    "group chat was deactivated",
    "bot is not a member",
    "have no rights",
)

T = TypeVar("T")


def not_delivered(exc: TelegramError) -> bool:
    """True when Telegram surely did not deliver the message, so sending it again later
    cannot make a duplicate: a flood wait, an error status from the server, a
    connection never made. A timeout or a connection lost mid-request is ambiguous."""
    if isinstance(exc, RetryAfter | RequestNotSent):
        return True
    if isinstance(exc, TimedOut):
        return "not* sent" in exc.message  # a pool timeout: the request never left
    if isinstance(exc, NetworkError) and exc.message.startswith(("aiohttp.", "httpx.")):
        return exc.message.startswith("httpx.ConnectError")  # else lost mid-request
    return True  # an error status from the server: it did not take the message


def chat_gone(exc: TelegramError) -> bool:
    """True for a `BadRequest` saying the chat is gone or closed to the bot (nothing
    the bot did wrong: one log line is enough, and nobody is left to apologise to)."""
    return isinstance(exc, BadRequest) and any(s in exc.message.lower() for s in CHAT_GONE)


async def send_retrying(send: Callable[[], Awaitable[T]]) -> T:
    """Await `send()`; after a server error or a connection never made, try again (up to
    `len(RETRY_DELAYS)` times). Anything else, or the last failure, is raised."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return await send()
        except NetworkError as exc:
            if delay is None or isinstance(exc, BadRequest) or not not_delivered(exc):
                raise
            log.warning(
                "Gửi tin tới Telegram không thành công (%s); thử lại sau %.1f s", exc, delay
            )
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
