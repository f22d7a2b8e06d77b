"""Telegram door of the reminders: /nhacviec, /tatnhacviec, /lichnhac and the tick job.

- `/nhacviec [tên cơ quan]` (group admins, checked with getChatMember): subscribe
  this group to the reminders of an agency — by default the agency the group is
  linked to (/lienket); a group of Văn phòng UBND tỉnh (or a bot admin) may
  subscribe to every agency with `/nhacviec tất cả`. Running it again changes the
  agency or resumes a paused subscription.
- `/tatnhacviec` (group admins): stop them (the subscription is paused, with why).
- `/lichnhac` (anyone in the group): what is scheduled next for this chat.

`register(application, services)` adds the commands and their menu lines and
starts the tick (`JobQueue.run_repeating`); `feature(services)` is the same as a
`build_application(features=…)` entry, and `reminders_feature(settings)` builds
everything from the settings for `python -m bot run` (`bot.app.runtime.default_features`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.reply import esc
from bot.core.text import fold
from bot.plan.agencies import AgencyRegistry
from bot.plan.loader import Knowledge
from bot.progress.access import AccessService
from bot.reminders.calendar import WorkCalendar
from bot.reminders.engine import Pacer, ReminderEngine
from bot.storage.base import Database
from bot.storage.reminders import ALL_AGENCIES, ReminderStore, Subscription, store_for
from bot.telegram.app import add_lifecycle_hooks, shutdown_of
from bot.telegram.chat_admin import is_group_admin as group_admin_check
from bot.telegram.commands import GROUP, GROUP_ADMIN, add_menu_command
from bot.telegram.handlers import Context, send_html

log = logging.getLogger(__name__)

SERVICES_KEY = "reminders"
JOB_NAME = "reminders-tick"
TICK_SECONDS = 60.0
FIRST_TICK_SECONDS = 10.0
WATCH_ALL_AGENCY = "vp_ubnd"  # Văn phòng UBND tỉnh follows every agency's work
ALL_WORDS = frozenset({"tat ca", "tat ca co quan", "toan bo", "toan tinh", "all", "*"})
UPCOMING_DAYS = 45
UPCOMING_LIMIT = 10

GROUP_ONLY = "Lệnh này dùng trong nhóm của cơ quan, không dùng trong tin nhắn riêng."
NOT_ADMIN = "Chỉ quản trị viên của nhóm mới bật hoặc tắt nhắc việc."
CHECK_FAILED = "Không kiểm tra được quyền quản trị nhóm lúc này; anh/chị vui lòng thử lại sau."
HOURS = "Tin nhắc chỉ gửi trong giờ làm việc: 8:00–17:00, Thứ Hai đến Thứ Sáu, trừ ngày lễ."

Feature = Callable[[Application[Any, Any, Any, Any, Any, Any]], None]  # as bot.telegram.app


@dataclass(frozen=True)
class AgencyChoice:
    """What /nhacviec subscribes to (an agency id or ALL), or why it refuses (HTML)."""

    agency_id: str | None = None
    refusal: str | None = None


@dataclass
class ReminderServices:
    """Everything the reminder commands and the tick use."""

    knowledge: Knowledge
    store: ReminderStore
    engine: ReminderEngine
    access: AccessService
    clock: Clock
    registry: AgencyRegistry
    tick_seconds: float = TICK_SECONDS
    first_tick_seconds: float = FIRST_TICK_SECONDS
    application: Application[Any, Any, Any, Any, Any, Any] | None = None

    @classmethod
    def create(
        cls,
        knowledge: Knowledge,
        db: Database,
        clock: Clock,
        *,
        admin_ids: Iterable[int] = (),
        access: AccessService | None = None,
        store: ReminderStore | None = None,
        pacer: Pacer | None = None,
        calendar: WorkCalendar | None = None,
        tick_seconds: float = TICK_SECONDS,
        first_tick_seconds: float = FIRST_TICK_SECONDS,
    ) -> ReminderServices:
        store = store or store_for(db, now=clock.now())
        engine = ReminderEngine(knowledge, db, store, clock, calendar=calendar, pacer=pacer)
        return cls(
            knowledge=knowledge,
            store=store,
            engine=engine,
            access=access or AccessService(db, knowledge, clock, admin_ids),
            clock=clock,
            registry=AgencyRegistry(knowledge.agencies),
            tick_seconds=tick_seconds,
            first_tick_seconds=first_tick_seconds,
        )

    def close(self) -> None:
        self.store.close()

    # -- choosing the agency ------------------------------------------------------

    def name(self, agency_id: str) -> str:
        return self.engine.planner.name(agency_id)

    def choose_agency(self, text: str, linked: str | None, user_id: int) -> AgencyChoice:
        """The agency (or ALL) a group subscribes to, or a refusal."""
        watch_all = linked == WATCH_ALL_AGENCY or self.access.is_admin(user_id)
        if not text:
            if linked is None:
                return AgencyChoice(
                    refusal="Nhóm chưa liên kết với cơ quan nào. Gõ <code>/nhacviec &lt;tên cơ"
                    " quan&gt;</code>, ví dụ <code>/nhacviec Sở Nội vụ</code>, hoặc liên kết nhóm"
                    " với cơ quan bằng /lienket.",
                )
            return AgencyChoice(linked)
        if fold(text) in ALL_WORDS:
            if not watch_all:
                return AgencyChoice(
                    refusal=f"Chỉ nhóm của {esc(self.name(WATCH_ALL_AGENCY))} mới nhận nhắc việc của tất"
                    " cả cơ quan.",
                )
            return AgencyChoice(ALL_AGENCIES)
        found = self.registry.resolve(text)
        if not found:
            return AgencyChoice(
                refusal=f"Không tìm thấy cơ quan «{esc(text)}». Ví dụ: <code>/nhacviec Sở Nội vụ</code>.",
            )
        if len(found) > 1:
            names = "; ".join(esc(a.name) for a in found)
            return AgencyChoice(
                refusal=f"«{esc(text)}» có thể là: {names}. Anh/chị gõ rõ tên cơ quan."
            )
        agency = found[0]
        if agency.is_group:
            return AgencyChoice(
                refusal=f"«{esc(agency.name)}» là một nhóm cơ quan; hãy ghi cơ quan cụ thể, ví dụ"
                " <code>/nhacviec Sở Y tế</code>.",
            )
        if not self.engine.planner.followed(agency.id):
            return AgencyChoice(
                refusal=f"{esc(agency.name)} không chủ trì hay thực hiện nhiệm vụ nào trong Kế hoạch"
                f" {esc(self.knowledge.plan.meta.number)}, nên không có việc gì để nhắc.",
            )
        if linked is not None and linked != agency.id and not watch_all:
            return AgencyChoice(
                refusal=f"Nhóm này liên kết với <b>{esc(self.name(linked))}</b> nên chỉ nhận nhắc việc"
                " của cơ quan đó: gõ /nhacviec (không kèm tên).",
            )
        return AgencyChoice(agency.id)

    # -- texts ------------------------------------------------------------------------

    def schedule_html(self, sub: Subscription | None) -> str:
        """/lichnhac."""
        if sub is None:
            return (
                "Nhóm chưa bật nhắc việc. Quản trị viên nhóm gõ /nhacviec để bật"
                " (mặc định theo cơ quan đã liên kết với nhóm)."
            )
        tz = self.clock.tz
        audience = esc(self.engine.planner.audience(sub))
        if sub.paused:
            since = f" từ {sub.paused_at.astimezone(tz):%H:%M %d/%m/%Y}" if sub.paused_at else ""
            return (
                f"Nhắc việc của nhóm ({audience}) đang tạm dừng{since}:"
                f" {esc(sub.pause_reason or '')}.\nQuản trị viên nhóm gõ /nhacviec để bật lại."
            )
        upcoming = self.engine.upcoming(sub, UPCOMING_DAYS, UPCOMING_LIMIT)
        lines = [f"🗓 <b>Lịch nhắc việc của nhóm</b> — {audience}"]
        if upcoming:
            lines += [f"• {self.engine.planner.describe(o)}" for o in upcoming]
        else:
            lines.append(f"Không có nhắc việc nào trong {UPCOMING_DAYS} ngày tới.")
        lines += [HOURS, "Tắt nhắc việc: /tatnhacviec"]
        return "\n".join(lines)

    def subscribed_html(self, sub: Subscription) -> str:
        lines = [
            f"🔔 Đã bật nhắc việc cho nhóm: <b>{esc(self.engine.planner.audience(sub))}</b>.",
            "Nhóm sẽ nhận: nhắc trước hạn (7, 3, 1 ngày và đúng ngày; báo cáo năm mục III.1:"
            " 14, 7, 3, 1 ngày), nhắc hằng tuần khi quá hạn mà chưa báo cáo hoàn thành, và"
            " bản tổng hợp 8:00 sáng Thứ Hai.",
            HOURS,
        ]
        upcoming = self.engine.upcoming(sub, UPCOMING_DAYS, 3)
        if upcoming:
            lines.append("Sắp tới:")
            lines += [f"• {self.engine.planner.describe(o)}" for o in upcoming]
        lines.append("Xem lịch: /lichnhac · Tắt: /tatnhacviec")
        return "\n".join(lines)


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> ReminderServices:
    services: ReminderServices = application.bot_data[SERVICES_KEY]
    return services


# ---------------------------------------------------------------- handlers


def _group_chat(update: Update) -> tuple[Chat, Message, User | None] | None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return None
    return chat, message, update.effective_user


async def is_group_admin(update: Update, context: Context) -> bool | None:
    """True for a group admin (getChatMember), an anonymous admin posting as the group;
    None when Telegram cannot tell us now."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return False
    return await group_admin_check(context, chat, message, update.effective_user)


