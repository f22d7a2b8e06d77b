"""Stopping within a bounded time, without sending to a chat Telegram asked us to wait for.

Docker sends SIGTERM and kills the process `stop_grace_period` (30 s) later. Once
`Shutdown.begin` is called (`serve`, on SIGTERM or `stop`):

- no wait for a flood limit (429 retry_after, up to minutes) is started or continued:
  `ShutdownAwareRateLimiter` raises the `RetryAfter` instead of retrying, and refuses,
  without a request, anything for a chat whose flood wait has not ended (an apology
  would only earn another 429);
- the reminder engine starts no other chat (what it claimed and did not try stays in
  the send log, claimable at the next start) and does not wait out a flood limit;
- work still in flight (updates being handled, the reminder tick: `Shutdown.in_flight`)
  gets `GRACE_SECONDS` to finish; then it is cancelled (`cut_off_after`) and updates
  not started yet are dropped, so `serve` returns well before Docker's kill.

A cancelled reminder send stays "attempted, not confirmed" in the send log and is not
sent again (it may have arrived), as after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

GRACE_SECONDS = 10.0  # in-flight work gets this long after SIGTERM (Docker kills at 30 s)


class Shutdown:
    """Whether shutdown began, interruptible waits, and the work in flight."""

    def __init__(self) -> None:
        self._began = asyncio.Event()
        self._expired = False
        self._work: set[asyncio.Task[Any]] = set()

    @property
    def began(self) -> bool:
        return self._began.is_set()

    @property
    def expired(self) -> bool:
        """True once the grace period is over: no new work may start."""
        return self._expired

    def begin(self) -> None:
        self._began.set()

    async def sleep(self, seconds: float) -> bool:
        """Sleep `seconds`, or less if shutdown begins; True when it began."""
        if not self.began and seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._began.wait()
        return self.began

    async def unless_stopping(self, awaitable: Awaitable[Any]) -> bool:
        """Await `awaitable` unless shutdown begins first (it is then cancelled); True
        when shutdown began. Works with any waiting, including tests' virtual sleeps."""
        if self.began:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            return True
        work = asyncio.ensure_future(awaitable)
        stopping = asyncio.ensure_future(self._began.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (work, stopping):
                task.cancel()
        if work.done() and not work.cancelled():
            work.result()  # its exception, if any
            return False
        return True

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Mark the current task as work to cancel when the grace period is over."""
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._work.add(task)
        try:
            yield
        finally:
            self._work.discard(task)

    def cut_off(self) -> int:
        """End the grace period: cancel the work in flight; the number cancelled."""
        self._expired = True
        cancelled = 0
        for task in list(self._work):
            if not task.done():
                task.cancel()
                cancelled += 1
        return cancelled

    async def cut_off_after(self, seconds: float) -> None:
        """`cut_off` once `seconds` have passed (run as a task, cancelled when done)."""
        await asyncio.sleep(seconds)
        cancelled = self.cut_off()
        if cancelled:
            log.warning(
                "Hết %.0f giây chờ khi dừng: bỏ dở %d việc đang xử lý (tin nhắn đang trả lời"
                " hoặc nhắc việc đang gửi)",
                seconds,
                cancelled,
            )

    async def run_unless_expired(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run `coroutine` as work in flight, or drop it if the grace period is over."""
        if self._expired:
            coroutine.close()
            return
        with self.in_flight():
            await coroutine


def retry_seconds(exc: RetryAfter) -> float:
    """The seconds Telegram asked to wait (PTB's own field: its `retry_after` property
    warns about a coming change of type on every read)."""
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ShutdownAwareRateLimiter(AIORateLimiter):
    """PTB's `AIORateLimiter` (the same limits, a 429 waited out and retried) except that
    once shutdown began a 429 is not waited for: the `RetryAfter` is raised at once, and
    a request for a chat still inside its flood wait is refused without being sent.

    The retry loop is PTB's `process_request` with the sleep made interruptible (PTB's
    own sleeps in `asyncio.sleep`, which nothing can cut short)."""

    def __init__(self, shutdown: Shutdown, **limits: Any) -> None:
        super().__init__(**limits)
        self._shutdown = shutdown
        self._flood_until: dict[object, float] = {}

    def _refuse_if_flooded(self, chat_id: object) -> None:
        until = self._flood_until.get(chat_id)
        if until is None or not self._shutdown.began:
            return
        left = until - time.monotonic()
        if left > 0:
            raise RetryAfter(int(left) + 1)

    def _remember_flood(self, chat_id: object, seconds: float) -> None:
        now = time.monotonic()
        if len(self._flood_until) > 1024:  # keep only the waits not over yet
            self._flood_until = {k: v for k, v in self._flood_until.items() if v > now}
        self._flood_until[chat_id] = now + seconds

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        max_retries = rate_limit_args or self._max_retries
        chat_id: Any = data.get("chat_id")
        chat = chat_id is not None
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        group: int | str | bool = False
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
        paid = bool(data.get("allow_paid_broadcast", False))
        for attempt in range(max_retries + 1):
            self._refuse_if_flooded(chat_id)
            try:
                return await self._run_request(
                    chat=chat,
                    group=group,
                    allow_paid_broadcast=paid,
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                if chat:
                    self._remember_flood(chat_id, wait)
                if attempt == max_retries or self._shutdown.began:
                    log.warning(
                        "Telegram yêu cầu chờ %.0f giây (429) trước khi gửi %s tới %s; %s",
                        wait,
                        endpoint,
                        chat_id,
                        "bot đang dừng nên không gửi lại"
                        if self._shutdown.began
                        else "đã thử lại đủ số lần",
                    )
                    raise
                log.info("Telegram yêu cầu chờ %.0f giây (429); gửi lại sau đó", wait)
                self._retry_after_event.clear()  # as PTB: every request waits meanwhile
                try:
                    stopping = await self._shutdown.sleep(wait + 0.1)
                finally:
                    self._retry_after_event.set()
                if stopping:
                    log.warning(
                        "Bot đang dừng: không gửi lại %s tới %s sau khi Telegram yêu cầu chờ",
                        endpoint,
                        chat_id,
                    )
                    raise
        raise AssertionError("unreachable")
