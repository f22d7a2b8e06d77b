"""Persistence: SQLite by default (WAL, migrations), chosen by DATABASE_URL.

`open_database` opens the read-write store the bot uses (creating the SQLite
file, checking it and applying migrations); a damaged, locked or read-only file is
refused with a Vietnamese `ConfigError` (`storage_problem` words SQLite errors for
operators). `open_progress_reader` opens an existing store read-only for `ask`
and reports, and never creates or writes anything.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.storage.base import Database, ProgressStore
from bot.storage.migrate import MigrationError

if TYPE_CHECKING:
    from bot.core.config import Settings

__all__ = [
    "Database",
    "ProgressStore",
    "open_database",
    "open_progress_reader",
    "sqlite_path",
    "storage_problem",
]

_POSTGRES_PREFIXES = ("postgresql://", "postgres://")
_SQLITE_PREFIX = "sqlite:///"


def _postgres_unavailable() -> ConfigError:
    return ConfigError(
        "DATABASE_URL trỏ tới PostgreSQL nhưng phiên bản này chưa có backend PostgreSQL;"
        " hãy dùng SQLite, ví dụ DATABASE_URL=sqlite:///data/planbot.db"
    )


def sqlite_path(database_url: str) -> Path:
    """The file of a sqlite:/// URL: sqlite:///data/x.db is relative, sqlite:////abs/x.db not."""
    if not database_url.startswith(_SQLITE_PREFIX):
        raise ConfigError(f"DATABASE_URL '{database_url}' không phải địa chỉ SQLite (sqlite:///…)")
    rest = database_url[len(_SQLITE_PREFIX) :].split("?", 1)[0]
    if not rest:
        raise ConfigError("DATABASE_URL thiếu đường dẫn tệp, ví dụ sqlite:///data/planbot.db")
    return Path(rest)


def open_database(settings: Settings, clock: Clock | None = None) -> Database:
    """The read-write store chosen by DATABASE_URL, migrated to the latest schema."""
    url = settings.database_url
    if url.startswith(_POSTGRES_PREFIXES):
        raise _postgres_unavailable()
    from bot.storage.inbox import inbox_path
    from bot.storage.sqlite import open_sqlite

    now = (clock or SystemClock(settings.tz)).now()
    path = sqlite_path(url)
    refuse_read_only(path)
    if str(path) != ":memory:":
        refuse_read_only(inbox_path(path))
    try:
        return open_sqlite(path, now=now)
    except MigrationError as exc:
        cause = exc.__cause__
        if isinstance(cause, sqlite3.Error) and _known_problem(cause):
            raise ConfigError(
                f"Không mở được cơ sở dữ liệu {path}: {storage_problem(cause)}"
            ) from exc
        raise ConfigError(f"Không mở được cơ sở dữ liệu: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"Không tạo được tệp cơ sở dữ liệu ({exc})") from exc
    except sqlite3.Error as exc:
        raise ConfigError(f"Không mở được cơ sở dữ liệu {path}: {storage_problem(exc)}") from exc


def refuse_read_only(path: Path) -> None:
    """ConfigError when the database file exists but the bot may not write it.

    SQLite opens such a file read-only without a word, so the bot would start and then
    refuse every report. Two signs are read, not tried: no write permission for anyone
    (chmod 444: what an operator means, and what root ignores, so `os.access` alone
    would say yes when running as root) and no write access for this user."""
    if str(path) == ":memory:" or not path.is_file():
        return
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise ConfigError(
            f"Không mở được cơ sở dữ liệu {path}: tệp chỉ đọc (quyền {stat.filemode(mode)}),"
            " bot sẽ không lưu được báo cáo nào; hãy cấp quyền ghi cho người dùng chạy bot,"
            f" ví dụ chmod u+w {path}, rồi chạy lại"
        )


EMPTY_FILE_DETAIL = "database file is empty (0 bytes)"
LOCKED_PROBLEM = (
    "cơ sở dữ liệu đang bị một tiến trình khác khóa ghi (một bot khác chạy trên cùng tệp,"
    " hoặc một công cụ đang giữ giao dịch); hãy dừng tiến trình đó rồi chạy lại"
)
DAMAGED_PROBLEM = (
    "tệp cơ sở dữ liệu bị hỏng (bị cắt cụt hoặc ghi đè); hãy dừng bot, giữ nguyên tệp để"
    " kiểm tra và khôi phục từ bản sao lưu gần nhất (bot không tự tạo tệp mới để tránh mất"
    " dữ liệu)"
)
EMPTY_PROBLEM = (
    "tệp cơ sở dữ liệu rỗng (0 byte), trong khi bot luôn ghi tệp ngay khi tạo: tệp đã bị"
    " cắt cụt hoặc được tạo bằng tay. Nếu bot đã từng chạy với tệp này, hãy khôi phục từ bản"
    " sao lưu gần nhất; nếu đây là lần chạy đầu, hãy xóa tệp để bot tự tạo"
)
READ_ONLY_PROBLEM = (
    "cơ sở dữ liệu chỉ đọc (tệp, hoặc thư mục chứa nó, không cho ghi): bot không lưu được;"
    " hãy cấp quyền ghi cho người dùng chạy bot"
)
UNKNOWN_PROBLEM = "lỗi SQLite"


INBOX_FILE_PROBLEM = "update inbox file"  # as bot.storage.sqlite names the inbox file
INBOX_PROBLEM = (
    "tệp hộp thư cập nhật (bên cạnh tệp cơ sở dữ liệu, tên có đuôi .inbox.db) bị hỏng hoặc"
    " rỗng; tệp này chỉ giữ các tin đã nhận từ Telegram mà chưa xử lý xong, không có báo cáo"
    " nào: hãy dừng bot, chuyển tệp đó (cùng -wal, -shm nếu có) sang chỗ khác rồi chạy lại,"
    " bot sẽ tạo tệp mới"
)


def _known_problem(exc: BaseException) -> str | None:
    text = str(exc).lower()
    if INBOX_FILE_PROBLEM in text and any(
        sign in text
        for sign in ("malformed", "not a database", "quick_check", "corrupt", EMPTY_FILE_DETAIL)
    ):
        return INBOX_PROBLEM
    if EMPTY_FILE_DETAIL in text:
        return EMPTY_PROBLEM
    if "locked" in text or "busy" in text:
        return LOCKED_PROBLEM
    if "readonly" in text or "read-only" in text:
        return READ_ONLY_PROBLEM
    if any(sign in text for sign in ("malformed", "not a database", "quick_check", "corrupt")):
        return DAMAGED_PROBLEM
    return None


def storage_problem(exc: BaseException) -> str:
    """A Vietnamese description of an SQLite error for operators, with its English detail."""
    return f"{_known_problem(exc) or UNKNOWN_PROBLEM} ({exc})"


def open_progress_reader(settings: Settings) -> ProgressStore | None:
    """A read-only view of stored progress, or None when nothing is stored yet."""
    url = settings.database_url
    if url.startswith(_POSTGRES_PREFIXES):
        raise _postgres_unavailable()
    from bot.storage.sqlite import open_sqlite_reader

    return open_sqlite_reader(sqlite_path(url))
