"""The reminder engine: a periodic tick that sends what is due, once, within limits.

Each `tick` (run by PTB's JobQueue every minute, or called directly by tests):

1. reads the active subscriptions and, for each chat, the occurrences the
   planner finds due between the later of (subscription start, now − 31 days)
   and now — nothing is kept in memory or in pickled jobs between ticks;
2. records them in the send log as `pending` *before* sending (the log's UNIQUE
   (chat, key) lets each one be claimed once, even across restarts);
3. merges everything due for one chat into one message (a week of downtime is
   one catch-up message per chat, not a flood) and sends it, paced by `Pacer`
   (20 messages a minute per chat, 30 a second overall, as Telegram asks);
4. marks the rows sent or failed. `Forbidden` (the bot was removed from the group
   or lost the right to write) pauses that chat's subscription and records why;
   the other chats go on;
5. after a digest to a group that follows every agency (the monitoring office's), sends
   the status-by-agency chart (`bot.progress.chart`, drawn in a worker thread), paced
   like the text; the text is the reminder, so a chart that fails is only logged.

Ticks outside working hours send nothing: everything is planned inside working
hours, so only a catch-up could fall outside, and it waits for the next working
slot. Once the bot is stopping (`shutdown`, set by the reminders feature) a tick
starts no other chat and waits out no flood limit: what it claimed and did not try
stays `pending`, and a send Telegram refused with 429 is a retryable failure, so
the next start sends both. One bot process per database is assumed (the log makes repeats impossible
within it; a `pending` row never attempted is an orphan of a stopped process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.ext import CallbackContext

from bot.core.clock import Clock
from bot.core.reply import html_to_plain, split_html
from bot.plan.loader import Knowledge
from bot.progress.chart import chart_title, render_png, status_by_agency
from bot.progress.view import ProgressView
from bot.reminders.calendar import WorkCalendar
from bot.reminders.occurrence import ChatHistory, Occurrence, Snapshot
from bot.reminders.planner import ReminderPlanner
from bot.storage.base import ProgressStore
from bot.storage.reminder_records import Subscription
from bot.storage.reminders import ReminderStore
from bot.telegram.delivery import CHAT_GONE, not_delivered  # also used for replies
from bot.telegram.sending import post_message, post_photo
from bot.telegram.shutdown import Shutdown

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=31)
SEND_RETRIES = 2  # extra tries of one message after a flood wait (RetryAfter)
MAX_RETRY_WAIT = 60.0
INTERRUPTED = "Bot dừng khi đang gửi tin này; không gửi lại để tránh trùng lặp."


# ---------------------------------------------------------------- pacing


@dataclass(frozen=True)
class RateLimits:
    """Telegram's broadcast limits: per chat and overall, as (count, window seconds)."""

    per_chat: int = 20
    per_chat_window: float = 60.0
    overall: int = 30
    overall_window: float = 1.0


