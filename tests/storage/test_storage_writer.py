"""The SQLite writer thread (bot/storage/writer.py), as the bot's users would notice it:
reports sent together share one commit, a bad one never costs the others, nothing is
confirmed before it is on disk, the bot keeps answering while the disk is slow, and a
closed database neither swallows writes nor leaves its data in the WAL file."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import HeldWriter, report, stored_percents

from bot.storage.base import StoredUpdate
from bot.storage.reminders import ReminderStore
from bot.storage.sqlite import SqliteDatabase, open_sqlite
from bot.storage.sqlite_rows import to_utc_text

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[SqliteDatabase]:
    database = open_sqlite(db_path, now=NOW)
    yield database
    database.close()


# ---------------------------------------------------------------- group commit


async def test_reports_sent_together_share_a_commit_and_all_are_stored(db_path: Path) -> None:
    """20 reports arriving at once on a slow disk: far fewer commits (fsyncs) than
    reports, and every report is stored once, each with its own record."""
    db = open_sqlite(db_path, now=NOW, commit_delay=0.05)
    try:
        stats = db.writer.stats
        before = stats.batches
        writes = 20
        results = await asyncio.gather(*(db.insert_update(report(n, n)) for n in range(writes)))
        assert all(created for _, created in results)
        assert len({stored.id for stored, _ in results}) == writes
        assert stats.batches - before < writes // 2, stats
        assert stats.largest_batch > 1
        assert stored_percents(db) == list(range(writes))
    finally:
        db.close()
    reopened = open_sqlite(db_path, now=NOW)
    try:
        assert stored_percents(reopened) == list(range(writes))
    finally:
        reopened.close()


async def test_writes_waiting_together_are_committed_in_one_transaction(
    db: SqliteDatabase,
) -> None:
    stats = db.writer.stats
    async with HeldWriter(db) as held:
        before = stats.batches
        tasks = await held.submit(*(db.insert_update(report(n, n)) for n in range(8)))
    results = await asyncio.gather(*tasks)
    assert stats.batches - before == 2  # the held job's batch, then all 8 writes in one
    assert stats.jobs == 9 and stats.largest_batch == 8
    assert [stored.percent for stored, created in results if created] == list(range(8))
    assert stored_percents(db) == list(range(8))


# ---------------------------------------------------------------- failures


async def test_a_failing_write_in_a_batch_does_not_lose_the_others(db: SqliteDatabase) -> None:
    """One job raises half-way (after writing a row), one report breaks a CHECK
    constraint: both fail alone, the reports around them in the same transaction are
    stored, and nothing of the failed ones is."""

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO progress_updates (item_id, assignment_key, agency_id, status,"
            " percent, created_at) VALUES ('2.4', '2.4', 'snv', 'done', 100, ?)",
            (to_utc_text(NOW),),
        )
        raise RuntimeError("hỏng giữa chừng")

    async with HeldWriter(db) as held:
        tasks = await held.submit(
            db.insert_update(report(1, 10)),
            db.writer.run(half_done),
            db.insert_update(report(2, 20)),
            db.insert_update(report(3, 150)),  # percent outside 0–100
            db.insert_update(report(4, 40)),
        )
    results: list[Any] = await asyncio.gather(*tasks, return_exceptions=True)
    assert db.writer.stats.largest_batch == 5  # all in one transaction
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[3], sqlite3.IntegrityError)
    kept = [results[0], results[2], results[4]]
    assert all(isinstance(r, tuple) and r[1] for r in kept), results
    assert stored_percents(db) == [10, 20, 40]  # no 100 (half done), no 150


async def test_when_the_commit_fails_every_write_of_the_batch_fails_and_none_is_kept(
    db: SqliteDatabase, db_path: Path
) -> None:
    """A deferred foreign-key violation only shows at COMMIT: the reports of that
    transaction had run fine, yet none of them may be confirmed, since none is stored."""

    def breaks_the_commit(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute(
            "INSERT INTO update_undos (update_id, undone_by, undone_at) VALUES (999999, 1, ?)",
            (to_utc_text(NOW),),
        )

    async with HeldWriter(db) as held:
        tasks = await held.submit(
            db.insert_update(report(1, 10)),
            db.insert_update(report(2, 20)),
            db.writer.run(breaks_the_commit),
            db.insert_update(report(3, 30)),
        )
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert "FOREIGN KEY" in str(results[0])
    assert stored_percents(db) == []
    other = sqlite3.connect(db_path)  # what any other connection sees: nothing either
    try:
        assert other.execute("SELECT COUNT(*) FROM progress_updates").fetchone() == (0,)
        assert other.execute("SELECT COUNT(*) FROM update_undos").fetchone() == (0,)
    finally:
        other.close()
    # the writer goes on: the same report sent again is stored
    _, created = await db.insert_update(report(1, 10))
    assert created and stored_percents(db) == [10]


# ---------------------------------------------------------------- the event loop


async def _loop_share(write: Callable[[], Awaitable[object]]) -> float:
    """Ticks of a 10 ms timer loop while `write` runs, as a share of the ticks that fit
    into the time it took (1.0: the loop never stopped; about 0: it was blocked)."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)  # the ticker runs
    ticks = 0
    started = time.perf_counter()
    await write()
    elapsed = time.perf_counter() - started
    counted = ticks
    stop.set()
    await task
    assert elapsed >= 0.3, elapsed  # the slow commit was waited for
    return counted / (elapsed / 0.01)


