"""Flood limit: one user sending too much gets one polite notice, then silence.

Each sender has a sliding window per kind of update (messages, button presses):
more than `limit` (20) of one kind within `window` seconds (10) and the bot
answers once with `NOTICE`, then stays silent (no handler runs, nothing is
sent) until that sender's window holds no more than `limit` again, i.e. until
they calm down. Everything the sender sends while limited still counts, so a
flood that keeps going stays silenced. Bot admins (ADMIN_IDS) are exempt.

Only updates the bot would act on are counted: anything in a private chat,
button presses, and in groups the commands and messages addressed to the bot
(group chatter among people never trips the limit). The sender is the user, or
the `sender_chat` for anonymous group admins and channels speaking in a group.

Memory is bounded: a sender's window keeps at most `limit + 1` timestamps, and
the senders are an ordered dict by last activity, capped at `capacity` (the
least recently active is forgotten first) and pruned of everyone idle for a
whole window. Time comes from an injected monotonic clock.

`register` adds the gate as a `TypeHandler` in group -1 (before every other
handler) that raises `ApplicationHandlerStop` for a limited update.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable

from telegram import ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.telegram.handlers import App, Context, is_addressed_to_bot

log = logging.getLogger(__name__)

GROUP = -1
LIMIT = 20
WINDOW_SECONDS = 10.0
CAPACITY = 10_000

NOTICE = (
    "Anh/chị đang gửi quá nhiều tin nhắn trong thời gian ngắn. Trợ lý tạm dừng trả lời"
    " anh/chị một lát; xin vui lòng đợi khoảng 10 giây rồi gửi lại."
)

MESSAGE, BUTTON = "message", "button"


class Verdict(enum.Enum):
    """What to do with one update of a sender."""

    ALLOW = "allow"
    NOTICE = "notice"  # limited just now: tell them once
    SILENT = "silent"  # still limited: drop without a word


class _Window:
    __slots__ = ("hits", "notified")

    def __init__(self, limit: int):
        self.hits: deque[float] = deque(maxlen=limit + 1)
        self.notified = False


class FloodGate:
    """Per-sender sliding windows with a bounded number of senders."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_SECONDS,
        *,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
        exempt: Iterable[int] = (),
    ):
        if limit < 1 or window <= 0 or capacity < 1:
            raise ValueError("limit, window và capacity phải dương")
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self.exempt = frozenset(exempt)
        self._senders: OrderedDict[tuple[int, str], _Window] = OrderedDict()

    def __len__(self) -> int:
        """How many sender windows are tracked now."""
        return len(self._senders)

    def __bool__(self) -> bool:  # a gate tracking nobody yet is still a gate
        return True

    def _prune(self, now: float) -> None:
        """Forget senders idle for a whole window (they are at the front)."""
        while self._senders:
            key, oldest = next(iter(self._senders.items()))
            if oldest.hits and now - oldest.hits[-1] < self.window:
                break
            del self._senders[key]

    def hit(self, sender_id: int, kind: str = MESSAGE) -> Verdict:
        """Count one update of `sender_id` now and say what to do with it."""
        if sender_id in self.exempt:
            return Verdict.ALLOW
        now = self.clock()
        self._prune(now)
        key = (sender_id, kind)
        window = self._senders.get(key)
        if window is None:
            window = self._senders[key] = _Window(self.limit)
            while len(self._senders) > self.capacity:
                self._senders.popitem(last=False)
        else:
            self._senders.move_to_end(key)
        hits = window.hits
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        hits.append(now)
        if len(hits) <= self.limit:
            window.notified = False
            return Verdict.ALLOW
        if window.notified:
            return Verdict.SILENT
        window.notified = True
        return Verdict.NOTICE


def sender_of(update: Update) -> tuple[int, str] | None:
    """Who sent an update the bot would act on, and its kind; None if it does not count."""
    if update.callback_query is not None:
        return update.callback_query.from_user.id, BUTTON
    message = update.message or update.edited_message
    if message is None:
        return None  # channel posts, member updates, polls…: nothing is answered
    sender = message.sender_chat or message.from_user
    if sender is None:
        return None
    if message.chat.type != ChatType.PRIVATE:
        try:
            addressed = (message.text or "").startswith("/") or is_addressed_to_bot(message)
        except Exception:  # counting must never break handling
            addressed = False
        if not addressed:
            return None
    return sender.id, MESSAGE


async def send_notice(update: Update, context: Context) -> None:
    """The one polite notice (a toast for a button press); never raises."""
    try:
        query = update.callback_query
        if query is not None:
            await query.answer(NOTICE, show_alert=True)
            return
        chat, message = update.effective_chat, update.effective_message
        if chat is None:
            return
        quote = message if message is not None and chat.type != ChatType.PRIVATE else None
        await context.bot.send_message(
            chat.id,
            NOTICE,
            reply_parameters=(
                ReplyParameters(quote.message_id, allow_sending_without_reply=True)
                if quote is not None
                else None
            ),
        )
    except TelegramError as exc:
        log.warning("Không gửi được thông báo gửi quá nhanh: %s", exc)


async def guard(update: Update, context: Context) -> None:
    """Group -1: stop a limited update before any handler sees it."""
    gate = context.bot_data.flood_gate
    found = sender_of(update)
    if gate is None or found is None:
        return
    verdict = gate.hit(*found)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.NOTICE:
        log.info("Người gửi %s gửi quá nhanh: tạm không trả lời", found[0])
        await send_notice(update, context)
    raise ApplicationHandlerStop


def register(application: App, gate: FloodGate | None = None) -> FloodGate:
    """Put the gate (kept in `bot_data.flood_gate`, replaceable) before every handler."""
    if gate is None:
        gate = FloodGate()
    application.bot_data.flood_gate = gate
    application.add_handler(TypeHandler(Update, guard), group=GROUP)
    return gate
