"""A small numbered-SQL migration runner for SQLite.

Every `NNN_name.sql` file in `bot/storage/migrations/` is applied once, in
number order, each inside its own transaction together with its row in
`schema_version`. Adding `002_reminders.sql` is all a later change needs.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

_SCHEMA_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


class MigrationError(Exception):
    """A migration that cannot be found, read or applied; the message is Vietnamese."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All `NNN_*.sql` files of `directory`, sorted by number; numbers must be unique."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"Tệp migration '{path.name}' sai tên: cần dạng NNN_ten_ngan.sql"
                " (ví dụ 002_nhac_viec.sql)"
            )
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"Hai tệp migration cùng số {version:03d}: {found[version].name} và {path.name}"
            )
        found[version] = Migration(version, path.name, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (trigger bodies stay whole)."""
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if _strip_comments(current):
                statements.append(current.strip())
            current = ""
    if _strip_comments(current):
        raise MigrationError("Tệp migration kết thúc giữa chừng một câu lệnh (thiếu dấu ';')")
    return statements


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines()).strip()


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    """Versions recorded in schema_version (empty when the table does not exist)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", ("schema_version",)
    ).fetchone()
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_version")}


def apply_migrations(
    conn: sqlite3.Connection,
    *,
    now: datetime,
    migrations: list[Migration] | None = None,
) -> list[int]:
    """Apply every pending migration; return the versions applied (idempotent).

    `conn` must be in autocommit mode (isolation_level=None): each migration runs
    between its own BEGIN IMMEDIATE and COMMIT, so a failure leaves nothing behind.
    """
    todo = discover() if migrations is None else migrations
    known = max((m.version for m in todo), default=0)
    newest = max(applied_versions(conn), default=0)
    if newest > known:
        raise MigrationError(
            f"Cơ sở dữ liệu ở phiên bản lược đồ {newest}, mới hơn mã nguồn này (tối đa {known});"
            " hãy cập nhật bot trước khi chạy"
        )
    stamp = now.astimezone(UTC).isoformat()
    applied: list[int] = []
    for migration in todo:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_SCHEMA_VERSION_DDL)
            done = conn.execute(
                "SELECT 1 FROM schema_version WHERE version = ?", (migration.version,)
            ).fetchone()
            if done:
                conn.execute("COMMIT")
                continue
            for statement in split_statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, stamp),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise MigrationError(f"Không áp dụng được migration {migration.name}: {exc}") from exc
        except MigrationError:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
