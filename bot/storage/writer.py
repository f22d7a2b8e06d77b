"""The one thread that writes to SQLite, so no COMMIT (an fsync) ever runs on the event loop.

Every write is a job: a function of the write connection, queued from any thread. The
writer takes all the jobs waiting, runs them in one IMMEDIATE transaction (each inside
its own SAVEPOINT, so a failing job rolls back alone) and commits once: several waiting
writers share one fsync (group commit). A job's result is delivered only after that
COMMIT has returned, so nothing is acknowledged before it is durable; when the COMMIT
fails, every job of the batch gets the error and nothing of the batch is kept.

`run` is the asyncio door (the awaiting task is woken through its loop); `call` blocks
the calling thread and is for code outside the event loop (command-line tools, start-up
and shutdown). A cancelled waiter does not cancel its job: it may still be committed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.core.slots import waiting_elsewhere

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]
MAX_BATCH = 128  # jobs committed together at most
CLOSE_TIMEOUT_SECONDS = 30.0
SYNC_FULL = "PRAGMA synchronous = FULL"  # a durable transaction: COMMIT waits for fsync
SYNC_NORMAL = "PRAGMA synchronous = NORMAL"  # WAL without fsync: survives kill -9


class WriterClosed(sqlite3.OperationalError):
    """A write submitted after `close`: it is not stored."""


@dataclass
class _Pending(Generic[T]):
    job: Job[T]
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[T] | None = None
    sync: concurrent.futures.Future[T] | None = None
    durable: bool = True

    def settle(self, ok: bool, value: Any) -> None:
        if self.sync is not None:
            if ok:
                self.sync.set_result(value)
            else:
                self.sync.set_exception(value)
            return
        assert self.loop is not None and self.future is not None
        future = self.future

        def settle_in_loop() -> None:
            if future.done():  # the waiter was cancelled: the job may still be committed
                return
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self.loop.call_soon_threadsafe(settle_in_loop)


@dataclass
class WriterStats:
    """What the writer did so far (for benchmarks and tests)."""

    batches: int = 0
    jobs: int = 0
    largest_batch: int = 0
    commit_seconds: list[float] = field(default_factory=list)


class SqliteWriter:
    """Owns the write connection and the thread that uses it.

    `lock` guards the connection against other users in this process (the reader of an
    in-memory database shares its one connection); `commit_delay` (seconds) is slept
    inside each transaction before COMMIT, holding the write lock like a slow fsync
    does: benchmarks inject a slow disk with it, production leaves it at 0."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        lock: threading.RLock | None = None,
        commit_delay: float = 0.0,
        name: str = "sqlite-writer",
    ):
        self._conn = conn
        self._lock = lock or threading.RLock()
        self.commit_delay = commit_delay
        self._durable_mode = True  # synchronous=FULL, as bot.storage.sqlite opens it
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[_Pending[Any] | None] = queue.SimpleQueue()
        self._closing = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the writer thread still runs (False once `close` has returned)."""
        return self._thread.is_alive()

    @property
    def connection(self) -> sqlite3.Connection:
        """The write connection; use it only from a job (or after `close`)."""
        return self._conn

    async def run(self, job: Job[T], *, durable: bool = True) -> T:
        """Run `job(connection)` in the writer's next transaction; return its result once
        that transaction is committed (its exception if it, or the COMMIT, failed).

        `durable=False` (the update inbox's bookkeeping): a transaction made only of such
        jobs is committed without fsync (`synchronous=NORMAL` in WAL): it survives the
        process being killed, not a power cut, and a slow disk does not delay it. Any
        durable job in the batch makes the whole commit wait for the disk, and a durable
        commit also makes every earlier one durable (the WAL is written in order)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._submit(_Pending(job, loop=loop, future=future, durable=durable))
        async with waiting_elsewhere():  # no CPU used meanwhile: others may have the slot
            return await future

    def call(self, job: Job[T], *, durable: bool = True) -> T:
        """`run` for a caller outside the event loop: blocks until committed."""
        if threading.current_thread() is self._thread:  # a job calling back in: run inline
            return job(self._conn)
        sync: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._submit(_Pending(job, sync=sync, durable=durable))
        return sync.result()

    def _submit(self, pending: _Pending[Any]) -> None:
        with self._closing:
            if self._closed:
                raise WriterClosed("cơ sở dữ liệu đã đóng; không ghi được")
            self._queue.put(pending)

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Commit what is queued, then stop the thread (the connection stays open)."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("Luồng ghi cơ sở dữ liệu chưa dừng sau %.0f giây", timeout)

    # -- the thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Pending[Any]] = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[_Pending[Any]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        with self._lock:
            conn = self._conn
            try:
                started = time.perf_counter()
                durable = any(pending.durable for pending in batch)
                self._synchronous(conn, durable)
                conn.execute("BEGIN IMMEDIATE")
                for pending in batch:
                    outcomes.append(self._run_one(conn, pending))
                if self.commit_delay and durable:
                    time.sleep(self.commit_delay)
                conn.execute("COMMIT")
                self._count(len(batch), time.perf_counter() - started)
            except Exception as exc:  # BEGIN, a savepoint or the COMMIT failed: nothing kept
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.exception("ROLLBACK thất bại sau lỗi ghi")
                outcomes = [(False, exc)] * len(batch)
        for pending, (ok, value) in zip(batch, outcomes, strict=True):
            pending.settle(ok, value)

    def _synchronous(self, conn: sqlite3.Connection, durable: bool) -> None:
        if durable != self._durable_mode:
            if durable:
                conn.execute(SYNC_FULL)
            else:
                conn.execute(SYNC_NORMAL)
            self._durable_mode = durable

    @staticmethod
    def _run_one(conn: sqlite3.Connection, pending: _Pending[Any]) -> tuple[bool, Any]:
        conn.execute("SAVEPOINT job")
        try:
            value = pending.job(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO job")  # raises (failing the batch) if the disk failed
            conn.execute("RELEASE job")
            return False, exc
        conn.execute("RELEASE job")
        return True, value

    def _count(self, size: int, seconds: float) -> None:
        stats = self.stats
        stats.batches += 1
        stats.jobs += size
        stats.largest_batch = max(stats.largest_batch, size)
        if len(stats.commit_seconds) < 100_000:
            stats.commit_seconds.append(seconds)


def checkpoint(conn: sqlite3.Connection) -> None:
    """Move the WAL into the main file and empty it (at a clean close)."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:  # another connection still reads: the WAL stays, no loss
        log.warning("Không gộp được nhật ký WAL vào tệp cơ sở dữ liệu: %s", exc)
