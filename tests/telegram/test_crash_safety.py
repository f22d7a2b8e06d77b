"""Crash safety: SIGKILL in the middle of work, torn and locked database files.

- Progress updates: `python -m bot run` runs as a real process against the fake
  Bot API (TELEGRAM_API_URL), on a temporary SQLite DATABASE_URL seeded with two
  approved members. A first wave of /capnhat is handled and confirmed as usual;
  during a second wave the getUpdates call that would confirm it never reaches
  the server (dropped connections) and every sendMessage is a little slow; after
  a few confirmations the answers stop coming back and the process is SIGKILLed. Every update the bot had
  confirmed ("Đã lưu" with its Undo id) is in the database; after a restart the
  whole unconfirmed wave is delivered again and each message is stored once —
  the ones already saved are answered "đã được lưu", not written twice.
- Reminders: `python -m bot run` reads the wall clock, so a subprocess cannot be
  moved to a working hour with reminders due. The same engine runs instead in a
  small process of its own (`reminders_tick_process.py`, time on its command
  line) on the same database file: it is SIGKILLed while one group's message is
  in flight, started again and again; no group gets its reminder twice, the
  in-flight one is closed as interrupted (it may have been delivered), and the
  groups not reached yet get theirs.
- A torn file (cut short, overwritten with garbage) makes `python -m bot run`
  exit 1 with one Vietnamese line, no traceback; a file locked by another
  connection (BEGIN EXCLUSIVE) is refused the same way at start, and while
  running, a report that cannot be written gets a Vietnamese apology saying it
  was not saved, and is saved once the lock is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TOKEN
from fake_bot_api import Call, FakeBotApi
from subprocess_helpers import bot_env, read_until, spawn_bot_run

from bot.app.runtime import Runtime, run_bot
from bot.core.clock import DEFAULT_TZ, FixedClock, SystemClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.reminders.engine import INTERRUPTED
from bot.storage import sqlite as sqlite_storage
from bot.storage.base import StoredUpdate
from bot.storage.reminders import open_store
from bot.storage.sqlite import open_sqlite, open_sqlite_reader
from bot.telegram import errors
from bot.telegram.progress import ProgressFeature

ADMIN_ID = 900001
LAN = FakeBotApi.user(501, "Lan")  # Sở Nội vụ
MAI = FakeBotApi.user(505, "Mai")  # Sở Nội vụ
REPORTERS = (LAN, MAI)
SAVED = "Đã lưu báo cáo"
ALREADY = "đã được lưu lúc"


async def seed(path: Path, knowledge: Knowledge, members: dict[int, str]) -> None:
    db = open_sqlite(path, now=SystemClock().now())
    try:
        service = ProgressService(db, knowledge, SystemClock(), {ADMIN_ID})
        for user_id, agency in members.items():
            assert (await service.request_membership(user_id, agency, f"Người {user_id}")).ok
            assert (await service.approve_member(ADMIN_ID, user_id)).code == "ok"
    finally:
        db.close()


def stored(path: Path) -> list[StoredUpdate]:
    reader = open_sqlite_reader(path)
    assert reader is not None
    try:
        return reader.updates(include_undone=True)
    finally:
        reader.close()


class BotProcess:
    """`python -m bot run` as a child process; its output is collected."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, api: FakeBotApi, tmp_path: Path, db: Path) -> BotProcess:
        process = await spawn_bot_run(
            tmp_path, bot_env(api.base_url, tmp_path, db, ADMIN_IDS=str(ADMIN_ID))
        )
        bot = cls(process)
        await asyncio.wait_for(bot.read_until("đang chạy"), 30)
        return bot

    async def read_until(self, marker: str) -> None:
        assert self.process.stdout is not None
        await read_until(self.process.stdout, marker, self.lines)

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(self.process.wait(), 10) == -signal.SIGKILL

    async def stop(self) -> str:
        assert self.process.stdout is not None
        self.process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(self.process.stdout.read(), 15)
        assert await asyncio.wait_for(self.process.wait(), 15) == 0
        return "".join(self.lines) + rest.decode("utf-8", "replace")

    def ensure_dead(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as server:
        yield server


def undo_id(call: Call) -> int:
    """The record id in the Undo button of a confirmation."""
    rows = call.params["reply_markup"]["inline_keyboard"]
    data = rows[0][0]["callback_data"]
    assert data.startswith("v1:undo:")
    return int(data.rsplit(":", 1)[1])


# ---------------------------------------------------------------- progress updates


async def test_sigkill_mid_burst_keeps_every_confirmed_update_and_writes_none_twice(
    api: FakeBotApi, knowledge: Knowledge, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    await seed(db, knowledge, {user["id"]: "snv" for user in REPORTERS})
    chats = {user["id"]: api.private(user) for user in REPORTERS}

    def burst(first: int, count: int) -> list[dict[str, Any]]:
        out = []
        for k in range(first, first + count):
            for user in REPORTERS:
                text = f"/capnhat 2.4 đang thực hiện {k}% lần {k}"
                out.append(api.push({"message": api.new_message(chats[user["id"]], user, text)}))
        return out

    bot = await BotProcess.start(api, tmp_path, db)
    try:
        since = api.mark()
        wave1 = burst(1, 5)
        await api.wait_for("sendMessage", since=since, count=len(wave1), timeout=15)
        assert all(SAVED in c.params["text"] for c in api.calls_to("sendMessage", since=since))

        since = api.mark()
        wave2 = burst(10, 10)  # one batch; its confirmation never reaches the server:
        api.drop("getUpdates", times=10_000, offset=wave2[-1]["update_id"] + 1)
        api.slow("sendMessage", 0.05, times=10_000)  # and answers are slow
        await api.wait_for("sendMessage", since=since, count=6, answered=False, timeout=15)
        api.heal()
        api.drop("getUpdates", times=10_000, offset=wave2[-1]["update_id"] + 1)
        api.slow("sendMessage", None, times=10_000)  # from now on no answer comes back
        await bot.kill()  # in the middle of the burst
    finally:
        bot.ensure_dead()

    confirmed = [c for c in api.calls_to("sendMessage") if SAVED in c.params["text"]]
    rows = stored(db)
    by_id = {row.id: row for row in rows}
    assert all(undo_id(c) in by_id for c in confirmed)  # nothing confirmed was lost
    sources = [(row.source_chat_id, row.source_message_id) for row in rows]
    assert len(sources) == len(set(sources))
    saved_in_wave2 = len(rows) - len(wave1)
    assert 6 <= saved_in_wave2 < len(wave2), "the kill was not in the middle of the burst"

    api.heal()
    since = api.mark()
    bot = await BotProcess.start(api, tmp_path, db)  # a new process, the same file
    try:
        unsaved = len(wave2) - saved_in_wave2
        await api.wait_for("sendMessage", since=since, count=unsaved, timeout=15)
        await asyncio.sleep(0.5)  # anything more it would send
        output = await bot.stop()
    finally:
        bot.ensure_dead()
    assert "Traceback" not in output
    # wave 2 was stored in the inbox when fetched: the restart finishes it from there
    # (Telegram never learnt it arrived); what was handled before the kill is not
    # handled again, so only a report whose confirmation was in flight hears twice
    texts = [c.params["text"] for c in api.calls_to("sendMessage", since=since)]
    assert sum(SAVED in t for t in texts) == unsaved  # each one not saved is saved now
    # per chat, at most the update being answered and the one before it, whose «handled»
    # mark was still being committed, can have been confirmed without the bot knowing
    assert sum(ALREADY in t for t in texts) <= min(saved_in_wave2, 2 * len(REPORTERS))
    assert len(texts) == sum(SAVED in t or ALREADY in t for t in texts)  # wave 1 not again
    answered = Counter(c.params["chat_id"] for c in api.calls_to("sendMessage") if c.finished)
    for user in REPORTERS:  # every report of wave 1 and 2 has its confirmation
        assert answered[user["id"]] >= len(wave1 + wave2) // len(REPORTERS)

    rows = stored(db)
    expected = {(u["message"]["chat"]["id"], u["message"]["message_id"]) for u in wave1 + wave2}
    sources = [(row.source_chat_id, row.source_message_id) for row in rows]
    assert sorted(sources) == sorted(expected)  # every update stored exactly once
    percents = {(row.source_chat_id, row.percent) for row in rows}
    assert len(percents) == len(expected)
    assert all(undo_id(c) in {row.id for row in rows} for c in confirmed)


# ---------------------------------------------------------------- reminders


async def _tick_process(
    api: FakeBotApi, db: Path, at: str
) -> tuple[asyncio.subprocess.Process, asyncio.Task[bytes]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "auxil" / "reminders_tick_process.py"),
        str(db),
        api.base_url,
        TOKEN,
        at,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUTF8": "1"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    return process, asyncio.create_task(process.stdout.read())


async def _tick(api: FakeBotApi, db: Path, at: str) -> dict[str, Any]:
    process, output = await _tick_process(api, db, at)
    code = await asyncio.wait_for(process.wait(), 30)
    text = (await output).decode("utf-8", "replace")
    assert code == 0, text
    report: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return report


async def test_sigkill_mid_send_never_repeats_a_reminder(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "reminders.db"
    groups = [-1007001, -1007002, -1007003, -1007004, -1007005, -1007006]  # sent in id order
    store = open_store(db, now=datetime(2026, 11, 20, 9, tzinfo=DEFAULT_TZ))
    try:
        for chat_id in groups:
            api.group(chat_id)
            await store.subscribe(
                chat_id, "snv", None, 601, datetime(2026, 11, 20, 9, tzinfo=DEFAULT_TZ)
            )
    finally:
        store.close()
    in_flight = sorted(groups)[3]
    api.slow("sendMessage", None, chat_id=in_flight)  # never answered: killed meanwhile

    process, output = await _tick_process(api, db, "2026-11-23T08:00")
    try:
        await api.wait_for("sendMessage", chat_id=in_flight, answered=False, timeout=30)
        process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(process.wait(), 10) == -signal.SIGKILL
        await output
    finally:
        if process.returncode is None:
            process.kill()
    first = {c.params["chat_id"] for c in api.calls_to("sendMessage") if c.status == 200}
    assert first == set(sorted(groups)[:3])

    api.heal()
    second = await _tick(api, db, "2026-11-23T08:05")
    assert second["sent"] == sorted(sorted(groups)[4:])  # the groups not reached yet
    third = await _tick(api, db, "2026-11-23T09:00")
    assert third["claimed"] == 0

    for chat_id in groups:
        attempts = api.calls_to("sendMessage", chat_id=chat_id)
        assert len(attempts) == 1, chat_id  # nobody got a reminder twice
        assert (attempts[0].status == 200) == (chat_id != in_flight)
    assert api.calls_to("sendMessage", chat_id=in_flight)[0].abandoned
    reopened = open_store(db, now=datetime(2026, 11, 23, 9, tzinfo=DEFAULT_TZ))
    try:
        log = reopened.entries(in_flight)
    finally:
        reopened.close()
    assert log and all(e.status == "failed" and e.error == INTERRUPTED for e in log)


# ---------------------------------------------------------------- torn and locked files


def _tear(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "cut-in-half":
        path.write_bytes(data[: len(data) // 2])
    elif how == "emptied":  # SQLite alone would open it as a new, empty database
        path.write_bytes(b"")
    else:  # the first page kept, the rest overwritten
        path.write_bytes(data[:4096] + os.urandom(len(data) - 4096))


@pytest.mark.parametrize(
    ("how", "said"),
    [("cut-in-half", "bị hỏng"), ("garbage", "bị hỏng"), ("emptied", "rỗng (0 byte)")],
)
async def test_a_torn_database_file_stops_python_m_bot_run_with_a_clear_error(
    api: FakeBotApi, knowledge: Knowledge, tmp_path: Path, how: str, said: str
) -> None:
    db = tmp_path / "bot.db"
    await seed(db, knowledge, {LAN["id"]: "snv"})
    writer = open_sqlite(db, now=SystemClock().now())  # some data, then a checkpoint
    try:
        service = ProgressService(writer, knowledge, SystemClock(), {ADMIN_ID})
        for k in range(40):
            await service.record_update(
                user_id=LAN["id"], item_ref="2.4", percent=k, note="ghi chú " * 30,
                chat_id=LAN["id"], message_id=k,
            )  # fmt: skip
    finally:
        writer.close()
    size = db.stat().st_size
    _tear(db, how)
    process = await spawn_bot_run(
        tmp_path,
        bot_env(api.base_url, tmp_path, db, ADMIN_IDS=str(ADMIN_ID)),
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    text = err.decode("utf-8")
    assert process.returncode == 1, text
    assert "Traceback" not in text and not out
    assert text.startswith("Không khởi động được bot") and said in text, text
    assert "bản sao lưu" in text and len(text.strip().splitlines()) == 1
    assert not api.calls_to("getUpdates")  # never started serving
    left = {"cut-in-half": size // 2, "emptied": 0}.get(how, size)
    assert db.stat().st_size == left  # left as found


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_storage, "BUSY_TIMEOUT_MS", 200)


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """`run_bot` configures logging for the process; put the levels back afterwards."""
    names = ("", "telegram", "apscheduler", "httpx", "httpcore")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def exclusive_lock() -> Iterator[Callable[[Path], sqlite3.Connection]]:
    held: list[sqlite3.Connection] = []

    def lock(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        held.append(conn)
        return conn

    yield lock
    for conn in held:
        conn.close()


def test_a_locked_database_refuses_to_start_with_a_clear_error(
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    short_busy_timeout: None,
    exclusive_lock: Callable[[Path], sqlite3.Connection],
    logging_restored: None,
) -> None:
    """What `python -m bot run` does (`run_bot`), with a short busy timeout (5 s in use)."""
    db = tmp_path / "bot.db"
    asyncio.run(seed(db, knowledge, {LAN["id"]: "snv"}))  # run_bot runs its own loop
    exclusive_lock(db)  # e.g. a second bot, or a tool holding a write transaction
    code = run_bot(
        make_settings(database_url=f"sqlite:///{db}", telegram_api_url="http://127.0.0.1:9/bot")
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "Không khởi động được bot" in err and "khóa" in err and "Traceback" not in err


async def test_a_report_that_arrives_while_the_database_is_locked_is_saved_once_it_frees(
    api: FakeBotApi,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    short_busy_timeout: None,
    exclusive_lock: Callable[[Path], sqlite3.Connection],
) -> None:
    """The update cannot even be stored in the inbox: it is not acknowledged, so it is
    fetched again and saved once the lock is gone — nothing lost, nothing to resend."""
    db = tmp_path / "bot.db"
    await seed(db, knowledge, {LAN["id"]: "snv"})
    settings = make_settings(database_url=f"sqlite:///{db}", admin_ids=frozenset({ADMIN_ID}))
    task, stop = await _serve_progress(api, knowledge, settings)
    try:
        chat = api.private(LAN)
        lock = exclusive_lock(db)
        since = api.mark()
        message = api.send(chat, LAN, "/capnhat 2.4 đang thực hiện 60%")
        await api.wait_for("getUpdates", since=since, count=2, answered=False, timeout=10)
        assert not api.calls_to("sendMessage", since=since)  # nothing confirmed unstored
        lock.close()
        (saved,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"], timeout=10)
        assert SAVED in saved.params["text"]
        (row,) = stored(db)
        assert row.percent == 60 and row.source_message_id == message["message_id"]
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
    assert len(api.calls_to("sendMessage", since=since)) == 1
    assert not api.rejected()


async def test_a_report_that_cannot_be_written_is_apologised_for_and_saved_later(
    api: FakeBotApi,
    knowledge: Knowledge,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The update is stored, but the report's own write fails: the sender is told it
    was not saved; sent again (or edited), it is saved."""
    db = tmp_path / "bot.db"
    await seed(db, knowledge, {LAN["id"]: "snv"})
    settings = make_settings(database_url=f"sqlite:///{db}", admin_ids=frozenset({ADMIN_ID}))
    real_insert = sqlite_storage.SqliteDatabase.insert_update
    failing = {"left": 1}

    async def insert_update(self: Any, update: Any) -> Any:
        if failing["left"]:
            failing["left"] -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return await real_insert(self, update)

    monkeypatch.setattr(sqlite_storage.SqliteDatabase, "insert_update", insert_update)
    task, stop = await _serve_progress(api, knowledge, settings)
    try:
        chat = api.private(LAN)
        since = api.mark()
        message = api.send(chat, LAN, "/capnhat 2.4 đang thực hiện 60%")
        (apology,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
        assert apology.params["text"] == errors.STORAGE_APOLOGY
        assert "chưa được lưu" in apology.params["text"]
        assert stored(db) == []

        since = api.mark()
        api.edit(message, "/capnhat 2.4 đang thực hiện 60%")  # or the same line sent again
        (saved,) = await api.wait_for("sendMessage", since=since, chat_id=LAN["id"])
        assert SAVED in saved.params["text"]
        (row,) = stored(db)
        assert row.percent == 60 and row.source_message_id == message["message_id"]
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
    assert not api.rejected()


async def _serve_progress(
    api: FakeBotApi, knowledge: Knowledge, settings: Settings
) -> tuple[asyncio.Task[int], asyncio.Event]:
    runtime = Runtime.build(
        settings, knowledge, FixedClock(datetime(2026, 6, 15, 9, tzinfo=DEFAULT_TZ))
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        runtime.serve(
            stop=stop,
            ready=ready,
            base_url=api.base_url,
            rate_limiter=False,
            features=[ProgressFeature(runtime.progress)],
        )
    )
    await asyncio.wait_for(ready.wait(), 10)
    return task, stop