async def test_the_event_loop_keeps_running_while_a_write_waits_for_a_slow_disk(
    db_path: Path,
) -> None:
    db = open_sqlite(db_path, now=NOW, commit_delay=0.3)

    async def blocking_write() -> None:  # what a write on the loop's own thread did
        db.writer.call(lambda conn: conn.execute("SELECT 1"))

    try:
        awaited = await _loop_share(lambda: db.insert_update(report(1)))
        assert awaited > 0.5, awaited
        blocked = await _loop_share(blocking_write)  # the measure tells the two apart
        assert blocked < 0.2, blocked
        assert stored_percents(db) == [50]
    finally:
        db.close()


# ---------------------------------------------------------------- closing


async def test_a_write_after_close_raises_and_one_queued_before_is_committed(
    db_path: Path,
) -> None:
    db = open_sqlite(db_path, now=NOW, commit_delay=0.05)
    store = ReminderStore.beside(db)
    queued = asyncio.ensure_future(db.insert_update(report(1, 10)))
    await asyncio.sleep(0)  # submitted, not yet committed
    db.close()  # commits what is queued, then stops the writer
    stored, created = await queued
    assert created and stored.percent == 10
    with pytest.raises(sqlite3.OperationalError):  # not a write that never comes back
        await asyncio.wait_for(db.insert_update(report(2, 20)), 5)
    with pytest.raises(sqlite3.OperationalError):
        await asyncio.wait_for(store.subscribe(-100, "snv", "Nhóm", 1, NOW), 5)
    with pytest.raises(sqlite3.OperationalError):
        db.writer.call(lambda conn: conn.execute("SELECT 1"))
    reopened = open_sqlite(db_path, now=NOW)
    try:
        assert [(u.percent, u.source_message_id) for u in reopened.updates()] == [(10, 1)]
        assert ReminderStore.beside(reopened).get(-100) is None
    finally:
        reopened.close()


async def test_after_close_the_database_file_alone_holds_every_report(
    db_path: Path, tmp_path: Path
) -> None:
    """A backup that copies only the .db file (not -wal, -shm) after a clean stop has
    every report: close checkpoints the WAL into the main file."""
    db = open_sqlite(db_path, now=NOW)
    saved: list[StoredUpdate] = []
    for n in range(1, 11):
        stored, _ = await db.insert_update(report(n, n * 10))
        saved.append(stored)
    assert await db.mark_undone(saved[0].id, by=10, at=NOW)
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the reports were in the WAL
    db.close()
    assert not wal.exists() or wal.stat().st_size == 0
    backup = tmp_path / "backup" / "bot.db"
    backup.parent.mkdir()
    shutil.copyfile(db_path, backup)  # the .db file only
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = copy.execute("SELECT percent FROM progress_updates ORDER BY id").fetchall()
        assert [r[0] for r in rows] == [n * 10 for n in range(1, 11)]
        assert copy.execute("SELECT update_id FROM update_undos").fetchall() == [(saved[0].id,)]
    finally:
        copy.close()
