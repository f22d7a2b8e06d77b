"""The progress feature (`bot.telegram.feature.Feature`): its commands, menus, button
routes, the `progress_update` intent hook and who is asking, over the `ProgressRuntime`
the composition root built for it."""

from __future__ import annotations

import logging

from telegram import Chat, User
from telegram.ext import CommandHandler

from bot.progress.types import Asker
from bot.telegram import handlers
from bot.telegram.commands import BOT_ADMIN, GROUP, GROUP_ADMIN, PRIVATE, add_menu_command
from bot.telegram.context import App
from bot.telegram.progress import membership, reporting, views
from bot.telegram.progress.state import ProgressRuntime

log = logging.getLogger(__name__)

MENU: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("tiendo", "Tiến độ: tổng quan, hoặc một mục, ví dụ /tiendo 2.4", (PRIVATE, GROUP), 5),
    ("capnhat", "Báo cáo tiến độ, ví dụ /capnhat 2.4 đang thực hiện 60%", (PRIVATE, GROUP), 6),
    ("chuabaocao", "Cơ quan chưa báo cáo trong kỳ", (PRIVATE, GROUP), 7),
    ("baocao", "Tải báo cáo tiến độ (Excel)", (PRIVATE, BOT_ADMIN), 8),
    ("dangky", "Đăng ký báo cáo cho cơ quan, ví dụ /dangky Sở Nội vụ", (PRIVATE,), 20),
    ("toi", "Xem cơ quan và vai trò của tôi", (PRIVATE, GROUP), 21),
    ("lienket", "Liên kết nhóm với cơ quan, ví dụ /lienket Sở Nội vụ", (GROUP_ADMIN,), 22),
    ("thanhvien", "Danh sách thành viên báo cáo", (BOT_ADMIN,), 30),
    ("duyet", "Duyệt yêu cầu đăng ký (chọn trong danh sách)", (BOT_ADMIN,), 31),
    ("thuhoi", "Thu hồi quyền báo cáo (chọn trong danh sách)", (BOT_ADMIN,), 32),
)

COMMANDS = {
    "tiendo": views.cmd_progress,
    "capnhat": reporting.cmd_update,
    "chuabaocao": views.cmd_not_reported,
    "baocao": views.cmd_report,
    "dangky": membership.cmd_register,
    "toi": membership.cmd_whoami,
    "lienket": membership.cmd_link,
    "thanhvien": membership.cmd_members,
    "duyet": membership.cmd_approve,
    "thuhoi": membership.cmd_revoke,
}

ROUTES = {
    reporting.UNDO: reporting.on_undo,
    reporting.CARD: reporting.on_card,
    reporting.ITEM_PICK: reporting.on_item_pick,
    reporting.BRAIN_PICK: reporting.on_brain_pick,
    views.HISTORY: views.on_history,
    membership.REGISTER: membership.on_register_pick,
    membership.MEMBER: membership.on_member_decision,
    membership.MEMBER_LIST: membership.on_member_list_decision,
    membership.LINK: membership.on_link_decision,
}


class ProgressFeature:
    """Progress reporting on Telegram, over the runtime it is given (it opens nothing)."""

    def __init__(self, runtime: ProgressRuntime):
        self.runtime = runtime

    def register(self, application: App) -> None:
        """Add the progress commands, menus, button routes, the update intent hook, and
        say who is asking (their agency, from storage)."""
        for command, description, scopes, order in MENU:
            add_menu_command(application, command, description, scopes, order=order)
        for name, callback in COMMANDS.items():
            application.add_handler(CommandHandler(name, callback))
        for kind, route in ROUTES.items():
            handlers.add_route(application, kind, route)
        handlers.add_intent_hook(application, "progress_update", reporting.on_update_intent)
        service = self.runtime.service

        def asker_for(user: User | None, chat: Chat | None) -> Asker | None:
            if user is None:
                return None
            return service.asker(user.id, user.full_name, chat.id if chat is not None else None)

        data = application.bot_data
        data.progress = self.runtime
        data.asker_for = asker_for

    async def start(self, application: App) -> None:
        """Read the history and derive today's progress now, not in the first questions
        (the view is the one the brain, /tiendo and the reminders share)."""
        rt = self.runtime
        for plan in rt.plans.values() or [rt]:
            plan.view.warm_up(rt.clock.today())
        log.debug("Tiến độ sẵn sàng (phiên bản lược đồ %s)", rt.db.schema_version())

    async def stop(self, application: App) -> None:
        """Drop the unconfirmed cards; the database is closed by its owner."""
        self.runtime.pending.clear()
