"""Telegram door of the reminders: /nhacviec, /tatnhacviec, /batnhacviec, /lichnhac and
the tick job.

- `/nhacviec [tên cơ quan]` (group admins, checked with getChatMember): subscribe
  this group to the reminders of an agency — by default the agency the group is
  linked to (/lienket); a group of the plan's monitoring agency (or a bot admin) may
  subscribe to every agency with `/nhacviec tất cả`. Running it again changes the
  agency or resumes a paused subscription.
- `/tatnhacviec` (group admins): stop them (the subscription is paused, with why);
  `/tatnhacviec <số mục>` silences one item for the group, `/batnhacviec <số mục>`
  undoes it (`/batnhacviec` alone lists the silenced items).
- `/lichnhac` (anyone in the group): what is scheduled next for this chat, the items
  now reminded once a month and the items silenced.

`RemindersFeature(services)` is the feature (`bot.telegram.feature.Feature`): its
`register` adds the commands, their menu lines and the tick (`JobQueue.run_repeating`),
`start` derives today's progress before the first tick. `ReminderServices` are built
by the composition root (`bot.app.runtime`) over the process's one database, progress
view, agency registry and access service; tests build them with `ReminderServices.create`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import Application, CallbackContext, CommandHandler

from bot.core.clock import Clock
from bot.core.reply import esc
from bot.core.text import fold
from bot.nlu.intent_registry import INTENTS_DIR, load_intents
from bot.plan.agencies import AgencyRegistry
from bot.plan.library import plan_key, split_qualified
from bot.plan.loader import Knowledge
from bot.plan.responsibility import find_item, short_text
from bot.progress.access import AccessService
from bot.progress.access_base import ended_text
from bot.progress.view import ProgressView
from bot.reminders.calendar import WorkCalendar
from bot.reminders.engine import Pacer, ReminderEngine
from bot.reminders.planner import OVERDUE_WEEKLY_NOTICES
from bot.storage.base import Database
from bot.storage.plan_scope import plan_reminders
from bot.storage.reminder_records import ALL_AGENCIES, Subscription
from bot.storage.reminders import ReminderStore, store_for
from bot.telegram.chat_admin import is_group_admin as group_admin_check
from bot.telegram.commands import GROUP, GROUP_ADMIN, add_menu_command
from bot.telegram.context import App, Context
from bot.telegram.handlers import send_html

log = logging.getLogger(__name__)

JOB_NAME = "reminders-tick"
TICK_SECONDS = 60.0
FIRST_TICK_SECONDS = 10.0
UPCOMING_DAYS = 45
UPCOMING_LIMIT = 10

GROUP_ONLY = "Lệnh này dùng trong nhóm của cơ quan, không dùng trong tin nhắn riêng."
NOT_ADMIN = "Chỉ quản trị viên của nhóm mới bật hoặc tắt nhắc việc."
CHECK_FAILED = "Không kiểm tra được quyền quản trị nhóm lúc này; anh/chị vui lòng thử lại sau."
HOURS = "Tin nhắc chỉ gửi trong giờ làm việc: 8:00–17:00, Thứ Hai đến Thứ Sáu, trừ ngày lễ."


def all_agencies_words() -> frozenset[str]:
    """How "every agency" is typed after /nhacviec (`all_agencies` in intents/vi/lists.yaml)."""
    return frozenset(fold(w) for w in load_intents(INTENTS_DIR).lists.all_agencies)


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
    # every plan's reminders by its short key (this one is the main plan's), sharing the
    # subscriptions; empty while one plan is served
    plans: dict[str, ReminderServices] = field(default_factory=dict)
    key: str = ""

    def add_plan(
        self, key: str, knowledge: Knowledge, view: ProgressView, access: AccessService
    ) -> ReminderServices:
        """Remind the subscribed groups of another plan's work too (or of a newer version
        of one): its own engine over its share of the send log."""
        if not self.plans:
            self.key = plan_key(self.knowledge.plan.meta.number)
            self.plans[self.key] = self
        main = key == self.key  # a newer version of the main plan: this one is its
        store = plan_reminders(self.store, key, main=main)
        engine = ReminderEngine(
            knowledge,
            None,
            store,
            self.clock,
            calendar=self.engine.calendar,
            pacer=self.engine.pacer,
            view=view,
        )
        engine.bot, engine.shutdown = self.engine.bot, self.engine.shutdown
        if main:
            self.knowledge, self.engine, self.access = knowledge, engine, access
            return self
        sibling = replace(
            self, knowledge=knowledge, store=store, engine=engine, access=access, key=key
        )
        sibling.plans = self.plans
        self.plans[key] = sibling
        return sibling

    @property
    def every(self) -> list[ReminderServices]:
        """Every plan's reminders, the main plan's first."""
        return list(self.plans.values()) or [self]

    def of(self, plan: str | None) -> ReminderServices:
        if plan is None or not self.plans:
            return self
        return self.plans.get(plan_key(plan), self)

    async def job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """The periodic tick of every plan's engine, one after the other."""
        for services in self.every:
            await services.engine.job(context)

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
        view: ProgressView | None = None,
        registry: AgencyRegistry | None = None,
        tick_seconds: float = TICK_SECONDS,
        first_tick_seconds: float = FIRST_TICK_SECONDS,
    ) -> ReminderServices:
        """The services over `db`; whatever is not given (the process's store beside the
        database, access service, progress view, agency registry) is built here."""
        store = store or store_for(db, now=clock.now())
        engine = ReminderEngine(
            knowledge, db, store, clock, calendar=calendar, pacer=pacer, view=view
        )
        return cls(
            knowledge=knowledge,
            store=store,
            engine=engine,
            access=access or AccessService(db, knowledge, clock, admin_ids),
            clock=clock,
            registry=registry or AgencyRegistry(knowledge.agencies),
            tick_seconds=tick_seconds,
            first_tick_seconds=first_tick_seconds,
        )

    def close(self) -> None:
        self.store.close()

    # -- choosing the agency ------------------------------------------------------

    def name(self, agency_id: str) -> str:
        return self.engine.planner.messages.name(agency_id)

    def choose_agency(self, text: str, linked: str | None, user_id: int) -> AgencyChoice:
        """The agency (or ALL) a group subscribes to, or a refusal."""
        # the plan's monitoring agency follows every agency's work (plan.yaml meta)
        monitor = self.knowledge.plan.meta.monitoring_agency
        watch_all = (monitor is not None and linked == monitor) or self.access.is_admin(user_id)
        if not text:
            if linked is None:
                return AgencyChoice(
                    refusal="Nhóm chưa liên kết với cơ quan nào. Gõ <code>/nhacviec &lt;tên cơ"
                    " quan&gt;</code>, ví dụ <code>/nhacviec Sở Nội vụ</code>, hoặc liên kết nhóm"
                    " với cơ quan bằng /lienket.",
                )
            return AgencyChoice(linked)
        if fold(text) in all_agencies_words():
            if not watch_all:
                who = f"nhóm của {esc(self.name(monitor))}" if monitor else "quản trị viên bot"
                return AgencyChoice(refusal=f"Chỉ {who} mới nhận nhắc việc của tất cả cơ quan.")
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
        gone = ended_text(self.knowledge, agency.id, self.clock.today())
        if gone:
            return AgencyChoice(refusal=gone)
        if not any(s.engine.planner.followed(agency.id, self.clock.today()) for s in self.every):
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
        audience = esc(self.engine.planner.messages.audience(sub))
        if sub.paused:
            since = f" từ {sub.paused_at.astimezone(tz):%H:%M %d/%m/%Y}" if sub.paused_at else ""
            return (
                f"Nhắc việc của nhóm ({audience}) đang tạm dừng{since}:"
                f" {esc(sub.pause_reason or '')}.\nQuản trị viên nhóm gõ /nhacviec để bật lại."
            )
        lines = [f"🗓 <b>Lịch nhắc việc của nhóm</b> — {audience}"]
        for services in self.every:
            upcoming = services.engine.upcoming(sub, UPCOMING_DAYS, UPCOMING_LIMIT)
            if len(self.plans) > 1 and upcoming:
                lines.append(f"<b>{esc(services.knowledge.plan.meta.label)}</b>")
            lines += [f"• {services.engine.planner.messages.describe(o)}" for o in upcoming]
        if len(lines) == 1:
            lines.append(f"Không có nhắc việc nào trong {UPCOMING_DAYS} ngày tới.")
        history = self.engine.history(sub)
        monthly = self.engine.planner.long_overdue(
            sub, self.engine.snapshot(), self.clock.today(), history
        )
        if monthly:
            keys = ", ".join(esc(f.key) for f, _ in monthly)
            lines.append(
                f"📌 Nhắc mỗi tháng một lần (đã nhắc quá hạn {OVERDUE_WEEKLY_NOTICES} tuần):"
                f" {keys} — trong bản tổng hợp Thứ Hai đầu tháng."
            )
        if history.muted:
            lines.append(f"🔕 Đã tắt nhắc riêng: {self.muted_text(history.muted)}.")
            lines.append("Bật lại một mục: <code>/batnhacviec &lt;số mục&gt;</code>")
        lines += [
            HOURS,
            "Tắt nhắc một mục: <code>/tatnhacviec &lt;số mục&gt;</code> · Tắt mọi nhắc việc:"
            " /tatnhacviec",
        ]
        return "\n".join(lines)

    def muted_text(self, muted: Iterable[str]) -> str:
        """ "2.4 (Xây dựng …), 4.2b (…)": the silenced items with a few words of each."""
        parts = []
        for subject in sorted(muted):
            found = find_item(self.knowledge.plan, subject)
            if found is None:
                parts.append(esc(subject))
                continue
            item, part = found
            parts.append(
                f"{esc(subject)} ({esc(short_text(item, part or item.assignments[0], 60))})"
            )
        return "; ".join(parts)

    def item_subject(self, text: str) -> str | None:
        """The item id or assignment key `text` names ("2.4", "4.2b"), or None."""
        found = find_item(self.knowledge.plan, text)
        if found is None:
            return None
        item, part = found
        return item.id if part is None else item.assignment_key(part)

    def subscribed_html(self, sub: Subscription) -> str:
        lines = [
            f"🔔 Đã bật nhắc việc cho nhóm: <b>{esc(self.engine.planner.messages.audience(sub))}</b>.",
            "Nhóm sẽ nhận: nhắc trước hạn (7, 3, 1 ngày và đúng ngày; báo cáo năm mục III.1:"
            " 14, 7, 3, 1 ngày), nhắc hằng tuần khi quá hạn mà chưa báo cáo hoàn thành"
            f" ({OVERDUE_WEEKLY_NOTICES} lần, sau đó mỗi tháng một lần trong bản tổng hợp đầu"
            " tháng), và bản tổng hợp 8:00 sáng Thứ Hai.",
            HOURS,
        ]
        upcoming = self.engine.upcoming(sub, UPCOMING_DAYS, 3)
        if upcoming:
            lines.append("Sắp tới:")
            lines += [f"• {self.engine.planner.messages.describe(o)}" for o in upcoming]
        lines.append(
            "Xem lịch: /lichnhac · Tắt một mục: <code>/tatnhacviec &lt;số mục&gt;</code> ·"
            " Tắt hết: /tatnhacviec"
        )
        return "\n".join(lines)


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