async def _reply(context: Context, chat: Chat, message: Message, html: str) -> None:
    thread = message.message_thread_id if message.is_topic_message else None
    await send_html(context, chat.id, html, quote=message, thread_id=thread)


async def _admin_gate(update: Update, context: Context) -> tuple[Chat, Message, int] | None:
    found = _group_chat(update)
    if found is None:
        return None
    chat, message, user = found
    if chat.type == ChatType.PRIVATE:
        await _reply(context, chat, message, GROUP_ONLY)
        return None
    admin = await is_group_admin(update, context)
    if not admin:
        await _reply(context, chat, message, CHECK_FAILED if admin is None else NOT_ADMIN)
        return None
    actor = user.id if user is not None else chat.id
    return chat, message, actor


async def cmd_subscribe(update: Update, context: Context) -> None:
    """/nhacviec [tên cơ quan]."""
    gate = await _admin_gate(update, context)
    if gate is None:
        return
    chat, message, actor = gate
    svc = services_of(context.application)
    text = " ".join(context.args or []).strip()
    choice = svc.choose_agency(text, svc.access.chat_agency(chat.id), actor)
    if choice.agency_id is None:
        await _reply(context, chat, message, choice.refusal or NOT_ADMIN)
        return
    sub = await svc.store.subscribe(chat.id, choice.agency_id, chat.title, actor, svc.clock.now())
    log.info("Nhóm %s bật nhắc việc: %s", chat.id, choice.agency_id)
    await _reply(context, chat, message, svc.subscribed_html(sub))


