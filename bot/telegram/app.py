"""Build and run the Telegram Application in one place.

`build_application` wires Defaults (HTML, Asia/Ho_Chi_Minh), the rate limiter, a
per-chat sequential update processor, the typed context (`ContextTypes` with
`BotData`: the services the handlers use), the flood limit (`flood`, before every
handler), feature modules (`feature.Feature`: registered here, started in
`post_init`, stopped in reverse in `post_shutdown`), commands, handlers and the one
error handler; `post_init` also publishes the command menus. `serve` runs it on the
database it is given (long polling, or a webhook with a secret token when
WEBHOOK_URL is set) until SIGINT/SIGTERM or `stop` is set, logging one line when it
is up. Its start-up calls to Telegram are retried for a bounded time (`startup`);
its shutdown is bounded too (`shutdown`: no flood wait after SIGTERM, in-flight
work cut off after `GRACE_SECONDS`). `bot.app.runtime.run_bot` builds what it runs
on and is what `python -m bot run` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import secrets
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest

from bot.core.clock import Clock, SystemClock
from bot.core.config import ConfigError, Settings
from bot.storage import Database
from bot.storage.inbox import inbox_beside
from bot.telegram import commands, errors, flood, handlers
from bot.telegram.context import App, BotData, BrainLike
from bot.telegram.feature import Feature
from bot.telegram.inbox import ALLOWED_UPDATES, CONFIRM_SECONDS, InboxPump
from bot.telegram.sending import silence_typed_method_advice
from bot.telegram.shutdown import GRACE_SECONDS, Shutdown, ShutdownAwareRateLimiter
from bot.telegram.startup import DEFAULT_BACKOFF, Backoff, StartupRetry, StartupStopped
from bot.telegram.transport import AiohttpRequest
from bot.telegram.update_processor import PerChatUpdateProcessor

log = logging.getLogger(__name__)

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
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def telegram_rate_limiter(shutdown: Shutdown | None = None) -> AIORateLimiter:
    """The rate limiter every request goes through (see OVERALL_BURST), retrying a 429
    until shutdown begins (`ShutdownAwareRateLimiter`)."""
    return ShutdownAwareRateLimiter(
        shutdown or Shutdown(),
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
    brain: BrainLike,
    *,
    clock: Clock | None = None,
    base_url: str | None = None,
    rate_limiter: bool = True,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    features: Iterable[Feature] = (),
    max_concurrent_updates: int | None = None,
) -> App:
    """The Application with every handler registered; nothing is sent until it starts.

    `features` (`bot.telegram.feature.Feature`: progress, reminders…) register before
    the core handlers, so their commands win; they are started in `post_init` and
    stopped in `post_shutdown`. The services handlers use are in the typed
    `bot_data` (`BotData`).
    """
    token = settings.token
    if not token:
        raise ConfigError("Chưa có TELEGRAM_BOT_TOKEN. Tạo bot với @BotFather rồi đặt biến này.")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    errors.protect_logs(token, secret)
    silence_typed_method_advice()
    url = base_url or settings.telegram_api_url
    shutdown = Shutdown()
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        tzinfo=settings.tz,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,
    )
    builder: ApplicationBuilder[Any, Any, Any, Any, BotData, Any] = (
        ApplicationBuilder()
        .context_types(ContextTypes(bot_data=BotData))
        .token(token)
        .base_url(url)
        .base_file_url(file_url_for(url))
        .defaults(defaults)
        .concurrent_updates(
            PerChatUpdateProcessor(
                max_concurrent_updates or MAX_CONCURRENT_UPDATES, shutdown=shutdown
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .updater(None)  # updates come through the inbox (bot/telegram/inbox.py)
    )
    builder = builder.request(request or AiohttpRequest()).get_updates_request(
        get_updates_request or AiohttpRequest(connection_pool_size=1)
    )
    if rate_limiter:
        builder = builder.rate_limiter(telegram_rate_limiter(shutdown))
    application: App = builder.build()
    data = application.bot_data
    data.brain = brain
    data.clock = clock or SystemClock(settings.tz)
    data.admin_ids = settings.admin_ids
    data.shutdown = shutdown
    data.item_ids = handlers.known_items(brain)
    flood.register(application, flood.FloodGate(exempt=settings.admin_ids))
    for feature in features:
        feature.register(application)
        data.features.append(feature)
    commands.register(application)
    handlers.register(application)
    errors.register(application)
    return application


async def start_features(application: App) -> None:
    """The features' `start`, in the order they were given."""
    for feature in application.bot_data.features:
        await feature.start(application)


async def publish_menus(application: App, attempt: commands.Attempt | None = None) -> None:
    """The command menus of every scope (setMyCommands; `attempt`: see `commands`)."""
    await commands.publish_menus(application, application.bot_data.admin_ids, attempt=attempt)


async def post_init(application: App) -> None:
    """After getMe: start the features, publish the command menus.
    (`serve` runs the two itself, retrying Telegram's server errors: `startup`.)"""
    await start_features(application)
    await publish_menus(application)


