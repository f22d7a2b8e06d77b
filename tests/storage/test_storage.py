"""Storage: SQLite pragmas, migrations, append-only updates, read-only reader."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.clock import FixedClock
from bot.core.config import ConfigError, Settings, load_settings
from bot.storage import open_database, open_progress_reader, sqlite_path
from bot.storage.base import NewUpdate
from bot.storage.migrate import (
    Migration,
    MigrationError,
    applied_versions,
    apply_migrations,
    discover,
    split_statements,
)
from bot.storage.sqlite import SqliteDatabase, SqliteReader, open_sqlite
from bot.storage.sqlite_rows import to_utc_text

NOW = datetime(2023, 6, 15, 9, 0, tzinfo=UTC)


def _settings(path: Path) -> Settings:
    return load_settings(database_url=f"sqlite:///{path}")


def _update(message_id: int | None = 1, chat_id: int | None = 100, **extra: object) -> NewUpdate:
    fields: dict[str, object] = {
        "item_id": "2.4",
        "assignment_key": "2.4",
        "agency_id": "snv",
        "status": "in_progress",
        "percent": 60,
        "note": "đang lấy ý kiến các sở",
        "reporter_id": 10,
        "reporter_name": "Nguyễn Văn A",
        "created_at": NOW,
        "source_chat_id": chat_id,
        "source_message_id": message_id,
    }
    fields.update(extra)
    return NewUpdate(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "planbot.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[SqliteDatabase]:
    database = open_sqlite(db_path, now=NOW)
    yield database
    database.close()


def test_open_database_creates_file_with_wal_foreign_keys_and_timeout(db_path: Path) -> None:
    database = open_database(_settings(db_path), FixedClock(NOW))
    assert isinstance(database, SqliteDatabase)
    assert db_path.is_file()
    assert database.pragma("journal_mode") == "wal"
    assert database.pragma("foreign_keys") == 1
    assert database.pragma("busy_timeout") >= 1000
    assert database.schema_version() == max(m.version for m in discover())
    database.close()


def test_migrations_are_idempotent(db_path: Path, db: SqliteDatabase) -> None:
    db.close()
    again = open_sqlite(db_path, now=NOW)
    again.close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    rows = conn.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in discover()]
    assert apply_migrations(conn, now=NOW) == []
    conn.close()


def test_runner_applies_later_numbered_files_in_order(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    first = [Migration(1, "001_a.sql", "CREATE TABLE a (x INTEGER);")]
    assert apply_migrations(conn, now=NOW, migrations=first) == [1]
    later = [
        *first,
        Migration(3, "003_c.sql", "INSERT INTO b (y) VALUES (2);"),
        Migration(2, "002_b.sql", "CREATE TABLE b (y INTEGER);\nINSERT INTO b (y) VALUES (1);"),
    ]
    later.sort(key=lambda m: m.version)
    assert apply_migrations(conn, now=NOW, migrations=later) == [2, 3]
    assert [r[0] for r in conn.execute("SELECT y FROM b ORDER BY y")] == [1, 2]
    stamp = conn.execute("SELECT applied_at FROM schema_version WHERE version = 2").fetchone()[0]
    assert stamp == NOW.isoformat()
    conn.close()


def test_failed_migration_leaves_nothing_half_written(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    bad = [Migration(1, "001_bad.sql", "CREATE TABLE ok (x INTEGER);\nCREATE TABLE ok (y);")]
    with pytest.raises(MigrationError, match=r"001_bad\.sql"):
        apply_migrations(conn, now=NOW, migrations=bad)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "ok" not in tables
    assert applied_versions(conn) == set()
    conn.close()


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    apply_migrations(conn, now=NOW, migrations=[Migration(5, "005_x.sql", "SELECT 1;")])
    with pytest.raises(MigrationError, match="mới hơn"):
        apply_migrations(conn, now=NOW, migrations=[Migration(1, "001_a.sql", "SELECT 1;")])
    conn.close()


def test_discover_rejects_badly_named_and_duplicate_files(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text("SELECT 1;", encoding="utf-8")
    (tmp_path / "002_b.sql").write_text("SELECT 1;", encoding="utf-8")
    assert [m.version for m in discover(tmp_path)] == [1, 2]
    (tmp_path / "002_c.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match="cùng số 002"):
        discover(tmp_path)
    (tmp_path / "002_c.sql").unlink()
    (tmp_path / "nhac viec.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match="sai tên"):
        discover(tmp_path)


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    sql = (
        "-- comment\nCREATE TABLE t (x);\n"
        "CREATE TRIGGER t_no BEFORE DELETE ON t\nBEGIN\n"
        "    SELECT RAISE(ABORT, 'no');\nEND;\n-- trailing\n"
    )
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].endswith("END;")


async def test_redelivered_update_stores_one_record(db: SqliteDatabase) -> None:
    first, created = await db.insert_update(_update())
    again, created_again = await db.insert_update(_update(note="khác"))
    assert created and not created_again
    assert again.id == first.id and again.note == "đang lấy ý kiến các sở"
    assert len(db.updates()) == 1


async def test_updates_without_source_ids_are_each_stored(db: SqliteDatabase) -> None:
    await db.insert_update(_update(message_id=None, chat_id=None))
    await db.insert_update(_update(message_id=None, chat_id=None))
    assert len(db.updates()) == 2


async def test_reopened_database_keeps_every_saved_update(
    db_path: Path, db: SqliteDatabase
) -> None:
    for message_id in range(1, 6):
        await db.insert_update(_update(message_id=message_id, percent=message_id * 10))
    db.close()
    reopened = open_sqlite(db_path, now=NOW)
    stored = reopened.updates()
    assert [u.percent for u in stored] == [10, 20, 30, 40, 50]
    assert stored[0].created_at == NOW and stored[0].created_at.tzinfo is not None
    reopened.close()


async def test_times_are_stored_as_utc_iso_strings(db_path: Path, db: SqliteDatabase) -> None:
    local = datetime(2023, 6, 15, 16, 0, tzinfo=FixedClock(NOW).tz)
    await db.insert_update(_update(created_at=local))
    raw = sqlite3.connect(db_path).execute("SELECT created_at FROM progress_updates").fetchone()
    assert raw[0] == "2023-06-15T09:00:00.000000+00:00"


async def test_updates_are_append_only(db_path: Path, db: SqliteDatabase) -> None:
    await db.insert_update(_update())
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE progress_updates SET percent = 99")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM progress_updates")
    conn.close()


async def test_undo_is_a_separate_mark(db: SqliteDatabase) -> None:
    stored, _ = await db.insert_update(_update())
    assert await db.mark_undone(stored.id, by=10, at=NOW)
    assert not await db.mark_undone(stored.id, by=10, at=NOW)
    assert not await db.mark_undone(9999, by=10, at=NOW)
    assert db.updates() == []
    marked = db.updates(include_undone=True)
    assert len(marked) == 1 and marked[0].undone and marked[0].undone_by == 10
    assert db.history("2.4") == []
    assert db.latest_by_assignment("2.4") == {}


async def test_latest_by_assignment_and_history(db: SqliteDatabase) -> None:
    await db.insert_update(_update(message_id=1, percent=20))
    await db.insert_update(_update(message_id=2, percent=70))
    await db.insert_update(_update(message_id=3, agency_id="stc", percent=10))
    latest = db.latest_by_assignment("2.4")
    assert latest["2.4|snv"].percent == 70 and latest["2.4|stc"].percent == 10
    assert [u.percent for u in db.history("2.4", limit=2)] == [10, 70]


def test_a_failed_transaction_writes_nothing(db: SqliteDatabase) -> None:
    def job(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO progress_updates (item_id, assignment_key, agency_id, status,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            ("2.4", "2.4", "snv", "done", NOW.isoformat()),
        )
        raise RuntimeError("giữa chừng")

    with pytest.raises(RuntimeError):
        db.writer.call(job)
    assert db.updates() == []


async def test_check_constraints_reject_bad_rows(db: SqliteDatabase) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await db.insert_update(_update(percent=150))
    assert db.updates() == []


async def test_members_and_chat_links_round_trip(db: SqliteDatabase) -> None:
    member = await db.save_member_request(10, "syt", "Trần Thị B", NOW)
    assert member.status == "pending"
    assert await db.decide_member(10, "approved", allowed_from=("approved",), by=1, at=NOW) is None
    approved = await db.decide_member(10, "approved", allowed_from=("pending",), by=1, at=NOW)
    assert approved is not None and approved.status == "approved" and approved.decided_by == 1
    assert [m.user_id for m in db.list_members("approved")] == [10]
    assert db.list_members("pending") == []
    link = await db.save_chat_link_request(-500, "syt", "Nhóm Sở Y tế", 10, NOW)
    assert link.status == "pending"
    assert await db.decide_chat_link(-500, "approved", allowed_from=("pending",), by=1, at=NOW)
    assert db.get_chat_link(-500).status == "approved"  # type: ignore[union-attr]


def test_reader_is_none_and_creates_nothing_when_no_database(db_path: Path) -> None:
    assert open_progress_reader(_settings(db_path)) is None
    assert not db_path.exists() and not db_path.parent.exists()


async def test_reader_reads_but_never_writes(db_path: Path, db: SqliteDatabase) -> None:
    await db.insert_update(_update())
    reader = open_progress_reader(_settings(db_path))
    assert isinstance(reader, SqliteReader)
    assert [u.percent for u in reader.updates()] == [60]
    await db.insert_update(_update(message_id=2, percent=80))
    assert [u.percent for u in reader.updates()] == [60, 80]
    with pytest.raises(sqlite3.OperationalError):
        reader._conn.execute("DELETE FROM members")
    reader.close()


def test_reader_ignores_a_file_without_schema(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert open_progress_reader(_settings(empty)) is None


def test_postgres_url_is_refused_clearly(tmp_path: Path) -> None:
    settings = load_settings(database_url="postgresql://u@localhost/plan")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        open_database(settings)
    with pytest.raises(ConfigError, match="chưa có backend PostgreSQL"):
        open_progress_reader(settings)


def test_sqlite_path_forms() -> None:
    assert sqlite_path("sqlite:///data/planbot.db") == Path("data/planbot.db")
    assert sqlite_path("sqlite:////var/lib/plan.db") == Path("/var/lib/plan.db")
    with pytest.raises(ConfigError):
        sqlite_path("sqlite:///")


async def test_update_reads_are_reused_until_any_connection_writes(
    db: SqliteDatabase, db_path: Path
) -> None:
    selects: list[str] = []
    db._conn.set_trace_callback(
        lambda sql: selects.append(sql) if "FROM progress_updates" in sql else None
    )
    other = open_sqlite(db_path, now=NOW)  # another connection: the reminders', a second process
    try:
        assert db.updates() == []
        assert db.updates() == [] and len(selects) == 1  # unchanged: not read again
        mine, _ = await db.insert_update(_update(1))
        assert [u.id for u in db.updates()] == [mine.id]  # its own write is seen
        theirs, _ = await other.insert_update(_update(2))
        assert [u.id for u in db.updates()] == [mine.id, theirs.id]  # and another's
        assert [u.id for u in db.updates("2.4")] == [mine.id, theirs.id]
        assert await other.mark_undone(mine.id, by=10, at=NOW)
        assert [u.id for u in db.updates()] == [theirs.id]
        assert [u.undone for u in db.updates(include_undone=True)] == [True, False]
        assert await db.mark_undone(theirs.id, by=10, at=NOW)
        assert db.updates() == [] and db.updates("2.4") == []
        reads = len(selects)
        shown = db.updates(include_undone=True)
        shown.clear()  # a caller changing its list changes nothing kept
        assert len(db.updates(include_undone=True)) == 2 and len(selects) == reads  # no read
    finally:
        other.close()


async def test_a_changed_database_is_read_from_the_last_row_seen_not_from_the_start(
    db: SqliteDatabase, db_path: Path
) -> None:
    """A year of reports must not be re-read and re-parsed after every new one."""
    selects: list[str] = []
    db._conn.set_trace_callback(
        lambda sql: selects.append(sql) if "FROM progress_updates" in sql else None
    )
    first = [(await db.insert_update(_update(n)))[0] for n in range(1, 6)]
    assert [u.id for u in db.updates()] == [u.id for u in first]
    selects.clear()
    other = open_sqlite(db_path, now=NOW)
    try:
        newer, _ = await other.insert_update(_update(6))
        assert [u.id for u in db.updates()] == [*(u.id for u in first), newer.id]
    finally:
        other.close()
    reads = [sql for sql in selects if "SELECT u.id" in sql]
    assert len(reads) == 1 and f"u.id > {first[-1].id}" in reads[0], selects


async def test_a_late_update_stamped_earlier_is_listed_in_time_order(db: SqliteDatabase) -> None:
    """The clock is injected: an update may be stored after one with a later time."""
    later, _ = await db.insert_update(replace(_update(1), created_at=NOW + timedelta(days=2)))
    assert [u.id for u in db.updates()] == [later.id]
    earlier, _ = await db.insert_update(replace(_update(2), created_at=NOW - timedelta(days=2)))
    assert [u.id for u in db.updates()] == [earlier.id, later.id]
    assert await db.mark_undone(later.id, by=10, at=NOW)
    assert [u.id for u in db.updates()] == [earlier.id]
    assert [(u.id, u.undone) for u in db.updates(include_undone=True)] == [
        (earlier.id, False),
        (later.id, True),
    ]


@pytest.mark.parametrize("in_memory", [False, True], ids=["file", "memory"])
async def test_rows_written_in_a_transaction_that_rolls_back_never_show(
    db_path: Path, in_memory: bool
) -> None:
    """A file database reads on its own connection, which never sees a write before
    COMMIT; an in-memory one shares the writer's connection, so it sees the rows of the
    open transaction but must not keep them."""
    db = open_sqlite(Path(":memory:") if in_memory else db_path, now=NOW)
    seen_inside: list[list[str]] = []

    def job(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO progress_updates (item_id, assignment_key, agency_id, status,"
            " created_at) VALUES ('2.4', '2.4', 'snv', 'done', ?)",
            (to_utc_text(NOW),),
        )
        seen_inside.append([u.status for u in db.updates()])
        raise RuntimeError("rolled back")

    try:
        assert db.updates() == []
        with pytest.raises(RuntimeError, match="rolled back"):
            await db.writer.run(job)
        assert seen_inside == [["done"] if in_memory else []]  # seen inside, not kept
        assert db.updates() == []
        kept, _ = await db.insert_update(_update(1))
        assert [u.id for u in db.updates()] == [kept.id]
    finally:
        db.close()
