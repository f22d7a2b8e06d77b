"""The one error handler, and log hygiene.

`on_error` logs what went wrong (network hiccups and a chat that is gone, such as
400 "chat not found", as one warning line; the rest with a traceback), apologises briefly to the user who was waiting (a database
that is locked or damaged gets its own apology saying nothing was saved), and
lets the bot keep running. `protect_logs` keeps secrets out of every log record: the
`httpx`/`httpcore` loggers (which print request URLs, and the URL holds the bot
token) go to WARNING, and any record that still contains the token or webhook
secret has it replaced before a handler sees it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.core.reply import html_to_plain
from bot.storage import storage_problem
from bot.telegram.delivery import chat_gone
from bot.telegram.handlers import is_addressed_to_bot

log = logging.getLogger(__name__)

APOLOGY = "Xin lỗi, trợ lý gặp lỗi khi xử lý yêu cầu này. Anh/chị vui lòng thử lại sau ít phút."
STORAGE_APOLOGY = (
    "Xin lỗi, cơ sở dữ liệu của trợ lý đang bận hoặc gặp sự cố nên yêu cầu này chưa thực hiện"
    " được. Nếu anh/chị vừa gửi báo cáo, báo cáo <b>chưa được lưu</b>: vui lòng gửi lại sau ít"
    " phút. Nếu lỗi kéo dài, xin báo quản trị viên bot."
)
REDACTED = "[đã ẩn]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _should_apologise(update: Update) -> bool:
    """Private chats and button presses always; in groups only what was addressed to us."""
    if update.callback_query is not None:
        return True
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    try:
        return (message.text or "").startswith("/") or is_addressed_to_bot(message)
    except Exception:  # the check itself must never turn one error into two
        return False


async def apologise(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str = APOLOGY
) -> None:
    """Tell the user something went wrong (`text`, Telegram HTML); never raises."""
    try:
        query = update.callback_query
        if query is not None:
            try:
                await query.answer(html_to_plain(text)[:200], show_alert=text != APOLOGY)
                return
            except TelegramError:  # already answered: say it in the chat instead
                pass
        chat, message = update.effective_chat, update.effective_message
        if chat is None:
            return
        quote = message if isinstance(message, Message) and query is None else None
        await context.bot.send_message(
            chat.id,
            text,
            reply_parameters=(
                ReplyParameters(quote.message_id, allow_sending_without_reply=True)
                if quote
                else None
            ),
        )
    except Exception as exc:
        log.warning("Không gửi được lời xin lỗi tới người dùng: %s", exc)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error, apologise to the user if one is waiting, keep running."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("Telegram không cho gửi tin (bị chặn hoặc bị xóa khỏi nhóm): %s", error)
        return
    if isinstance(error, BadRequest) and chat_gone(error):
        chat = update.effective_chat if isinstance(update, Update) else None
        log.warning(
            "Không gửi được tới cuộc trò chuyện %s (update %s): Telegram trả lời «%s»",
            chat.id if chat is not None else "?",
            update_id,
            error.message,
        )
        return
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        log.warning("Telegram yêu cầu chờ %.0f giây (update %s)", seconds, update_id)
    elif isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("Lỗi mạng khi gọi Telegram (update %s): %s", update_id, error)
    elif isinstance(error, sqlite3.Error):
        log.error(
            "Lỗi cơ sở dữ liệu khi xử lý update %s: %s",
            update_id,
            storage_problem(error),
            exc_info=error,
        )
    else:
        log.error("Lỗi khi xử lý update %s", update_id, exc_info=error)
    if isinstance(update, Update) and _should_apologise(update):
        text = STORAGE_APOLOGY if isinstance(error, sqlite3.Error) else APOLOGY
        await apologise(update, context, text)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_error_handler(on_error)


# ---------------------------------------------------------------- log hygiene

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def _redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _wrap(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if not _secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's business
            return record
        if any(secret in message for secret in _secrets):
            record.msg, record.args = _redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in _secrets):
                record.exc_text = _redact(text)
        return record

    return make_record


def protect_logs(*secrets: str | None) -> None:
    """Quiet the HTTP loggers and redact `secrets` (and a token's secret half) everywhere."""
    global _installed
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= 8:
                _secrets.add(secret)
                _, _, tail = secret.partition(":")
                if len(tail) >= 8:
                    _secrets.add(tail)
        if not _installed:
            logging.setLogRecordFactory(_wrap(logging.getLogRecordFactory()))
            _installed = True


def configure_logging(level: str = "INFO") -> None:
    """Log lines to stderr at `level` (LOG_LEVEL); unknown names fall back to INFO.

    Below DEBUG the libraries' start/stop chatter is hidden, so a normal start-up
    prints one line: the bot's own "đang chạy" line.
    """
    mapping = logging.getLevelNamesMapping()
    numeric = mapping.get(level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, format=LOG_FORMAT)
    logging.getLogger().setLevel(numeric)
    if numeric > logging.DEBUG:  # library life-cycle chatter only when debugging
        for name in ("telegram", "apscheduler"):
            logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    if level.upper() not in mapping:
        log.warning("LOG_LEVEL '%s' không hợp lệ; dùng INFO", level)
