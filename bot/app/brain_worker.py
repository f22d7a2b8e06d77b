"""The brain in a process of its own, beside the Telegram door (issue 12).

Under load one core is the bot's limit: the door (PTB's parsing of each update, the
handlers, the send, the inbox) and the brain (who is asking, reading the message,
composing the answer) take turns on one interpreter. With `BRAIN_PROCESS` on (by default when the machine has two cores or
more and the database is a file), `python -m bot run` starts this module as a child
process that serves the same plans over its own read-only connection to the database,
and the door asks it instead of its own desk: the two halves run on two cores.

Nothing changes in what is answered: the child builds the very `PlanDesk` the composition
root builds (`bot.app.plans.serve_plans`), over the same library (sent to it, so a plan
an admin activates is served there too) and the committed data (a report is confirmed
after its commit, and the question after it is read after it). The conversations live in
the child, which answers one message at a time in the order they were sent: the update
processor already keeps each conversation's messages in order.

Protocol, over the child's stdin/stdout: frames of a 4-byte length and a pickle (a private
pipe between a process and its own child). Parent → child: ("serve", spec) first and on
every plan change, ("answer", id, now, text, who, options) — who: the sender's user id,
name and chat, from which the child reads the `Asker` as the progress feature's
`asker_for` does —, ("more", id, now, chat, key). Child → parent: ("ready", None) after
each serve, (id, True, result) or (id, False, error). The child freezes its start-up heap
out of the garbage collector's sight, as the door does (`bot.telegram.app.settle_heap`),
and imports none of the door's modules (PTB, aiohttp).

The door answers from its own desk whenever the child cannot (starting: nothing waits for
it; gone; stuck past ANSWER_SECONDS: it is killed and started again RESTART_SECONDS
later): an answer is never lost, only the context of a conversation may be.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import pickle
import signal
import struct
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.core.reply import Reply
from bot.plan.library import Library

if TYPE_CHECKING:
    from bot.telegram.context import App, Who

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
READ_CHUNK = 1 << 16
START_SECONDS = 60.0  # the child's start-up (imports, plans, warm-up) may take this long
ANSWER_SECONDS = 10.0  # past this, the door answers a message itself
RESTART_SECONDS = 30.0  # after the child died, the door waits this long before a new one
STOP_SECONDS = 3.0


def enabled(settings: Settings) -> bool:
    """Whether `python -m bot run` answers in a child process: BRAIN_PROCESS when set,
    else when the machine has two cores or more and the database is a file (a child
    cannot read the parent's in-memory database)."""
    url = settings.database_url
    if url.startswith("sqlite:") and (url.endswith(":memory:") or "mode=memory" in url):
        return False
    if settings.brain_process is not None:
        return settings.brain_process
    return cores() >= 2


def cores() -> int:
    """The CPU cores this process may run on (a container's cpuset, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ServeSpec:
    """What the child serves: the plans, over which database, for which admins."""

    library: Library
    database: Path
    admin_ids: frozenset[int]
    tz: str
    log_level: str


def _frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


# -- the parent's side -------------------------------------------------------------------


class BrainWorker:
    """The door's handle on the child: `answer` and `more` as the desk's, awaited; each
    returns None (`more`: `(False, None)`) when the door must answer itself. A feature:
    registered, it puts itself in `bot_data.remote`; started, it starts the child."""

    def __init__(
        self,
        spec: ServeSpec,
        *,
        start_seconds: float = START_SECONDS,
        answer_seconds: float = ANSWER_SECONDS,
        restart_seconds: float = RESTART_SECONDS,
    ) -> None:
        self.spec = spec
        self.start_seconds = start_seconds
        self.answer_seconds = answer_seconds
        self.restart_seconds = restart_seconds
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        # messages sent, oldest first: the future of the answer, when it was sent
        self._waiting: dict[int, tuple[asyncio.Future[tuple[bool, Any]], float]] = {}
        self._watching: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._next_id = 0
        self._down_since: float | None = None
        self._restarting: asyncio.Task[None] | None = None
        self._stopping = False
        self._ended = False  # the current child's output ended (it stopped or is stopping)
        self.answered = 0  # messages the child answered
        self.left_to_door = 0  # messages the door had to answer itself

    # feature
    def register(self, application: App) -> None:
        application.bot_data.remote = self

    async def start(self, application: App | None = None) -> None:
        """Start the child; it gets ready while the door starts (getMe, the menus, the
        inbox), and until it is the door answers itself: after a restart with a full
        inbox nothing waits for the child's start (about 2 s)."""
        await self._spawn()

    async def stop(self, application: App | None = None) -> None:
        self._stopping = True
        if self._restarting is not None:  # a start under way ends first (it is short)
            with contextlib.suppress(Exception):
                await self._restarting
        await self._close()

    @property
    def alive(self) -> bool:
        """Whether the child runs (ready, or starting)."""
        process = self._process
        return process is not None and process.returncode is None and not self._ended

    @property
    def ready(self) -> bool:
        """Whether the child has said it is ready and still runs: messages go to it."""
        ready = self._ready
        return self.alive and ready is not None and ready.done() and not ready.cancelled()

    async def until_ready(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) for the child to be ready; whether it is."""
        ready = self._ready
        if ready is not None and not ready.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(ready), timeout)
        return self.ready

    async def _spawn(self) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.app.brain_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            log.warning("Không khởi động được tiến trình trả lời (%s); bot tự trả lời", exc)
            self._down_since = time.monotonic()
            return
        self._process, self._ended = process, False
        self._ready = asyncio.get_running_loop().create_future()
        self._reading = asyncio.create_task(self._read(process, self._ready))
        self._send(("serve", self.spec))
        self._down_since = None
        self._watching = asyncio.create_task(self._watch(process, self._ready, time.monotonic()))

    async def _read(self, process: asyncio.subprocess.Process, ready: asyncio.Future[None]) -> None:
        """Hand each of the child's answers to its waiting message (frames parsed from
        whatever the pipe delivered: one read for many answers under load)."""
        stream = process.stdout
        assert stream is not None
        buffer = bytearray()
        try:
            while chunk := await stream.read(READ_CHUNK):
                buffer += chunk
                start = 0
                while len(buffer) - start >= _HEADER.size:
                    (size,) = _HEADER.unpack_from(buffer, start)
                    end = start + _HEADER.size + size
                    if end > len(buffer):
                        break
                    self._deliver(
                        pickle.loads(memoryview(buffer)[start + _HEADER.size : end]), ready
                    )
                    start = end
                del buffer[:start]
        except (OSError, pickle.UnpicklingError) as exc:
            log.error("Không đọc được câu trả lời của tiến trình trả lời: %s", exc)
        finally:
            if not ready.done():
                ready.cancel()  # it never got ready
            self._lost(process)

    def _deliver(self, message: tuple[Any, ...], ready: asyncio.Future[None]) -> None:
        if message[0] == "ready":
            if not ready.done():
                ready.set_result(None)
                log.debug("Tiến trình trả lời đã sẵn sàng")
            return
        rid, ok, result = message
        waiting = self._waiting.pop(rid, None)
        if waiting is not None and not waiting[0].done():
            waiting[0].set_result((ok, result))

    async def _watch(
        self, process: asyncio.subprocess.Process, ready: asyncio.Future[None], started: float
    ) -> None:
        """One timer for every message: a child not ready within `start_seconds`, or whose
        oldest message has waited `answer_seconds` (it answers in order: it is stuck), is
        stopped; the door answers the messages it held and, until it is back, the next."""
        period = min(self.answer_seconds, self.start_seconds) / 4
        while process is self._process and process.returncode is None:
            await asyncio.sleep(period)
            now = time.monotonic()
            if not ready.done():
                late = now - started > self.start_seconds
                what = f"không sẵn sàng sau {self.start_seconds:.0f} s"
            else:
                oldest = next(iter(self._waiting.values()), None)
                late = oldest is not None and now - oldest[1] > self.answer_seconds
                what = f"không trả lời trong {self.answer_seconds:.0f} s"
            if late:
                log.error("Tiến trình trả lời %s; dừng nó, bot tự trả lời", what)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                return

    def _lost(self, process: asyncio.subprocess.Process) -> None:
        """The child's output ended: every waiting message is answered by the door."""
        for waiter, _ in self._waiting.values():
            if not waiter.done():
                waiter.set_result((False, None))  # said once, below
        self._waiting.clear()
        if process is not self._process:
            return
        self._ended = True
        self._ready = None
        if not self._stopping:
            log.error("Tiến trình trả lời đã dừng; bot tự trả lời cho tới khi nó chạy lại")
            self._down_since = time.monotonic()

    def _send(self, message: object) -> bool:
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return False
        try:
            process.stdin.write(_frame(message))
        except (OSError, RuntimeError):
            return False
        return True

    def _maybe_restart(self) -> None:
        down = self._down_since
        if self._stopping or down is None or self._restarting is not None:
            return
        if time.monotonic() - down < self.restart_seconds:
            return

        async def restart() -> None:
            try:
                await self._close()
                await self._spawn()
            finally:
                self._restarting = None

        self._restarting = asyncio.create_task(restart())

    async def _call(self, *message: Any) -> tuple[bool, Any]:
        ok, result = await self._ask(*message)
        if ok:
            self.answered += 1
        else:
            self.left_to_door += 1
        return ok, result

    async def _ask(self, *message: Any) -> tuple[bool, Any]:
        if not self.ready:  # starting (the door answers meanwhile: nothing waits), or gone
            if not self.alive:
                self._maybe_restart()
            return False, None
        self._next_id += 1
        rid = self._next_id
        waiter: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = (waiter, time.monotonic())
        if not self._send((message[0], rid, *message[1:])):
            self._waiting.pop(rid, None)
            return False, None
        ok, result = await waiter
        if not ok and result is not None:
            log.error("Tiến trình trả lời không trả lời được; bot tự trả lời tin này: %s", result)
        return ok, result

    async def answer(
        self,
        text: str,
        *,
        now: datetime,
        today: date,
        who: Who | None = None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply | None:
        options = {"today": today, "chat": chat, "fresh": fresh, "plan": plan}
        ok, reply = await self._call("answer", now, text, who, options)
        return cast(Reply, reply) if ok else None

    async def more(self, chat: str, key: str | None, *, now: datetime) -> tuple[bool, Reply | None]:
        ok, reply = await self._call("more", now, chat, key)
        return ok, cast("Reply | None", reply) if ok else None

    def serve(self, library: Library) -> None:
        """Serve `library` from the next message on (an admin activated a plan)."""
        self.spec = replace(self.spec, library=library)
        self._send(("serve", self.spec))

    async def _close(self) -> None:
        process, self._process = self._process, None
        self._ready = None
        if self._watching is not None:
            self._watching.cancel()
            self._watching = None
        if process is None:
            return
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()  # the child stops at the end of its input
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if self._reading is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
            self._reading = None


# -- the child's side --------------------------------------------------------------------


class _Child:
    """The desk served over a read-only connection, the clock set by each message."""

    def __init__(self) -> None:
        self.clock: FixedClock | None = None
        self.desk: Any = None
        self.conversations: Any = None
        self.reader: Any = None
        self.access: Any = None

    def serve(self, spec: ServeSpec) -> None:
        from bot.app.plans import serve_plans
        from bot.conversation import InMemoryConversationStore
        from bot.storage.base import Database
        from bot.storage.sqlite import open_sqlite_reader

        if self.clock is None:
            tz = ZoneInfo(spec.tz)
            self.clock = FixedClock(datetime.now(tz), tz)
            self.conversations = InMemoryConversationStore(self.clock)
            self.reader = open_sqlite_reader(spec.database)
            if self.reader is None:
                raise RuntimeError(f"không đọc được cơ sở dữ liệu {spec.database}")
        _, _, plans, self.desk = serve_plans(
            spec.library,
            cast(Database, self.reader),
            self.clock,
            spec.admin_ids,
            self.conversations,
        )
        self.access = next(iter(plans.values())).service  # who asks, as `asker_for` says
        for services in plans.values():
            services.view.warm_up(self.clock.today())

    def handle(self, message: tuple[Any, ...]) -> tuple[Any, ...]:
        kind, rid, now = message[0], message[1], message[2]
        assert self.clock is not None
        self.clock.set(now)
        try:
            if kind == "answer":
                text, who, options = message[3], message[4], message[5]
                asker = self.access.asker(*who) if who is not None else None
                return rid, True, self.desk.answer(text, asker=asker, **options)
            if kind == "more":
                return rid, True, self.desk.more(message[3], message[4])
            return rid, False, f"không rõ yêu cầu {kind!r}"
        except Exception as exc:  # the door answers this one itself (and logs it)
            log.exception("Lỗi khi trả lời trong tiến trình riêng")
            return rid, False, f"{type(exc).__name__}: {exc}"


def _read_frame(stream: IO[bytes]) -> Any | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def child_main() -> int:
    """Serve the parent until its pipe closes."""

    # Ctrl-C or a stop sent to every process stops the door, which closes this one's input
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inbox = sys.stdin.buffer
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot break the pipe
    child = _Child()
    while True:
        message = _read_frame(inbox)
        if message is None:
            return 0
        if message[0] == "serve":
            spec: ServeSpec = message[1]
            logging.basicConfig(
                level=spec.log_level.upper(),
                format="%(asctime)s %(levelname)s [trả lời] %(name)s: %(message)s",
            )
            child.serve(spec)
            # what serves lives as long as the process: out of the collector's sight, as the
            # door's (`bot.telegram.app.settle_heap`); a full collection over the plans and
            # a year of reports stalled every answer ~150 ms
            gc.collect()
            gc.freeze()
            reply: tuple[Any, ...] = ("ready", None)
        else:
            reply = child.handle(message)
        try:
            frame = _frame(reply)
        except Exception as exc:  # a reply that cannot be sent: the door answers it itself
            log.exception("Không gửi được câu trả lời về tiến trình chính")
            frame = _frame((reply[0], False, f"{type(exc).__name__}: {exc}"))
        try:
            outbox.write(frame)
            outbox.flush()
        except BrokenPipeError:  # the door is gone (killed): nobody to answer
            return 0


if __name__ == "__main__":
    sys.exit(child_main())
