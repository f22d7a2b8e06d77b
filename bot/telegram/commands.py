"""Slash commands and the per-scope command menus.

Query commands are thin aliases of questions: `/nhiemvu 2.4` asks the brain
"nhiệm vụ 2.4", `/coquan X` asks "X phải làm gì", `/han X` "hạn X", `/timkiem X`
"tìm X", `/tiendo [X]` "tiến độ [X]". Without an argument they answer with a
usage hint. `/start` greets (deep links `?start=nv_2_4` open an item) and `/help`
explains. The menus (private chats, groups, group admins, bot admins) are
published in `post_init` from a registry that feature modules extend with
`add_menu_command`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.core.reply import Button, Reply, esc
from bot.core.text import fold
from bot.plan.loader import Knowledge
from bot.telegram import callbacks, handlers
from bot.telegram.handlers import App, Context

log = logging.getLogger(__name__)

PRIVATE, GROUP, GROUP_ADMIN, BOT_ADMIN = "private", "group", "group_admin", "bot_admin"
FALLBACK_GROUP = 100

EXAMPLES = ("Sở Nội vụ phải làm gì?", "Nhiệm vụ 2.4", "Việc nào sắp đến hạn?")


@dataclass(frozen=True)
class QueryCommand:
    """A command that is a shorthand for a question to the brain."""

    name: str
    description: str
    template: str
    keyword: str
    usage: str | None = None
    bare: str | None = None

    def question(self, argument: str) -> str | None:
        """The question to ask, or None when the argument is missing."""
        argument = argument.strip()
        if not argument:
            return self.bare
        if f" {self.keyword} " in f" {fold(argument)} ":
            return argument
        return self.template.format(argument)


QUERY_COMMANDS: tuple[QueryCommand, ...] = (
    QueryCommand(
        "nhiemvu",
        "Xem một nhiệm vụ theo số, ví dụ /nhiemvu 2.4",
        "nhiệm vụ {}",
        "nhiem vu",
        usage="Anh/chị gõ kèm số nhiệm vụ, ví dụ: <code>/nhiemvu 2.4</code>",
    ),
    QueryCommand(
        "coquan",
        "Việc của một cơ quan, ví dụ /coquan Sở Nội vụ",
        "{} phải làm gì",
        "lam gi",
        usage="Anh/chị gõ kèm tên cơ quan, ví dụ: <code>/coquan Sở Nội vụ</code>",
    ),
    QueryCommand(
        "han",
        "Việc theo thời hạn, ví dụ /han quý II/2023",
        "hạn {}",
        "han",
        usage=(
            "Anh/chị gõ kèm thời hạn, ví dụ: <code>/han quý II/2023</code>,"
            " <code>/han tháng này</code> hoặc <code>/han quá hạn</code>"
        ),
    ),
    QueryCommand(
        "timkiem",
        "Tìm theo từ khóa, ví dụ /timkiem hội hữu nghị",
        "tìm {}",
        "tim",
        usage="Anh/chị gõ kèm từ khóa, ví dụ: <code>/timkiem hội hữu nghị</code>",
    ),
    QueryCommand(
        "tiendo",
        "Tiến độ một nhiệm vụ, ví dụ /tiendo 2.4",
        "tiến độ {}",
        "tien do",
        bare="tiến độ",
    ),
)


# ---------------------------------------------------------------- menus


@dataclass(frozen=True)
class MenuEntry:
    """One line of a command menu and the scopes that show it."""

    command: str
    description: str
    scopes: frozenset[str]
    order: int = 100


def menu_of(application: App) -> dict[str, MenuEntry]:
    return application.bot_data.menu


def add_menu_command(
    application: Application[Any, Any, Any, Any, Any, Any],
    command: str,
    description: str,
    scopes: Iterable[str] = (PRIVATE, GROUP),
    *,
    order: int = 100,
) -> None:
    """Show `command` in the menus of `scopes`; the first registration of a name wins."""
    menu_of(application).setdefault(
        command, MenuEntry(command, description, frozenset(scopes), order)
    )


def commands_for(menu: dict[str, MenuEntry], *scopes: str) -> list[BotCommand]:
    wanted = set(scopes)
    entries = sorted(
        (e for e in menu.values() if e.scopes & wanted), key=lambda e: (e.order, e.command)
    )
    return [BotCommand(e.command, e.description[:256]) for e in entries]


Attempt = Callable[[Callable[[], Awaitable[Any]], str], Awaitable[Any]]


async def _once(call: Callable[[], Awaitable[Any]], what: str) -> Any:
    return await call()


async def publish_menus(
    application: Application[Any, Any, Any, Any, Any, Any],
    admin_ids: Iterable[int] = (),
    *,
    attempt: Attempt | None = None,
) -> None:
    """setMyCommands for each scope; a failure is logged, never fatal. `attempt` runs
    each call (at start-up: `startup.StartupRetry`, which retries server errors)."""
    menu = menu_of(application)
    private = commands_for(menu, PRIVATE)
    plan: list[tuple[BotCommandScope, list[BotCommand]]] = [
        (BotCommandScopeDefault(), private),
        (BotCommandScopeAllPrivateChats(), private),
        (BotCommandScopeAllGroupChats(), commands_for(menu, GROUP)),
        (BotCommandScopeAllChatAdministrators(), commands_for(menu, GROUP, GROUP_ADMIN)),
    ]
    admin_menu = commands_for(menu, PRIVATE, BOT_ADMIN)
    if len(admin_menu) > len(private):
        plan += [(BotCommandScopeChat(admin_id), admin_menu) for admin_id in sorted(admin_ids)]
    for scope, commands in plan:
        try:
            await (attempt or _once)(
                partial(application.bot.set_my_commands, commands, scope=scope), "setMyCommands"
            )
        except TelegramError as exc:
            log.warning("Không đặt được menu lệnh cho phạm vi %s: %s", scope.type, exc)


# ---------------------------------------------------------------- texts


def greeting(
    first_name: str | None,
    *,
    in_group: bool,
    username: str | None,
    knowledge: Knowledge | None = None,
) -> Reply:
    name = f" <b>{esc(first_name)}</b>" if first_name else ""
    plan = esc(handlers.plan_label(knowledge))
    issuer = f" của {esc(knowledge.plan.meta.issuer_name)}" if knowledge is not None else ""
    if in_group:
        mention = f"@{esc(username)}" if username else "tên của trợ lý"
        return Reply(
            intent="help",
            html=(
                f"Xin chào{name}! Tôi là <b>Trợ lý {plan}</b>.\n"
                "Trong nhóm, tôi chỉ trả lời khi được gọi: gõ lệnh (ví dụ /nhiemvu 2.4),"
                f" nhắc {mention} kèm câu hỏi, hoặc trả lời (reply) tin nhắn của tôi."
            ),
        )
    html = (
        f"Xin chào{name}! Tôi là <b>Trợ lý {plan}</b>{issuer}:"
        " tôi trả lời theo đúng nội dung kế hoạch — nhiệm vụ nào, cơ quan nào chủ trì,"
        " phối hợp, thời hạn ra sao.\n\n"
        "Anh/chị cứ hỏi tự nhiên, có dấu hay không dấu đều được, ví dụ:\n"
        + "\n".join(f"• <i>{esc(example)}</i>" for example in EXAMPLES)
        + "\n\nHoặc dùng lệnh /nhiemvu, /coquan, /han, /timkiem, /tiendo. Gõ /help để xem"
        " hướng dẫn."
    )
    buttons = [[Button(example, example)] for example in EXAMPLES]
    return Reply(intent="help", html=html, buttons=buttons)


HELP_SECTIONS = {
    BOT_ADMIN: "Dành cho quản trị viên bot:",
    GROUP: "Trong nhóm của cơ quan (thêm trợ lý vào nhóm):",
    GROUP_ADMIN: "Dành cho quản trị viên nhóm:",
}


def help_reply(
    menu: dict[str, MenuEntry],
    *,
    in_group: bool,
    username: str | None,
    knowledge: Knowledge | None = None,
    admin: bool = False,
) -> Reply:
    """/help: the commands of where it is asked (a private chat, a group, with the group
    admins' own); a bot admin also sees the admins' commands and, in a private chat,
    the groups' ones."""
    scope = GROUP if in_group else PRIVATE
    lines = [f"<b>Trợ lý {esc(handlers.plan_label(knowledge))}</b> — các lệnh:"]
    shown = commands_for(menu, scope)
    lines += [f"/{c.command} — {esc(c.description)}" for c in shown]
    seen = {c.command for c in shown}
    sections = [GROUP_ADMIN] if in_group else []
    if admin:
        sections = [BOT_ADMIN, *sections] if in_group else [BOT_ADMIN, GROUP, GROUP_ADMIN]
    for section in sections:
        extra = [c for c in commands_for(menu, section) if c.command not in seen]
        if extra:
            lines += ["", HELP_SECTIONS[section]]
            lines += [f"/{c.command} — {esc(c.description)}" for c in extra]
            seen |= {c.command for c in extra}
    lines.append("")
    lines.append(
        "Có thể hỏi bằng câu thường, ví dụ: "
        + ", ".join(f"<i>{esc(example)}</i>" for example in EXAMPLES)
        + "."
    )
    mention = f"@{esc(username)}" if username else "tên của trợ lý"
    lines.append(
        "Trong nhóm, trợ lý chỉ trả lời lệnh, tin nhắn có nhắc"
        f" {mention} và tin nhắn trả lời (reply) trợ lý."
    )
    return Reply(intent="help", html="\n".join(lines))


# ---------------------------------------------------------------- handlers


def _in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


async def _send(update: Update, context: Context, reply: Reply) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    quote = message if _in_group(update) else None
    thread = message.message_thread_id if message and message.is_topic_message else None
    await handlers.send_reply(context, chat.id, reply, quote=quote, thread_id=thread)


def deep_link_question(payload: str) -> str | None:
    """`/start nv_2_4` (a t.me/<bot>?start=nv_2_4 link) → "nhiệm vụ 2.4"."""
    head, _, rest = payload.partition("_")
    if head.lower() in {"nv", "item"} and rest:
        item_id = rest.replace("_", ".").replace("-", ".")
        if callbacks.ITEM_ID.match(item_id):
            return f"nhiệm vụ {item_id}"
    return None


async def cmd_start(update: Update, context: Context) -> None:
    payload = context.args[0] if context.args else ""
    if payload.lower() == "help":
        await cmd_help(update, context)
        return
    question = deep_link_question(payload)
    if question is not None:
        await handlers.answer_text(update, context, question, fresh=True)
        return
    user = update.effective_user
    reply = greeting(
        user.first_name if user else None,
        in_group=_in_group(update),
        username=context.bot.username,
        knowledge=context.bot_data.brain.knowledge,
    )
    await _send(update, context, reply)


async def cmd_help(update: Update, context: Context) -> None:
    user = update.effective_user
    reply = help_reply(
        menu_of(context.application),
        in_group=_in_group(update),
        username=context.bot.username,
        knowledge=context.bot_data.brain.knowledge,
        admin=user is not None and user.id in context.bot_data.admin_ids,
    )
    await _send(update, context, reply)


def query_command(command: QueryCommand) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """The handler of a query command (arguments joined by single spaces)."""

    async def handle(update: Update, context: Context) -> None:
        question = command.question(" ".join(context.args or []))
        if question is None:
            await _send(update, context, Reply(intent="help", html=command.usage or ""))
            return
        await handlers.answer_text(update, context, question, fresh=True)

    handle.__name__ = f"cmd_{command.name}"
    return handle


def _known_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> set[str]:
    return {
        name
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command nobody handles: a hint in private chats or when addressed to this bot."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    word = message.text.split()[0][1:]
    name, _, target = word.partition("@")
    if name.lower() in _known_commands(context.application):
        return
    username = (context.bot.username or "").lower()
    if _in_group(update) and target.lower() != username:
        return
    html = f"Không có lệnh /{esc(name)}. Gõ /help để xem các lệnh của trợ lý."
    await _send(update, context, Reply(intent="help", html=html))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /start, /help, the query commands, the unknown-command hint and their menus."""
    add_menu_command(application, "start", "Bắt đầu, xem trợ lý làm được gì", [PRIVATE], order=0)
    application.add_handler(CommandHandler("start", cmd_start))
    for index, command in enumerate(QUERY_COMMANDS, start=1):
        add_menu_command(
            application, command.name, command.description, [PRIVATE, GROUP], order=index
        )
        application.add_handler(CommandHandler(command.name, query_command(command)))
    add_menu_command(application, "help", "Hướng dẫn sử dụng", [PRIVATE, GROUP], order=90)
    application.add_handler(CommandHandler("help", cmd_help))
    application.add_handler(
        MessageHandler(filters.COMMAND & handlers.MESSAGES, on_unknown_command),
        group=FALLBACK_GROUP,
    )
