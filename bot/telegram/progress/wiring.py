"""Plug the progress feature into an Application: commands, menus, callbacks, the
`progress_update` intent hook, who is asking, and the Database's life cycle."""

from __future__ import annotations

import logging
from typing import Any

from telegram import User
from telegram.ext import Application, CommandHandler

from bot.brain import Brain
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge, load_knowledge
from bot.progress.service import ProgressService
from bot.progress.types import Asker
from bot.progress.view import ProgressView
from bot.storage import open_database
from bot.telegram import handlers
from bot.telegram.app import DATABASE_KEY, add_lifecycle_hooks
from bot.telegram.commands import BOT_ADMIN, GROUP, GROUP_ADMIN, PRIVATE, add_menu_command
from bot.telegram.progress import membership, reporting, views
from bot.telegram.progress.parsing import UpdateParser
from bot.telegram.progress.state import PROGRESS_KEY, ProgressFeature, ProgressRuntime

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]

MENU: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("tiendo", "Tiến độ: tổng quan, hoặc một mục, ví dụ /tiendo 2.4", (PRIVATE, GROUP), 5),
    ("capnhat", "Báo cáo tiến độ, ví dụ /capnhat 2.4 đang thực hiện 60%", (PRIVATE, GROUP), 6),
    ("chuabaocao", "Cơ quan chưa báo cáo trong kỳ", (PRIVATE, GROUP), 7),
    ("baocao", "Tải báo cáo tiến độ (Excel)", (PRIVATE, BOT_ADMIN), 8),
    ("dangky", "Đăng ký báo cáo cho cơ quan, ví dụ /dangky Sở Nội vụ", (PRIVATE,), 20),
    ("toi", "Xem cơ quan và vai trò của tôi", (PRIVATE, GROUP), 21),
    ("lienket", "Liên kết nhóm với cơ quan, ví dụ /lienket Sở Nội vụ", (GROUP_ADMIN,), 22),
    ("thanhvien", "Danh sách thành viên báo cáo", (BOT_ADMIN,), 30),
    ("duyet", "Duyệt thành viên, ví dụ /duyet 123456789", (BOT_ADMIN,), 31),
    ("thuhoi", "Thu hồi quyền báo cáo, ví dụ /thuhoi 123456789", (BOT_ADMIN,), 32),
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
    membership.LINK: membership.on_link_decision,
}


def _knowledge(feature: ProgressFeature, brain: object) -> Knowledge:
    if feature.knowledge is not None:
        return feature.knowledge
    known = getattr(brain, "knowledge", None)
    return known if isinstance(known, Knowledge) else load_knowledge(feature.settings.plan_path)


def register(application: App, feature: ProgressFeature) -> None:
    """Add the progress commands, menus, button routes and the update intent hook; the
    Database is opened in post_init and closed in post_shutdown."""
    for command, description, scopes, order in MENU:
        add_menu_command(application, command, description, scopes, order=order)
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback))
    for kind, route in ROUTES.items():
        handlers.add_route(application, kind, route)
    handlers.add_intent_hook(application, "progress_update", reporting.on_update_intent)
    services = handlers.services_of(application)

    def asker_for(user: User | None) -> Asker | None:
        found = application.bot_data.get(PROGRESS_KEY)
        if user is None or not isinstance(found, ProgressRuntime):
            return handlers.default_asker(user, services.admin_ids)
        return found.service.asker(user.id, user.full_name)

    services.asker_for = asker_for

    async def open_store(app: App) -> None:
        knowledge = _knowledge(feature, services.brain)
        shared = app.bot_data.get(DATABASE_KEY)  # the one serve runs on, if any
        db = shared if shared is not None else open_database(feature.settings, services.clock)
        feature.owns_database = shared is None
        brain = services.brain if isinstance(services.brain, Brain) else Brain(knowledge)
        runtime = ProgressRuntime(
            knowledge=knowledge,
            db=db,
            clock=services.clock,
            service=ProgressService(db, knowledge, services.clock, services.admin_ids),
            view=ProgressView(knowledge, db, services.clock.tz),
            registry=AgencyRegistry(knowledge.agencies),
            parser=UpdateParser(brain, knowledge),
        )
        app.bot_data[PROGRESS_KEY] = runtime
        feature.runtime = runtime
        feature.reader.store = db
        # read the history and derive today's progress now, not in the first questions
        today = services.clock.today()
        runtime.view.warm_up(today)
        if isinstance(services.brain, Brain):
            services.brain.warm_up(today)
        log.debug("Đã mở cơ sở dữ liệu tiến độ (phiên bản lược đồ %s)", db.schema_version())

    async def close_store(app: App) -> None:
        runtime = app.bot_data.pop(PROGRESS_KEY, None)
        if not isinstance(runtime, ProgressRuntime):
            return
        if feature.reader.store is runtime.db:
            feature.reader.store = None
        if feature.runtime is runtime:
            feature.runtime = None
        if feature.owns_database:
            runtime.db.close()

    add_lifecycle_hooks(application, startup=open_store, shutdown=close_store)
