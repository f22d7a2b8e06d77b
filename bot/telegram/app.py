"""Build and run the Telegram Application in one place.

`build_application` wires Defaults (HTML, Asia/Ho_Chi_Minh), the rate limiter, a
per-chat sequential update processor, the services the handlers use, the flood
limit (`flood`, before every handler), feature modules, commands, handlers and
the one error handler; `post_init` publishes the command menus. `serve` runs it
(long polling, or a webhook with a secret token when WEBHOOK_URL is set) until
SIGINT/SIGTERM or `stop` is set, logging one line when it is up. `run_bot` is
what `python -m bot run` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import secrets
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    Defaults,
)
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.plan_loader import PlanError, load_knowledge
from bot.storage import storage_problem
from bot.storage.migrate import MigrationError
from bot.telegram import commands, errors, flood, handlers
from bot.telegram.sending import silence_typed_method_advice
from bot.telegram.transport import AiohttpRequest

if TYPE_CHECKING:
    from bot.telegram.progress import ProgressFeature

log = logging.getLogger(__name__)

Feature = Callable[[Application[Any, Any, Any, Any, Any, Any]], None]
LifecycleHook = Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]]
HEARTBEAT_SECONDS = 30
POLL_TIMEOUT_SECONDS = 10  # long polling: how long one getUpdates may wait for updates
# PTB's AIORateLimiter is a leaky bucket: `burst` requests at once, then `rate` a second,
# so a window of W seconds may see burst + rate × W requests. Its defaults (30 at once,
# then 30/s; 20 at once, then 20/min) therefore exceed Telegram's limits read as sliding
# windows — 30 messages in any second, 20 in any minute per group, as the reminders'
# `Pacer` keeps them — and a 429 stalls every request of the bot. These keep any second
# under 3 + 24 = 27 requests and any minute of a group under 10 + 9 = 19 (bench/load.py).
OVERALL_BURST, OVERALL_PER_SECOND = 3, 24
GROUP_BURST, GROUP_PER_MINUTE = 10, 9
MAX_CONCURRENT_UPDATES = 16  # updates handled at once (PerChatUpdateProcessor)
STARTUP_KEY = "startup_hooks"
SHUTDOWN_KEY = "shutdown_hooks"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently, at most `max_concurrent_updates` at a
    time; those of one chat run in order.

    An update first waits for its chat's turn and only then for a slot, so updates queued
    behind a busy chat hold no slot (PTB's own semaphore, taken before `do_process_update`,
    is therefore left wide: `QUEUE_BOUND`). Few slots keep the order close to first come,
    first served: with many, every update in flight shares the CPU and each one's answer
    waits for nearly all of them (bench/load.py)."""

    QUEUE_BOUND = 100_000

    def __init__(self, max_concurrent_updates: int = 16):
        super().__init__(self.QUEUE_BOUND)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # keep memory bounded by the chats in flight
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


def telegram_rate_limiter() -> AIORateLimiter:
    """The rate limiter every request goes through (see OVERALL_BURST), retrying a 429."""
    return AIORateLimiter(
        overall_max_rate=OVERALL_BURST,
        overall_time_period=OVERALL_BURST / OVERALL_PER_SECOND,
        group_max_rate=GROUP_BURST,
        group_time_period=60 * GROUP_BURST / GROUP_PER_MINUTE,
        max_retries=3,
    )