# ---------------------------------------------------------------- wiring


class RemindersFeature:
    """The reminders on Telegram (`bot.telegram.feature.Feature`), over the services
    it is given (it opens nothing)."""

    def __init__(self, services: ReminderServices):
        self.services = services

    def register(self, application: App) -> None:
        """Add the reminder commands and menus and schedule the periodic tick."""
        services = self.services
        services.application = application
        for plan in services.every:
            plan.engine.bot = application.bot
            plan.engine.shutdown = application.bot_data.shutdown  # no sends once stopping
        add_menu_command(
            application,
            "nhacviec",
            "Bật nhắc việc cho nhóm, ví dụ /nhacviec Sở Nội vụ",
            [GROUP_ADMIN],
            order=60,
        )
        add_menu_command(
            application,
            "tatnhacviec",
            "Tắt nhắc việc của nhóm, hoặc của một mục: /tatnhacviec 2.4",
            [GROUP_ADMIN],
            order=61,
        )
        add_menu_command(
            application,
            "batnhacviec",
            "Bật lại nhắc một mục đã tắt, ví dụ /batnhacviec 2.4",
            [GROUP_ADMIN],
            order=62,
        )
        add_menu_command(application, "lichnhac", "Xem lịch nhắc việc của nhóm", [GROUP], order=63)
        application.add_handler(CommandHandler("nhacviec", self.cmd_subscribe))
        application.add_handler(CommandHandler("tatnhacviec", self.cmd_unsubscribe))
        application.add_handler(CommandHandler("batnhacviec", self.cmd_unmute))
        application.add_handler(CommandHandler("lichnhac", self.cmd_schedule))
        job_queue = application.job_queue
        if job_queue is None:
            log.warning(
                "Không có JobQueue (cần python-telegram-bot[job-queue]): nhắc việc không chạy"
            )
            return
        if services.tick_seconds > 0:
            job_queue.run_repeating(
                services.job,
                interval=services.tick_seconds,
                first=services.first_tick_seconds,
                name=JOB_NAME,
                job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            )

    async def start(self, application: App) -> None:
        """Derive today's progress now, not in the first tick."""
        for plan in self.services.every:
            plan.engine.warm_up()

    async def stop(self, application: App) -> None:
        """Nothing of its own to release: the store stands beside the root's database."""

    # -- commands ---------------------------------------------------------------

    async def cmd_subscribe(self, update: Update, context: Context) -> None:
        """/nhacviec [tên cơ quan]."""
        gate = await _admin_gate(update, context)
        if gate is None:
            return
        chat, message, actor = gate
        svc = self.services
        text = " ".join(context.args or []).strip()
        choice = svc.choose_agency(text, svc.access.chat_agency(chat.id), actor)
        if choice.agency_id is None:
            await _reply(context, chat, message, choice.refusal or NOT_ADMIN)
            return
        sub = await svc.store.subscribe(
            chat.id, choice.agency_id, chat.title, actor, svc.clock.now()
        )
        log.info("Nhóm %s bật nhắc việc: %s", chat.id, choice.agency_id)
        await _reply(context, chat, message, svc.subscribed_html(sub))

    async def cmd_unsubscribe(self, update: Update, context: Context) -> None:
        """/tatnhacviec, or /tatnhacviec <số mục> (that item only)."""
        gate = await _admin_gate(update, context)
        if gate is None:
            return
        chat, message, actor = gate
        svc = self.services
        text = " ".join(context.args or []).strip()
        if text:
            await _reply(context, chat, message, await self._mute(chat.id, text, actor))
            return
        current = svc.store.get(chat.id)
        if current is None or current.paused:
            await _reply(context, chat, message, "Nhóm chưa bật nhắc việc; không có gì để tắt.")
            return
        await svc.store.pause(
            chat.id, "Tắt bằng lệnh /tatnhacviec", svc.clock.now(), actor_id=actor
        )
        log.info("Nhóm %s tắt nhắc việc", chat.id)
        await _reply(
            context,
            chat,
            message,
            f"🔕 Đã tắt nhắc việc ({esc(svc.engine.planner.messages.audience(current))}) cho nhóm."
            " Bật lại: /nhacviec",
        )

    async def _mute(self, chat_id: int, text: str, actor: int) -> str:
        plan, text = split_qualified(text)  # «58: 7»: that plan's item
        svc = self.services.of(plan)
        subject = svc.item_subject(text)
        if subject is None:
            return (
                f"Không có mục «{esc(text)}» trong Kế hoạch {esc(svc.knowledge.plan.meta.number)}."
                " Ví dụ: <code>/tatnhacviec 2.4</code> tắt nhắc mục 2.4; /tatnhacviec (không kèm"
                " số mục) tắt mọi nhắc việc của nhóm."
            )
        added = await svc.store.mute(chat_id, subject, actor, svc.clock.now())
        log.info("Nhóm %s tắt nhắc mục %s", chat_id, subject)
        head = (
            f"🔕 Đã tắt nhắc mục <b>{esc(subject)}</b> cho nhóm"
            if added
            else f"Mục <b>{esc(subject)}</b> đã được tắt nhắc từ trước"
        )
        tail = "" if svc.store.get(chat_id) else " Nhóm cũng chưa bật nhắc việc (/nhacviec)."
        return (
            f"{head}: không nhắc hạn, không nhắc quá hạn mục này nữa (các mục khác vẫn nhắc)."
            f" Bật lại: <code>/batnhacviec {esc(subject)}</code> · Xem: /lichnhac.{tail}"
        )

    async def cmd_unmute(self, update: Update, context: Context) -> None:
        """/batnhacviec <số mục>: remind the group of a silenced item again."""
        gate = await _admin_gate(update, context)
        if gate is None:
            return
        chat, message, actor = gate
        plan, text = split_qualified(" ".join(context.args or []).strip())
        svc = self.services.of(plan)
        muted = [m.subject for m in svc.store.mutes(chat.id)]
        if not text:
            listed = (
                f"Các mục nhóm đã tắt nhắc: {svc.muted_text(muted)}."
                if muted
                else "Nhóm chưa tắt nhắc riêng mục nào."
            )
            html = f"{listed}\nGõ kèm số mục, ví dụ <code>/batnhacviec 2.4</code>."
            await _reply(context, chat, message, html)
            return
        subject = svc.item_subject(text) or text
        if await svc.store.unmute(chat.id, subject, actor, svc.clock.now()):
            log.info("Nhóm %s bật lại nhắc mục %s", chat.id, subject)
            html = f"🔔 Đã bật lại nhắc mục <b>{esc(subject)}</b> cho nhóm. Xem lịch: /lichnhac"
        else:
            html = f"Mục «{esc(text)}» không bị tắt nhắc trong nhóm này." + (
                f" Các mục đã tắt: {svc.muted_text(muted)}." if muted else ""
            )
        await _reply(context, chat, message, html)

    async def cmd_schedule(self, update: Update, context: Context) -> None:
        """/lichnhac."""
        found = _group_chat(update)
        if found is None:
            return
        chat, message, _ = found
        svc = self.services
        await _reply(context, chat, message, svc.schedule_html(svc.store.get(chat.id)))
