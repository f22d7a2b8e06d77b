"""Online backup of the SQLite database (`python -m bot backup FILE`).

SQLite's backup API (`sqlite3.Connection.backup`) copies one consistent snapshot of
the database — what is committed, including what still sits in the `-wal` file, and
nothing of a transaction not committed yet — through a read transaction, so the bot
can keep running and writing meanwhile (WAL readers and the writer never wait for
each other). The copy goes to a temporary file beside FILE, is switched to a
rollback journal (so the backup is one self-contained file, no `-wal` beside it),
checked (`PRAGMA quick_check`), flushed to disk and only then renamed to FILE: a
failed or interrupted backup never leaves a half-written FILE. An existing FILE is
replaced only when asked (`force`). Every failure is a `BackupError` with one
Vietnamese line.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.storage import storage_problem

BUSY_TIMEOUT_MS = 5000
PAGES_PER_STEP = -1  # the whole database in one step: one snapshot, never restarted


class BackupError(Exception):
    """The backup was not made (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class BackupResult:
    """What was written."""

    source: Path
    target: Path
    size: int
    reports: int | None  # progress reports in the copy (None: no such table yet)

    def summary(self) -> str:
        counted = f", {self.reports} báo cáo tiến độ" if self.reports is not None else ""
        return (
            f"Đã sao lưu cơ sở dữ liệu {self.source} vào {self.target}"
            f" ({_size_text(self.size)}{counted})."
        )


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def _check(source: Path, target: Path, force: bool) -> None:
    if not source.is_file():
        raise BackupError(
            f"Chưa có cơ sở dữ liệu tại {source}: không có gì để sao lưu (bot chưa chạy lần"
            " nào với DATABASE_URL này, hoặc DATABASE_URL trỏ sai chỗ)."
        )
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"Không sao lưu được: {target} chính là tệp cơ sở dữ liệu đang dùng.")
    if target.is_dir():
        raise BackupError(f"Không sao lưu được: {target} là một thư mục; hãy ghi tên tệp.")
    if target.exists() and not force:
        raise BackupError(
            f"Tệp {target} đã có; không ghi đè. Hãy chọn tên khác, hoặc thêm --force để thay"
            " nó bằng bản sao lưu mới."
        )
    if not target.parent.is_dir():
        raise BackupError(f"Không sao lưu được: thư mục {target.parent} không tồn tại.")


def _copy(source: Path, temporary: Path) -> int | None:
    """Snapshot `source` into `temporary` as one self-contained, checked file; the
    number of progress reports it holds."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        dst = sqlite3.connect(temporary, isolation_level=None)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode = DELETE")  # no -wal beside the backup
            problems = [str(row[0]) for row in dst.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError("quick_check: " + "; ".join(problems[:3]))
            found = dst.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'progress_updates'"
            ).fetchone()
            if found is None:
                return None
            return int(dst.execute("SELECT COUNT(*) FROM progress_updates").fetchone()[0])
        finally:
            dst.close()
    finally:
        src.close()


def _flush(path: Path) -> None:
    """fsync a file, or a directory so a rename in it is on disk (where supported)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def backup_database(source: Path, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the live database `source` to `target` (see the module docstring)."""
    _check(source, target, force)
    temporary = target.parent / f".{target.name}.{os.getpid()}.tmp"
    leftovers = [temporary, *(Path(f"{temporary}{end}") for end in ("-journal", "-wal", "-shm"))]
    try:
        reports = _copy(source, temporary)
        _flush(temporary)
        os.replace(temporary, target)
        _flush(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"Không sao lưu được {source}: {storage_problem(exc)}") from exc
    except OSError as exc:
        raise BackupError(f"Không ghi được bản sao lưu {target}: {exc}") from exc
    finally:
        for path in leftovers:
            with contextlib.suppress(OSError):
                path.unlink()
    return BackupResult(source=source, target=target, size=target.stat().st_size, reports=reports)
