"""The plans feature (`bot.telegram.feature.Feature`): which plans the bot serves, a chat's
default plan, and new plans an admin sends.

- `/kehoach` lists the plans served with a button each to make it the chat's default
  (questions that name no plan are then answered from it); `/kehoach 58` sets it, `/kehoach
  tất cả` goes back to every plan. In a group only its admins change it.
- A bot admin sends a plan (.docx, .pdf or .txt) in a private chat: it is imported into
  a draft, stored, and answered with the review summary and the draft (plan.yaml, and the
  review) as files. `/kichhoat` lists the drafts; `/kichhoat <số>` activates one that
  passed the checks (a draft with errors never is): stored first, then its services built
  in a worker thread (the composition root's `prepare`) and served (`adopt`); a newer version of a served plan replaces it and
  keeps its progress (stored by item number), saying which items disappeared.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.core.clock import Clock
from bot.core.reply import Button, Reply, esc
from bot.plan.library import Library, plan_key
from bot.plan.loader import Knowledge
from bot.shelf import PlanShelf
from bot.shelf.documents import ShelfError
from bot.storage.base import PlanStore
from bot.telegram import callbacks, handlers
from bot.telegram.chat_admin import is_group_admin
from bot.telegram.commands import BOT_ADMIN, GROUP, PRIVATE, add_menu_command
from bot.telegram.context import App, Context

log = logging.getLogger(__name__)

CHOOSE = "plan"  # callback kind: v1:plan:<key> (or v1:plan:all)
ALL = "all"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_SUFFIXES = (".docx", ".pdf", ".txt")
ALL_WORDS = {"tat ca", "tất cả", "all", "moi", "mọi", "bo", "bỏ", "xoa", "xóa"}

NOT_ADMIN_UPLOAD = (
    "Chỉ quản trị viên bot mới nạp được kế hoạch mới. Anh/chị cần tra cứu thì cứ gõ câu hỏi."
)
NOT_ADMIN_ACTIVATE = "Chỉ quản trị viên bot mới kích hoạt được kế hoạch."
WRONG_TYPE = (
    "Tệp này không phải văn bản kế hoạch bot đọc được. Anh/chị gửi tệp .docx, .pdf (có lớp chữ)"
    " hoặc .txt."
)
TOO_BIG = "Tệp quá lớn (tối đa 10 MB). Anh/chị gửi bản .docx hoặc .pdf của riêng kế hoạch."
PRIVATE_ONLY = "Anh/chị gửi văn bản kế hoạch trong tin nhắn riêng với bot."


P = TypeVar("P")  # a plan's services, as the composition root builds them


class PlansFeature(Generic[P]):
    """The plans served, a chat's default plan, and the admin's upload flow."""

    def __init__(
        self,
        shelf: PlanShelf,
        store: PlanStore,
        clock: Clock,
        *,
        prepare: Callable[[Knowledge], P],
        adopt: Callable[[P], object],
    ):
        self.shelf = shelf
        self.store = store
        self.clock = clock
        self.prepare = prepare  # builds a plan's services (in a worker thread)
        self.adopt = adopt  # serves them (on the event loop)

    def register(self, application: App) -> None:
        add_menu_command(
            application,
            "kehoach",
            "Các kế hoạch bot theo dõi; chọn kế hoạch mặc định",
            (PRIVATE, GROUP),
            order=4,
        )
        add_menu_command(
            application,
            "kichhoat",
            "Kích hoạt kế hoạch đã nạp, ví dụ /kichhoat 3",
            (BOT_ADMIN,),
            order=33,
        )
        application.add_handler(CommandHandler("kehoach", self.cmd_plans))
        application.add_handler(CommandHandler("kichhoat", self.cmd_activate))
        application.add_handler(
            MessageHandler(filters.Document.ALL & ~filters.VIA_BOT, self.on_document)
        )
        handlers.add_route(application, CHOOSE, self.on_choose)

    async def start(self, application: App) -> None:
        """The chats' default plans, read once (then kept as /kehoach changes them)."""
        application.bot_data.chat_plans.update(self.store.chat_plans())

    async def stop(self, application: App) -> None:
        return None

    # -- /kehoach -----------------------------------------------------------------------

    @staticmethod
    def _library(context: Context) -> Library | None:
        """The plans the brain serves (the desk's; the one plan of a brain that has no
        desk); None when it knows no plan."""
        brain = context.bot_data.brain
        library = getattr(brain, "library", None)
        if isinstance(library, Library):
            return library
        return Library((brain.knowledge,)) if brain.knowledge is not None else None

    async def cmd_plans(self, update: Update, context: Context) -> None:
        """/kehoach [số | tất cả]."""
        chat = update.effective_chat
        if chat is None:
            return
        library = self._library(context)
        arg = " ".join(context.args or []).strip()
        if arg and library is not None:
            key = ALL if arg.casefold() in ALL_WORDS else plan_key(arg.split()[-1])
            await self._choose(update, context, key)
            return
        await self._send(update, context, self._listing(context, library, chat.id))

    def _listing(self, context: Context, library: Library | None, chat_id: int) -> Reply:
        if library is None:
            return Reply(intent="plans", html="Bot chưa nạp kế hoạch nào.")
        default = context.bot_data.chat_plans.get(chat_id)
        lines = [f"Bot đang theo dõi {len(library)} kế hoạch:"]
        buttons: list[list[Button]] = []
        for knowledge in library:
            meta = knowledge.plan.meta
            key = plan_key(meta.number)
            mark = " ⭐ (mặc định của cuộc trò chuyện này)" if key == default else ""
            title = (
                f" — {esc(meta.short_title or meta.title)}"
                if (meta.short_title or meta.title)
                else ""
            )
            lines.append(
                f"• <b>{esc(meta.label)}</b> ngày {meta.issued:%d/%m/%Y}{title}"
                f" ({len(knowledge.plan.items)} mục){mark}"
            )
            if library.several:
                buttons.append([Button(f"Mặc định: {meta.number}", callbacks.encode(CHOOSE, key))])
        if library.several:
            lines.append(
                "Câu hỏi không nêu kế hoạch được trả lời theo "
                + (
                    f"Kế hoạch {esc(default)} (mặc định)."
                    if default
                    else "mọi kế hoạch, nhóm theo kế hoạch."
                )
                + f" Nêu kế hoạch trong câu hỏi, ví dụ «kế hoạch {esc(library.keys()[-1])} Sở Nội vụ"
                " làm gì?», hoặc chọn mặc định."
            )
            if default:
                buttons.append([Button("Hỏi mọi kế hoạch", callbacks.encode(CHOOSE, ALL))])
        return Reply(intent="plans", html="\n".join(lines), buttons=buttons)

    async def on_choose(self, update: Update, context: Context, arg: str) -> None:
        """`v1:plan:<key>`: make it the chat's default plan (`all`: none)."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        await self._choose(update, context, arg)

    async def _choose(self, update: Update, context: Context, key: str) -> None:
        chat, user = update.effective_chat, update.effective_user
        library = self._library(context)
        if chat is None or user is None or library is None:
            return
        if key != ALL and library.get(key) is None:
            known = ", ".join(library.keys())
            await self._send(
                update,
                context,
                Reply(
                    intent="plans",
                    html=f"Không có kế hoạch số {esc(key)}. Các kế hoạch: {esc(known)}.",
                ),
            )
            return
        if chat.type != ChatType.PRIVATE:
            admin = await is_group_admin(context, chat, update.effective_message, user)
            if not admin and user.id not in context.bot_data.admin_ids:
                await self._send(
                    update,
                    context,
                    Reply(
                        intent="plans",
                        html="Chỉ quản trị viên nhóm mới đổi được kế hoạch mặc định của nhóm.",
                    ),
                )
                return
        chosen = None if key == ALL else plan_key(key)
        await self.store.set_chat_plan(chat.id, chosen, by=user.id, at=self.clock.now())
        if chosen is None:
            context.bot_data.chat_plans.pop(chat.id, None)
            html = "Đã bỏ kế hoạch mặc định: câu hỏi không nêu kế hoạch được trả lời theo mọi kế hoạch."
        else:
            context.bot_data.chat_plans[chat.id] = chosen
            label = library.get(chosen).plan.meta.label  # type: ignore[union-attr]
            html = (
                f"Đã chọn {esc(label)} làm kế hoạch mặc định của cuộc trò chuyện này. Gõ /kehoach"
                " tất cả để hỏi mọi kế hoạch."
            )
        await self._send(update, context, Reply(intent="plans", html=html))

    # -- a plan sent by an admin --------------------------------------------------------

    async def on_document(self, update: Update, context: Context) -> None:
        chat, user, message = update.effective_chat, update.effective_user, update.effective_message
        if chat is None or user is None or message is None or message.document is None:
            return
        if chat.type != ChatType.PRIVATE:
            return  # documents in groups are the members' own business
        if user.id not in context.bot_data.admin_ids:
            await self._send(update, context, Reply(intent="plans", html=NOT_ADMIN_UPLOAD))
            return
        document = message.document
        name = document.file_name or "ke-hoach"
        suffix = Path(name).suffix.lower()
        if suffix not in DOCUMENT_SUFFIXES:
            await self._send(update, context, Reply(intent="plans", html=WRONG_TYPE))
            return
        if document.file_size is not None and document.file_size > MAX_DOCUMENT_BYTES:
            await self._send(update, context, Reply(intent="plans", html=TOO_BIG))
            return
        library = self._library(context)
        with tempfile.TemporaryDirectory(prefix="upload-") as folder:
            source = Path(folder) / f"van-ban{suffix}"
            try:
                telegram_file = await document.get_file()
                await telegram_file.download_to_drive(source)
            except TelegramError as exc:
                log.warning("Không tải được tệp kế hoạch: %s", exc)
                await self._send(
                    update,
                    context,
                    Reply(
                        intent="plans", html="Không tải được tệp từ Telegram; anh/chị gửi lại giúp."
                    ),
                )
                return
            try:
                draft = await self.shelf.import_document(
                    source, file_name=name, user_id=user.id, at=self.clock.now(), served=library
                )
            except ShelfError as exc:
                await self._send(
                    update,
                    context,
                    Reply(intent="plans", html=f"Không đọc được văn bản: {esc(exc)}"),
                )
                return
        await self._send(update, context, Reply(intent="plans", html=draft.summary))
        for file, caption in (
            (draft.plan_file, f"Bản nháp số {draft.document.id} (plan.yaml)"),
            (draft.folder / "review.md", "Báo cáo rà soát (review.md)"),
        ):
            if file.is_file():
                await context.bot.send_document(
                    chat.id,
                    document=file.read_bytes(),
                    filename=f"nhap-{draft.document.id}-{file.name}",
                    caption=caption,
                )
        log.info("Admin %s đã nạp bản nháp kế hoạch %s", user.id, draft.document.id)

    async def cmd_activate(self, update: Update, context: Context) -> None:
        """/kichhoat [số bản nháp]."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return
        if user.id not in context.bot_data.admin_ids:
            await self._send(update, context, Reply(intent="plans", html=NOT_ADMIN_ACTIVATE))
            return
        arg = " ".join(context.args or []).strip().lstrip("#")
        if not arg.isdigit():
            await self._send(update, context, self._drafts())
            return
        library = self._library(context)
        try:
            activation = await self.shelf.activate(
                int(arg), user_id=user.id, at=self.clock.now(), served=library
            )
        except ShelfError as exc:
            await self._send(update, context, Reply(intent="plans", html=str(exc)))
            return
        services = await asyncio.to_thread(self.prepare, activation.knowledge)
        self.adopt(services)
        context.bot_data.item_ids = handlers.known_items(context.bot_data.brain)
        log.info("Admin %s đã kích hoạt %s", user.id, activation.knowledge.plan.meta.number)
        await self._send(update, context, Reply(intent="plans", html=activation.message()))

    def _drafts(self) -> Reply:
        drafts = self.shelf.drafts()
        if not drafts:
            return Reply(
                intent="plans",
                html="Chưa có bản nháp nào. Gửi tệp kế hoạch (.docx, .pdf, .txt) cho bot trong tin nhắn riêng để nạp.",
            )
        lines = ["Các bản nháp chờ kích hoạt:"]
        for d in drafts:
            state = "❌ có lỗi" if d.problems else f"✅ /kichhoat {d.id}"
            lines.append(
                f"• Số {d.id}: {esc(d.number or '(chưa rõ số)')} — {esc(d.file_name or '')}"
                f" ({d.uploaded_at.astimezone(self.clock.tz):%d/%m/%Y %H:%M}) {state}"
            )
        return Reply(intent="plans", html="\n".join(lines))

    @staticmethod
    async def _send(update: Update, context: Context, reply: Reply) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        message = update.effective_message
        quote = message if chat.type != ChatType.PRIVATE and update.callback_query is None else None
        await handlers.send_reply(context, chat.id, reply, quote=quote)