class Pacer:
    """Sliding-window pacing of sends, with an injectable time source.

    `monotonic` and `sleep` default to the real ones; tests pass a virtual time
    source (shared with the fake Bot API) so a broadcast that takes seconds at
    the real limits runs instantly. A send is counted when its request *ends*,
    so the gap the server sees between sends is never shorter than planned."""

    def __init__(
        self,
        limits: RateLimits = RateLimits(),
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.limits = limits
        self.monotonic = monotonic
        self.sleep = sleep
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def _prune(self, now: float) -> None:
        while self._overall and now - self._overall[0] >= self.limits.overall_window:
            self._overall.popleft()
        for chat_id in list(self._chats):
            window = self._chats[chat_id]
            while window and now - window[0] >= self.limits.per_chat_window:
                window.popleft()
            if not window:
                del self._chats[chat_id]

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before a send to `chat_id` keeps within the limits."""
        now = self.monotonic()
        self._prune(now)
        wait = 0.0
        if len(self._overall) >= self.limits.overall:
            wait = max(wait, self._overall[0] + self.limits.overall_window - now)
        chat = self._chats.get(chat_id)
        if chat is not None and len(chat) >= self.limits.per_chat:
            wait = max(wait, chat[0] + self.limits.per_chat_window - now)
        return wait

    async def wait(self, chat_id: int) -> None:
        while (pause := self.delay(chat_id)) > 0:
            await self.sleep(pause)

    def record(self, chat_id: int) -> None:
        now = self.monotonic()
        self._overall.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)


# ---------------------------------------------------------------- the engine


@dataclass(frozen=True)
class Outbound:
    """One chat's merged message: the claimed keys and the HTML pieces."""

    subscription: Subscription
    keys: tuple[str, ...]
    pieces: tuple[str, ...]
    chart: str | None = None  # the caption of the digest's chart, when one goes with it


@dataclass
class TickReport:
    """What one tick did (logged, and checked by tests)."""

    at: datetime
    due: int = 0
    claimed: int = 0
    messages: int = 0
    sent_chats: list[int] = field(default_factory=list)
    failed_chats: list[int] = field(default_factory=list)
    paused_chats: list[int] = field(default_factory=list)
    left_chats: list[int] = field(default_factory=list)  # not tried: the bot is stopping
    skipped: str | None = None


class ReminderEngine:
    """Computes, records and sends due reminders (see the module docstring)."""

    def __init__(
        self,
        knowledge: Knowledge,
        progress: ProgressStore | None,
        store: ReminderStore,
        clock: Clock,
        *,
        calendar: WorkCalendar | None = None,
        pacer: Pacer | None = None,
        catch_up: timedelta = CATCH_UP,
        view: ProgressView | None = None,
    ):
        self.knowledge = knowledge
        self.progress = progress
        self.store = store
        self.clock = clock
        self.calendar = calendar or WorkCalendar(clock.tz)
        self.planner = ReminderPlanner(knowledge, self.calendar)
        self.pacer = pacer or Pacer()
        self.catch_up = catch_up
        self.bot: Bot | None = None
        self.shutdown: Shutdown | None = None  # the running application's (register)
        # kept between ticks: it re-derives only what new reports changed (a fresh view
        # would read and group the whole history every minute); the process's one view
        # when given (the brain and /tiendo read the same)
        self._view = view or ProgressView(knowledge, progress, self.calendar.tz)
        self._lock = asyncio.Lock()
        self._checked_interrupted = False

    def snapshot(self) -> Snapshot:
        return Snapshot(self._view)

    def warm_up(self) -> None:
        """Derive today's progress at start-up, not in the first tick (`ProgressView`)."""
        self._view.warm_up(self.clock.today())

    def window_start(self, sub: Subscription, now: datetime) -> datetime:
        return max(sub.active_since, now - self.catch_up)

    def history(self, sub: Subscription) -> ChatHistory:
        """The chat's overdue notices so far (send log) and the items it silenced."""
        return ChatHistory(
            overdue_sent=self.store.overdue_sent(sub.chat_id),
            muted=frozenset(m.subject for m in self.store.mutes(sub.chat_id)),
        )

    def due_for(self, sub: Subscription, now: datetime, snap: Snapshot) -> list[Occurrence]:
        """Occurrences due for a chat at `now` (sent or not)."""
        return self.planner.occurrences(
            sub, self.window_start(sub, now), now, snap, as_of=now, history=self.history(sub)
        )

    def upcoming(self, sub: Subscription, days: int = 45, limit: int = 10) -> list[Occurrence]:
        """What is scheduled next for a chat (not yet in the send log), for /lichnhac."""
        now = self.clock.now()
        found = self.planner.occurrences(
            sub,
            now,
            now + timedelta(days=days),
            self.snapshot(),
            as_of=now,
            history=self.history(sub),
        )
        logged = self.store.logged(sub.chat_id, [o.key for o in found])
        return [o for o in found if o.key not in logged or logged[o.key].claimable()][:limit]

    # -- the tick -------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self.shutdown is not None and self.shutdown.began

    async def job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """The JobQueue callback (work in flight for a stopping application)."""
        if self.shutdown is None:
            await self.tick(context.bot)
            return
        with self.shutdown.in_flight():
            await self.tick(context.bot)

    async def _pause(self, wait: Awaitable[Any]) -> bool:
        """Await a pacing or flood wait unless the bot begins stopping; True if it did."""
        if self.shutdown is None:
            await wait
            return False
        return await self.shutdown.unless_stopping(wait)

    async def tick(self, bot: Bot | None = None) -> TickReport:
        """Send everything due now; safe to call at any time and any number of times."""
        bot = bot or self.bot
        if bot is None:
            raise RuntimeError("ReminderEngine chưa gắn với bot (gọi register trước)")
        async with self._lock:
            now = self.clock.now()
            report = TickReport(at=now)
            if not self._checked_interrupted:
                self._checked_interrupted = True
                closed = await self.store.close_interrupted(INTERRUPTED)
                if closed:
                    log.warning(
                        "%d nhắc việc đang gửi dở khi bot dừng lần trước: không gửi lại", closed
                    )
            if self.stopping:
                report.skipped = "bot đang dừng"
                return report
            if not self.calendar.is_working_time(now):
                report.skipped = "ngoài giờ làm việc"
                return report
            outbound = await self._prepare(now, report)
            for message in outbound:
                if self.stopping:
                    report.left_chats.append(message.subscription.chat_id)
                    continue
                await self._deliver(bot, message, report)
            if report.left_chats:
                log.info(
                    "Bot đang dừng: %d nhóm chưa được gửi nhắc việc, sẽ gửi khi bot chạy lại",
                    len(report.left_chats),
                )
            if report.claimed:
                log.info(
                    "Nhắc việc: %d tin tới %d nhóm, %d lỗi, %d nhóm tạm dừng",
                    report.messages,
                    len(report.sent_chats),
                    len(report.failed_chats),
                    len(report.paused_chats),
                )
            return report

    async def _prepare(self, now: datetime, report: TickReport) -> list[Outbound]:
        """Plan, record as pending (before anything is sent) and compose per chat."""
        snap = self.snapshot()
        outbound: list[Outbound] = []
        for sub in self.store.subscriptions():
            due = self.due_for(sub, now, snap)
            report.due += len(due)
            if not due:
                continue
            logged = self.store.logged(sub.chat_id, [o.key for o in due])
            candidates = [o for o in due if o.key not in logged or logged[o.key].claimable()]
            claimed = set(await self.store.claim(sub.chat_id, candidates, now))
            if not claimed:
                continue
            chosen = [o for o in candidates if o.key in claimed]
            report.claimed += len(chosen)
            html = self.planner.compose_html(sub, chosen, snap, now, self.history(sub))
            chart = self.planner.messages.digest_chart_caption(sub, chosen, now)
            keys = tuple(o.key for o in chosen)
            outbound.append(Outbound(sub, keys, tuple(split_html(html)), chart))
        return outbound

    async def _deliver(self, bot: Bot, message: Outbound, report: TickReport) -> None:
        chat_id = message.subscription.chat_id
        first_id: int | None = None
        delivered = 0
        try:
            for index, piece in enumerate(message.pieces):
                if index > 0:
                    await self.pacer.wait(chat_id)
                elif await self._pause(self.pacer.wait(chat_id)):
                    report.left_chats.append(chat_id)  # never tried: claimable again
                    return
                else:
                    await self.store.mark_attempted(chat_id, message.keys, self.clock.now())
                sent_id = await self._send_piece(bot, chat_id, piece)
                delivered += 1
                first_id = first_id if first_id is not None else sent_id
        except Forbidden as exc:
            reason = f"Telegram từ chối (Forbidden): {exc.message}"
            await self.store.mark_failed(chat_id, message.keys, reason, retryable=False)
            await self.store.pause(chat_id, reason, self.clock.now())
            report.paused_chats.append(chat_id)
            log.warning(
                "Nhóm %s (%s): bot bị loại hoặc mất quyền gửi; tạm dừng nhắc việc (%s)",
                chat_id,
                message.subscription.title or "",
                exc.message,
            )
            return
        except ChatMigrated as exc:
            reason = (
                f"Nhóm đã chuyển thành siêu nhóm (id mới {exc.new_chat_id}); chạy lại /nhacviec"
                " trong nhóm mới"
            )
            await self.store.mark_failed(chat_id, message.keys, reason, retryable=False)
            await self.store.pause(chat_id, reason, self.clock.now())
            report.paused_chats.append(chat_id)
            log.warning("Nhóm %s: %s", chat_id, reason)
            return
        except BadRequest as exc:
            await self.store.mark_failed(
                chat_id, message.keys, f"BadRequest: {exc.message}", retryable=False
            )
            if any(sign in exc.message.lower() for sign in CHAT_GONE):  # pause, like Forbidden
                await self.store.pause(
                    chat_id, f"Telegram từ chối: {exc.message}", self.clock.now()
                )
                report.paused_chats.append(chat_id)
            else:
                report.failed_chats.append(chat_id)
            log.warning("Không gửi được nhắc việc tới nhóm %s: %s", chat_id, exc.message)
            return
        except TelegramError as exc:
            retryable = delivered == 0 and not_delivered(exc)
            await self.store.mark_failed(
                chat_id, message.keys, f"{type(exc).__name__}: {exc}", retryable=retryable
            )
            report.failed_chats.append(chat_id)
            log.warning("Không gửi được nhắc việc tới nhóm %s: %s", chat_id, exc)
            return
        except Exception as exc:
            await self.store.mark_failed(
                chat_id, message.keys, f"{type(exc).__name__}: {exc}", retryable=False
            )
            report.failed_chats.append(chat_id)
            log.exception("Lỗi khi gửi nhắc việc tới nhóm %s", chat_id)
            return
        await self.store.mark_sent(chat_id, message.keys, self.clock.now(), first_id)
        report.sent_chats.append(chat_id)
        report.messages += delivered
        if message.chart is not None:
            await self._send_chart(bot, chat_id, message.chart)

    async def _send_chart(self, bot: Bot, chat_id: int, caption: str) -> None:
        """The digest's status-by-agency chart after its text, paced like it; the text
        has reached the group, so a chart that fails is logged, never retried."""
        today = self.clock.today()
        bars = status_by_agency(self._view.rows(today), self.knowledge.agencies)
        title = chart_title(self.knowledge.plan.meta.number, today)
        try:
            png = await asyncio.to_thread(render_png, bars, title)
            if await self._pause(self.pacer.wait(chat_id)):
                return
            try:
                await post_photo(
                    bot, chat_id, png, caption=caption, filename=f"tien-do-{today:%Y-%m-%d}.png"
                )
            finally:
                self.pacer.record(chat_id)
        except Exception as exc:
            log.warning("Không gửi được biểu đồ tiến độ tới nhóm %s: %s", chat_id, exc)

    async def _send_piece(self, bot: Bot, chat_id: int, html: str) -> int | None:
        """Send one HTML piece (plain text if Telegram rejects the markup); flood waits
        are waited out a few times. The pacer counts every request made."""
        for attempt in range(SEND_RETRIES + 1):
            try:
                try:
                    return await post_message(bot, chat_id, html)
                except BadRequest as exc:
                    if "parse entities" not in str(exc).lower():
                        raise
                    log.warning("Telegram từ chối HTML của nhắc việc (%s); gửi dạng chữ", exc)
                    self.pacer.record(chat_id)
                    await self.pacer.wait(chat_id)
                    return await post_message(bot, chat_id, html_to_plain(html), html=False)
            except RetryAfter as exc:
                if attempt == SEND_RETRIES or self.stopping:
                    raise  # a retryable failure: sent at the next tick, or the next start
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                if await self._pause(self.pacer.sleep(min(seconds, MAX_RETRY_WAIT))):
                    raise
            finally:
                self.pacer.record(chat_id)
        raise AssertionError("unreachable")

    # -- preview --------------------------------------------------------------

    def preview(
        self, start: datetime, end: datetime, subs: Sequence[Subscription] | None = None
    ) -> list[tuple[datetime, Subscription, str]]:
        """Messages that would go out between start and end (nothing is recorded or sent):
        for each chat, the occurrences of one send time make one message; the overdue
        notices of the earlier ones count as sent for the later ones."""
        snap = self.snapshot()
        out: list[tuple[datetime, Subscription, str]] = []
        for sub in subs if subs is not None else self.store.subscriptions():
            history = self.history(sub)
            found = self.planner.occurrences(
                sub, max(start, sub.active_since), end, snap, as_of=start, history=history
            )
            logged = self.store.logged(sub.chat_id, [o.key for o in found])
            fresh = [o for o in found if o.key not in logged]
            slots: dict[datetime, list[Occurrence]] = {}
            for occ in fresh:
                slots.setdefault(occ.send_at, []).append(occ)
            for at, occs in sorted(slots.items()):
                html = self.planner.compose_html(sub, occs, snap, at, history)
                out.append((at, sub, html))
                history = _with_sent(history, [o for o in occs if o.category == "overdue"])
        out.sort(key=lambda x: (x[0], x[1].chat_id))
        return out


def _with_sent(history: ChatHistory, overdue: Sequence[Occurrence]) -> ChatHistory:
    """`history` as if the `overdue` notices had been sent (the preview's later messages)."""
    if not overdue:
        return history
    sent = {key: set(days) for key, days in history.overdue_sent.items()}
    for occ in overdue:
        sent.setdefault(occ.subject, set()).add(occ.occurs_on)
    return replace(history, overdue_sent={k: frozenset(v) for k, v in sent.items()})
