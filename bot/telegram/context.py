"""The door's typed context: `BotData`, what every handler finds in `context.bot_data`
(PTB's `ContextTypes(bot_data=BotData)`), and the `Context` and `App` aliases.

`build_application` fills a `BotData` with the services it was given (the brain, the
clock, the admins…); feature modules add theirs in `register` (the progress runtime,
who is asking, intent hooks, button kinds). Handlers read typed attributes: there are
no string keys and nothing to look up by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Chat, Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.clock import Clock
from bot.core.reply import Reply
from bot.plan.loader import Knowledge
from bot.progress.types import Asker
from bot.telegram.callbacks import AskStore
from bot.telegram.shutdown import Shutdown

if TYPE_CHECKING:
    from bot.telegram.commands import MenuEntry
    from bot.telegram.feature import Feature
    from bot.telegram.flood import FloodGate
    from bot.telegram.progress.state import ProgressRuntime


class BrainLike(Protocol):
    """What the door needs of the brain (`bot.brain.Brain` or a test double)."""

    @property
    def knowledge(self) -> Knowledge | None: ...

    def answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None = None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply: ...

    def more(self, chat: str, key: str | None = None) -> Reply | None: ...


class RemoteBrain(Protocol):
    """The brain in another process (`bot.app.brain_worker.BrainWorker`): the desk's
    `answer` and `more`, awaited; None (`more`: not done) when the door must answer.
    It says who asks itself, from `who` (user id, name, chat id), as `asker_for` would."""

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
    ) -> Reply | None: ...

    async def more(
        self, chat: str, key: str | None, *, now: datetime
    ) -> tuple[bool, Reply | None]: ...


Who = tuple[int, str, int | None]  # who sends a message: user id, full name, chat id


def default_asker(
    user: User | None, admin_ids: frozenset[int], chat: Chat | None = None
) -> Asker | None:
    """The asker as far as Telegram alone tells (agency comes from storage later)."""
    if user is None:
        return None
    return Asker(
        user_id=user.id,
        is_admin=user.id in admin_ids,
        display_name=user.full_name,
        chat_id=chat.id if chat is not None else None,
    )


@dataclass
class BotData:
    """Everything handlers use, one per Application (`context.bot_data`).

    PTB builds it without arguments; `build_application` then sets `brain` and `clock`
    before any handler runs."""

    brain: BrainLike = field(init=False)
    clock: Clock = field(init=False)
    admin_ids: frozenset[int] = frozenset()
    item_ids: frozenset[str] | None = None  # the plan's item numbers, when known
    chat_plans: dict[int, str] = field(default_factory=dict)  # a chat's default plan (/kehoach)
    shutdown: Shutdown = field(default_factory=Shutdown)
    flood_gate: FloodGate | None = None
    asks: AskStore = field(default_factory=AskStore)
    menu: dict[str, MenuEntry] = field(default_factory=dict)
    callback_kinds: set[str] = field(default_factory=set)  # kinds that have a route
    intent_hooks: dict[str, IntentHook] = field(default_factory=dict)
    asker_for: Callable[[User | None, Chat | None], Asker | None] | None = None
    features: list[Feature] = field(default_factory=list)
    progress: ProgressRuntime | None = None  # set by the progress feature
    remote: RemoteBrain | None = None  # the brain in its own process, when there is one

    def asker(self, user: User | None, chat: Chat | None = None) -> Asker | None:
        """Who sends a message, from which chat (a linked group reports for its agency)."""
        if self.asker_for is not None:
            return self.asker_for(user, chat)
        return default_asker(user, self.admin_ids, chat)

    async def answer(
        self,
        text: str,
        *,
        user: User | None,
        where: Chat | None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply:
        """The brain's reply to `text` sent by `user` in `where` today (`chat`: whose
        conversation it continues): from the brain's own process when there is one and it
        answers (it reads who is asking itself), else from the desk here."""
        today = self.clock.today()
        if self.remote is not None:
            who = (user.id, user.full_name, where.id if where else None) if user else None
            reply = await self.remote.answer(
                text,
                now=self.clock.now(),
                today=today,
                who=who,
                chat=chat,
                fresh=fresh,
                plan=plan,
            )
            if reply is not None:
                return reply
        asker = self.asker(user, where)
        return self.brain.answer(text, today=today, asker=asker, chat=chat, fresh=fresh, plan=plan)

    async def more(self, chat: str, key: str | None = None) -> Reply | None:
        """The rest of the list a reply in conversation `chat` cut (as `answer`)."""
        if self.remote is not None:
            done, reply = await self.remote.more(chat, key, now=self.clock.now())
            if done:
                return reply
        return self.brain.more(chat, key)


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
App = Application[Any, Any, Any, Any, BotData, Any]
CallbackRoute = Callable[[Update, Context, str], Awaitable[None]]
IntentHook = Callable[[Update, Context, Reply, str], Awaitable[None]]