async def cmd_unsubscribe(update: Update, context: Context) -> None:
    """/tatnhacviec."""
    gate = await _admin_gate(update, context)
    if gate is None:
        return
    chat, message, actor = gate
    svc = services_of(context.application)
    current = svc.store.get(chat.id)
    if current is None or current.paused:
        await _reply(context, chat, message, "Nhóm chưa bật nhắc việc; không có gì để tắt.")
        return
    await svc.store.pause(chat.id, "Tắt bằng lệnh /tatnhacviec", svc.clock.now(), actor_id=actor)
    log.info("Nhóm %s tắt nhắc việc", chat.id)
    await _reply(
        context,
        chat,
        message,
        f"🔕 Đã tắt nhắc việc ({esc(svc.engine.planner.audience(current))}) cho nhóm."
        " Bật lại: /nhacviec",
    )


async def cmd_schedule(update: Update, context: Context) -> None:
    """/lichnhac."""
    found = _group_chat(update)
    if found is None:
        return
    chat, message, _ = found
    svc = services_of(context.application)
    await _reply(context, chat, message, svc.schedule_html(svc.store.get(chat.id)))


# ---------------------------------------------------------------- wiring


def register(
    application: Application[Any, Any, Any, Any, Any, Any], services: ReminderServices
) -> None:
    """Add the reminder commands and menus and start the periodic tick."""
    application.bot_data[SERVICES_KEY] = services
    services.application = application
    services.engine.bot = application.bot
    services.engine.shutdown = shutdown_of(application)  # stop sending when it stops
    add_menu_command(
        application,
        "nhacviec",
        "Bật nhắc việc cho nhóm, ví dụ /nhacviec Sở Nội vụ",
        [GROUP_ADMIN],
        order=60,
    )
    add_menu_command(application, "tatnhacviec", "Tắt nhắc việc của nhóm", [GROUP_ADMIN], order=61)
    add_menu_command(application, "lichnhac", "Xem lịch nhắc việc của nhóm", [GROUP], order=62)
    application.add_handler(CommandHandler("nhacviec", cmd_subscribe))
    application.add_handler(CommandHandler("tatnhacviec", cmd_unsubscribe))
    application.add_handler(CommandHandler("lichnhac", cmd_schedule))

    async def warm_up(_: Application[Any, Any, Any, Any, Any, Any]) -> None:
        services.engine.warm_up()

    add_lifecycle_hooks(application, startup=warm_up)
    job_queue = application.job_queue
    if job_queue is None:
        log.warning("Không có JobQueue (cần python-telegram-bot[job-queue]): nhắc việc không chạy")
        return
    if services.tick_seconds > 0:
        job_queue.run_repeating(
            services.engine.job,
            interval=services.tick_seconds,
            first=services.first_tick_seconds,
            name=JOB_NAME,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )


def feature(services: ReminderServices) -> Feature:
    """A `build_application(features=…)` entry registering the reminders."""

    def add_reminders(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        register(application, services)

    return add_reminders


def reminders_feature(
    settings: Settings,
    knowledge: Knowledge | None = None,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    access: AccessService | None = None,
) -> Feature:
    """The reminders feature for `python -m bot run` (`bot.app.runtime.default_features`): loads the
    plan and opens the database unless given (pass the progress feature's `db` and
    `access` to share them)."""
    from bot.plan.loader import load_knowledge
    from bot.storage import open_database

    clock = clock or SystemClock(settings.tz)
    database = db or open_database(settings, clock)
    services = ReminderServices.create(
        knowledge or load_knowledge(settings.plan_path),
        database,
        clock,
        admin_ids=settings.admin_ids,
        access=access,
        calendar=WorkCalendar(settings.tz),
    )
    return feature(services)