def file_url_for(base_url: str) -> str:
    """The file download URL matching a Bot API URL (`…/bot` → `…/file/bot`)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return base_url.rstrip("/") + "/file/bot"


def build_application(
    settings: Settings,
    brain: handlers.BrainLike,
    *,
    clock: Clock | None = None,
    base_url: str | None = None,
    rate_limiter: bool = True,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    features: Iterable[Feature] = (),
    max_concurrent_updates: int | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application with every handler registered; nothing is sent until it starts.

    `features` are `register(application)` functions of feature modules (progress,
    reminders…); they run before the core handlers, so their commands win.
    """
    token = settings.token
    if not token:
        raise ConfigError("Chưa có TELEGRAM_BOT_TOKEN. Tạo bot với @BotFather rồi đặt biến này.")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    errors.protect_logs(token, secret)
    silence_typed_method_advice()
    url = base_url or settings.telegram_api_url
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        tzinfo=settings.tz,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,
    )
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(token)
        .base_url(url)
        .base_file_url(file_url_for(url))
        .defaults(defaults)
        .concurrent_updates(
            PerChatUpdateProcessor(max_concurrent_updates or MAX_CONCURRENT_UPDATES)
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    builder = builder.request(request or AiohttpRequest()).get_updates_request(
        get_updates_request or AiohttpRequest(connection_pool_size=1)
    )
    if rate_limiter:
        builder = builder.rate_limiter(telegram_rate_limiter())
    application = builder.build()
    application.bot_data[handlers.SERVICES_KEY] = handlers.Services(
        brain=brain, clock=clock or SystemClock(settings.tz), admin_ids=settings.admin_ids
    )
    flood.register(application, flood.FloodGate(exempt=settings.admin_ids))
    for feature in features:
        feature(application)
    commands.register(application)
    handlers.register(application)
    errors.register(application)
    return application


def add_lifecycle_hooks(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    startup: LifecycleHook | None = None,
    shutdown: LifecycleHook | None = None,
) -> None:
    """Let a feature open resources in `post_init` and release them in `post_shutdown`
    (shutdown hooks run in reverse order, after the application has stopped)."""
    if startup is not None:
        application.bot_data.setdefault(STARTUP_KEY, []).append(startup)
    if shutdown is not None:
        application.bot_data.setdefault(SHUTDOWN_KEY, []).append(shutdown)


async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After getMe: run the features' start-up hooks, publish the command menus."""
    for hook in application.bot_data.get(STARTUP_KEY, []):
        await hook(application)
    await commands.publish_menus(application, handlers.services_of(application).admin_ids)


async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After shutdown: the features' shutdown hooks, last registered first; each runs."""
    for hook in reversed(application.bot_data.get(SHUTDOWN_KEY, [])):
        try:
            await hook(application)
        except Exception:
            log.exception("Lỗi khi đóng tài nguyên của một tính năng")


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET if set (checked), else a fresh random one for this run."""
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        return secrets.token_urlsafe(32)
    value = settings.webhook_secret.get_secret_value()
    if not _SECRET_TOKEN.match(value):
        raise ConfigError(
            "WEBHOOK_SECRET chỉ được gồm chữ cái không dấu, chữ số, '_' và '-' (tối đa 256 ký tự)"
        )
    return value


def _webhook_path(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(f"WEBHOOK_URL '{url}' phải là một địa chỉ https://…")
    return parts.path.strip("/")


async def _start_updates(
    application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
) -> str:
    """Start polling or the webhook server; return how the bot receives updates."""
    updater = application.updater
    assert updater is not None
    if settings.webhook_url:
        path = _webhook_path(settings.webhook_url)
        secret = webhook_secret(settings)
        errors.protect_logs(secret)
        await updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            bootstrap_retries=3,
        )
        return f"webhook {settings.webhook_url}"
    await updater.start_polling(
        timeout=poll_timeout,
        allowed_updates=Update.ALL_TYPES,
        bootstrap_retries=3,
        error_callback=lambda exc: log.warning("Lỗi khi lấy cập nhật từ Telegram: %s", exc),
    )
    return "long polling"


def settle_heap() -> None:
    """Move everything built at start-up (the plan, the language indexes, the storage)
    out of the cyclic garbage collector's sight (`gc.freeze`): they live as long as the
    process, and a full collection walking them stopped every update for ~80 ms, twice
    in 15 s at 300 updates/s (bench/load.py). Later objects are collected as usual.
    Called once by `run_bot` (not by `serve`, which tests start many times)."""
    gc.collect()
    gc.freeze()


def _beat(path: Path | None) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as exc:
        log.warning("Không ghi được tệp heartbeat %s: %s", path, exc)


def _install_signals(stop: asyncio.Event) -> list[int]:
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    return installed


async def serve(
    settings: Settings,
    brain: handlers.BrainLike,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    clock: Clock | None = None,
    base_url: str | None = None,
    rate_limiter: bool = True,
    features: Iterable[Feature] = (),
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
) -> int:
    """Run the bot until `stop` is set (or SIGINT/SIGTERM); return an exit code.

    `request`, `get_updates_request` and `poll_timeout` (seconds one long poll may
    wait) let tests use short network timeouts; production keeps PTB's defaults."""
    application = build_application(
        settings,
        brain,
        clock=clock,
        base_url=base_url,
        rate_limiter=rate_limiter,
        request=request,
        get_updates_request=get_updates_request,
        features=features,
    )
    stop = stop or asyncio.Event()
    installed = _install_signals(stop)
    try:
        try:
            await application.initialize()
        except InvalidToken:
            log.error("Telegram từ chối TELEGRAM_BOT_TOKEN. Kiểm tra lại token từ @BotFather.")
            return 1
        except TelegramError as exc:
            log.error("Không kết nối được tới Bot API (%s): %s", settings.telegram_api_url, exc)
            return 1
        if application.post_init is not None:
            await application.post_init(application)
        try:
            mode = await _start_updates(application, settings, poll_timeout)
        except (OSError, TelegramError) as exc:
            log.error("Không bắt đầu nhận cập nhật từ Telegram được: %s", exc)
            return 1
        await application.start()
        log.info(
            "Trợ lý Kế hoạch đang chạy trên Telegram: @%s (%s)", application.bot.username, mode
        )
        if ready is not None:
            ready.set()
        while not stop.is_set():
            _beat(settings.heartbeat_path)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    await stop.wait()
        log.info("Đang dừng bot…")
        return 0
    finally:
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:  # run_polling would call it; serve does
            await application.post_shutdown(application)


def default_features(
    settings: Settings, *, progress: ProgressFeature | None = None
) -> list[Feature]:
    """Feature modules `python -m bot run` plugs in: progress reporting and reminders.

    `progress` is the `ProgressFeature` whose `reader` the brain was built with."""
    from bot.reminders.handlers import reminders_feature
    from bot.telegram.progress import ProgressFeature

    features: list[Feature] = [progress or ProgressFeature(settings), reminders_feature(settings)]
    return features


def run_bot(settings: Settings) -> int:
    """`python -m bot run`: load and check the plan, then serve until stopped."""
    errors.configure_logging(settings.log_level)
    errors.protect_logs(settings.token)
    try:
        knowledge = load_knowledge(settings.plan_path)
    except PlanError as exc:
        print(
            f"Không khởi động được bot: kế hoạch không hợp lệ ({len(exc.problems)} lỗi):\n{exc}",
            file=sys.stderr,
        )
        return 1
    if not settings.token:
        print(
            "Chưa có TELEGRAM_BOT_TOKEN. Tạo bot với @BotFather rồi đặt biến này (xem README).",
            file=sys.stderr,
        )
        return 1
    from bot.brain import Brain
    from bot.telegram.progress import ProgressFeature

    progress = ProgressFeature(settings, knowledge)  # opens the database at start-up
    brain = Brain(knowledge, progress=progress.reader)
    try:
        features = default_features(settings, progress=progress)  # reminders open it now
        settle_heap()
        return asyncio.run(serve(settings, brain, features=features))
    except ConfigError as exc:
        print(f"Không khởi động được bot: {exc}", file=sys.stderr)
        return 1
    except (MigrationError, sqlite3.Error) as exc:  # the reminders' own connection
        cause = exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else exc
        print(
            f"Không khởi động được bot: không mở được cơ sở dữ liệu: {storage_problem(cause)}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return 0