async def post_shutdown(application: App) -> None:
    """After shutdown: the features' `stop`, last given first; each one runs."""
    for feature in reversed(application.bot_data.features):
        try:
            await feature.stop(application)
        except Exception:
            log.exception("Lỗi khi dừng một tính năng")


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
    application: App,
    settings: Settings,
    pump: InboxPump,
    retry: StartupRetry,
) -> str:
    """Point Telegram at the bot (setWebhook, or deleteWebhook for polling: these calls
    are retried), then start the inbox pump; return how the bot receives updates."""
    bot = application.bot
    if settings.webhook_url:
        path = _webhook_path(settings.webhook_url)
        secret = webhook_secret(settings)
        errors.protect_logs(secret)
        await pump.start_webhook(
            listen=settings.webhook_listen, port=settings.webhook_port, path=path, secret=secret
        )
        await retry(
            lambda: bot.set_webhook(
                url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
            ),
            "setWebhook",
        )
        return f"webhook {settings.webhook_url}"
    await retry(lambda: bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")
    pump.start_polling()
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
    brain: BrainLike,
    *,
    database: Database,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    clock: Clock | None = None,
    base_url: str | None = None,
    rate_limiter: bool = True,
    features: Iterable[Feature] = (),
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
    startup_backoff: Backoff = DEFAULT_BACKOFF,
    shutdown_grace: float = GRACE_SECONDS,
) -> int:
    """Run the bot until `stop` is set (or SIGINT/SIGTERM); return an exit code.

    `request`, `get_updates_request` and `poll_timeout` (seconds one long poll may
    wait) let tests use short network timeouts; production keeps PTB's defaults.
    Start-up calls are retried within `startup_backoff`; once stopping, work in
    flight gets `shutdown_grace` seconds (see `bot.telegram.shutdown`).
    `database` holds the update inbox; it belongs to the caller (the composition root,
    `bot.app.runtime`, which also hands it to the features) and stays open."""
    return await _serve(
        settings,
        brain,
        database,
        stop=stop,
        ready=ready,
        clock=clock or SystemClock(settings.tz),
        base_url=base_url,
        rate_limiter=rate_limiter,
        features=features,
        request=request,
        get_updates_request=get_updates_request,
        poll_timeout=poll_timeout,
        startup_backoff=startup_backoff,
        shutdown_grace=shutdown_grace,
    )


async def _serve(
    settings: Settings,
    brain: BrainLike,
    database: Database,
    *,
    stop: asyncio.Event | None,
    ready: asyncio.Event | None,
    clock: Clock,
    base_url: str | None,
    rate_limiter: bool,
    features: Iterable[Feature],
    request: BaseRequest | None,
    get_updates_request: BaseRequest | None,
    poll_timeout: int,
    startup_backoff: Backoff,
    shutdown_grace: float,
) -> int:
    updates_request = get_updates_request or AiohttpRequest(connection_pool_size=1)
    application = build_application(
        settings,
        brain,
        clock=clock,
        base_url=base_url,
        rate_limiter=rate_limiter,
        request=request,
        get_updates_request=updates_request,
        features=features,
    )
    pump = InboxPump(
        application,
        inbox_beside(database),
        clock,
        poll_timeout=poll_timeout,
        read_timeout=(updates_request.read_timeout or 0) + poll_timeout,
        stop_grace=max(0.0, shutdown_grace - CONFIRM_SECONDS),  # all within the grace
    )
    stop = stop or asyncio.Event()
    installed = _install_signals(stop)
    retry = StartupRetry(startup_backoff, stop)
    try:
        try:
            await retry(application.initialize, "getMe")
        except InvalidToken:
            log.error("Telegram từ chối TELEGRAM_BOT_TOKEN. Kiểm tra lại token từ @BotFather.")
            return 1
        except TelegramError as exc:
            log.error("Không kết nối được tới Bot API (%s): %s", settings.telegram_api_url, exc)
            return 1
        await start_features(application)
        await publish_menus(application, retry)
        await application.start()
        try:
            mode = await _start_updates(application, settings, pump, retry)
        except (OSError, TelegramError) as exc:
            log.error("Không bắt đầu nhận cập nhật từ Telegram được: %s", exc)
            return 1
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
    except StartupStopped:
        log.info("Dừng theo yêu cầu khi đang khởi động")
        return 0
    finally:
        await _stop_application(application, pump, installed, shutdown_grace)


async def _stop_application(
    application: App,
    pump: InboxPump,
    installed: list[int],
    grace: float,
) -> None:
    """Stop taking work, give what is in flight `grace` seconds, close everything."""
    shutdown = application.bot_data.shutdown
    shutdown.begin()  # from now on no flood wait is waited out (bot.telegram.shutdown)
    cut_off = asyncio.create_task(shutdown.cut_off_after(grace))
    try:
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        await pump.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:  # run_polling would call it; serve does
            await application.post_shutdown(application)
    finally:
        cut_off.cancel()
