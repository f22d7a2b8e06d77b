"""Receive updates through the inbox: stored first, acknowledged after, handled from there.

PTB's Updater acknowledges an update (the next getUpdates' offset) before the bot has
handled it, and gives up on a batch it cannot parse by fetching it again forever. The
`InboxPump` replaces it:

- long polling: getUpdates (only `ALLOWED_UPDATES`), raw JSON; the batch and the next
  offset are committed to the inbox (`bot.storage.inbox`) before the next getUpdates
  acknowledges them; a batch that cannot be stored is fetched again, never skipped;
- webhook: an aiohttp server answers 200 only once the update is committed (403 for a
  wrong secret, 400 for a body that is not an update, 503 while stopping, 500 when it
  cannot be stored: Telegram then sends it again);
- handling: each stored update is parsed and handed to the Application (per-chat order
  through its update processor), then marked handled. One that cannot be parsed is
  logged once, without its text, and marked skipped: it never blocks the updates after it;
- start: whatever the inbox still holds (fetched before a crash, not finished) is handled
  first, in update_id order; handling is idempotent by update (reports by message id).
- stop: no more fetching; updates in flight get `STOP_GRACE_SECONDS`, the rest stay in
  the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Sequence
from typing import Any

import orjson
from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.core.clock import Clock
from bot.storage.inbox import InboxUpdate, Outcome, UpdateInbox

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")  # what the handlers use
FETCH_LIMIT = 100
STOP_GRACE_SECONDS = 9.0  # updates in flight at shutdown; the rest wait in the inbox
RETRY_MIN, RETRY_MAX = 1.0, 30.0  # seconds between failed getUpdates / inbox writes
CONFIRM_SECONDS = 1.0  # the last getUpdates at shutdown, confirming the stored offset
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_WEBHOOK_BODY = 1 << 20


def decode_batch(raw: object) -> tuple[list[InboxUpdate], int]:
    """The updates of a getUpdates result (each re-serialised as received) and the
    highest update_id + 1 (0 for none). Entries without an integer update_id are
    dropped with a log line: nothing could ever acknowledge them one by one."""
    entries = raw if isinstance(raw, list) else []
    updates: list[InboxUpdate] = []
    for entry in entries:
        update = decode_one(entry)
        if update is None:
            log.warning("Bỏ qua một mục getUpdates không có update_id hợp lệ")
            continue
        updates.append(update)
    return updates, max((u.update_id + 1 for u in updates), default=0)


def decode_one(entry: object) -> InboxUpdate | None:
    """One update as Telegram sent it, or None when it has no integer update_id."""
    if not isinstance(entry, dict):
        return None
    update_id = entry.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    return InboxUpdate(update_id, orjson.dumps(entry).decode(), data=entry)


class InboxPump:
    """Fetches (or receives) updates into the inbox and hands them to the Application."""

    def __init__(
        self,
        application: App,
        inbox: UpdateInbox,
        clock: Clock,
        *,
        poll_timeout: int = 10,
        read_timeout: float | None = None,
        stop_grace: float = STOP_GRACE_SECONDS,
    ):
        self._app = application
        self._inbox = inbox
        self._clock = clock
        self._poll_timeout = poll_timeout
        # as PTB's get_updates: the request's own read timeout plus the long poll's wait
        self._read_timeout = read_timeout if read_timeout is not None else poll_timeout + 5.0
        self._stop_grace = stop_grace
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._fetcher: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._secret = ""
        self._stopping = False
        self._offset = 0  # the next getUpdates offset, once stored
        self._finisher = _Finisher(inbox, clock)
        self.skipped = 0  # updates that could not be parsed (for tests and logs)

    # -- start and stop -----------------------------------------------------------------

    def resume(self) -> int:
        """Hand every stored, unfinished update to handling, oldest first; how many."""
        after, count = 0, 0
        while rows := self._inbox.open_updates(after=after):
            self.dispatch(rows)
            after, count = rows[-1].update_id, count + len(rows)
        if count:
            log.info("Xử lý tiếp %d cập nhật đã nhận trước khi bot dừng", count)
        return count

    def start_polling(self) -> None:
        """Resume the inbox, then long-poll getUpdates in the background."""
        self.resume()
        self._fetcher = asyncio.create_task(self._poll(), name="inbox:getUpdates")

    async def start_webhook(self, *, listen: str, port: int, path: str, secret: str) -> None:
        """Resume the inbox, then serve POST /`path` on listen:port."""
        self.resume()
        self._secret = secret
        server = web.Application(client_max_size=MAX_WEBHOOK_BODY)
        server.router.add_post("/" + path.strip("/"), self._on_webhook)
        self._runner = web.AppRunner(server, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, listen, port).start()

    async def stop(self) -> int:
        """Stop receiving; give the updates in flight `stop_grace` seconds; return how many
        were left for the next start (they stay in the inbox)."""
        self._stopping = True
        if self._fetcher is not None:
            self._fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetcher
            await self._confirm_offset()
        if self._runner is not None:
            await self._runner.cleanup()
        pending = list(self._in_flight.values())
        late: set[asyncio.Task[None]] = set()
        if pending:
            _, late = await asyncio.wait(pending, timeout=self._stop_grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
                log.warning("%d cập nhật chưa xử lý xong: sẽ xử lý khi bot chạy lại", len(late))
        await self._finisher.close()
        return len(late)

    # -- receiving ----------------------------------------------------------------------

    async def _confirm_offset(self) -> None:
        """Tell Telegram that everything stored may be forgotten (as PTB's Updater does at
        shutdown): one getUpdates that waits for nothing; what it returns is not taken."""
        if not self._offset:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CONFIRM_SECONDS):
                await self._app.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": self._offset, "limit": 1, "timeout": 0},
                )

    async def _poll(self) -> None:
        bot = self._app.bot
        self._offset = offset = self._inbox.next_offset()
        delay = RETRY_MIN
        while not self._stopping:
            try:
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "limit": FETCH_LIMIT,
                        "timeout": self._poll_timeout,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=self._read_timeout,
                )
                updates, next_offset = decode_batch(raw)
                if updates:
                    fresh = await self._inbox.store(
                        updates, next_offset=max(next_offset, offset), at=self._clock.now()
                    )
                    self._offset = offset = max(next_offset, offset)
                    self.dispatch(fresh)
            except asyncio.CancelledError:
                raise
            except InvalidToken as exc:
                log.error("Telegram từ chối token khi lấy cập nhật: %s", exc)
            except TelegramError as exc:
                log.warning("Lỗi khi lấy cập nhật từ Telegram: %s", exc)
            except Exception as exc:  # the inbox could not be written: fetch the batch again
                log.error("Không lưu được cập nhật vào cơ sở dữ liệu (%s): sẽ lấy lại", exc)
            else:
                delay = RETRY_MIN
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), self._secret.encode()):
            return web.Response(status=403)
        if self._stopping:
            return web.Response(status=503)  # Telegram sends it again later
        try:
            entry = orjson.loads(await request.read())
        except (orjson.JSONDecodeError, ValueError):
            return web.Response(status=400, text="body is not JSON")
        update = decode_one(entry)
        if update is None:
            return web.Response(status=400, text="not an update")
        try:
            fresh = await self._inbox.store([update], next_offset=0, at=self._clock.now())
        except Exception as exc:
            log.error("Không lưu được cập nhật %d (%s): Telegram sẽ gửi lại", update.update_id, exc)
            return web.Response(status=500)
        self.dispatch(fresh)
        return web.Response(status=200)

    # -- handling -----------------------------------------------------------------------

    def dispatch(self, updates: Sequence[InboxUpdate]) -> None:
        """Start handling each update (in order: the update processor keeps a chat's
        updates in the order their tasks start)."""
        for update in updates:
            if update.update_id in self._in_flight:
                continue
            task = asyncio.create_task(self._handle(update), name=f"update:{update.update_id}")
            self._in_flight[update.update_id] = task
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        update_id = int(task.get_name().rpartition(":")[2])
        if self._in_flight.get(update_id) is task:
            del self._in_flight[update_id]

    def _parse(self, stored: InboxUpdate) -> Update | None:
        try:
            # decoded already when just fetched; read back from the inbox after a restart
            data = stored.data if stored.data is not None else orjson.loads(stored.payload)
            if not isinstance(data, dict):
                raise TypeError("không phải một đối tượng JSON")
            return Update.de_json(data, self._app.bot)
        except Exception as exc:  # a Bot API field PTB does not know, a malformed update…
            self.skipped += 1
            log.warning(
                "Bỏ qua cập nhật %d: không đọc được (%s)", stored.update_id, type(exc).__name__
            )
            return None

    async def _handle(self, stored: InboxUpdate) -> None:
        update = self._parse(stored)
        outcome: Outcome = "skipped"
        if update is not None:
            outcome = "handled"
            processor = self._app.update_processor
            try:
                await processor.process_update(update, self._app.process_update(update))
            except asyncio.CancelledError:
                raise  # stopping: it stays in the inbox
            except Exception as exc:  # handler errors go to the error handler; this is a bug
                log.error("Lỗi khi xử lý cập nhật %d (%s)", stored.update_id, type(exc).__name__)
        self._finisher.add(stored.update_id, outcome)


class _Finisher:
    """Marks handled updates in batches: while one batch is being committed the next
    gathers, so a burst costs a few writes instead of one per update. A mark lost to a
    crash only means the update is handled again at the next start (idempotent)."""

    def __init__(self, inbox: UpdateInbox, clock: Clock):
        self._inbox = inbox
        self._clock = clock
        self._pending: dict[Outcome, list[int]] = {"handled": [], "skipped": []}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, update_id: int, outcome: Outcome) -> None:
        self._pending[outcome].append(update_id)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbox:finish")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, {"handled": [], "skipped": []}
        for outcome, ids in batch.items():
            if not ids:
                continue
            try:
                await self._inbox.finish(ids, outcome, self._clock.now())
            except Exception as exc:  # handled again at the next start (idempotent)
                log.error("Không đánh dấu được %d cập nhật đã xử lý: %s", len(ids), exc)

    async def close(self) -> None:
        """Commit the marks still gathered, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._flush()
