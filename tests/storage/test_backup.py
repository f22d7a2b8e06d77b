"""Backups and a database file the bot may not write.

- After a clean stop of `python -m bot run`, the `.db` file alone (copied without its
  `-wal`) holds every report: the WAL is checkpointed when the database is closed.
- `python -m bot backup FILE` copies the live database with SQLite's online backup
  API while another connection has committed data still in the WAL and a write
  transaction open: the copy opens on its own and holds what was committed, not
  what was not; it never overwrites a file unless `--force`, and says so in Vietnamese.
- A database file nobody may write (chmod 444, directory writable) stops
  `python -m bot run` at start with one Vietnamese line, also when run as root
  (where the permission bits do not stop writes, so they are read, not tried).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import PLAN
from fake_bot_api import FakeBotApi
from subprocess_helpers import bot_env, read_until, spawn_bot_run

from bot.__main__ import main
from bot.core.config import ConfigError, load_settings
from bot.storage import open_database
from bot.storage.sqlite import open_sqlite, open_sqlite_reader
from bot.storage.sqlite_rows import to_utc_text

ADMIN = FakeBotApi.user(900001, "Quản trị")
NOW = datetime(2026, 11, 20, 2, tzinfo=UTC)


def reports_in(path: Path) -> list[tuple[str, int | None, str | None]]:
    """(item, percent, note) of every stored report, read from `path` alone."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT item_id, percent, note FROM progress_updates ORDER BY id")
        return [(r[0], r[1], r[2]) for r in rows.fetchall()]
    finally:
        conn.close()


def alone(path: Path, where: Path) -> Path:
    """A copy of the database file without its -wal and -shm, as a naive backup makes."""
    where.mkdir()
    copy = where / path.name
    shutil.copyfile(path, copy)
    return copy


# ---------------------------------------------------------------- checkpoint at stop


async def test_after_a_clean_stop_the_db_file_alone_holds_the_reports(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "planbot.db"
    process = await spawn_bot_run(
        tmp_path, bot_env(api.base_url, tmp_path, db, ADMIN_IDS=str(ADMIN["id"]))
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        await asyncio.wait_for(read_until(process.stdout, "đang chạy", lines), 30)
        chat = api.private(ADMIN)
        api.send(chat, ADMIN, "/capnhat 2.4 đang thực hiện 60% đã lấy ý kiến các sở")
        (saved,) = await api.wait_for("sendMessage", chat_id=ADMIN["id"], timeout=15)
        assert "Đã lưu" in saved.params["text"]
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.stdout.read(), 15)
        assert await asyncio.wait_for(process.wait(), 5) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    ((item, percent, note),) = reports_in(alone(db, tmp_path / "copy"))
    assert (item, percent) == ("2.4", 60) and "đã lấy ý kiến các sở" in (note or "")


# ---------------------------------------------------------------- python -m bot backup


def _insert(conn: sqlite3.Connection, message_id: int, note: str) -> None:
    conn.execute(
        "INSERT INTO progress_updates (item_id, assignment_key, agency_id, status, percent,"
        " note, reporter_id, reporter_name, created_at, source_chat_id, source_message_id)"
        " VALUES ('2.4', '2.4', 'snv', 'in_progress', ?, ?, 501, 'Lan', ?, 501, ?)",
        (message_id * 10, note, to_utc_text(NOW), message_id),
    )


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database in use: two reports committed but still in the WAL (a connection keeps
    it open, so nothing is checkpointed) and a third written in an open transaction."""
    db = tmp_path / "data" / "planbot.db"
    open_sqlite(db, now=NOW).close()
    committed = sqlite3.connect(db, isolation_level=None)
    committed.execute("PRAGMA journal_mode = WAL")
    committed.execute("PRAGMA wal_autocheckpoint = 0")
    _insert(committed, 1, "báo cáo một")
    _insert(committed, 2, "báo cáo hai")
    writing = sqlite3.connect(db, isolation_level=None)
    writing.execute("BEGIN IMMEDIATE")
    _insert(writing, 3, "chưa xác nhận")
    assert reports_in(alone(db, tmp_path / "naive")) == []  # all of it is in the WAL
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PLAN_PATH", str(PLAN))
    yield db
    writing.rollback()
    writing.close()
    committed.close()


def test_backup_copies_what_is_committed_while_the_bot_runs(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "saoluu" / "planbot-2026-11-20.db"
    out.parent.mkdir()
    assert main(["backup", str(out)]) == 0
    said = capsys.readouterr()
    assert "Đã sao lưu" in said.out and str(out) in said.out and not said.err
    copy = alone(out, tmp_path / "copy")  # the backup is one self-contained file
    assert reports_in(copy) == [("2.4", 10, "báo cáo một"), ("2.4", 20, "báo cáo hai")]
    reader = open_sqlite_reader(out)  # and the bot's own reader takes it
    assert reader is not None
    try:
        assert [u.note for u in reader.updates()] == ["báo cáo một", "báo cáo hai"]
    finally:
        reader.close()
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temporary left


def test_backup_never_overwrites_a_file_unless_forced(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "planbot-backup.db"
    out.write_bytes(b"an older backup")
    assert main(["backup", str(out)]) == 1
    err = capsys.readouterr().err
    assert "đã có" in err and "--force" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"an older backup"
    assert main(["backup", "--force", str(out)]) == 0
    assert len(reports_in(alone(out, tmp_path / "copy"))) == 2


def test_backup_says_when_there_is_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none' / 'planbot.db'}")
    monkeypatch.setenv("PLAN_PATH", str(PLAN))
    out = tmp_path / "backup.db"
    assert main(["backup", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Chưa có cơ sở dữ liệu" in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "none").exists()


def test_backup_into_a_missing_folder_is_refused_in_vietnamese(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "khong-co" / "b.db")]) == 1
    err = capsys.readouterr().err
    assert "Không sao lưu được" in err and "Traceback" not in err


# ---------------------------------------------------------------- a read-only file


@pytest.fixture
def read_only_db(tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "data" / "planbot.db"
    open_sqlite(db, now=NOW).close()
    db.chmod(0o444)  # what an operator means: nobody may write it (the folder may be)
    yield db
    db.chmod(0o644)


def test_a_read_only_database_file_is_refused_at_open(read_only_db: Path) -> None:
    before = read_only_db.read_bytes()
    with pytest.raises(ConfigError) as caught:
        open_database(load_settings(database_url=f"sqlite:///{read_only_db}"))
    assert "chỉ đọc" in str(caught.value) and "chmod" in str(caught.value)
    assert read_only_db.read_bytes() == before
    assert stat.S_IMODE(read_only_db.stat().st_mode) == 0o444


async def test_a_read_only_database_file_stops_python_m_bot_run(
    api: FakeBotApi, tmp_path: Path, read_only_db: Path
) -> None:
    process = await spawn_bot_run(
        tmp_path,
        bot_env(api.base_url, tmp_path, read_only_db, ADMIN_IDS=str(ADMIN["id"])),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = err.decode("utf-8")
    assert process.returncode == 1, text
    assert "Traceback" not in text and not out
    assert text.startswith("Không khởi động được bot") and "chỉ đọc" in text, text
    assert len(text.strip().splitlines()) == 1
    assert not api.calls_to("getUpdates")
