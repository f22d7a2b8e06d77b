"""`python -m bot reminders --today YYYY-MM-DD --days N [--agency TÊN]`: what would be
sent, sending nothing.

Opens the database read-only (a missing file or one without the reminder tables
means no subscriptions), plans every active subscription from 00:00 of `today`
for `days` days and prints, for each message: its local time, the chat (id and
title) and its text as the group would read it. Reminders already in the send
log are left out, as the engine would. Previews count from the subscriptions (a
group's /nhacviec): with none, it says so and how to preview anyway. `--agency`
previews a hypothetical group subscribed to that agency (or to every agency, «tất
cả») from `today`, with an empty send log, instead of the subscriptions.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import TextIO

from bot.core.clock import FixedClock
from bot.core.config import ConfigError, Settings
from bot.core.reply import html_to_plain
from bot.core.text import fold
from bot.nlu.intent_registry import INTENTS_DIR, load_intents
from bot.plan.agencies import AgencyRegistry
from bot.plan.library import load_library
from bot.plan.loader import Knowledge
from bot.progress.access_base import ended_text
from bot.reminders.calendar import WorkCalendar, weekday_vi
from bot.reminders.engine import ReminderEngine
from bot.reminders.planner import ReminderPlanner
from bot.storage import open_progress_reader, sqlite_path
from bot.storage.reminder_records import ALL_AGENCIES, Subscription
from bot.storage.reminders import ReminderStore, empty_store_reader, open_store_reader

MAX_DAYS = 366
HYPOTHETICAL_CHAT = 0  # the id of the group `--agency` imagines (no real chat has it)
HOW_TO_PREVIEW = (
    "Bản xem trước tính theo các nhóm đã bật nhắc việc (/nhacviec trong nhóm). Để xem một"
    ' nhóm sẽ nhận gì khi bật: --agency "Sở Nội vụ" (hoặc --agency "tất cả" cho nhóm theo'
    " dõi mọi cơ quan).\n"
)


def hypothetical_agency(knowledge: Knowledge, text: str, today: date) -> str:
    """The agency id (or ALL) `--agency` names, or ConfigError with why not (one line)."""
    words = {fold(w) for w in load_intents(INTENTS_DIR).lists.all_agencies}
    if fold(text) in words:
        return ALL_AGENCIES
    found = AgencyRegistry(knowledge.agencies).resolve(text)
    if not found:
        raise ConfigError(f"--agency: không tìm thấy cơ quan «{text}» trong danh mục")
    if len(found) > 1:
        names = "; ".join(a.name for a in found[:6])
        raise ConfigError(f"--agency: «{text}» có thể là: {names}. Hãy ghi rõ tên cơ quan")
    agency = found[0]
    if agency.is_group:
        raise ConfigError(f"--agency: «{agency.name}» là một nhóm cơ quan; hãy ghi cơ quan cụ thể")
    gone = ended_text(knowledge, agency.id, today)
    if gone:
        raise ConfigError(f"--agency: {html_to_plain(gone)}")
    if not ReminderPlanner(knowledge, WorkCalendar()).followed(agency.id, today):
        raise ConfigError(
            f"--agency: {agency.name} không chủ trì hay thực hiện nhiệm vụ nào trong Kế hoạch"
            f" {knowledge.plan.meta.number}, nên không có việc gì để nhắc"
        )
    return agency.id


def print_preview(
    settings: Settings,
    today: date,
    days: int,
    out: TextIO | None = None,
    *,
    agency: str | None = None,
) -> int:
    """Print the reminders of `days` days from `today` (of a hypothetical group of
    `agency` when given); return the exit code."""
    out = out or sys.stdout
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days phải từ 1 đến {MAX_DAYS} (giá trị: {days})")
    knowledge = load_library(settings.plan_path).main  # the main plan's reminders
    calendar = WorkCalendar(settings.tz)
    start = datetime.combine(today, time(0, 0), tzinfo=settings.tz)
    end = start + timedelta(days=days) - timedelta(microseconds=1)
    last = end.date()
    span = f"từ {today:%d/%m/%Y} đến hết {last:%d/%m/%Y}"
    chosen = hypothetical_agency(knowledge, agency, today) if agency else None
    store = open_store_reader(sqlite_path(settings.database_url))
    if store is None and chosen is None:
        out.write(
            f"Chưa có nhóm nào bật nhắc việc (cơ sở dữ liệu chưa có hoặc chưa có bảng nhắc việc):"
            f" không có tin nào sẽ được gửi {span}.\n" + HOW_TO_PREVIEW
        )
        return 0
    if store is None:
        store = empty_store_reader(now=start)
    progress = open_progress_reader(settings)
    try:
        clock = FixedClock(start, tz=settings.tz)
        engine = ReminderEngine(knowledge, progress, store, clock, calendar=calendar)
        if chosen is not None:
            active = [
                Subscription(
                    HYPOTHETICAL_CHAT, chosen, "nhóm giả định", 0, start, start, paused=False
                )
            ]
        else:
            found = _subscriptions(store, out, span)
            if found is None:
                return 0
            active = found
        messages = engine.preview(start, end, active)
        for at, sub, html in messages:
            local = calendar.local(at)
            who = engine.planner.messages.audience(sub)
            chat = (
                "nhóm giả định"
                if chosen is not None
                else f"nhóm {sub.chat_id} «{sub.title or '(không tên)'}»"
            )
            out.write(
                f"── {local:%H:%M} {weekday_vi(local.date())} {local:%d/%m/%Y} · {chat} ({who})\n"
            )
            out.write(html_to_plain(html) + "\n\n")
        chats = len({sub.chat_id for _, sub, _ in messages})
        what = "nhóm giả định" if chosen is not None else f"{chats} nhóm"
        out.write(f"Tổng cộng: {len(messages)} tin tới {what} {span} (xem trước, không gửi gì).\n")
        if not messages:
            out.write(
                f"Không có nhắc việc nào đến lịch gửi {span} cho {len(active)} nhóm đang nhận"
                " (nhắc trước hạn, nhắc quá hạn, tổng hợp Thứ Hai; trong giờ làm việc).\n"
            )
        return 0
    finally:
        store.close()
        if progress is not None:
            progress.close()


def _subscriptions(store: ReminderStore, out: TextIO, span: str) -> list[Subscription] | None:
    """The active subscriptions (paused ones are named); None, after saying why, when
    there is none."""
    subscriptions = store.subscriptions(include_paused=True)
    for sub in subscriptions:
        if sub.paused:
            out.write(
                f"(Nhóm {sub.chat_id} «{sub.title or ''}» đang tạm dừng nhắc việc:"
                f" {sub.pause_reason or ''})\n"
            )
    active = [s for s in subscriptions if not s.paused]
    if not active:
        out.write(
            f"Chưa có nhóm nào đang nhận nhắc việc: không có tin nào sẽ được gửi {span}.\n"
            + HOW_TO_PREVIEW
        )
        return None
    return active
