"""The one world builder of the tests: a temporary SQLite file, the real knowledge, a clock.

`World` is the part every harness shares: the database file (opened like the bot does,
read back through separate read-only connections), the plan's knowledge, a `FixedClock`
the test moves, the bot admins, and seeding (approved members and linked groups through
the real `ProgressService`). `BotWorld` adds the fake Bot API and the bot itself run
in-process: the composition root (`Runtime`) started and stopped like a fresh process
on the same file, messages sent and their answers awaited (never a fixed sleep),
buttons pressed. `bot_world` is the fixture body: the fake server around a `BotWorld`,
the bot stopped at the end and no request rejected.

Each test module keeps what is its own in a thin subclass (its cast, its `say` and
`press`, its readers) or uses these directly.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from fake_bot_api import Call, FakeBotApi
from serve_helpers import serve_until_ready

from bot.app.runtime import Runtime
from bot.core.clock import FixedClock
from bot.core.config import Settings
from bot.plan.loader import Knowledge
from bot.progress.service import ProgressService
from bot.storage.base import StoredUpdate
from bot.storage.sqlite import SqliteDatabase, SqliteReader, open_sqlite, open_sqlite_reader
from bot.telegram.feature import Feature


async def approve_members(
    service: ProgressService,
    admin_id: int,
    members: Mapping[int, str],
    names: Mapping[int, str] | None = None,
) -> None:
    """Each user of `members` asks for its agency and `admin_id` approves
    (display name from `names`, else "Người <id>")."""
    for user_id, agency in members.items():
        name = (names or {}).get(user_id, f"Người {user_id}")
        assert (await service.request_membership(user_id, agency, name)).ok
        assert (await service.approve_member(admin_id, user_id)).code == "ok"


async def link_groups(
    service: ProgressService,
    admin_id: int,
    links: Mapping[int, str],
    *,
    requested_by: int | None = None,
    title: str = "Nhóm",
) -> None:
    """Each group of `links` asks to report for its agency (by `requested_by`, else the
    admin) and `admin_id` confirms."""
    requester = admin_id if requested_by is None else requested_by
    for chat_id, agency in links.items():
        assert (await service.request_chat_link(chat_id, agency, requester, title)).ok
        assert (await service.approve_chat_link(admin_id, chat_id)).code == "ok"


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


class World:
    """A temporary database file, the real knowledge, a moving clock, the bot admins."""

    def __init__(
        self, knowledge: Knowledge, clock: FixedClock, path: Path, admin_ids: Collection[int]
    ) -> None:
        self.knowledge = knowledge
        self.clock = clock
        self.path = path
        self.admin_ids = frozenset(admin_ids)

    def at(self, year: int, month: int, day: int, hour: int = 9) -> None:
        self.clock.set(datetime(year, month, day, hour, 0))

    # -- the database -----------------------------------------------------------------

    def open_database(self) -> SqliteDatabase:
        return open_sqlite(self.path, now=self.clock.now())

    def progress_service(self, db: SqliteDatabase) -> ProgressService:
        return ProgressService(db, self.knowledge, self.clock, set(self.admin_ids))

    async def seeding(self, write: Callable[[ProgressService], Awaitable[None]]) -> None:
        """`write(service)` on a connection of its own, closed afterwards (before the
        bot starts, as an earlier run of the bot would have left the file)."""
        db = self.open_database()
        try:
            await write(self.progress_service(db))
        finally:
            db.close()

    async def seed(
        self,
        members: Mapping[int, str],
        links: Mapping[int, str] | None = None,
        *,
        names: Mapping[int, str] | None = None,
        admin_id: int | None = None,
        link_requested_by: int | None = None,
        link_title: str = "Nhóm",
    ) -> None:
        """Approved members and linked groups (approved by `admin_id`, else the
        smallest bot admin), written before the bot starts."""
        admin = min(self.admin_ids) if admin_id is None else admin_id

        async def write(service: ProgressService) -> None:
            await approve_members(service, admin, members, names)
            await link_groups(
                service, admin, links or {}, requested_by=link_requested_by, title=link_title
            )

        await self.seeding(write)

    # -- reading the store ------------------------------------------------------------

    def reader(self) -> SqliteReader:
        reader = open_sqlite_reader(self.path)
        assert reader is not None
        return reader

    def stored(
        self, item_id: str | None = None, *, include_undone: bool = False
    ) -> list[StoredUpdate]:
        reader = self.reader()
        try:
            return reader.updates(item_id, include_undone=include_undone)
        finally:
            reader.close()

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of `table` by column name (read-only connection)."""
        conn = _read_only(self.path)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(f'SELECT * FROM "{table}"')]
        finally:
            conn.close()

    def snapshot(self, skip: Collection[str] = ()) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table but those in `skip`, sorted, through a read-only
        connection."""
        conn = _read_only(self.path)
        try:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
                if row[0] not in skip
            ]
            return {
                name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
                for name in names
            }
        finally:
            conn.close()


class BotWorld(World):
    """`World` plus the fake Bot API and the bot run in-process on the database file."""

    def __init__(
        self,
        api: FakeBotApi,
        knowledge: Knowledge,
        settings: Settings,
        clock: FixedClock,
        path: Path,
    ) -> None:
        super().__init__(knowledge, clock, path, settings.admin_ids)
        self.api = api
        self.settings = settings
        self.runtime: Runtime | None = None
        self.launched: list[Runtime] = []  # every runtime `launch` started, in order
        self.task: asyncio.Task[int] | None = None
        self.stop_event = asyncio.Event()

    # -- life cycle -------------------------------------------------------------------

    async def launch(
        self,
        features: Callable[[Runtime], list[Feature]] | None = None,
        **build_options: Any,
    ) -> Runtime:
        """Start the composition root like a fresh process on the database file, with
        `features(runtime)` (the default features without it)."""
        runtime = Runtime.build(self.settings, self.knowledge, self.clock, **build_options)

        def serving(stop: asyncio.Event, ready: asyncio.Event) -> Coroutine[Any, Any, int]:
            return runtime.serve(
                stop=stop,
                ready=ready,
                base_url=self.api.base_url,
                rate_limiter=False,
                features=None if features is None else features(runtime),
            )

        self.task, self.stop_event = await serve_until_ready(serving)
        self.runtime = runtime
        self.launched.append(runtime)
        if runtime.brain_worker is not None:  # BRAIN_PROCESS on: its answers, not the door's
            assert await runtime.brain_worker.until_ready(60)
        return runtime

    def brain_answered(self, own_process: bool) -> int:
        """Check that every launch answered where BRAIN_PROCESS said: with it on, each had
        the brain's own process and left no message to the door (`bot.app.brain_worker`);
        with it off, none had one. How many messages the brains' processes answered."""
        workers = [runtime.brain_worker for runtime in self.launched]
        if not own_process:
            assert workers == [None] * len(workers)
            return 0
        assert all(w is not None and w.left_to_door == 0 for w in workers), workers
        return sum(w.answered for w in workers if w is not None)

    async def shut_down(self) -> None:
        """Stop the bot `launch` started; it must end cleanly (exit code 0)."""
        assert self.task is not None
        self.stop_event.set()
        assert await asyncio.wait_for(self.task, 10) == 0
        self.task = None

    # -- talking ----------------------------------------------------------------------

    def chat(self, where: int | dict[str, Any]) -> dict[str, Any]:
        """The group with id `where`, or the private chat of user `where`."""
        return self.api.chats[where] if isinstance(where, int) else self.api.private(where)

    async def exchange(
        self, user: dict[str, Any], text: str, chat: dict[str, Any]
    ) -> tuple[dict[str, Any], Call]:
        """Send `text` in `chat` and wait for the bot's message back there."""
        since = self.api.mark()
        message = self.api.send(chat, user, text)
        (call,) = await self.api.wait_for("sendMessage", since=since, chat_id=chat["id"])
        return message, call

    async def press_on(
        self,
        user: dict[str, Any],
        message: dict[str, Any],
        data: str,
        method: str = "answerCallbackQuery",
    ) -> Call:
        """Press a button with `data` on `message`; wait for the callback answer, or for
        `method` in the message's chat."""
        since = self.api.mark()
        query_id = self.api.press(user, message, data)
        if method == "answerCallbackQuery":
            (answer,) = await self.api.wait_for(method, since=since, callback_query_id=query_id)
            return answer
        (done,) = await self.api.wait_for(method, since=since, chat_id=message["chat"]["id"])
        return done


W = TypeVar("W", bound=BotWorld)


@asynccontextmanager
async def bot_world(
    make: Callable[[FakeBotApi], W], token: str, *, check_rejected: bool = True
) -> AsyncIterator[W]:
    """The fake Bot API around `make(api)`; the bot stopped at the end (if running) and,
    unless told otherwise, no request rejected by the fake server."""
    async with FakeBotApi(token) as api:
        world = make(api)
        yield world
        if world.task is not None:
            await world.shut_down()
        if check_rejected:
            assert not api.rejected(), api.rejected()
