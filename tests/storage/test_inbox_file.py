"""The update inbox in a file of its own (bot/storage/inbox.py), as the bot's users would
notice it: a fetched message is stored (and so answered) while a report holds the main
database for its commit; what the inbox holds survives a restart; an inbox left in the
main database by the version before is carried over, nothing lost and nothing twice; a
damaged inbox file stops the start with words that say which file and what to do."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from storage_helpers import HeldWriter, report, stored_percents

from bot.storage import storage_problem
from bot.storage.inbox import InboxUpdate, inbox_path
from bot.storage.migrate import apply_migrations, discover
from bot.storage.sqlite import open_sqlite

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "planbot.db"


def update(update_id: int) -> InboxUpdate:
    return InboxUpdate(update_id, f'{{"update_id": {update_id}}}')


async def test_fetched_updates_are_stored_while_a_report_holds_the_database_for_its_commit(
    db_path: Path,
) -> None:
    """The main writer is held inside a report's transaction (the write lock of the main
    file taken, as during a slow fsync): storing a fetched batch and marking updates
    handled still complete, so the answers they carry are not held up behind it."""
    db = open_sqlite(db_path, now=NOW)
    try:
        async with HeldWriter(db) as held:
            (saving,) = await held.submit(db.insert_update(report(1)))
            fresh = await asyncio.wait_for(
                db.inbox.store([update(7)], next_offset=8, at=NOW), timeout=5
            )
            await asyncio.wait_for(db.inbox.finish([7], "handled", NOW), timeout=5)
            assert [u.update_id for u in fresh] == [7]
            assert not saving.done()  # the report is still waiting for its commit
        await saving
        assert stored_percents(db) == [50]
    finally:
        db.close()


async def test_the_inbox_file_keeps_open_updates_and_the_offset_across_a_restart(
    db_path: Path,
) -> None:
    db = open_sqlite(db_path, now=NOW)
    try:
        await db.inbox.store([update(5), update(6)], next_offset=7, at=NOW)
        await db.inbox.finish([5], "handled", NOW)
    finally:
        db.close()
    assert inbox_path(db_path) == db_path.with_name("planbot.inbox.db")
    wal = Path(f"{inbox_path(db_path)}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed at close
    again = open_sqlite(db_path, now=NOW)
    try:
        assert again.inbox.next_offset() == 7
        assert [u.update_id for u in again.inbox.open_updates()] == [6]
        assert again.inbox.open_updates()[0].payload == '{"update_id": 6}'
    finally:
        again.close()


def older_database(path: Path) -> None:
    """A database as the version before left it: the inbox in the main file (schema 4),
    one update handled, two still open, the offset after them."""
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        apply_migrations(conn, now=NOW, migrations=[m for m in discover() if m.version <= 4])
        conn.executemany(
            "INSERT INTO update_inbox (update_id, payload, received_at, handled_at, outcome)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (10, None, "2026-06-15T01:00:00+00:00", "2026-06-15T01:00:01+00:00", "handled"),
                (11, '{"update_id": 11}', "2026-06-15T01:00:00+00:00", None, None),
                (12, '{"update_id": 12}', "2026-06-15T01:00:00+00:00", None, None),
            ],
        )
        conn.execute("INSERT INTO poll_state VALUES ('telegram_offset', 13)")
    finally:
        conn.close()


def main_tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


async def test_an_inbox_left_in_the_main_database_by_the_version_before_is_carried_over(
    db_path: Path,
) -> None:
    older_database(db_path)
    for _ in range(2):  # opened twice: nothing is carried over twice
        db = open_sqlite(db_path, now=NOW)
        try:
            assert [u.update_id for u in db.inbox.open_updates()] == [11, 12]
            assert db.inbox.next_offset() == 13
        finally:
            db.close()
    assert not {"update_inbox", "poll_state"} & main_tables(db_path)


@pytest.mark.parametrize("damage", ["garbage", "emptied"])
async def test_a_damaged_inbox_file_is_refused_with_words_that_name_it(
    db_path: Path, damage: str
) -> None:
    db = open_sqlite(db_path, now=NOW)
    try:
        await db.insert_update(report(1))
    finally:
        db.close()
    inbox_path(db_path).write_bytes(b"" if damage == "emptied" else b"not sqlite " * 500)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        open_sqlite(db_path, now=NOW)
    problem = storage_problem(caught.value)
    assert "hộp thư cập nhật" in problem and "planbot.inbox.db" in problem
    assert "chuyển tệp đó" in problem  # what to do: move it aside, not restore a backup
    inbox_path(db_path).rename(db_path.with_name("cu.inbox.db"))
    again = open_sqlite(db_path, now=NOW)  # a new inbox file; every report still there
    try:
        assert stored_percents(again) == [50]
        assert again.inbox.next_offset() == 0
    finally:
        again.close()
